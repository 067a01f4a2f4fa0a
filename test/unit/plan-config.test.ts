// The offline plan (the only check a fork's pull request gets) refuses a bad stack file the
// way `pulumi preview` would: the stack file's keys and its secure: values reach the same
// loader, and every problem is listed at once with the key, the value and the fix.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { planStack, readStackConfig } from "../../tools/planner";
import { readStackFileAt } from "../../tools/stackFile";
import { testTempDir } from "./helpers";

const root = path.resolve(__dirname, "../..");

/** A stack file as a user writes it, read the way `npm run plan -- --stack-file` reads it. */
function stackFile(yaml: string): Record<string, unknown> {
    const file = path.join(testTempDir("plan-config-"), "Pulumi.mine.yaml");
    fs.writeFileSync(file, yaml);
    return { ...(readStackFileAt(file).config ?? {}) };
}

const MINE = `config:
  aws:region: eu-central-1
  sentry:profile: errors-only
  sentry:adminEmail: ops@acme-corp.io
  sentry:webCidrs:
    - 100.64.10.0/24
  sentry:adminSshCidrs:
    - 100.64.10.7/32
  sentry:adminPassword:
    secure: v1:AAAABBBBCCCC
`;

async function refusal(config: Record<string, unknown>, options = {}): Promise<string> {
    try {
        await planStack("mine", { config, ...options });
    } catch (err) {
        return (err as Error).message;
    }
    throw new Error("expected the offline plan to refuse the stack file");
}

describe("the offline plan of a stack file", () => {
    it("plans a correct stack file, its secure: password a secret", async () => {
        const plan = await planStack("mine", { config: stackFile(MINE) });
        expect(plan.resources.find((r) => r.name === "sentry-mine-provision-create-admin")?.inputs.stdin).toBe("[secret]");
    });

    it("refuses a plain-text password with the --secret fix, never printing it", async () => {
        const message = await refusal(stackFile(MINE.replace(/  sentry:adminPassword:\n    secure: v1:AAAABBBBCCCC\n/, "  sentry:adminPassword: hunter2\n")));
        expect(message).toContain("sentry:adminPassword = (plain text, not shown)");
        expect(message).toContain("pulumi config set --secret sentry:adminPassword");
        expect(message).not.toContain("hunter2");
    });

    it("lists every mistake of a new user's stack file at once, each with its key, value and fix", async () => {
        const message = await refusal(
            stackFile(
                MINE +
                    [
                        "  sentry:dataVolumeSizeGB: 500",
                        "  sentry:instancetype: m7i.xlarge",
                        "  sentry:flowLogRetentionDays: 45",
                        "  sentry:availabilityZone: us-east-1a",
                        "  sentry:swapSizeGb: 50",
                        "  sentry:redisMaxMemory: 6gb",
                        "  sentry:behindTlsProxy: true",
                        "  sentry:publicUrl: http://sentry.acme-corp.io",
                    ].join("\n") +
                    "\n",
            ),
        );
        const problems = message.split("\n").filter((l) => l.startsWith("  - "));
        expect(problems.map((p) => p.slice(4, p.indexOf(" ="))).sort()).toEqual(
            [
                "sentry:availabilityZone",
                "sentry:dataVolumeSizeGB",
                "sentry:flowLogRetentionDays",
                "sentry:instancetype",
                "sentry:publicUrl",
                "sentry:redisMaxMemory",
                "sentry:swapSizeGb",
            ].sort(),
        );
        expect(message).toContain("rename it to sentry:dataVolumeSizeGb");
        expect(message).toContain("pulumi config set sentry:instanceType m7i.xlarge");
        expect(problems.every((p) => p.includes("Fix: "))).toBe(true);
    });

    it("refuses a region that does not exist, with the closest one", async () => {
        expect(await refusal(stackFile(MINE.replace("eu-central-1", "eu-centrl-1")))).toContain("aws:region = eu-centrl-1: not an AWS region (@pulumi/aws's Region list). Fix: pulumi config set aws:region eu-central-1");
    });

    it.each(["staging", "prod"])("refuses the committed %s template's placeholders unless asked to allow them", async (stack) => {
        const message = await refusal(readStackConfig(stack));
        expect(message).toContain("sentry:webCidrs = 198.51.100.0/24: is a documentation address");
        expect(message).toContain("sentry:adminSshCidrs = 198.51.100.7/32: is a documentation address");
        expect(message).toContain("sentry:adminEmail = sentry-admin@example.com: uses example.com");
        await expect(planStack(stack, { allowPlaceholders: true })).resolves.toMatchObject({ stack });
    });

    it("refuses the own-server example's placeholders unless asked to allow them", async () => {
        const example = { ...(readStackFileAt(path.join(root, "examples", "Pulumi.own-server.yaml")).config ?? {}) };
        expect(await refusal(example)).toContain("sentry:publicUrl = http://sentry.internal.example.com:9000: uses example.com");
        await expect(planStack("own-server", { config: example, allowPlaceholders: true })).resolves.toMatchObject({ stack: "own-server" });
    });

    it("refuses a Redis cap above half the memory AWS reports for a type the loader has no facts for", async () => {
        const config = { ...stackFile(MINE), "sentry:instanceType": "z9.xlarge", "sentry:redisMaxMemory": "6gb" };
        const mocks = { extraInstanceTypes: { "z9.xlarge": { vcpus: 4, memoryMiB: 8192, architecture: "x86_64" as const } } };
        await expect(planStack("mine", { config, mocks })).rejects.toThrow(/sentry:redisMaxMemory = 6gb: 6gb is more than half of z9.xlarge's 8 GiB/);
        await expect(planStack("mine", { config: { ...config, "sentry:redisMaxMemory": "4gb" }, mocks })).resolves.toBeDefined();
    });
});
