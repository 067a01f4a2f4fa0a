// Every rule gets a plan that passes it and a plan that breaks it.
import { describe, expect, it } from "vitest";
import { blockingViolations, checkPlan, formatViolations, ingressOf, PolicyPlan, PolicyResource, RULES, Violation } from "../../policy/rules";
import { POLICY_SETTINGS, PolicySettings } from "../../policy/settings";
import { find, stackPlan, withExtra, withResource, without } from "./fixtures";
import { isOpenToWorld } from "../../components/validation";

const staging = stackPlan("staging");
const prod = stackPlan("prod");
const trial = stackPlan("demo", { environment: "trial" });

function broken(plan: PolicyPlan, rule: string): Violation[] {
    return checkPlan(plan).filter((v) => v.rule === rule);
}

const tested = new Set<string>();
/** Declares the rule's pair of cases: `pass` must not trip it, `fail` must, naming `resource`. */
function pair(rule: string, pass: PolicyPlan, fail: PolicyPlan, resource: string, message: RegExp) {
    tested.add(rule);
    it(`${rule}: passes`, () => {
        expect(broken(pass, rule)).toEqual([]);
    });
    it(`${rule}: fails`, () => {
        const v = broken(fail, rule);
        expect(v.length).toBeGreaterThan(0);
        expect(v[0].resource).toBe(resource);
        expect(v.map((x) => x.message).join("\n")).toMatch(message);
    });
}

const instanceInputs = (f: (i: Record<string, unknown>) => void) => (r: PolicyResource) => {
    f(r.inputs);
    return r;
};

describe("compliant plans", () => {
    for (const plan of [staging, prod, trial]) {
        it(`${plan.stack} has no violations`, () => {
            expect(formatViolations(checkPlan(plan))).toBe("");
        });
    }
});

