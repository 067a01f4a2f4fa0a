// Builds one stack from its typed configuration. index.ts calls it with the real config;
// tests and the offline plan call it under Pulumi mocks, as often as they like.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { SentryHost } from "./components/aws/sentryHost";
import { DnsRecord } from "./components/aws/frontDoor";
import { ApiTokenRequest, SentryProvisioner } from "./components/host/provisioner";
import { StackIdentity } from "./components/tags";
import { API_TOKEN_SCOPES, SentryProjects } from "./components/sentryApi/projects";
import { EdgeRelay } from "./components/edge/edgeRelay";

export interface StackOutputs {
    sentryUrl: pulumi.Output<string>;
    publicIp: pulumi.Output<string>;
    instanceId?: pulumi.Output<string>;
    dataVolumeId?: pulumi.Output<string>;
    sshCommand: pulumi.Output<string>;
    /** Secret. */
    sshPrivateKey?: pulumi.Output<string>;
    profile: string;
    sentryVersion: string;
    environment: string;
    /** DNS records to create by hand (no sentry:hostedZone): name, type, value, purpose. */
    dnsRecords?: pulumi.Output<DnsRecord[]>;
    /** With tls alb: the load balancer's DNS name. */
    loadBalancerDnsName?: pulumi.Output<string>;
    /** The SMTP settings the host receives (the password only as "[secret]": it travels on stdin). */
    mail?: pulumi.Output<MailOutput>;
    /** sentry:projects: project name -> DSN (a secret map); unset without projects. */
    projectDsns?: pulumi.Output<Record<string, string>>;
    /** sentry:edgeRelay: the origin applications send to, and the same DSNs on it (secret). */
    edgeRelayUrl?: string;
    edgeRelayDsns?: pulumi.Output<Record<string, string>>;
}

export interface MailOutput {
    host: string;
    port: number;
    security: string;
    from: string;
    username?: string;
    password?: "[secret]";
}

/** The mail settings for review (plan, stack outputs); never the password itself. */
function mailOutput(config: StackConfig, username: pulumi.Input<string | undefined> | undefined): pulumi.Output<MailOutput> | undefined {
    const m = config.sentry.mail;
    if (m === undefined) {
        return undefined;
    }
    const hasPassword = config.smtpPassword !== undefined || (config.placement.kind === "aws" && config.placement.ses !== undefined);
    return pulumi.output(username).apply((u) => ({
        host: m.host,
        port: m.port,
        security: m.security,
        from: m.from,
        ...(u ?? m.username ? { username: u ?? m.username } : {}),
        ...(hasPassword ? { password: "[secret]" as const } : {}),
    }));
}


/** The API token step is asked for only when the stack declares projects. */
function apiTokenRequest(config: StackConfig): ApiTokenRequest | undefined {
    return config.sentryApi.projects.length > 0 ? { name: "pulumi-sentry-api", scopes: API_TOKEN_SCOPES, rotation: config.sentryApi.apiTokenRotation } : undefined;
}

/**
 * What surviving an error flood adds to a stack once Sentry is healthy: its projects, keys
 * and limits through Sentry's API, and the edge Relay next to the applications.
 */
function floodDefences(config: StackConfig, name: string, provisioner: SentryProvisioner): Pick<StackOutputs, "projectDsns" | "edgeRelayUrl" | "edgeRelayDsns"> {
    let projectDsns: pulumi.Output<Record<string, string>> | undefined;
    if (config.sentryApi.projects.length > 0 && provisioner.apiToken && provisioner.apiTokenStep) {
        const api = new SentryProjects(`${name}-projects`, {
            url: provisioner.url,
            token: provisioner.apiToken,
            organization: config.sentryApi.organization,
            projects: config.sentryApi.projects,
            dependsOn: [provisioner.apiTokenStep],
        });
        projectDsns = api.dsns;
    }
    if (config.edgeRelay === undefined) {
        return { projectDsns };
    }
    const edge = new EdgeRelay(`${name}-edge`, { ...config.edgeRelay, sentryVersion: config.sentry.version, upstream: provisioner.url, dsns: projectDsns });
    return { projectDsns, edgeRelayUrl: edge.origin, edgeRelayDsns: edge.dsns };
}

