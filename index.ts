// Entry point: load and validate the stack's configuration, build the stack, export outputs.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, StackConfig } from "./config";
import { createSentryStack } from "./program";

let config: StackConfig;
try {
    config = loadConfig();
} catch (err) {
    // A clean, single message at preview instead of a stack trace.
    throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
}
const outputs = createSentryStack(config);

export const sentryUrl = outputs.sentryUrl;
export const publicIp = outputs.publicIp;
export const instanceId = outputs.instanceId;
export const dataVolumeId = outputs.dataVolumeId;
export const sshCommand = outputs.sshCommand;
export const sshPrivateKey = outputs.sshPrivateKey;
export const profile = outputs.profile;
export const sentryVersion = outputs.sentryVersion;
export const environment = outputs.environment;
/** Records to create in your DNS when the stack has no sentry:hostedZone (empty otherwise). */
export const dnsRecords = outputs.dnsRecords;
export const loadBalancerDnsName = outputs.loadBalancerDnsName;
export const mail = outputs.mail;
export const projectDsns = outputs.projectDsns;
export const edgeRelayUrl = outputs.edgeRelayUrl;
export const edgeRelayDsns = outputs.edgeRelayDsns;
