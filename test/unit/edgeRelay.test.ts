// The edge Relay: its rendered config.yml checked against the key paths and types of Relay's
// own Config structs (test/fixtures/relay-config-keys.json, a hand extraction from
// relay-config/src/config.rs: rustc is here but no crate registry, so Relay cannot be built to
// load the file with its own loader), and the @pulumi/docker resources a stack's sentry:edgeRelay yields under mocks
// (the Docker provider binary and the Relay image cannot be had here).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { relayConfigInput, relayImage } from "../../components/edge/edgeRelay";
import { RELAY_CONFIG_FILE, RELAY_SPOOL_DIR, RELAY_SPOOL_FILE, relayConfig, RelayConfigInput, renderRelayConfig } from "../../components/edge/relayConfig";
import { ConfigError, parseConfig } from "../../config";
import { estimateCost } from "../../tools/cost";
import { Plan, planStack, readStackConfig } from "../../tools/planner";
import { engineConfig } from "../../tools/stackFile";
import { byName } from "./helpers";

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "relay-config-keys.json"), "utf8")) as { commit: string; keys: Record<string, string> };
const PASSWORD = "Tr0ub4dor&3-is-not-a-password";
const EDGE = { dockerHost: "ssh://deploy@app-host.internal", address: "app-host.internal", port: 3000, spoolMaxDiskMb: 500, memoryLimitMb: 512 };
const INPUT: RelayConfigInput = { upstream: "https://sentry.example.com", upstreamTimeoutSeconds: 5, connectTimeoutSeconds: 3, maxConcurrentRequests: 100, spoolMaxDiskMb: 500, maxEnvelopeAgeSeconds: 21600, maxMemoryMb: 409 };

/** Every leaf of a parsed config as [dotted path, value]. */
function leaves(value: unknown, prefix = ""): [string, unknown][] {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
    }
    return [[prefix, value]];
}

/** What Relay's serde would refuse or silently ignore in a rendered config: unknown paths, wrong types. */
function schemaProblems(text: string): string[] {
    const problems: string[] = [];
    for (const [key, value] of leaves(parse(text))) {
        const type = FIXTURE.keys[key];
        if (type === undefined) {
            problems.push(`${key}: not a key of Relay's config (it would be ignored)`);
            continue;
        }
        const ok =
            type === "integer"
                ? Number.isInteger(value) && (value as number) >= 0
                : type === "float"
                  ? typeof value === "number"
                  : type === "bool"
                    ? typeof value === "boolean"
                    : type === "bytesize"
                      ? (typeof value === "string" && /^\d+(B|kB|KB|KiB|MB|MiB|GB|GiB)$/.test(value)) || (Number.isInteger(value) && (value as number) < 2 ** 32)
                      : type === "url"
                        ? typeof value === "string" && /^https?:\/\/[^/]+\/$/.test(value)
                        : type === "ip"
                          ? typeof value === "string" && /^[\d.]+$|^[0-9a-f:]+$/.test(value)
                          : type.startsWith("enum:")
                            ? type.slice(5).split("|").includes(value as string)
                            : typeof value === "string";
        if (!ok) problems.push(`${key}: ${JSON.stringify(value)} is not a ${type}`);
    }
    return problems;
}