/**
 * The version the last successful update of this very stack deployed, read from its own
 * outputs, so that a preview can refuse an upgrade that skips a hard stop.
 */
function deployedVersion(config: StackConfig): pulumi.Output<string | undefined> | undefined {
    if (!config.sentry.checkUpgradePath) {
        return undefined;
    }
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${config.project}/${config.stack}`);
    return self.getOutput("sentryVersion").apply((v) => (typeof v === "string" ? v : undefined));
}

export function createSentryStack(config: StackConfig): StackOutputs {
    const identity: StackIdentity = { project: config.project, stack: config.stack, environment: config.environment, expiresAt: config.expiresAt };
    const name = `${config.project}-${config.stack}`;
    const previous = deployedVersion(config);
    const common = { profile: config.sentry.profile, sentryVersion: config.sentry.version, environment: config.environment };

    if (config.placement.kind === "existing") {
        const p = config.placement;
        const provisioner = new SentryProvisioner(name, {
            connection: { host: p.address, port: p.port, user: p.user, privateKey: p.privateKey },
            storage: { dataDir: p.dataDir, device: p.dataDevice },
            sentry: config.sentry,
            adminPassword: config.adminPassword,
            smtpPassword: config.smtpPassword,
            sshPublicKeys: p.sshPublicKeys,
            deployedVersion: previous,
            apiToken: apiTokenRequest(config),
            // No CloudWatch on your own server: the heartbeat pings sentry:heartbeatUrl.
            monitoring: { heartbeatUrl: config.heartbeatUrl, diskCriticalPercent: config.alarms.diskCriticalPercent, memoryCriticalPercent: config.alarms.memoryPercent },
        });
        return {
            ...common,
            ...floodDefences(config, name, provisioner),
            sentryUrl: provisioner.url,
            publicIp: pulumi.output(p.address),
            sshCommand: pulumi.output(`ssh -p ${p.port} ${p.user}@${p.address}`),
            mail: mailOutput(config, undefined),
        };
    }

    const a = config.placement;
    const host = new SentryHost(
        name,
        {
            identity,
            protect: config.protect,
            region: a.region,
            instanceType: a.instanceType,
            amiId: a.amiId,
            rootVolumeSizeGb: a.rootVolumeSizeGb,
            dataVolume: a.dataVolume,
            network: a.network.kind === "new" ? { ...a.network, flowLogRetentionDays: a.flowLogRetentionDays } : a.network,
            webCidrs: a.webCidrs,
            adminSshCidrs: a.adminSshCidrs,
            sshPublicKeys: a.sshPublicKeys,
            snapshotRetentionDays: a.snapshotRetentionDays,
            sentry: config.sentry,
            adminPassword: config.adminPassword,
            deployedVersion: previous,
            frontDoor: a.frontDoor,
            ses: a.ses,
            smtpPassword: config.smtpPassword,
            apiToken: apiTokenRequest(config),
            alarms: config.alarms,
            heartbeatUrl: config.heartbeatUrl,
            preUpgradeSnapshots: a.preUpgradeSnapshots,
            dataSnapshotId: a.dataSnapshotId,
        },
    );
    return {
        ...common,
        ...floodDefences(config, name, host.provisioner),
        sentryUrl: host.url,
        publicIp: host.publicIp,
        instanceId: host.instanceId,
        dataVolumeId: host.dataVolumeId,
        sshCommand: host.sshCommand,
        sshPrivateKey: host.sshPrivateKey,
        dnsRecords: host.dnsRecords,
        loadBalancerDnsName: host.loadBalancerDnsName,
        mail: mailOutput(config, host.smtpUsername),
    };
}
