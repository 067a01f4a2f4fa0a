// EdgeRelay: getsentry/relay in proxy mode on a Docker host next to the applications, the
// bounded queue in front of Sentry. The applications' SDKs send to it (the DSN with the
// edge's host); it answers at once from its buffer, forwards to Sentry with its own timeouts,
// answers 429 for keys Sentry rate-limits, and 503 (the SDK drops the event) once its bounded
// buffer is full. Its configuration is components/edge/relayConfig.ts (pure; tests read it).
//
// @pulumi/docker against the application host's daemon: `unix:///var/run/docker.sock` when
// `pulumi up` runs there, or `ssh://user@host` (the system ssh client and agent; the user must
// be in the docker group; an unreachable host breaks refresh and destroy).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { rewriteDsn } from "../sentryApi/limits";
import { RELAY_CONFIG_FILE, RELAY_CONTAINER_PORT, RELAY_SPOOL_DIR, renderRelayConfig, RelayConfigInput } from "./relayConfig";

/** The Relay image that matches a self-hosted release: the same calendar version (self-hosted's .env RELAY_IMAGE). */
export function relayImage(sentryVersion: string): string {
    if (!/^\d{2}\.\d{1,2}\.\d+$/.test(sentryVersion)) {
        throw new Error(`sentryVersion "${sentryVersion}" is not a calendar version such as 26.8.0; Relay images are tagged like self-hosted's releases`);
    }
    return `ghcr.io/getsentry/relay:${sentryVersion}`;
}

export interface EdgeRelayArgs {
    /** The Docker daemon of the application host: unix:///var/run/docker.sock or ssh://user@host. */
    dockerHost: string;
    /** The self-hosted release the Relay forwards to (its image tag is the same). */
    sentryVersion: string;
    /** Sentry's origin as the edge host reaches it. */
    upstream: pulumi.Input<string>;
    /** The host name or address applications reach the edge Relay at (the DSNs' host). */
    address: string;
    /** Host port the Relay listens on. */
    port: number;
    /** Disk buffer cap in MiB (a Docker volume); 0: memory only. */
    spoolMaxDiskMb: number;
    /** The container's memory limit in MiB; Relay refuses new envelopes (503) at 80 % of it. */
    memoryLimitMb: number;
    /** Seconds the Relay waits for Sentry's answer (default 5) and to connect (default 3). */
    upstreamTimeoutSeconds?: number;
    connectTimeoutSeconds?: number;
    /** Concurrent requests to Sentry (default 100, Relay's own). */
    maxConcurrentRequests?: number;
    /** Buffered envelopes older than this are dropped (default 6 h). */
    maxEnvelopeAgeSeconds?: number;
    /** Project name -> DSN at Sentry (a secret map): the edge's DSNs are the same keys on the edge's host. */
    dsns?: pulumi.Input<Record<string, string>>;
    /** Use this Docker provider instead of making one for dockerHost (tests, a shared provider). */
    provider?: docker.Provider;
}

/** Docker host URLs this component accepts. */
export function dockerHostProblem(host: string): string | undefined {
    return /^(unix:\/\/\/\S+|ssh:\/\/[^\s@]+@[^\s/]+|tcp:\/\/[^\s/]+)$/.test(host)
        ? undefined
        : `dockerHost "${host}" must be unix:///var/run/docker.sock, ssh://user@host or tcp://host:2376`;
}

/** The config input from the component's args (defaults filled in). */
export function relayConfigInput(args: Omit<EdgeRelayArgs, "upstream"> & { upstream: string }): RelayConfigInput {
    return {
        upstream: args.upstream,
        upstreamTimeoutSeconds: args.upstreamTimeoutSeconds ?? 5,
        connectTimeoutSeconds: args.connectTimeoutSeconds ?? 3,
        maxConcurrentRequests: args.maxConcurrentRequests ?? 100,
        spoolMaxDiskMb: args.spoolMaxDiskMb,
        maxEnvelopeAgeSeconds: args.maxEnvelopeAgeSeconds ?? 6 * 3600,
        maxMemoryMb: Math.floor(args.memoryLimitMb * 0.8),
    };
}

