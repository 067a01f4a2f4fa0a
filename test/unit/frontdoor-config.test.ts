// The loader's side of the front door and mail (README "HTTPS and mail"): what each setting
// maps onto (SentrySettings for the host, FrontDoorSpec / SesSpec for AWS), the defaults per
// environment and placement, and every impossible combination refused with its fix.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, parseConfig, StackConfig } from "../../config";

function source(values: Record<string, unknown>, secrets: Record<string, string> = {}): ConfigSource {
    const all: Record<string, string> = { "aws:region": "eu-central-1" };
    const add = (k: string, v: unknown) => {
        if (v !== undefined) {
            all[k.includes(":") ? k : `sentry:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        }
    };
    Object.entries(values).forEach(([k, v]) => add(k, v));
    Object.entries({ adminPassword: "correct horse battery", ...secrets }).forEach(([k, v]) => add(k, v));
    const secretKeys = new Set(["sentry:adminPassword", ...Object.keys(secrets).map((k) => `sentry:${k}`)]);
    return { values: all, isSecret: (k) => secretKeys.has(k) };
}

const aws = { profile: "errors-only", instanceType: "c7i.xlarge", adminEmail: "admin@acme-corp.io", webCidrs: ["100.64.10.0/24"], adminSshCidrs: ["100.64.10.7/32"] };
const world = { ...aws, webCidrs: ["0.0.0.0/0"] };
const ownServer = { placement: "existing", existingHost: { address: "sentry.acme-corp.io" }, adminEmail: "admin@acme-corp.io" };
const ownKey = { existingHostPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" };

function parse(values: Record<string, unknown>, stack = "staging", secrets: Record<string, string> = {}): StackConfig {
    return parseConfig(source(values, secrets), stack);
}

function problems(values: Record<string, unknown>, stack = "staging", secrets: Record<string, string> = {}): string {
    try {
        parse(values, stack, secrets);
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems.join("\n");
    }
    throw new Error("expected the loader to refuse the configuration");
}

const awsOf = (c: StackConfig) => {
    if (c.placement.kind !== "aws") {
        throw new Error("not an AWS stack");
    }
    return c.placement;
};

describe("sentry:domain and sentry:tls", () => {
    it("production with a domain gets the load balancer; the public URL and CSRF origin follow the domain", () => {
        const c = parse({ ...aws, domain: "sentry.acme-corp.io", hostedZone: "acme-corp.io" }, "prod");
        expect(c.sentry).toMatchObject({ tls: "alb", domain: "sentry.acme-corp.io", publicUrl: "https://sentry.acme-corp.io", behindTlsProxy: true });
        expect(c.sentry.acme).toBeUndefined();
        expect(awsOf(c).frontDoor).toEqual({
            tls: "alb",
            domain: "sentry.acme-corp.io",
            hostedZone: { name: "acme-corp.io" },
            certificateArn: undefined,
            albSubnets: { kind: "new", cidr: "10.42.1.0/24" },
            validationTimeout: "45m",
        });
    });

    it("staging open to the internet gets ACME on the host (free); staging behind webCidrs gets the load balancer, since Let's Encrypt could not reach port 80", () => {
        const open = parse({ ...world, domain: "sentry.acme-corp.io" });
        expect(open.sentry).toMatchObject({ tls: "acme", acme: { caUrl: "https://acme-v02.api.letsencrypt.org/directory", email: "admin@acme-corp.io" }, publicUrl: "https://sentry.acme-corp.io" });
        expect(parse({ ...aws, domain: "sentry.acme-corp.io" }).sentry.tls).toBe("alb");
    });

    it("your own server with a domain gets ACME; a zone id is kept as an id", () => {
        const c = parse({ ...ownServer, domain: "sentry.acme-corp.io", acmeEmail: "ops@acme-corp.io", acmeCaUrl: "https://ca.acme-corp.io/acme/directory" }, "staging", ownKey);
        expect(c.sentry).toMatchObject({ tls: "acme", acme: { caUrl: "https://ca.acme-corp.io/acme/directory", email: "ops@acme-corp.io" } });
        expect(awsOf(parse({ ...aws, domain: "sentry.acme-corp.io", hostedZone: "Z0123456789ABCDEFGHIJ" }, "prod")).frontDoor.hostedZone).toEqual({ id: "Z0123456789ABCDEFGHIJ" });
    });

    it("without a domain: plain HTTP outside production, as before; behindTlsProxy still means tls proxy", () => {
        expect(parse(aws).sentry).toMatchObject({ tls: "none", behindTlsProxy: false, publicUrl: undefined });
        expect(parse({ ...aws, behindTlsProxy: true, publicUrl: "https://sentry.acme-corp.io" }).sentry).toMatchObject({ tls: "proxy", behindTlsProxy: true, publicUrl: "https://sentry.acme-corp.io" });
        expect(parse({ ...aws, tls: "proxy", domain: "sentry.acme-corp.io" }, "prod").sentry).toMatchObject({ tls: "proxy", publicUrl: "https://sentry.acme-corp.io" });
    });

    it.each([
        ["upper case", "Sentry.Acme-Corp.io", 'must be written in lower case ("sentry.acme-corp.io")'],
        ["a URL", "https://sentry.acme-corp.io", "must be a bare DNS name"],
        ["one label", "sentry", "is not a DNS name"],
        ["a trailing dot", "sentry.acme-corp.io.", "must not end with a dot"],
        ["a bad label", "sentry_.acme-corp.io", "is not a DNS name"],
        ["an IP address", "203.0.113.10", "is not a DNS name"],
    ])("refuses a domain that is not a domain: %s", (_what, domain, why) => {
        expect(problems({ ...aws, domain })).toContain(`sentry:domain = ${domain}: "${domain}" ${why}`);
    });

    it("refuses the documentation domain of the template outside the offline plan", () => {
        expect(problems({ ...aws, domain: "sentry.example.com" })).toContain("sentry:domain = sentry.example.com: uses example.com, a documentation domain");
    });

    it.each([
        ["production without HTTPS", { ...aws }, "prod", "sentry:tls = none (no sentry:domain): production without HTTPS", "pulumi config set sentry:domain sentry.your-company.com"],
        ["tls alb without a domain", { ...aws, tls: "alb" }, "staging", "sentry:domain = (unset): sentry:tls alb needs the name the certificate is for", "pulumi config set sentry:domain"],
        ["tls acme without a domain", { ...world, tls: "acme" }, "staging", "sentry:domain = (unset): sentry:tls acme needs the name", "pulumi config set sentry:domain"],
        ["acme that Let's Encrypt cannot reach", { ...aws, tls: "acme", domain: "sentry.acme-corp.io" }, "staging", "sentry:tls = acme: acme-v02.api.letsencrypt.org checks HTTP-01 by fetching http://sentry.acme-corp.io/.well-known/acme-challenge/", "pulumi config set sentry:tls alb"],
        ["a load balancer for your own server", { ...ownServer, tls: "alb", domain: "sentry.acme-corp.io" }, "staging", "sentry:tls = alb: an AWS load balancer needs placement aws", "pulumi config set sentry:tls acme"],
        ["behindTlsProxy against tls acme", { ...world, behindTlsProxy: true, tls: "acme", domain: "sentry.acme-corp.io" }, "staging", "sentry:behindTlsProxy = true: says your own proxy terminates TLS, but sentry:tls is acme", "pulumi config rm sentry:behindTlsProxy"],
        ["a publicUrl other than the domain's", { ...aws, domain: "sentry.acme-corp.io", publicUrl: "https://errors.acme-corp.io" }, "prod", "sentry:publicUrl = https://errors.acme-corp.io: sentry:domain sentry.acme-corp.io makes the public URL https://sentry.acme-corp.io", "sentry:csrfTrustedOrigins"],
        ["a zone that does not hold the domain", { ...aws, domain: "sentry.acme-corp.io", hostedZone: "other-corp.io" }, "prod", "sentry:hostedZone = other-corp.io: sentry:domain sentry.acme-corp.io is not in that zone", "pulumi config set sentry:hostedZone acme-corp.io"],
        ["a zone without a domain", { ...aws, hostedZone: "acme-corp.io" }, "staging", "sentry:hostedZone = acme-corp.io: there is no sentry:domain", "pulumi config set sentry:domain"],
        ["a certificate of another region", { ...aws, domain: "sentry.acme-corp.io", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" }, "prod", "is a certificate of us-east-1 (aws); a load balancer in eu-central-1 can only use one of its own region", "aws acm import-certificate --region eu-central-1"],
        ["a certificate without the load balancer", { ...world, domain: "sentry.acme-corp.io", certificateArn: "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" }, "staging", "only the load balancer (sentry:tls alb) uses an ACM certificate; sentry:tls is acme", "pulumi config set sentry:tls alb"],
        ["an existing VPC without the load balancer's subnets", { ...aws, domain: "sentry.acme-corp.io", vpcId: "vpc-0123456789abcdef0", subnetId: "subnet-0123456789abcdef0" }, "prod", "sentry:albSubnetIds = (unset): a load balancer needs public subnets in at least two availability zones", 'sentry:albSubnetIds: ["subnet-'],
        ["subnets named for the own VPC", { ...aws, domain: "sentry.acme-corp.io", albSubnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"] }, "prod", "names subnets of an existing VPC, but this stack creates its own", "pulumi config rm sentry:albSubnetIds"],
        ["a second subnet over the host's", { ...aws, domain: "sentry.acme-corp.io", albSubnetCidr: "10.42.0.128/25" }, "prod", "sentry:albSubnetCidr = 10.42.0.128/25: overlaps the host's subnet 10.42.0.0/24", "pulumi config set sentry:albSubnetCidr 10.42.1.0/24"],
        ["China before the ICP filing", { ...aws, "aws:region": "cn-north-1", domain: "sentry.acme-corp.cn" }, "prod", "sentry:tls = alb: AWS China keeps ports 80 and 443 closed until the domain has an ICP filing (cn-north-1)", "pulumi config set sentry:icpFiled true"],
    ])("refuses %s, with the fix", (_what, values, stack, why, fix) => {
        const text = problems(values, stack);
        expect(text).toContain(why);
        expect(text.split("\n").find((p) => p.includes(why))).toContain(fix);
    });

    it("accepts production on plain HTTP only when told so, and China's load balancer once the ICP filing is through", () => {
        expect(parse({ ...aws, allowPlainHttp: true }, "prod").sentry.tls).toBe("none");
        const china = parse({ ...aws, "aws:region": "cn-north-1", domain: "sentry.acme-corp.cn", icpFiled: true }, "prod");
        expect(awsOf(china).frontDoor.tls).toBe("alb");
        const brought = parse({ ...aws, "aws:region": "cn-north-1", domain: "sentry.acme-corp.cn", icpFiled: true, certificateArn: "arn:aws-cn:acm:cn-north-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" }, "prod");
        expect(awsOf(brought).frontDoor.certificateArn).toMatch(/^arn:aws-cn:acm:cn-north-1:/);
    });

    it("an ACME CA of your own needs no internet-wide port 80", () => {
        expect(parse({ ...aws, tls: "acme", domain: "sentry.acme-corp.io", acmeCaUrl: "https://ca.acme-corp.io/acme/directory" }).sentry.tls).toBe("acme");
    });
});

describe("sentry:mail", () => {
    it("ses: SES's SMTP endpoint of the region over STARTTLS, sender in the domain, the admin address verified", () => {
        const c = parse({ ...aws, domain: "sentry.acme-corp.io", hostedZone: "acme-corp.io", mail: "ses" }, "prod");
        expect(c.sentry.mail).toEqual({ host: "email-smtp.eu-central-1.amazonaws.com", port: 587, security: "starttls", from: "sentry@sentry.acme-corp.io" });
        expect(awsOf(c).ses).toEqual({ domain: "sentry.acme-corp.io", hostedZone: { name: "acme-corp.io" }, verifyAddresses: ["admin@acme-corp.io"] });
        // The password is the access key's, made on the AWS side.
        expect(c.smtpPassword).toBeUndefined();
    });

    it("smtp: the server's settings go to the host, the password stays a secret", async () => {
        const c = parse(
            { ...ownServer, mail: "smtp", smtp: { host: "smtp.mailgun.org", username: "sentry@mg.acme-corp.io" }, mailFrom: "sentry@acme-corp.io" },
            "staging",
            { ...ownKey, smtpPassword: "s3cret-smtp" },
        );
        expect(c.sentry.mail).toEqual({ host: "smtp.mailgun.org", port: 587, username: "sentry@mg.acme-corp.io", security: "starttls", from: "sentry@acme-corp.io" });
        expect(await pulumi.isSecret(c.smtpPassword!)).toBe(true);
        expect(parse({ ...aws, mail: "smtp", smtp: { host: "relay.acme-corp.io", port: 25, security: "none" }, mailFrom: "sentry@acme-corp.io" }).sentry.mail).toEqual({
            host: "relay.acme-corp.io",
            port: 25,
            username: undefined,
            security: "none",
            from: "sentry@acme-corp.io",
        });
    });

    it("refuses the SMTP password in plain text, as the admin password", () => {
        const plain: ConfigSource = {
            values: { ...source({ ...aws, mail: "smtp", smtp: { host: "smtp.acme-corp.io", username: "u" }, mailFrom: "sentry@acme-corp.io" }).values, "sentry:smtpPassword": "hunter2" },
            isSecret: (k) => k === "sentry:adminPassword",
        };
        expect(() => parseConfig(plain, "staging")).toThrow(/sentry:smtpPassword = \(plain text, not shown\): a secret stored in plain text.*pulumi config set --secret sentry:smtpPassword/);
    });

    it.each([
        ["ses without a domain", { ...aws, mail: "ses" }, "prod", "sentry:mail = ses: SES sends as a verified domain identity, and there is no sentry:domain", "pulumi config set sentry:domain"],
        ["ses in China", { ...aws, "aws:region": "cn-northwest-1", domain: "sentry.acme-corp.cn", icpFiled: true, mail: "ses" }, "prod", "sentry:mail = ses: Amazon SES is not offered in the AWS China regions (cn-northwest-1)", "pulumi config set sentry:mail smtp"],
        ["ses on your own server", { ...ownServer, domain: "sentry.acme-corp.io", mail: "ses" }, "staging", "sentry:mail = ses: SES is set up with placement aws only", "pulumi config set sentry:mail smtp"],
        ["a sender outside the SES identity", { ...aws, domain: "sentry.acme-corp.io", mail: "ses", mailFrom: "sentry@other-corp.io" }, "prod", "sentry:mailFrom = sentry@other-corp.io: SES sends only as the verified identity sentry.acme-corp.io", "pulumi config set sentry:mailFrom sentry@sentry.acme-corp.io"],
        ["the bundled relay's host beside ses", { ...aws, domain: "sentry.acme-corp.io", mail: "ses", mailHost: "acme-corp.io" }, "prod", "sentry:mailHost = acme-corp.io: names the host of upstream's bundled relay, which sentry:mail ses replaces", "pulumi config rm sentry:mailHost"],
        ["smtp without a server", { ...aws, mail: "smtp", mailFrom: "sentry@acme-corp.io" }, "staging", "sentry:smtp = (unset)", "pulumi config set --path sentry:smtp.host"],
        ["smtp without a sender and a domain", { ...aws, mail: "smtp", smtp: { host: "smtp.acme-corp.io" } }, "staging", "sentry:mailFrom = (unset): sentry:mail smtp needs a sender address", "pulumi config set sentry:mailFrom"],
        ["an smtp field that does not exist", { ...aws, mail: "smtp", smtp: { host: "smtp.acme-corp.io", user: "u" }, mailFrom: "sentry@acme-corp.io" }, "staging", "sentry:smtp.user = u: smtp has no field user", "the fields are host, port, username, security"],
        ["smtp settings while mail is none", { ...aws, smtp: { host: "smtp.acme-corp.io" } }, "staging", "is read only with sentry:mail smtp (it is none)", "pulumi config set sentry:mail smtp"],
    ])("refuses %s, with the fix", (_what, values, stack, why, fix) => {
        const text = problems(values, stack, stack === "staging" && "placement" in values ? ownKey : {});
        expect(text).toContain(why);
        expect(text.split("\n").find((p) => p.includes(why))).toContain(fix);
    });

    it("refuses a username without its password, and a password without a username", () => {
        const base = { ...aws, mail: "smtp", mailFrom: "sentry@acme-corp.io" };
        expect(problems({ ...base, smtp: { host: "smtp.acme-corp.io", username: "u" } })).toContain("sentry:smtpPassword = (unset)");
        expect(problems({ ...base, smtp: { host: "smtp.acme-corp.io" } }, "staging", { smtpPassword: "p" })).toContain("sentry:smtpPassword = [secret]: there is no sentry:smtp.username to log in with");
    });
});
