// The front door and SES mail under Pulumi mocks, through the offline planner: the exact
// children each combination adds (own VPC and existing VPC; AWS and your own server; SES and
// SMTP; with and without a hosted zone), what they hold, and what the host receives.
import { describe, expect, it } from "vitest";
import { ALB_TLS_POLICY } from "../../components/aws/frontDoor";
import { STEPS } from "../../components/host/provisioner";
import { parseStepEnv } from "../../components/host/render";
import { checkPlan, blockingViolations, formatViolations } from "../../policy/rules";
import { Plan, PlanOptions, planStack, readStackConfig } from "../../tools/planner";
import { byName, frontDoorInventory, FrontDoorShape } from "./helpers";

const PASSWORD = "Tr0ub4dor&3-is-not-a-password";
const real = { "sentry:adminEmail": "admin@acme-corp.io", "sentry:webCidrs": ["100.64.10.0/24"], "sentry:adminSshCidrs": ["100.64.10.7/32"] };

function plan(stack: string, overrides: Record<string, unknown>, extra: Partial<PlanOptions> = {}): Promise<Plan> {
    const base = stack === "own" ? {} : readStackConfig(stack === "prod" ? "prod" : "staging");
    return planStack(stack === "own" ? "staging" : stack, {
        config: { ...base, ...overrides },
        secrets: { "sentry:adminPassword": PASSWORD, ...(extra.secrets ?? {}) },
        allowPlaceholders: true,
        ...extra,
    });
}

const names = (p: Plan) => p.resources.map((r) => `${r.type} ${r.name}`);
/** The front door's and mail's share of the plan: what the inventory helper lists, and the host's web rules. */
const FRONT_TYPES = /^(aws:acm|aws:lb|aws:route53|aws:ses|aws:iam\/(user|userPolicy|accessKey)|aws:ec2\/subnet|aws:ec2\/securityGroup:|aws:ec2\/routeTableAssociation|aws:vpc)/;

function expectShape(p: Plan, prefix: string, shape: FrontDoorShape) {
    const { add, hostWebRules } = frontDoorInventory(prefix, shape);
    const always = [
        `aws:ec2/subnet:Subnet ${prefix}-subnet`,
        `aws:ec2/securityGroup:SecurityGroup ${prefix}-sg`,
        `aws:ec2/routeTableAssociation:RouteTableAssociation ${prefix}-rta`,
        `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${prefix}-ssh-0`,
        `aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule ${prefix}-egress-v4`,
    ].filter((r) => shape.ownVpc !== false || !/-subnet$|-rta$/.test(r));
    expect(names(p).filter((n) => FRONT_TYPES.test(n)).sort()).toEqual([...always, ...hostWebRules, ...add].sort());
    // Every child of the front door and mail is the SentryHost's.
    for (const r of p.resources.filter((x) => add.includes(`${x.type} ${x.name}`))) {
        expect(r.parent, r.name).toBe(prefix);
    }
}

const envOf = (p: Plan, step: string, component = `sentry-${p.stack}-provision`) => parseStepEnv(String(byName(p, `${component}-${step}`).inputs.create));