describe("the edge Relay's config.yml", () => {
    it("has only keys Relay's Config structs define, each of the type serde reads", () => {
        expect(FIXTURE.commit).toMatch(/^[0-9a-f]{40}$/);
        for (const input of [INPUT, { ...INPUT, spoolMaxDiskMb: 0 }, { ...INPUT, spoolMaxDiskMb: 8000, upstream: "http://10.0.0.5:9000" }]) {
            expect(schemaProblems(renderRelayConfig(input))).toEqual([]);
        }
    });

    it("the schema check itself catches a misspelt key and a wrong type", () => {
        const bad = renderRelayConfig(INPUT).replace('"envelopes"', '"envelope"').replace('"timeout": 5', '"timeout": "5s"');
        expect(schemaProblems(bad)).toEqual(["http.timeout: \"5s\" is not a integer", "spool.envelope.path: not a key of Relay's config (it would be ignored)", "spool.envelope.max_disk_size: not a key of Relay's config (it would be ignored)", "spool.envelope.max_envelope_delay_secs: not a key of Relay's config (it would be ignored)"]);
    });

    it("is proxy mode to the upstream, with bounded buffer, memory and timeouts", () => {
        expect(parse(renderRelayConfig(INPUT))).toEqual({
            relay: { mode: "proxy", upstream: "https://sentry.example.com/", host: "0.0.0.0", port: 3000 },
            http: { timeout: 5, connection_timeout: 3, max_retry_interval: 60, outage_grace_period: 10 },
            limits: { max_concurrent_requests: 100, max_concurrent_queries: 5, query_timeout: 30, shutdown_timeout: 10 },
            spool: { envelopes: { path: RELAY_SPOOL_FILE, max_disk_size: "500MiB", max_envelope_delay_secs: 21600 } },
            health: { max_memory_bytes: "409MiB" },
        });
        expect(RELAY_SPOOL_FILE.startsWith(`${RELAY_SPOOL_DIR}/`)).toBe(true);
        // No disk buffer: memory only, still capped by health.max_memory_bytes.
        expect(relayConfig({ ...INPUT, spoolMaxDiskMb: 0 }).spool.envelopes).toEqual({ max_envelope_delay_secs: 21600 });
        expect(renderRelayConfig(INPUT)).toBe(renderRelayConfig({ ...INPUT }));
    });

    it("refuses an upstream with a path, and out-of-range numbers, naming each", () => {
        expect(() => relayConfig({ ...INPUT, upstream: "https://sentry.example.com/api/", upstreamTimeoutSeconds: 0 })).toThrow(
            /upstream "https:\/\/sentry.example.com\/api\/" must be a bare origin.*upstreamTimeoutSeconds 0 must be a whole number from 1 to 300/,
        );
        expect(() => relayConfig({ ...INPUT, upstream: "ftp://x" })).toThrow("must be http:// or https://");
    });

    it("holds Relay at 80 % of the container's memory, so it answers 503 before the kernel kills it", () => {
        expect(relayConfigInput({ ...EDGE, sentryVersion: "26.8.0", upstream: "http://x" }).maxMemoryMb).toBe(409);
    });

    it("uses the Relay image of the same calendar version as Sentry", () => {
        expect(relayImage("26.8.0")).toBe("ghcr.io/getsentry/relay:26.8.0");
        expect(() => relayImage("master")).toThrow("not a calendar version");
    });
});

function plan(extra: Record<string, unknown>, reveal = false): Promise<Plan> {
    return planStack("staging", {
        config: { ...readStackConfig("staging"), "sentry:edgeRelay": EDGE, ...extra },
        secrets: { "sentry:adminPassword": PASSWORD },
        allowPlaceholders: true,
        revealSecrets: reveal,
    });
}

