import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, parseConfig, StackConfig } from "../../config";

/** A config source over plain values, as Pulumi.<stack>.yaml would give them. */
function source(values: Record<string, unknown>, secrets: Record<string, string> = { adminPassword: "correct horse battery" }): ConfigSource {
    return {
        get: (k) => {
            const v = values[k];
            return v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);
        },
        getSecret: (k) => (secrets[k] === undefined ? undefined : pulumi.secret(secrets[k])),
        awsRegion: () => (values["aws:region"] as string | undefined) ?? "eu-central-1",
    };
}

const valid = {
    profile: "errors-only",
    instanceType: "c7i.xlarge",
    adminEmail: "admin@example.com",
    webCidrs: ["198.51.100.0/24"],
    adminSshCidrs: ["198.51.100.7/32"],
};

function parse(values: Record<string, unknown>, secrets?: Record<string, string>, stack = "staging"): StackConfig {
    return parseConfig(source(values, secrets), stack);
}

function problemsOf(values: Record<string, unknown>, secrets?: Record<string, string>, stack = "staging"): string[] {
    try {
        parse(values, secrets, stack);
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
    }
    throw new Error("expected the configuration to be refused");
}

describe("config loader", () => {
    it("applies defaults and per-profile sizing", () => {
        const c = parse(valid);
        expect(c.environment).toBe("staging");
        expect(c.protect).toBe(false);
        expect(c.sentry).toMatchObject({ profile: "errors-only", version: "26.8.0", webPort: 9000, retentionDays: 90, allowRegistration: false, swapSizeGb: 8, redisMaxMemory: "1gb" });
        expect(c.placement).toMatchObject({ kind: "aws", region: "eu-central-1", instanceType: "c7i.xlarge", dataVolume: { sizeGb: 60, iops: 3000, throughputMBps: 125 } });
        expect(c.placement.kind === "aws" && c.placement.network).toEqual({ kind: "new", vpcCidr: "10.42.0.0/16", subnetCidr: "10.42.0.0/24", availabilityZone: undefined });
    });

    it("makes prod a protected production stack by default", () => {
        const c = parse({ ...valid, profile: "feature-complete", instanceType: "m7i.xlarge" }, undefined, "prod");
        expect(c.environment).toBe("production");
        expect(c.protect).toBe(true);
        expect(c.placement.kind === "aws" && c.placement.dataVolume.sizeGb).toBe(200);
    });

    it("keeps the admin password secret", async () => {
        const c = parse(valid);
        expect(await pulumi.isSecret(c.adminPassword)).toBe(true);
    });

    it.each([
        ["webCidrs", { webCidrs: ["10.0.0.0/33"] }, 'sentry:webCidrs = 10.0.0.0/33: "10.0.0.0/33" is not a valid CIDR block'],
        ["webCidrs host bits", { webCidrs: ["10.0.0.1/24"] }, '"10.0.0.1/24" is not a valid CIDR block'],
        ["adminSshCidrs", { adminSshCidrs: ["not-a-cidr"] }, '"not-a-cidr" is not a valid CIDR block'],
        ["SSH from 0.0.0.0/0", { adminSshCidrs: ["0.0.0.0/0"] }, '"0.0.0.0/0" opens SSH to the whole internet'],
        ["SSH from ::/0", { adminSshCidrs: ["198.51.100.7/32", "::/0"] }, '"::/0" opens SSH to the whole internet'],
        ["no SSH CIDRs", { adminSshCidrs: [] }, "sentry:adminSshCidrs = []: Pulumi provisions the host over SSH"],
        ["no web CIDRs", { webCidrs: [] }, "sentry:webCidrs = []: nobody could reach Sentry's web port"],
        ["volume under 20 GB", { dataVolumeSizeGb: "19" }, "sentry:dataVolumeSizeGb = 19: 19 GB is outside 20-16384 GB"],
        ["malformed version", { sentryVersion: "26.8" }, 'sentry:sentryVersion = 26.8: "26.8" is not a self-hosted release tag'],
        ["master", { sentryVersion: "master" }, '"master" is not a self-hosted release tag'],
        ["known-bad version", { sentryVersion: "26.3.0" }, "26.3.0 is a known-bad self-hosted release"],
        ["profile", { profile: "full" }, "sentry:profile = full: must be one of errors-only, feature-complete"],
        ["url with trailing slash", { publicUrl: "https://sentry.example.com/" }, "must be a bare origin"],
        ["url without scheme", { publicUrl: "sentry.example.com" }, "is not a URL"],
        ["url in upper case", { publicUrl: "https://Sentry.Example.com" }, 'must be written as browsers send it, "https://sentry.example.com"'],
        ["url with the default port", { publicUrl: "https://sentry.example.com:443" }, 'must be written as browsers send it, "https://sentry.example.com"'],
        ["rate limit", { eventsPerMinuteLimit: "-5" }, "sentry:eventsPerMinuteLimit = -5: must be a whole number from 0 to 100000000"],
        ["csrf origin with path", { csrfTrustedOrigins: ["https://a.example.com/x"] }, "sentry:csrfTrustedOrigins = https://a.example.com/x"],
        ["email", { adminEmail: "admin" }, 'sentry:adminEmail = admin: "admin" is not an email address'],
        ["vpc without subnet", { vpcId: "vpc-0123456789abcdef0" }, "sentry:subnetId = (unset): an existing network needs both"],
        ["docker pool overlaps the VPC", { vpcCidr: "10.250.0.0/16" }, "sentry:dockerAddressPool = 10.250.0.0/16: overlaps the VPC 10.250.0.0/16"],
        ["subnet outside VPC", { subnetCidr: "10.9.0.0/24" }, "sentry:subnetCidr = 10.9.0.0/24: must lie inside vpcCidr 10.42.0.0/16"],
        ["gp3 throughput", { dataVolumeThroughput: "1000" }, "1000 MB/s exceeds gp3's limit of 0.25 MB/s per provisioned IOPS"],
        ["boolean", { allowRegistration: "yes" }, "sentry:allowRegistration = yes: must be true or false"],
        ["ssh key", { sshPublicKeys: ["ssh-dss AAAA"] }, "is not a single-line OpenSSH public key"],
        ["instance type name", { instanceType: "huge" }, "sentry:instanceType = huge: is not an EC2 instance type name"],
        ["production TTL", { environment: "production", expiresAt: "2026-12-01T00:00:00Z" }, "a production stack must not carry a time-to-live"],
    ])("refuses %s, naming the key, the value and the fix", (_label, override, expected) => {
        const problems = problemsOf({ ...valid, ...override });
        expect(problems.join("\n")).toContain(expected);
        expect(problems.every((p) => p.includes("Fix:"))).toBe(true);
    });

    it("refuses a missing admin password with the secret-setting command", () => {
        const problems = problemsOf(valid, {});
        expect(problems).toEqual([expect.stringContaining("sentry:adminPassword = (unset)")]);
        expect(problems[0]).toContain("pulumi config set --secret sentry:adminPassword");
    });

    it("refuses a missing region", () => {
        const src = { ...source(valid), awsRegion: () => undefined };
        expect(() => parseConfig(src, "staging")).toThrow(/aws:region = \(unset\)/);
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ ...valid, adminSshCidrs: ["0.0.0.0/0"], dataVolumeSizeGb: "10", sentryVersion: "latest" }, {});
        expect(problems).toHaveLength(4);
    });

    it("refuses stack names that cannot become AWS names", () => {
        expect(problemsOf(valid, undefined, "My_Stack").join()).toContain('stack name "My_Stack"');
    });

    it("reads an existing server placement without any AWS setting", () => {
        const c = parse(
            { placement: "existing", existingHost: { address: "10.0.0.5", user: "admin", dataDir: "/srv/sentry", dataDevice: "/dev/vdb" }, adminEmail: "a@example.com" },
            { adminPassword: "pw-pw-pw-pw", existingHostPrivateKey: "KEY" },
        );
        expect(c.placement).toMatchObject({ kind: "existing", address: "10.0.0.5", port: 22, user: "admin", dataDir: "/srv/sentry", dataDevice: "/dev/vdb" });
    });

    it("needs the existing server's address and key", () => {
        const problems = problemsOf({ placement: "existing", existingHost: { dataDir: "/" }, adminEmail: "a@example.com" });
        expect(problems.join("\n")).toContain("sentry:existingHost.address = (unset)");
        expect(problems.join("\n")).toContain("sentry:existingHost.dataDir = /");
        expect(problems.join("\n")).toContain("sentry:existingHostPrivateKey = (unset)");
    });
});