describe("rules", () => {
    pair(
        "ec2-imdsv2-required",
        staging,
        withResource(staging, "host", instanceInputs((i) => (i.metadataOptions = { httpTokens: "optional" }))),
        "sentry-staging-host",
        /httpTokens is "optional"/,
    );
    it("ec2-imdsv2-required: a missing metadataOptions fails too", () => {
        const plan = withResource(staging, "host", instanceInputs((i) => delete i.metadataOptions));
        expect(broken(plan, "ec2-imdsv2-required")[0].message).toMatch(/not set/);
    });

    pair(
        "ec2-imds-hop-limit",
        staging,
        withResource(staging, "host", instanceInputs((i) => (i.metadataOptions = { httpTokens: "required", httpPutResponseHopLimit: 2 }))),
        "sentry-staging-host",
        /hop.*2|HopLimit is 2/i,
    );

    pair(
        "ebs-encrypted",
        prod,
        withResource(prod, "data", instanceInputs((i) => (i.encrypted = false))),
        "sentry-prod-data",
        /not encrypted/,
    );
    it("ebs-encrypted: an instance's unencrypted root or extra block device fails", () => {
        const plan = withResource(
            staging,
            "host",
            instanceInputs((i) => {
                i.rootBlockDevice = { volumeSize: 20 };
                i.ebsBlockDevices = [{ deviceName: "/dev/sdg", encrypted: false }];
            }),
        );
        const messages = broken(plan, "ebs-encrypted").map((v) => v.message);
        expect(messages).toEqual([expect.stringMatching(/rootBlockDevice/), expect.stringMatching(/ebsBlockDevices\[0\]/)]);
    });

    pair(
        "no-public-admin-ingress",
        staging,
        stackPlan("staging", { sshCidrs: ["198.51.100.7/32", "0.0.0.0/0"] }),
        "sentry-staging-ssh-1",
        /0\.0\.0\.0\/0 may reach port 22.*SSH/,
    );
    it("no-public-admin-ingress: ::/0 on an inline security-group rule and a SecurityGroupRule range fail", () => {
        const plan = withExtra(
            staging,
            {
                type: "aws:ec2/securityGroup:SecurityGroup",
                name: "sentry-staging-legacy-sg",
                inputs: { ingress: [{ protocol: "tcp", fromPort: 3389, toPort: 3389, ipv6CidrBlocks: ["::/0"] }] },
            },
            {
                type: "aws:ec2/securityGroupRule:SecurityGroupRule",
                name: "sentry-staging-range",
                inputs: { type: "ingress", protocol: "tcp", fromPort: 2000, toPort: 7000, cidrBlocks: ["0.0.0.0/0"] },
            },
        );
        const v = broken(plan, "no-public-admin-ingress");
        expect(v.map((x) => x.resource)).toEqual(["sentry-staging-legacy-sg", "sentry-staging-range"]);
        expect(v[0].message).toMatch(/::\/0 may reach port 3389 \(ingress\[0\]\).*RDP/);
        expect(v[1].message).toMatch(/ports 2000-7000.*2375 \(Docker API/);
    });
    it("no-public-admin-ingress: all protocols from anywhere fail; egress and narrow sources pass", () => {
        const plan = withExtra(staging, {
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "sentry-staging-any",
            inputs: { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" },
        });
        expect(broken(plan, "no-public-admin-ingress")[0].message).toMatch(/all ports/);
        // The fixture's egress rule is 0.0.0.0/0 with all protocols: egress is not ingress.
        expect(broken(staging, "no-public-admin-ingress")).toEqual([]);
    });

    it("no-public-admin-ingress: 0.0.0.0/1 and 128.0.0.0/1 on two rule resources of one group are the whole internet", () => {
        const v = broken(stackPlan("staging", { sshCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), "no-public-admin-ingress");
        expect(v.map((x) => `${x.resource}: ${x.message}`)).toEqual([
            "sentry-staging-ssh-0: 0.0.0.0/1 (sentry-staging-ssh-0) and 128.0.0.0/1 (sentry-staging-ssh-1) together may reach port 22 from the whole internet, " +
                "which includes 22 (SSH); narrow the sources to your own networks (sentry:adminSshCidrs for SSH)",
        ]);
        // IPv6's public space is global unicast, 2000::/3.
        const v6 = broken(stackPlan("staging", { sshCidrs: ["2000::/4", "3000::/4"] }), "no-public-admin-ingress");
        expect(v6[0].message).toMatch(/^2000::\/4 \(sentry-staging-ssh-0\) and 3000::\/4 \(sentry-staging-ssh-1\) together may reach port 22 from the whole internet/);
    });
    it("no-public-admin-ingress: rules that are each below the bound are open together; apart, or in other groups, they pass", () => {
        const together = broken(stackPlan("staging", { sshCidrs: ["17.0.0.0/8", "18.0.0.0/8"] }), "no-public-admin-ingress");
        expect(together.map((x) => x.resource)).toEqual(["sentry-staging-ssh-0"]);
        expect(together[0].message).toContain("from the internet (33,554,432 public IPv4 addresses, more than the 16,777,216 of a /8)");
        expect(broken(stackPlan("staging", { sshCidrs: ["17.0.0.0/8"] }), "no-public-admin-ingress")).toEqual([]);
        const otherGroup = withResource(stackPlan("staging", { sshCidrs: ["17.0.0.0/8", "18.0.0.0/8"] }), "ssh-1", (r) => {
            r.inputs.securityGroupId = "sg-456";
            return r;
        });
        expect(broken(otherGroup, "no-public-admin-ingress")).toEqual([]);
    });
    it("no-public-admin-ingress: private and reserved ranges do not count, however wide", () => {
        const plan = stackPlan("staging", { sshCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"] });
        expect(broken(plan, "no-public-admin-ingress")).toEqual([]);
    });
    it("no-public-admin-ingress: overlapping port ranges count on the ports they share", () => {
        const rule = (name: string, cidr: string, fromPort: number, toPort: number): PolicyResource => ({
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: `sentry-staging-${name}`,
            inputs: { securityGroupId: "sg-123", ipProtocol: "tcp", fromPort, toPort, cidrIpv4: cidr },
        });
        const v = broken(withExtra(staging, rule("wide", "17.0.0.0/8", 20, 25), rule("narrow", "18.0.0.0/8", 22, 22)), "no-public-admin-ingress");
        expect(v.map((x) => `${x.resource}: ${x.message}`)).toEqual([expect.stringMatching(/^sentry-staging-wide: 17\.0\.0\.0\/8 \(sentry-staging-wide\) and 18\.0\.0\.0\/8 \(sentry-staging-narrow\) together may reach port 22 /)]);
    });
    it("no-public-admin-ingress: rules whose group is unknown until deploy (a preview) are judged as one group", () => {
        const unknown = (r: PolicyResource) => {
            delete r.inputs.securityGroupId;
            return r;
        };
        const plan = withResource(withResource(stackPlan("staging", { sshCidrs: ["17.0.0.0/8", "18.0.0.0/8"] }), "ssh-0", unknown), "ssh-1", unknown);
        expect(broken(plan, "no-public-admin-ingress").map((x) => x.resource)).toEqual(["sentry-staging-ssh-0"]);
    });

    pair(
        "public-ingress-web-only",
        stackPlan("prod", { webCidrs: ["0.0.0.0/0", "::/0"] }),
        stackPlan("staging", { webCidrs: ["0.0.0.0/0"] }),
        "sentry-staging-web-0",
        /stack "staging" is not in publicWebStacks/,
    );
    it("public-ingress-web-only: staging's web port split into 0.0.0.0/1 and 128.0.0.0/1 fails; prod's passes", () => {
        const v = broken(stackPlan("staging", { webCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), "public-ingress-web-only");
        expect(v.map((x) => `${x.resource}: ${x.message}`)).toEqual([
            'sentry-staging-web-0: 0.0.0.0/1 (sentry-staging-web-0) and 128.0.0.0/1 (sentry-staging-web-1) together may reach web port 9000 from the whole internet, ' +
                'but stack "staging" is not in publicWebStacks (prod): restrict sentry:webCidrs to your networks',
        ]);
        expect(broken(stackPlan("prod", { webCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), "public-ingress-web-only")).toEqual([]);
    });
    it("public-ingress-web-only: a public non-web port fails even on prod", () => {
        const plan = withExtra(prod, {
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "sentry-prod-grafana",
            inputs: { ipProtocol: "tcp", fromPort: 3001, toPort: 3001, cidrIpv4: "0.0.0.0/0" },
        });
        expect(broken(plan, "public-ingress-web-only")[0].message).toMatch(/only the web port/);
    });
    it("public-ingress-web-only: the allowed stacks come from settings", () => {
        const plan = stackPlan("staging", { webCidrs: ["0.0.0.0/0"] });
        expect(checkPlan(plan, { settings: { publicWebStacks: ["staging"] } }).filter((v) => v.rule === "public-ingress-web-only")).toEqual([]);
        expect(POLICY_SETTINGS.publicWebStacks).toEqual(["prod"]);
    });
    it("only rules marked usesSettings read the settings (only they get --policy-pack-config in the engine)", () => {
        const unreadable = new Proxy({} as PolicySettings, {
            get() {
                throw new Error("read the settings");
            },
        });
        const plan = stackPlan("staging", { webCidrs: ["0.0.0.0/0"] });
        const context = { stack: plan.stack, project: "sentry", resources: plan.resources, settings: unreadable };
        const web = find(plan, "web-0");
        for (const rule of RULES) {
            if (rule.usesSettings) {
                expect(() => rule.check(web, context), rule.name).toThrow("read the settings");
            } else {
                expect(() => plan.resources.forEach((r) => rule.check(r, context)), rule.name).not.toThrow();
            }
        }
    });

    pair(
        "instance-type-fits-profile",
        stackPlan("staging", { profile: "errors-only", instanceType: "t3.large" }),
        stackPlan("staging", { profile: "feature-complete", instanceType: "c7i.xlarge" }),
        "sentry-staging-host",
        /c7i\.xlarge has 4 vCPUs and 8 GiB, but the feature-complete profile needs/,
    );
    it("instance-type-fits-profile: a missing or unknown SentryProfile tag fails", () => {
        const untagged = withResource(staging, "host", (r) => {
            delete (r.inputs.tags as Record<string, string>).SentryProfile;
            return r;
        });
        expect(broken(untagged, "instance-type-fits-profile")[0].message).toMatch(/no SentryProfile tag/);
        expect(broken(stackPlan("staging", { profile: "everything" }), "instance-type-fits-profile")[0].message).toMatch(/not a known profile/);
    });

    pair(
        "instance-type-known",
        staging,
        stackPlan("staging", { instanceType: "x9z.mega" }),
        "sentry-staging-host",
        /x9z\.mega is not in KNOWN_INSTANCE_TYPES/,
    );
    it("instance-type-known: an unknown type is not a sizing failure (advisory only)", () => {
        const v = checkPlan(stackPlan("staging", { instanceType: "x9z.mega" }));
        expect(v.map((x) => x.rule)).toEqual(["instance-type-known"]);
        expect(blockingViolations(v)).toEqual([]);
    });

    pair(
        "production-protected",
        prod,
        stackPlan("prod", { protect: false }),
        "sentry-prod-host",
        /instance is not protected/,
    );
    it("production-protected: names the data volume's protection and retainOnDelete and the EIP", () => {
        const messages = broken(stackPlan("prod", { protect: false }), "production-protected").map((v) => `${v.resource}: ${v.message}`);
        expect(messages).toEqual([
            "sentry-prod-host: the instance is not protected (protect: true) in production",
            expect.stringMatching(/^sentry-prod-eip: the Elastic IP .* is not protected/),
            "sentry-prod-data: the data volume is not protected (protect: true) in production",
            "sentry-prod-data: the data volume is not retained on delete (retainOnDelete: true) in production",
        ]);
    });
    it("production-protected: a prod stack labelled staging is still production", () => {
        const plan = stackPlan("prod", { environment: "staging", protect: false });
        expect(broken(plan, "production-protected").length).toBe(4);
    });
    it("production-protected: retainOnDelete unknown (as in the engine) is not reported", () => {
        const plan = withResource(prod, "data", (r) => ({ ...r, retainOnDelete: undefined }));
        expect(broken(plan, "production-protected")).toEqual([]);
    });

    pair(
        "trial-disposable",
        trial,
        stackPlan("demo", { environment: "trial", protect: true }),
        "sentry-demo-host",
        /protected: `pulumi destroy` and the trial reaper would fail/,
    );
    it("trial-disposable: retained volumes and missing or malformed ExpiresAt fail", () => {
        const retained = withResource(trial, "data", (r) => ({ ...r, retainOnDelete: true }));
        expect(broken(retained, "trial-disposable")[0].message).toMatch(/leave it behind, still billed/);
        const malformed = stackPlan("demo", { environment: "trial", expiresAt: "next tuesday" });
        expect(broken(malformed, "trial-disposable")[0].message).toMatch(/not an ISO 8601 UTC time/);
        const missing = withResource(trial, "vpc", (r) => {
            delete (r.inputs.tags as Record<string, string>).ExpiresAt;
            return r;
        });
        expect(broken(missing, "trial-disposable").map((v) => v.resource)).toEqual(["sentry-demo-vpc"]);
    });

    pair(
        "names-carry-own-stack",
        trial,
        withExtra(trial, {
            type: "aws:ec2/securityGroup:SecurityGroup",
            name: "sentry-staging-sg",
            inputs: { tags: { Name: "sentry-staging-sg", Project: "sentry", Stack: "demo", Environment: "trial", ManagedBy: "pulumi", ExpiresAt: "2026-12-01T00:00:00Z" } },
        }),
        "sentry-staging-sg",
        /logical name "sentry-staging-sg" does not start with "sentry-demo"/,
    );
    it("names-carry-own-stack: physical names and Name tags must carry the stack too", () => {
        const plan = withResource(trial, "flow-logs", (r) => {
            r.inputs.namePrefix = "/sentry/staging/vpc-flow-logs-";
            (r.inputs.tags as Record<string, string>).Name = "sentry-flow-logs";
            return r;
        });
        const messages = broken(plan, "names-carry-own-stack").map((v) => v.message);
        expect(messages).toEqual([
            'namePrefix "/sentry/staging/vpc-flow-logs-" does not contain "sentry-demo"',
            'tags.Name "sentry-flow-logs" does not contain "sentry-demo"',
        ]);
    });
    it("names-carry-own-stack: the prod stack does not match a stack called prod-like (token match)", () => {
        const plan = withResource(prod, "key", (r) => {
            r.inputs.keyNamePrefix = "sentry-production-key-";
            return r;
        });
        expect(broken(plan, "names-carry-own-stack")[0].message).toMatch(/keyNamePrefix "sentry-production-key-"/);
    });

    pair(
        "required-tags",
        staging,
        withResource(staging, "igw", (r) => {
            r.inputs.tags = { Name: "sentry-staging-igw", Project: "sentry", Stack: "prod", Environment: "prod" };
            return r;
        }),
        "sentry-staging-igw",
        /missing tag ManagedBy[\s\S]*tag Stack is "prod"[\s\S]*tag Environment is "prod": must be one of production, staging, trial/,
    );
    it("required-tags: a taggable resource without tags fails; untaggable ones pass", () => {
        const plan = withResource(staging, "eip", (r) => {
            delete r.inputs.tags;
            return r;
        });
        expect(broken(plan, "required-tags").map((v) => `${v.resource}: ${v.message}`)).toEqual([
            "sentry-staging-eip: missing tags Name, Project, Stack, Environment, ManagedBy",
        ]);
    });
    it("required-tags: the stack prod is always production, whatever it declares", () => {
        const plan = stackPlan("prod", { environment: "staging", protect: true });
        expect(broken(plan, "required-tags")[0].message).toMatch(/tag Environment is "staging": the stack "prod" is always production/);
    });
    it("a stack of any other name is judged by the environment it declares: staging copied as team-b, a second production", () => {
        expect(formatViolations(checkPlan(stackPlan("team-b", { environment: "staging" })))).toBe("");
        expect(formatViolations(checkPlan(stackPlan("prod-eu", { environment: "production" })))).toBe("");
        const unprotected = broken(stackPlan("prod-eu", { environment: "production", protect: false }), "production-protected");
        expect(new Set(unprotected.map((v) => v.resource))).toEqual(new Set(["sentry-prod-eu-data", "sentry-prod-eu-eip", "sentry-prod-eu-host"]));
    });

    pair(
        "one-environment",
        staging,
        withResource(staging, "igw", (r) => {
            (r.inputs.tags as Record<string, string>).Environment = "trial";
            return r;
        }),
        "sentry-staging-igw",
        /tag Environment is "trial" but the stack's other resources declare "staging"/,
    );

    pair(
        "ec2-ssm-managed",
        staging,
        withResource(staging, "host", instanceInputs((i) => delete i.iamInstanceProfile)),
        "sentry-staging-host",
        /no iamInstanceProfile/,
    );

    pair("vpc-flow-logs", staging, without(staging, "aws:ec2/flowLog:FlowLog"), "sentry-staging-vpc", /no flow log/);

    pair(
        "production-backups-and-recovery",
        prod,
        without(without(prod, "aws:dlm/lifecyclePolicy:LifecyclePolicy"), "aws:cloudwatch/metricAlarm:MetricAlarm"),
        "sentry-prod-host",
        /no CloudWatch alarm recovers[\s\S]*no DLM lifecycle policy/,
    );
    it("production-backups-and-recovery: staging without snapshots is fine", () => {
        const plan = without(staging, "aws:dlm/lifecyclePolicy:LifecyclePolicy");
        expect(broken(plan, "production-backups-and-recovery")).toEqual([]);
    });

    pair(
        "production-alarms-subscribed",
        prod,
        without(prod, "aws:sns/topicSubscription:TopicSubscription"),
        "sentry-prod-host",
        /the production alarms notify nobody/,
    );
    it("production-alarms-subscribed: a topic of your own counts as a subscriber; a missing heartbeat alarm fails", () => {
        const ownTopic = withResource(without(prod, "aws:sns/topicSubscription:TopicSubscription"), "alarm-heartbeat", (r) => {
            r.inputs.alarmActions = [...(r.inputs.alarmActions as string[]), "arn:aws:sns:eu-central-1:123456789012:oncall-pager"];
            return r;
        });
        expect(broken(ownTopic, "production-alarms-subscribed")).toEqual([]);
        const noHeartbeat = withResource(prod, "alarm-heartbeat", (r) => ({ ...r, inputs: { ...r.inputs, treatMissingData: "notBreaching" } }));
        expect(broken(noHeartbeat, "production-alarms-subscribed").map((v) => v.message)).toEqual(["no heartbeat alarm (metric Heartbeat, missing data breaching) watches the production host"]);
        // Staging may run with a topic nobody subscribed to.
        expect(broken(without(staging, "aws:sns/topicSubscription:TopicSubscription"), "production-alarms-subscribed")).toEqual([]);
    });
    pair("production-pre-upgrade-snapshots", prod, without(prod, "aws:ebs/snapshot:Snapshot"), "sentry-prod-data", /no pre-upgrade snapshot/);
    it("production-pre-upgrade-snapshots: a snapshot not retained on delete fails; unknown (the engine) passes", () => {
        const notRetained = withResource(prod, "pre-upgrade", (r) => ({ ...r, retainOnDelete: false }));
        expect(broken(notRetained, "production-pre-upgrade-snapshots").map((v) => v.message)).toEqual(["sentry-prod-pre-upgrade is not retained on delete: the next upgrade would delete the previous one"]);
        const unknown = withResource(prod, "pre-upgrade", (r) => ({ ...r, retainOnDelete: undefined }));
        expect(broken(unknown, "production-pre-upgrade-snapshots")).toEqual([]);
        expect(broken(without(staging, "aws:ebs/snapshot:Snapshot"), "production-pre-upgrade-snapshots")).toEqual([]);
    });

    it("every rule has a passing and a failing case above", () => {
        expect([...tested].sort()).toEqual(RULES.map((r) => r.name).sort());
    });
});

describe("the front door (load balancer, HTTPS in production)", () => {
    // prod behind a load balancer, as components/aws/frontDoor.ts builds it: the web port open
    // to the load balancer's security group only, HTTPS with an allowed policy, HTTP redirecting.
    const tagsOf = (name: string) => ({ Name: name, Project: "sentry", Stack: "prod", Environment: "production", ManagedBy: "pulumi" });
    const res = (type: string, part: string, inputs: Record<string, unknown>): PolicyResource => ({
        type,
        name: `sentry-prod-${part}`,
        inputs: { ...inputs, tags: tagsOf(`sentry-prod-${part}`) },
        protect: false,
        retainOnDelete: false,
    });
    const https = res("aws:lb/listener:Listener", "https", { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", defaultActions: [{ type: "forward", targetGroupArn: "tg" }] });
    const http = res("aws:lb/listener:Listener", "http", { port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] });
    const alb = withExtra(
        {
            ...stackPlan("prod", { tls: "alb" }),
            resources: stackPlan("prod", { tls: "alb" }).resources.filter((r) => !r.name.endsWith("-web-0")),
        },
        res("aws:lb/targetGroup:TargetGroup", "tg", { port: 9000, protocol: "HTTP", healthCheck: { path: "/_health/" } }),
        res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web-from-alb", { securityGroupId: "sg-123", ipProtocol: "tcp", fromPort: 9000, toPort: 9000, referencedSecurityGroupId: "sg-alb" }),
        https,
        http,
    );

    it("a plan shaped like the load balancer path has no violations", () => {
        expect(formatViolations(checkPlan(alb))).toBe("");
    });

    pair("alb-https-tls-policy", alb, withResource(alb, "https", instanceInputs((i) => (i.sslPolicy = "ELBSecurityPolicy-2016-08"))), "sentry-prod-https", /ELBSecurityPolicy-2016-08 is not one of the allowed/);
    it("alb-https-tls-policy: a listener without sslPolicy gets AWS's TLS 1.0 default, and fails", () => {
        const plan = withResource(alb, "https", instanceInputs((i) => delete i.sslPolicy));
        expect(broken(plan, "alb-https-tls-policy")[0].message).toMatch(/names no sslPolicy.*2016-08/);
    });
    it("alb-https-tls-policy: a TLS 1.2 policy with legacy ciphers (Ext1) fails", () => {
        const plan = withResource(alb, "https", instanceInputs((i) => (i.sslPolicy = "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06")));
        expect(broken(plan, "alb-https-tls-policy")).toHaveLength(1);
    });

    pair(
        "alb-http-redirects-only",
        alb,
        withResource(alb, "http", instanceInputs((i) => (i.defaultActions = [{ type: "forward", targetGroupArn: "tg" }]))),
        "sentry-prod-http",
        /defaultActions\[0\] is "forward": an HTTP listener may only redirect to HTTPS/,
    );
    it("alb-http-redirects-only: a redirect that keeps http fails", () => {
        const plan = withResource(alb, "http", instanceInputs((i) => (i.defaultActions = [{ type: "redirect", redirect: { protocol: "HTTP", port: "8080" } }])));
        expect(broken(plan, "alb-http-redirects-only")[0].message).toMatch(/redirects to HTTP, not HTTPS/);
    });

    pair(
        "web-port-behind-alb",
        alb,
        withExtra(alb, ...stackPlan("prod", { webCidrs: ["10.0.0.0/8"] }).resources.filter((r) => r.name.endsWith("-web-0"))),
        "sentry-prod-web-0",
        /10\.0\.0\.0\/8 may reach the web port 9000 .*around the load balancer/,
    );
    it("web-port-behind-alb: a rule opening every port (the web port among them) fails; without a load balancer nothing is judged", () => {
        const all = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "all-0", { securityGroupId: "sg-123", ipProtocol: "-1", cidrIpv4: "10.1.0.0/16" });
        expect(broken(withExtra(alb, all), "web-port-behind-alb").map((v) => v.resource)).toEqual(["sentry-prod-all-0"]);
        expect(broken(prod, "web-port-behind-alb")).toEqual([]);
    });

    pair("production-https", alb, stackPlan("prod", { tls: "none" }), "sentry-prod-host", /SentryTls is "none": production is reached over plain HTTP/);
    it("production-https: staging may run plain HTTP; a production stack listed in plainHttpStacks may too", () => {
        expect(broken(staging, "production-https")).toEqual([]);
        const plain = stackPlan("prod", { tls: "none" });
        expect(checkPlan(plain, { settings: { plainHttpStacks: ["prod"] } }).filter((v) => v.rule === "production-https")).toEqual([]);
    });
    it("production-https: an untagged production instance fails", () => {
        const plan = withResource(prod, "host", instanceInputs((i) => delete (i.tags as Record<string, string>).SentryTls));
        expect(broken(plan, "production-https")[0].message).toMatch(/no SentryTls tag/);
    });
});

describe("rule metadata", () => {
    it("every rule explains itself and justifies a non-mandatory level", () => {
        const names = new Set<string>();
        for (const rule of RULES) {
            expect(names.has(rule.name)).toBe(false);
            names.add(rule.name);
            expect(rule.name).toMatch(/^[a-z0-9-]+$/);
            expect(rule.description.length).toBeGreaterThan(60);
            expect(rule.remediation.length).toBeGreaterThan(30);
            if (rule.enforcementLevel !== "mandatory") {
                expect(rule.levelRationale, rule.name).toBeTruthy();
            }
        }
    });
    it("the security baseline (BRIEF section 4) is mandatory", () => {
        const level = (n: string) => RULES.find((r) => r.name === n)?.enforcementLevel;
        for (const n of ["ec2-imdsv2-required", "ebs-encrypted", "no-public-admin-ingress", "public-ingress-web-only", "ec2-ssm-managed", "vpc-flow-logs"]) {
            expect(level(n), n).toBe("mandatory");
        }
    });
});

describe("checkPlan output", () => {
    it("reports resource, rule, level and message, and formats one line each", () => {
        const v = checkPlan(stackPlan("staging", { sshCidrs: ["0.0.0.0/0"] }));
        expect(v).toContainEqual({
            resource: "sentry-staging-ssh-0",
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            rule: "no-public-admin-ingress",
            enforcementLevel: "mandatory",
            message: "0.0.0.0/0 may reach port 22, which includes 22 (SSH); narrow the sources to your own networks (sentry:adminSshCidrs for SSH)",
        });
        expect(formatViolations(v)).toMatch(/^mandatory {2}no-public-admin-ingress {2}sentry-staging-ssh-0 \(aws:vpc/);
        expect(blockingViolations(v).length).toBe(v.length);
    });
    it("the issue's examples fail the offline check: SSH from anywhere, feature-complete on 8 GiB", () => {
        const ssh = stackPlan("prod", { sshCidrs: ["0.0.0.0/0"] });
        const small = stackPlan("prod", { instanceType: "c7i.xlarge", profile: "feature-complete" });
        expect(blockingViolations(checkPlan(ssh)).map((v) => v.rule)).toContain("no-public-admin-ingress");
        expect(blockingViolations(checkPlan(small)).map((v) => v.rule)).toEqual(["instance-type-fits-profile"]);
    });
});

describe("ingress helpers", () => {
    it("judges a CIDR by the public address space it covers, not by its spelling", () => {
        expect(["0.0.0.0/0", "::/0", "::0/0", " 0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/2", "2000::/3", "2a00::/31"].every(isOpenToWorld)).toBe(true);
        // Private, shared and documentation ranges are not the internet; one /8 of it is not yet "open".
        expect(["10.0.0.0/8", "100.64.0.0/10", "2001:db8::/32", "fc00::/7", "17.0.0.0/8", "2a00::/32"].some(isOpenToWorld)).toBe(false);
    });
    it("normalises ICMP without ports and ignores egress SecurityGroupRules", () => {
        expect(ingressOf(find(staging, "ssh-0"))).toEqual([{ cidrs: ["198.51.100.7/32"], fromPort: 22, toPort: 22, protocol: "tcp", where: "" }]);
        const egress: PolicyResource = { type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "x", inputs: { type: "egress", cidrBlocks: ["0.0.0.0/0"] } };
        expect(ingressOf(egress)).toEqual([]);
        const icmp = withExtra(staging, {
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "sentry-staging-ping",
            inputs: { ipProtocol: "icmp", fromPort: -1, toPort: -1, cidrIpv4: "0.0.0.0/0", tags: find(staging, "ssh-0").inputs.tags },
        });
        expect(checkPlan(icmp).filter((v) => v.resource === "sentry-staging-ping" && v.rule.includes("ingress"))).toEqual([]);
    });
});