describe("sentry:edgeRelay in a stack", () => {
    it("costs nothing on this stack's AWS bill, and is said to, rather than counted as unknown", async () => {
        const c = estimateCost(await plan({}));
        const edge = c.lines.filter((l) => l.type.startsWith("docker:") || l.type === "pulumi:providers:docker");
        expect(edge.map((l) => [l.resource, l.monthly])).toEqual(expect.arrayContaining([["sentry-staging-edge-relay", 0]]));
        expect(edge.every((l) => l.monthly === 0 && /not an AWS resource|no AWS charge/.test(l.detail))).toBe(true);
        expect(c.lines.filter((l) => l.monthly === null)).toEqual([]);
    });

    it("yields a Docker provider for the application host, the image, a spool volume and the container, all on that provider", async () => {
        const p = await plan({});
        const docker = p.resources.filter((r) => r.type.startsWith("docker:") || r.type === "pulumi:providers:docker");
        expect(docker.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            "docker:index/container:Container sentry-staging-edge-relay",
            "docker:index/remoteImage:RemoteImage sentry-staging-edge-image",
            "docker:index/volume:Volume sentry-staging-edge-spool",
            "pulumi:providers:docker sentry-staging-edge-docker",
        ]);
        expect(byName(p, "sentry-staging-edge-docker").inputs.host).toBe("ssh://deploy@app-host.internal");
        for (const r of docker.filter((x) => x.type.startsWith("docker:"))) {
            expect(r.provider, r.name).toBe("sentry-staging-edge-docker");
            expect(r.parent).toBe("sentry-staging-edge");
        }
        expect(byName(p, "sentry-staging-edge-image").inputs.name).toBe("ghcr.io/getsentry/relay:26.8.0");

        const c = byName(p, "sentry-staging-edge-relay").inputs;
        expect(c.memory).toBe(512);
        expect(c.memorySwap).toBe(512);
        expect(c.restart).toBe("unless-stopped");
        expect(c.command).toEqual(["run"]);
        expect(c.ports).toEqual([expect.objectContaining({ internal: 3000, external: 3000 })]);
        expect(c.volumes).toEqual([expect.objectContaining({ volumeName: "sentry-staging-edge-spool", containerPath: RELAY_SPOOL_DIR })]);
        expect(c.logDriver).toBe("local");
        expect((c.healthcheck as { tests: string[] }).tests.join(" ")).toContain("/api/relay/healthcheck/live/");
        // The uploaded config is the pure function's output for this stack's Sentry.
        const [upload] = c.uploads as { file: string; content: string }[];
        expect(upload.file).toBe(RELAY_CONFIG_FILE);
        const upstream = `http://${p.outputs.publicIp as string}:9000`;
        expect(upload.content).toBe(renderRelayConfig(relayConfigInput({ ...EDGE, sentryVersion: "26.8.0", upstream })));
        expect(schemaProblems(upload.content)).toEqual([]);
        expect(p.outputs.edgeRelayUrl).toBe("http://app-host.internal:3000");
    });

    it("waits for Sentry to be healthy: the config's upstream is the URL the health check releases", async () => {
        const p = await plan({});
        expect(byName(p, "sentry-staging-edge-relay").dependsOn).toEqual(expect.arrayContaining(["sentry-staging-provision-check-health"]));
    });

    it("without a disk buffer there is no volume", async () => {
        const p = await plan({ "sentry:edgeRelay": { ...EDGE, spoolMaxDiskMb: 0 } });
        expect(p.resources.filter((r) => r.type === "docker:index/volume:Volume")).toEqual([]);
        expect(byName(p, "sentry-staging-edge-relay").inputs.volumes).toEqual([]);
    });

    it("exports the projects' DSNs on the edge as a secret map: the same keys, the edge's host", async () => {
        const projects = [{ name: "checkout-api", team: "backend", platform: "node" }];
        const p = await plan({ "sentry:projects": projects }, true);
        const direct = (p.outputs.projectDsns as Record<string, Record<string, string>>)["[secret]"]["checkout-api"];
        const edge = (p.outputs.edgeRelayDsns as Record<string, Record<string, string>>)["[secret]"]["checkout-api"];
        const d = new URL(direct);
        expect(edge).toBe(`http://${d.username}@app-host.internal:3000${d.pathname}`);
        expect((await plan({ "sentry:projects": projects })).outputs.edgeRelayDsns).toBe("[secret]");
        // No projects: the Relay still runs (it forwards any DSN), with no DSN output.
        expect((await plan({})).outputs.edgeRelayDsns).toBeUndefined();
    });

    it("refuses a Docker host that is no Docker host URL", () => {
        const { values } = engineConfig({ ...readStackConfig("staging"), "sentry:edgeRelay": { ...EDGE, dockerHost: "app-host:2375" } }, "[secret]");
        values["sentry:adminPassword"] = PASSWORD;
        let problems: string[] = [];
        try {
            parseConfig({ values, isSecret: (k) => k === "sentry:adminPassword" }, "staging", "sentry", { allowPlaceholders: true });
        } catch (err) {
            problems = (err as ConfigError).problems;
        }
        expect(problems).toEqual([expect.stringContaining("sentry:edgeRelay.dockerHost = app-host:2375: must be a Docker host: unix:///var/run/docker.sock, ssh://user@host")]);
    });
});
