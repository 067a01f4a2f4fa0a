// Builds one stack from its typed configuration. index.ts calls it with the real config;
// tests and the offline plan call it under Pulumi mocks, as often as they like.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { SentryHost } from "./components/aws/sentryHost";
import { SentryProvisioner } from "./components/host/provisioner";
import { StackIdentity } from "./components/tags";

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
            sshPublicKeys: p.sshPublicKeys,
            deployedVersion: previous,
            // No CloudWatch on your own server: the heartbeat pings sentry:heartbeatUrl.
            monitoring: { heartbeatUrl: config.heartbeatUrl, diskCriticalPercent: config.alarms.diskCriticalPercent, memoryCriticalPercent: config.alarms.memoryPercent },
        });
        return {
            ...common,
            sentryUrl: provisioner.url,
            publicIp: pulumi.output(p.address),
            sshCommand: pulumi.output(`ssh -p ${p.port} ${p.user}@${p.address}`),
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
            alarms: config.alarms,
            heartbeatUrl: config.heartbeatUrl,
            preUpgradeSnapshots: a.preUpgradeSnapshots,
            dataSnapshotId: a.dataSnapshotId,
        },
    );
    return {
        ...common,
        sentryUrl: host.url,
        publicIp: host.publicIp,
        instanceId: host.instanceId,
        dataVolumeId: host.dataVolumeId,
        sshCommand: host.sshCommand,
        sshPrivateKey: host.sshPrivateKey,
    };
}
