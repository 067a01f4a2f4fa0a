import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, LoadOptions, parseConfig, StackConfig } from "../../config";

/**
 * A config source as the engine gives it: `values` as a stack file holds them (short names
 * are sentry: keys; aws:region defaults to eu-central-1), `secrets` stored as secrets.
 */
function source(values: Record<string, unknown>, secrets: Record<string, string> = { adminPassword: "correct horse battery" }): ConfigSource {
    const all: Record<string, string> = { "aws:region": "eu-central-1" };
    const add = (k: string, v: unknown) => {
        if (v !== undefined) {
            all[k.includes(":") ? k : `sentry:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        }
    };
    Object.entries(values).forEach(([k, v]) => add(k, v));
    Object.entries(secrets).forEach(([k, v]) => add(k, v));
    const secretKeys = new Set(Object.keys(secrets).map((k) => `sentry:${k}`));
    return { values: all, isSecret: (k) => secretKeys.has(k) };
}

/** A valid stack: real-looking networks and domains, not the template's placeholders. */
const valid = {
    profile: "errors-only",
    instanceType: "c7i.xlarge",
    adminEmail: "admin@acme-corp.io",
    webCidrs: ["100.64.10.0/24"],
    adminSshCidrs: ["100.64.10.7/32"],
};

function parse(values: Record<string, unknown>, secrets?: Record<string, string>, stack = "staging", options?: LoadOptions): StackConfig {
    return parseConfig(source(values, secrets), stack, undefined, options);
}

function problemsOf(values: Record<string, unknown>, secrets?: Record<string, string>, stack = "staging", options?: LoadOptions): string[] {
    try {
        parse(values, secrets, stack, options);
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
        const c = parse({ ...valid, profile: "feature-complete", instanceType: "m7i.xlarge", domain: "sentry.acme-corp.io" }, undefined, "prod");
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
        expect(problemsOf({ ...valid, "aws:region": "" })).toEqual([expect.stringContaining("aws:region = (unset)")]);
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
            { placement: "existing", existingHost: { address: "10.0.0.5", user: "admin", dataDir: "/srv/sentry", dataDevice: "/dev/vdb" }, adminEmail: "a@acme-corp.io" },
            { adminPassword: "pw-pw-pw-pw", existingHostPrivateKey: "KEY" },
        );
        expect(c.placement).toMatchObject({ kind: "existing", address: "10.0.0.5", port: 22, user: "admin", dataDir: "/srv/sentry", dataDevice: "/dev/vdb" });
    });

    it("needs the existing server's address and key", () => {
        const problems = problemsOf({ placement: "existing", existingHost: { dataDir: "/" }, adminEmail: "a@acme-corp.io" });
        expect(problems.join("\n")).toContain("sentry:existingHost.address = (unset)");
        expect(problems.join("\n")).toContain("sentry:existingHost.dataDir = /");
        expect(problems.join("\n")).toContain("sentry:existingHostPrivateKey = (unset)");
    });
});

describe("config loader: keys outside the schema", () => {
    it.each([
        ["a key in the wrong case", { dataVolumeSizeGB: 500 }, "sentry:dataVolumeSizeGB = 500: not a setting of this program", "rename it to sentry:dataVolumeSizeGb"],
        ["a lower-case key", { instancetype: "m7i.xlarge" }, "sentry:instancetype = m7i.xlarge", "pulumi config set sentry:instanceType m7i.xlarge"],
        ["a misspelt key", { retentonDays: 30 }, "sentry:retentonDays = 30", "rename it to sentry:retentionDays"],
        ["a key like none", { colour: "blue" }, "sentry:colour = blue", "remove it (pulumi config rm sentry:colour)"],
        ["a misspelt field of an object", { placement: "existing", existingHost: { address: "10.0.0.5", adress: "10.0.0.6" } }, "sentry:existingHost.adress = 10.0.0.6: existingHost has no field adress", "rename it to existingHost.address"],
    ])("refuses %s, with the closest known key as the fix", (_label, extra, expected, fix) => {
        const problems = problemsOf({ ...valid, ...extra }, { adminPassword: "pw", existingHostPrivateKey: "KEY" });
        const problem = problems.find((p) => p.includes(expected));
        expect(problem, problems.join("\n")).toBeDefined();
        expect(problem).toContain(fix);
    });

    it("leaves other namespaces alone and never shows a secret's value", () => {
        expect(() => parse({ ...valid, "aws:profile": "dev", "other:key": "x" })).not.toThrow();
        const problems = problemsOf(valid, { adminPassword: "pw", adminPasword: "hunter2" });
        expect(problems).toEqual([expect.stringContaining("sentry:adminPasword = [secret]: not a setting")]);
        expect(problems[0]).toContain("pulumi config set --secret sentry:adminPassword");
        expect(problems[0]).not.toContain("hunter2");
    });
});

describe("config loader: secrets", () => {
    it("refuses a secret stored in plain text, without echoing it, with the --secret fix", () => {
        const problems = problemsOf({ ...valid, adminPassword: "hunter2" }, {});
        expect(problems).toEqual([expect.stringContaining("sentry:adminPassword = (plain text, not shown): a secret stored in plain text")]);
        expect(problems[0]).toContain("pulumi config set --secret sentry:adminPassword");
        expect(problems[0]).not.toContain("hunter2");
    });

    it("refuses the existing server's private key in plain text, even on a stack that does not use it", () => {
        const problems = problemsOf({ placement: "existing", existingHost: { address: "10.0.0.5" }, adminEmail: "a@acme-corp.io", existingHostPrivateKey: "KEY" });
        expect(problems.join("\n")).toContain("sentry:existingHostPrivateKey = (plain text, not shown)");
        expect(problemsOf({ ...valid, existingHostPrivateKey: "KEY" })).toEqual([expect.stringContaining("sentry:existingHostPrivateKey = (plain text, not shown)")]);
    });
});

describe("config loader: mistakes that used to surface only during pulumi up", () => {
    it.each([
        ["behindTlsProxy with an http URL", { behindTlsProxy: true, publicUrl: "http://sentry.acme-corp.io" }, "sentry:publicUrl = http://sentry.acme-corp.io: a TLS proxy is in front (sentry:tls proxy or behindTlsProxy)", "pulumi config set sentry:publicUrl https://"],
        ["behindTlsProxy without a URL", { behindTlsProxy: true }, "sentry:publicUrl = (unset: http://<Elastic IP>:<webPort>): a TLS proxy is in front", "pulumi config set sentry:tls none"],
        ["a swap file the data volume cannot hold", { dataVolumeSizeGb: 60, swapSizeGb: 50 }, "sentry:swapSizeGb = 50: leaves 10 GB of the 60 GB data volume for Sentry, which needs at least 20 GB", "pulumi config set sentry:swapSizeGb 40"],
        ["a swap file leaving less than 20 GB", { dataVolumeSizeGb: 30, swapSizeGb: 16 }, "sentry:swapSizeGb = 16: leaves 14 GB", "sentry:dataVolumeSizeGb 36"],
        ["a Redis cap above the host's memory", { redisMaxMemory: "12gb" }, "sentry:redisMaxMemory = 12gb: 12gb is more than half of c7i.xlarge's 8 GiB", "pulumi config set sentry:redisMaxMemory 4gb"],
        ["a Redis cap over half the host's memory", { redisMaxMemory: "5000mb" }, "sentry:redisMaxMemory = 5000mb", "4gb"],
        ["a malformed Redis cap", { redisMaxMemory: "2GB" }, "sentry:redisMaxMemory = 2GB: must be a size such as 512mb or 2gb", "pulumi config set sentry:redisMaxMemory 1gb"],
        ["a flow-log retention CloudWatch refuses", { flowLogRetentionDays: 45 }, "sentry:flowLogRetentionDays = 45: must be one of 1, 3, 5, 7, 14, 30, 60, 90,", "pulumi config set sentry:flowLogRetentionDays 30"],
        ["an availability zone of another region", { availabilityZone: "us-east-1a" }, "sentry:availabilityZone = us-east-1a: is not an availability zone of aws:region eu-central-1", "pulumi config set sentry:availabilityZone eu-central-1a"],
        ["a region that does not exist", { "aws:region": "eu-centrl-1" }, "aws:region = eu-centrl-1: not an AWS region", "pulumi config set aws:region eu-central-1"],
        ["a region in the wrong form", { "aws:region": "Frankfurt" }, "aws:region = Frankfurt: not an AWS region", "pulumi config set aws:region eu-central-1"],
        ["prod declared as staging", { environment: "staging" }, 'sentry:environment = staging: the stack "prod" is always production', "pulumi config rm sentry:environment"],
    ])("refuses %s, naming the key, the value and the fix", (_label, override, expected, fix) => {
        const stack = "environment" in override ? "prod" : "staging";
        const problems = problemsOf({ ...valid, ...override }, undefined, stack);
        const problem = problems.find((p) => p.includes(expected));
        expect(problem, problems.join("\n")).toBeDefined();
        expect(problem).toContain(`Fix: `);
        expect(problem!.slice(problem!.indexOf("Fix: "))).toContain(fix);
    });

    it.each(["cn-north-1", "cn-northwest-1", "us-gov-west-1", "ap-southeast-7", "mx-central-1"])("accepts the region %s", (region) => {
        expect(parse({ ...valid, "aws:region": region, availabilityZone: `${region}b` }).placement).toMatchObject({ region });
    });

    it("accepts a Redis cap of half the memory, and any cap on a type it has no facts for (AWS checks at preview)", () => {
        expect(parse({ ...valid, redisMaxMemory: "4gb" }).sentry.redisMaxMemory).toBe("4gb");
        expect(parse({ ...valid, instanceType: "m5.2xlarge", redisMaxMemory: "12gb" }).sentry.redisMaxMemory).toBe("12gb");
    });

    it.each([
        ["webCidrs", { webCidrs: ["198.51.100.0/24"] }, "sentry:webCidrs = 198.51.100.0/24: is a documentation address"],
        ["webCidrs (IPv6)", { webCidrs: ["100.64.10.0/24", "2001:db8:1::/48"] }, "sentry:webCidrs = 2001:db8:1::/48: is a documentation address (2001:db8::/32"],
        ["adminSshCidrs", { adminSshCidrs: ["203.0.113.7/32"] }, "sentry:adminSshCidrs = 203.0.113.7/32: is a documentation address (203.0.113.0/24"],
        ["adminSshCidrs (TEST-NET-1)", { adminSshCidrs: ["192.0.2.1/32"] }, "sentry:adminSshCidrs = 192.0.2.1/32"],
        ["adminEmail", { adminEmail: "sentry-admin@example.com" }, "sentry:adminEmail = sentry-admin@example.com: uses example.com, a documentation domain"],
        ["publicUrl", { publicUrl: "https://sentry.example.org" }, "sentry:publicUrl = https://sentry.example.org: uses example.org"],
        ["mailHost", { mailHost: "mail.example.net" }, "sentry:mailHost = mail.example.net: uses example.net"],
        ["mailFrom", { mailFrom: "sentry@example.com" }, "sentry:mailFrom = sentry@example.com: uses example.com"],
        [
            "existingHost.address",
            { placement: "existing", existingHost: { address: "sentry.internal.example.com" } },
            "sentry:existingHost.address = sentry.internal.example.com: uses example.com",
        ],
    ])("refuses the committed template's placeholder in %s, unless asked to allow it", (_label, override, expected) => {
        const secrets = { adminPassword: "pw", existingHostPrivateKey: "KEY" };
        const problems = problemsOf({ ...valid, ...override }, secrets);
        expect(problems).toEqual([expect.stringContaining(expected)]);
        expect(problems[0]).toContain("Fix: ");
        expect(() => parse({ ...valid, ...override }, secrets, "staging", { allowPlaceholders: true })).not.toThrow();
    });

    it("does not mistake neighbours of the documentation ranges and domains for placeholders", () => {
        expect(() => parse({ ...valid, webCidrs: ["198.51.0.0/16", "203.0.112.0/24"], adminEmail: "ops@notexample.com", publicUrl: "https://example.company.com" })).not.toThrow();
    });

    it("lists every mistake of a new user's stack file at once", () => {
        const problems = problemsOf(
            { ...valid, instancetype: "m7i.xlarge", adminPassword: "hunter2", flowLogRetentionDays: 45, availabilityZone: "us-east-1a", swapSizeGb: 60, behindTlsProxy: true, webCidrs: ["198.51.100.0/24"] },
            {},
        );
        expect(problems.map((p) => p.slice(0, p.indexOf(" ="))).sort()).toEqual(
            ["sentry:adminPassword", "sentry:availabilityZone", "sentry:flowLogRetentionDays", "sentry:instancetype", "sentry:publicUrl", "sentry:swapSizeGb", "sentry:webCidrs"].sort(),
        );
        expect(problems.every((p) => p.includes("Fix: "))).toBe(true);
    });
});

describe("config loader: the environment of a stack", () => {
    it.each([
        ["prod", "production"],
        ["staging", "staging"],
        ["staging-eu", "staging"],
        ["team-b", "staging"],
    ])("defaults the stack %s to %s", (stack, environment) => {
        // Production needs HTTPS, so a domain (README "HTTPS and mail").
        expect(parse({ ...valid, domain: "sentry.acme-corp.io" }, undefined, stack).environment).toBe(environment);
    });

    it("lets any stack but prod declare its environment", () => {
        expect(parse({ ...valid, environment: "trial", expiresAt: "2026-12-01T00:00:00Z" }, undefined, "demo").environment).toBe("trial");
        expect(parse({ ...valid, environment: "production", domain: "sentry.acme-corp.io" }, undefined, "prod-eu").protect).toBe(true);
    });
});