export class EdgeRelay extends pulumi.ComponentResource {
    readonly provider: docker.Provider;
    readonly image: docker.RemoteImage;
    readonly spool?: docker.Volume;
    readonly container: docker.Container;
    /** The origin applications send to, e.g. http://app-host.internal:3000. */
    readonly origin: string;
    /** Project name -> DSN on the edge (secret), when args.dsns is given. */
    readonly dsns?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: EdgeRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sentry:edge:EdgeRelay", name, {}, opts);
        const problems = [
            dockerHostProblem(args.dockerHost),
            /^[A-Za-z0-9.:-]+$/.test(args.address) ? undefined : `address "${args.address}" must be a host name or IP address`,
            Number.isInteger(args.port) && args.port >= 1024 && args.port <= 65535 ? undefined : `port ${args.port} must be from 1024 to 65535`,
            Number.isInteger(args.memoryLimitMb) && args.memoryLimitMb >= 128 ? undefined : `memoryLimitMb ${args.memoryLimitMb} must be at least 128`,
        ].filter((p): p is string => p !== undefined);
        let image = "";
        try {
            image = relayImage(args.sentryVersion);
            // Validates every config input now, at preview, not when the upstream resolves.
            renderRelayConfigCheck(args);
        } catch (err) {
            problems.push((err as Error).message);
        }
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`EdgeRelay ${name}: ${problems.join("; ")}`, this);
        }
        const parent = { parent: this };
        this.provider = args.provider ?? new docker.Provider(`${name}-docker`, { host: args.dockerHost }, parent);
        const use = { parent: this, provider: this.provider };

        this.image = new docker.RemoteImage(`${name}-image`, { name: image, keepLocally: true }, use);
        if (args.spoolMaxDiskMb > 0) {
            // Kept on replacement of the container: buffered envelopes survive an update.
            this.spool = new docker.Volume(`${name}-spool`, { name: `${name}-spool`, labels: [{ label: "com.sentry-deploy.role", value: "edge-relay-spool" }] }, use);
        }
        const config = pulumi.output(args.upstream).apply((upstream) => renderRelayConfig(relayConfigInput({ ...args, upstream })));
        this.container = new docker.Container(
            `${name}-relay`,
            {
                name: `${name}-relay`,
                image: this.image.imageId,
                command: ["run"],
                restart: "unless-stopped",
                memory: args.memoryLimitMb,
                // No swap beyond the limit: a Relay that swaps answers slowly, and slow is what the applications must never see.
                memorySwap: args.memoryLimitMb,
                ports: [{ internal: RELAY_CONTAINER_PORT, external: args.port }],
                uploads: [{ file: RELAY_CONFIG_FILE, content: config, permissions: "0644" }],
                volumes: this.spool ? [{ volumeName: this.spool.name, containerPath: RELAY_SPOOL_DIR }] : [],
                healthcheck: {
                    tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://127.0.0.1:${RELAY_CONTAINER_PORT}/api/relay/healthcheck/live/`],
                    interval: "10s",
                    timeout: "3s",
                    retries: 3,
                    startPeriod: "10s",
                },
                logDriver: "local",
                logOpts: { "max-size": "10m", "max-file": "3" },
                labels: [{ label: "com.sentry-deploy.role", value: "edge-relay" }],
                // Wait for the health check at create: `pulumi up` fails if the Relay cannot start.
                wait: true,
                waitTimeout: 120,
            },
            use,
        );
        this.origin = `http://${args.address}:${args.port}`;
        if (args.dsns !== undefined) {
            const origin = this.origin;
            this.dsns = pulumi.secret(pulumi.output(args.dsns).apply((m) => Object.fromEntries(Object.entries(m).map(([k, dsn]) => [k, rewriteDsn(dsn, origin)]))));
        }
        this.registerOutputs({ origin: this.origin, dsns: this.dsns });
    }
}

/** The render with a placeholder upstream: throws now if any other input is bad. */
function renderRelayConfigCheck(args: EdgeRelayArgs): void {
    renderRelayConfig(relayConfigInput({ ...args, upstream: "http://preview.invalid" }));
}