describe("tls alb", () => {
    it("prod template: certificate validated in the zone, a load balancer in two zones, HTTPS with the current policy, HTTP redirecting, the host behind it", async () => {
        const p = await plan("prod", real);
        expectShape(p, "sentry-prod", { tls: "alb", zone: true, ses: { verify: 1 } });
        const lb = byName(p, "sentry-prod-alb");
        expect(lb.inputs).toMatchObject({ loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, enableDeletionProtection: true });
        expect(lb.protect).toBe(true);
        expect(lb.inputs.subnets).toEqual([byName(p, "sentry-prod-host").inputs.subnetId, expect.stringMatching(/^subnet-/)]);
        const second = byName(p, "sentry-prod-alb-subnet").inputs;
        expect(second).toMatchObject({ cidrBlock: "10.43.1.0/24", availabilityZone: "eu-central-1b" });
        expect(byName(p, "sentry-prod-subnet").inputs.availabilityZone).toBe("eu-central-1a");
        expect(byName(p, "sentry-prod-https").inputs).toMatchObject({ port: 443, protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY, certificateArn: expect.stringMatching(/^arn:aws:acm:eu-central-1:\d{12}:certificate\//) });
        expect(byName(p, "sentry-prod-http").inputs.defaultActions).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
        expect(byName(p, "sentry-prod-tg").inputs).toMatchObject({ port: 9000, protocol: "HTTP", healthCheck: { path: "/_health/", matcher: "200" } });
        // webCidrs reach the load balancer; only its security group reaches the web port.
        expect(byName(p, "sentry-prod-alb-https-0").inputs).toMatchObject({ fromPort: 443, cidrIpv4: "100.64.10.0/24" });
        const fromAlb = byName(p, "sentry-prod-web-from-alb").inputs;
        expect(fromAlb).toMatchObject({ fromPort: 9000, toPort: 9000, securityGroupId: expect.stringMatching(/^sg-/) });
        expect(fromAlb.cidrIpv4).toBeUndefined();
        // ... from the load balancer's own group, not the host's.
        expect(fromAlb.referencedSecurityGroupId).toBe(byName(p, "sentry-prod-alb-https-0").inputs.securityGroupId);
        expect(fromAlb.referencedSecurityGroupId).not.toBe(fromAlb.securityGroupId);
        // The validation record is the one ACM asks for, and the site is an alias of the load balancer.
        const validation = byName(p, "sentry-prod-cert-validation").inputs;
        expect(validation).toMatchObject({ type: "CNAME", name: expect.stringMatching(/^_[0-9a-f]{32}\.sentry\.example\.com\.$/), records: [expect.stringMatching(/acm-validations\.aws\.$/)] });
        expect(byName(p, "sentry-prod-cert-validated").inputs.validationRecordFqdns).toEqual([String(validation.name).replace(/\.$/, "")]);
        expect(byName(p, "sentry-prod-dns").inputs).toMatchObject({ name: "sentry.example.com", type: "A", aliases: [{ name: p.outputs.loadBalancerDnsName, evaluateTargetHealth: true }] });
        expect(byName(p, "sentry-prod-host").inputs.tags).toMatchObject({ SentryTls: "alb" });
        expect(envOf(p, "configure-sentry")).toMatchObject({ SENTRY_URL: "https://sentry.example.com", SENTRY_TLS: "proxy" });
        expect(p.outputs).toMatchObject({ sentryUrl: "https://sentry.example.com", dnsRecords: [] });
        expect(formatViolations(blockingViolations(checkPlan(p)))).toBe("");
    });

    it("staging behind webCidrs: the load balancer without deletion protection, nothing protected", async () => {
        const p = await plan("staging", { ...real, "sentry:domain": "sentry.acme-corp.io", "sentry:hostedZone": "acme-corp.io" });
        expectShape(p, "sentry-staging", { tls: "alb", zone: true });
        expect(byName(p, "sentry-staging-alb").inputs.enableDeletionProtection).toBe(false);
        expect(p.resources.filter((r) => r.protect).map((r) => r.name)).toEqual([]);
    });

    it("an existing VPC: the load balancer uses the subnets named, no subnet is created; subnets in one zone are refused at preview", async () => {
        const subnets = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"];
        const existing = { ...real, "sentry:domain": "sentry.acme-corp.io", "sentry:hostedZone": "acme-corp.io", "sentry:vpcId": "vpc-0123456789abcdef0", "sentry:subnetId": subnets[0], "sentry:albSubnetIds": subnets };
        const mocks = { subnets: { [subnets[0]]: { availabilityZone: "eu-central-1a" }, [subnets[1]]: { availabilityZone: "eu-central-1b" } } };
        const p = await plan("prod", existing, { mocks });
        expectShape(p, "sentry-prod", { tls: "alb", zone: true, ownVpc: false, ses: { verify: 1 } });
        expect(byName(p, "sentry-prod-alb").inputs.subnets).toEqual(subnets);
        await expect(plan("prod", existing, { mocks: { subnets: { [subnets[1]]: { availabilityZone: "eu-central-1a" } } } })).rejects.toThrow(
            /sentry:albSubnetIds = .*all in eu-central-1a, and a load balancer needs subnets in two availability zones/,
        );
        await expect(plan("prod", existing, { mocks: { subnets: { [subnets[1]]: { vpcId: "vpc-0fedcba9876543210" } } } })).rejects.toThrow(/subnet-0bbbbbbbbbbbbbbb2 \(in vpc-0fedcba9876543210\) not in sentry:vpcId/);
    });

    it("without a hosted zone: no record is created, each is printed and returned, and the validation waits for them", async () => {
        const p = await plan("prod", { ...real, "sentry:hostedZone": undefined, "sentry:mail": "none" });
        expectShape(p, "sentry-prod", { tls: "alb", zone: false });
        expect(byName(p, "sentry-prod-cert-validated").inputs.validationRecordFqdns).toBeUndefined();
        expect(p.outputs.dnsRecords).toEqual([
            { name: expect.stringMatching(/^_[0-9a-f]{32}\.sentry\.example\.com$/), type: "CNAME", value: expect.stringMatching(/acm-validations\.aws$/), purpose: expect.stringContaining("ACM's DNS validation") },
            { name: "sentry.example.com", type: "CNAME", value: p.outputs.loadBalancerDnsName, purpose: expect.stringContaining("the site") },
        ]);
    });

    it("a certificate you bring: none is issued, the listener uses yours", async () => {
        const arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        const p = await plan("prod", { ...real, "sentry:certificateArn": arn, "sentry:mail": "none" });
        expectShape(p, "sentry-prod", { tls: "alb", zone: true, broughtCertificate: true });
        expect(byName(p, "sentry-prod-https").inputs.certificateArn).toBe(arn);
    });

    it("a hosted zone that is private, or by id holds another name, is refused at preview", async () => {
        // Looked up by name, a private zone of the same name is not the one taken.
        await expect(plan("prod", real, { mocks: { hostedZones: { Z0PRIVATE0000: { name: "example.com", privateZone: true } } } })).resolves.toBeDefined();
        await expect(plan("prod", { ...real, "sentry:hostedZone": "Z0OTHER00000" }, { mocks: { hostedZones: { Z0OTHER00000: { name: "other-corp.io" } } } })).rejects.toThrow(
            /sentry:hostedZone = Z0OTHER00000: the zone is other-corp.io, which does not hold sentry:domain sentry.example.com/,
        );
        await expect(plan("prod", { ...real, "sentry:hostedZone": "Z0PRIVATE0000" }, { mocks: { hostedZones: { Z0PRIVATE0000: { name: "example.com", privateZone: true } } } })).rejects.toThrow(/is a private zone/);
    });

    it("in AWS China (ICP filed): ARNs of the aws-cn partition, mail through SMTP", async () => {
        const p = await plan("prod", { ...real, "aws:region": "cn-north-1", "sentry:icpFiled": true, "sentry:mail": "smtp", "sentry:smtp": { host: "smtp.qiye.aliyun.com", port: 465, username: "sentry@acme-corp.cn", security: "tls" }, "sentry:mailFrom": "sentry@acme-corp.cn" }, { secrets: { "sentry:smtpPassword": "smtp-secret-123" } });
        expect(byName(p, "sentry-prod-https").inputs.certificateArn).toMatch(/^arn:aws-cn:acm:cn-north-1:/);
        expect(p.outputs.mail).toEqual({ host: "smtp.qiye.aliyun.com", port: 465, security: "tls", from: "sentry@acme-corp.cn", username: "sentry@acme-corp.cn", password: "[secret]" });
        expect(JSON.stringify(p)).not.toContain("smtp-secret-123");
    });
});

describe("tls acme", () => {
    it("staging open to the internet: 443 and 80 from webCidrs instead of the web port, an A record to the Elastic IP, the provisioner waits for it", async () => {
        const p = await plan("staging", { ...real, "sentry:webCidrs": ["0.0.0.0/0"], "sentry:domain": "sentry.acme-corp.io", "sentry:hostedZone": "acme-corp.io" });
        expectShape(p, "sentry-staging", { tls: "acme", zone: true });
        expect(byName(p, "sentry-staging-https-0").inputs).toMatchObject({ fromPort: 443, cidrIpv4: "0.0.0.0/0" });
        expect(byName(p, "sentry-staging-http-0").inputs).toMatchObject({ fromPort: 80, cidrIpv4: "0.0.0.0/0" });
        const record = byName(p, "sentry-staging-dns");
        expect(record.inputs).toMatchObject({ name: "sentry.acme-corp.io", type: "A", records: [p.outputs.publicIp] });
        expect(byName(p, "sentry-staging-provision-wait-for-host").dependsOn).toContain("sentry-staging-dns");
        expect(byName(p, "sentry-staging-host").inputs.tags).toMatchObject({ SentryTls: "acme" });
        expect(p.outputs.sentryUrl).toBe("https://sentry.acme-corp.io");
    });

    it("without a zone, the A record to create is printed and returned", async () => {
        const p = await plan("staging", { ...real, "sentry:webCidrs": ["0.0.0.0/0"], "sentry:domain": "sentry.acme-corp.io" });
        expectShape(p, "sentry-staging", { tls: "acme", zone: false });
        expect(p.outputs.dnsRecords).toEqual([{ name: "sentry.acme-corp.io", type: "A", value: p.outputs.publicIp, purpose: expect.stringContaining("HTTP-01") }]);
    });
});

describe("mail", () => {
    it("ses: identity, three DKIM CNAMEs, MAIL FROM with MX and SPF, the admin verified, an SMTP user that may only send as mail.from", async () => {
        const p = await plan("prod", real);
        const dkim = [0, 1, 2].map((i) => byName(p, `sentry-prod-ses-dkim-${i}`).inputs);
        for (const d of dkim) {
            expect(d).toMatchObject({ type: "CNAME", name: expect.stringMatching(/^[0-9a-f]{32}\._domainkey\.sentry\.example\.com$/), records: [expect.stringMatching(/^[0-9a-f]{32}\.dkim\.amazonses\.com$/)] });
        }
        expect(byName(p, "sentry-prod-ses-mail-from").inputs).toMatchObject({ mailFromDomain: "bounce.sentry.example.com" });
        expect(byName(p, "sentry-prod-ses-mail-from-mx").inputs).toMatchObject({ name: "bounce.sentry.example.com", type: "MX", records: ["10 feedback-smtp.eu-central-1.amazonses.com"] });
        expect(byName(p, "sentry-prod-ses-mail-from-spf").inputs).toMatchObject({ type: "TXT", records: ["v=spf1 include:amazonses.com ~all"] });
        expect(byName(p, "sentry-prod-ses-verify-0").inputs.email).toBe("admin@acme-corp.io");
        const policy = JSON.parse(String(byName(p, "sentry-prod-ses-send").inputs.policy));
        expect(policy.Statement).toEqual([
            { Sid: "SendAsSentryOnly", Effect: "Allow", Action: "ses:SendRawEmail", Resource: "arn:aws:ses:eu-central-1:123456789012:identity/sentry.example.com", Condition: { StringEquals: { "ses:FromAddress": "sentry@sentry.example.com" } } },
        ]);
        // The host receives SES's endpoint and the key's id; the SMTP password is a secret.
        expect(p.outputs.mail).toEqual({ host: "email-smtp.eu-central-1.amazonaws.com", port: 587, security: "starttls", from: "sentry@sentry.example.com", username: expect.stringMatching(/^AKIA[0-9A-F]{16}$/), password: "[secret]" });
        expect(JSON.stringify(p)).not.toMatch(/mock-smtp-|mock-secret-/);
        // The key's id reaches the host as the SMTP username of configure-sentry and test-mail,
        // in the open (an identifier); the password only on configure-sentry's stdin.
        const username = (p.outputs.mail as { username: string }).username;
        for (const step of ["configure-sentry", "test-mail"]) {
            expect(envOf(p, step), step).toMatchObject({ SENTRY_SMTP_HOST: "email-smtp.eu-central-1.amazonaws.com", SENTRY_SMTP_USERNAME: username });
        }
        expect(byName(p, "sentry-prod-provision-configure-sentry").inputs.stdin).toBe("[secret]");
        // Sentry's first mail waits for the verified domain and the user's permission.
        expect(byName(p, "sentry-prod-provision-wait-for-host").dependsOn).toEqual(expect.arrayContaining(["sentry-prod-ses-verified", "sentry-prod-ses-send"]));
    });

    it("ses without a zone: the mail records are printed and returned", async () => {
        const p = await plan("prod", { ...real, "sentry:hostedZone": undefined });
        expectShape(p, "sentry-prod", { tls: "alb", zone: false, ses: { verify: 1 } });
        const mailRecords = (p.outputs.dnsRecords as { name: string; type: string }[]).filter((r) => !r.name.startsWith("_") || r.name.startsWith("_amazonses"));
        expect(mailRecords.map((r) => r.type).sort()).toEqual(["CNAME", "CNAME", "CNAME", "CNAME", "MX", "TXT", "TXT"]);
    });
});

describe("your own server", () => {
    const own = {
        "sentry:placement": "existing",
        "sentry:existingHost": { address: "sentry.acme-corp.io" },
        "sentry:adminEmail": "admin@acme-corp.io",
        "sentry:profile": "errors-only",
        "sentry:domain": "sentry.acme-corp.io",
        "sentry:mail": "smtp",
        "sentry:smtp": { host: "smtp.mailgun.org", username: "sentry@mg.acme-corp.io" },
    };
    it("acme and smtp: no AWS resource at all, the https URL, the SMTP settings and a secret password", async () => {
        const p = await plan("own", own, { secrets: { "sentry:existingHostPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", "sentry:smtpPassword": "mailgun-secret-456" } });
        expect(p.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
        expect(p.resources.filter((r) => r.type === "command:remote:Command")).toHaveLength(STEPS.length);
        expect(envOf(p, "configure-sentry", "sentry-staging")).toMatchObject({ SENTRY_URL: "https://sentry.acme-corp.io", SENTRY_TLS: "acme" });
        expect(p.outputs.mail).toEqual({ host: "smtp.mailgun.org", port: 587, security: "starttls", from: "sentry@sentry.acme-corp.io", username: "sentry@mg.acme-corp.io", password: "[secret]" });
        expect(JSON.stringify(p)).not.toContain("mailgun-secret-456");
    });
});
