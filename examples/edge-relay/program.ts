// The edge Relay on its own (see Pulumi.yaml): reads `edge:` settings, optionally a Sentry
// stack's outputs, and runs components/edge/edgeRelay.ts. Tests call createEdgeStack under mocks.
import * as pulumi from "@pulumi/pulumi";
import { EdgeRelay } from "../../components/edge/edgeRelay";

export interface EdgeStackSettings {
    dockerHost: string;
    address: string;
    port: number;
    spoolMaxDiskMb: number;
    memoryLimitMb: number;
    /** Either a Sentry stack of this repository's program ... */
    sentryStack?: string;
    /** ... or Sentry's origin and release given directly. */
    sentryUrl?: string;
    sentryVersion: string;
}

export function readEdgeSettings(config = new pulumi.Config("edge")): EdgeStackSettings {
    const settings = {
        dockerHost: config.require("dockerHost"),
        address: config.require("address"),
        port: config.getNumber("port") ?? 3000,
        spoolMaxDiskMb: config.getNumber("spoolMaxDiskMb") ?? 500,
        memoryLimitMb: config.getNumber("memoryLimitMb") ?? 512,
        sentryStack: config.get("sentryStack"),
        sentryUrl: config.get("sentryUrl"),
        sentryVersion: config.get("sentryVersion") ?? "26.8.0",
    };
    if ((settings.sentryStack === undefined) === (settings.sentryUrl === undefined)) {
        throw new pulumi.RunError("set exactly one of edge:sentryStack (org/sentry/<stack>) or edge:sentryUrl (https://sentry.example.com)");
    }
    return settings;
}

export interface EdgeStackOutputs {
    edgeRelayUrl: string;
    edgeRelayDsns?: pulumi.Output<Record<string, string>>;
}

/**
 * With a Sentry stack, the Relay's version is that stack's sentryVersion output, known only
 * when the program runs: the image tag follows it, read with getOutputDetails before the
 * component (a preview of a never-deployed Sentry stack stops with a message instead).
 */
export async function createEdgeStack(s: EdgeStackSettings): Promise<EdgeStackOutputs> {
    let upstream: pulumi.Input<string> = s.sentryUrl ?? "";
    let version = s.sentryVersion;
    let dsns: pulumi.Output<Record<string, string>> | undefined;
    if (s.sentryStack !== undefined) {
        const sentry = new pulumi.StackReference(s.sentryStack);
        // A version is no secret, but a stack whose outputs are read as one whole hands it back as one.
        const details = await sentry.getOutputDetails("sentryVersion");
        const deployed = details.value ?? details.secretValue;
        if (typeof deployed !== "string") {
            throw new pulumi.RunError(`${s.sentryStack} has no sentryVersion output: deploy it first, or set edge:sentryUrl and edge:sentryVersion`);
        }
        version = deployed;
        upstream = sentry.requireOutput("sentryUrl").apply(String);
        dsns = sentry.getOutput("projectDsns").apply((m) => (m ?? {}) as Record<string, string>);
    }
    const edge = new EdgeRelay("edge", { ...s, sentryVersion: version, upstream, dsns });
    return { edgeRelayUrl: edge.origin, edgeRelayDsns: edge.dsns };
}
