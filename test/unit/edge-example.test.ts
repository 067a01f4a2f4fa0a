// examples/edge-relay: the standalone edge Relay program under Pulumi mocks, reading a Sentry
// stack's outputs through a StackReference (tools/mocks.ts answers it with previousOutputs).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { createEdgeStack, EdgeStackSettings } from "../../examples/edge-relay/program";
import { AwsMocks } from "../../tools/mocks";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

class Recording extends AwsMocks {
    newResource(args: pulumi.runtime.MockResourceArgs) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return super.newResource(args);
    }
}

const BASE: EdgeStackSettings = { dockerHost: "unix:///var/run/docker.sock", address: "10.0.0.5", port: 3000, spoolMaxDiskMb: 500, memoryLimitMb: 512, sentryVersion: "26.8.0" };

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("examples/edge-relay", () => {
    it("follows a Sentry stack: its version picks the image, its URL the upstream, its DSNs move to this host (secret)", async () => {
        const previousOutputs = {
            sentryVersion: "26.7.2",
            sentryUrl: "https://sentry.example.com",
            projectDsns: pulumi.secret({ "checkout-api": "https://0123456789abcdef0123456789abcdef@sentry.example.com/7" }),
        };
        await pulumi.runtime.setMocks(new Recording({ region: "eu-central-1", previousOutputs }), "edge", "app-host", false);
        registered.length = 0;
        const out = await createEdgeStack({ ...BASE, sentryStack: "your-org/sentry/prod" });
        expect(out.edgeRelayUrl).toBe("http://10.0.0.5:3000");
        expect(await value(out.edgeRelayDsns!)).toEqual({ "checkout-api": "http://0123456789abcdef0123456789abcdef@10.0.0.5:3000/7" });
        expect(await pulumi.isSecret(out.edgeRelayDsns!)).toBe(true);
        await new Promise((r) => setTimeout(r, 50));
        expect(registered.find((r) => r.type === "docker:index/remoteImage:RemoteImage")?.inputs.name).toBe("ghcr.io/getsentry/relay:26.7.2");
        expect(registered.find((r) => r.type === "pulumi:providers:docker")?.inputs.host).toBe("unix:///var/run/docker.sock");
        const container = registered.find((r) => r.type === "docker:index/container:Container");
        // The mock stack's outputs are read as one secret (it holds one), so the upload arrives wrapped as a secret.
        const uploads = container?.inputs.uploads as { value?: { content: string }[] } | { content: string }[];
        const [upload] = Array.isArray(uploads) ? uploads : (uploads.value ?? []);
        expect(upload.content).toContain('"upstream": "https://sentry.example.com/"');
    });

    it("stops with a message when the Sentry stack was never deployed", async () => {
        await pulumi.runtime.setMocks(new Recording({ region: "eu-central-1", previousOutputs: {} }), "edge", "app-host", false);
        await expect(createEdgeStack({ ...BASE, sentryStack: "your-org/sentry/prod" })).rejects.toThrow("has no sentryVersion output: deploy it first");
    });
});
