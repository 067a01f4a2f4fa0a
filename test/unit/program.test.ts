// The program under Pulumi mocks, through the same planner the offline plan uses.
import { describe, expect, it } from "vitest";
import { STEPS } from "../../components/host/provisioner";
import { Plan, planStack, readStackConfig } from "../../tools/planner";
import { byName, frontDoorInventory } from "./helpers";

const PASSWORD = "Tr0ub4dor&3-is-not-a-password";

function inventory(plan: Plan): string[] {
    return plan.resources.map((r) => `${r.type} ${r.name}`).sort();
}

const ALARMS = ["unhealthy", "heartbeat", "data-disk-warning", "data-disk-critical", "root-disk-warning", "root-disk-critical", "memory"].map((a) => `alarm-${a}`);

function awsInventory(stack: string, withSnapshots = true, emails: string[] = (readStackConfig(stack)["sentry:alarmEmails"] as string[] | undefined) ?? []): string[] {
    const p = `sentry-${stack}`;
    const steps = STEPS.map((s) => `command:remote:Command ${p}-provision-${s}`);
    return [
        `sentry:aws:SentryHost ${p}`,
        `sentry:host:SentryProvisioner ${p}-provision`,
        `aws:ec2/vpc:Vpc ${p}-vpc`,
        `aws:ec2/defaultSecurityGroup:DefaultSecurityGroup ${p}-default-sg`,
        `aws:ec2/internetGateway:InternetGateway ${p}-igw`,
        `aws:ec2/subnet:Subnet ${p}-subnet`,
        `aws:ec2/routeTable:RouteTable ${p}-rt`,
        `aws:ec2/routeTableAssociation:RouteTableAssociation ${p}-rta`,
        `aws:cloudwatch/logGroup:LogGroup ${p}-flow-logs`,
        `aws:iam/role:Role ${p}-flow-logs-role`,
        `aws:iam/rolePolicy:RolePolicy ${p}-flow-logs-policy`,
        `aws:ec2/flowLog:FlowLog ${p}-flow-log`,
        `aws:ec2/securityGroup:SecurityGroup ${p}-sg`,
        `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-web-0`,
        `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-ssh-0`,
        `aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule ${p}-egress-v4`,
        `tls:index/privateKey:PrivateKey ${p}-ssh-key`,
        `aws:ec2/keyPair:KeyPair ${p}-key`,
        `aws:iam/role:Role ${p}-role`,
        `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${p}-ssm`,
        `aws:iam/instanceProfile:InstanceProfile ${p}-profile`,
        `aws:ec2/instance:Instance ${p}-host`,
        `aws:ec2/eip:Eip ${p}-eip`,
        `aws:ec2/eipAssociation:EipAssociation ${p}-eip-assoc`,
        `aws:ebs/volume:Volume ${p}-data`,
        `aws:ec2/volumeAttachment:VolumeAttachment ${p}-data-attachment`,
        `aws:cloudwatch/metricAlarm:MetricAlarm ${p}-recover`,
        `aws:iam/rolePolicy:RolePolicy ${p}-metrics`,
        `aws:iam/rolePolicy:RolePolicy ${p}-prune-snapshots-policy`,
        `aws:kms/key:Key ${p}-alarms-key`,
        `aws:sns/topic:Topic ${p}-alarms`,
        `aws:sns/topicPolicy:TopicPolicy ${p}-alarms-policy`,
        ...ALARMS.map((a) => `aws:cloudwatch/metricAlarm:MetricAlarm ${p}-${a}`),
        ...emails.map((_, i) => `aws:sns/topicSubscription:TopicSubscription ${p}-alarms-email-${i}`),
        `aws:ebs/snapshot:Snapshot ${p}-pre-upgrade`,
        `command:remote:Command ${p}-prune-snapshots`,
        ...(withSnapshots
            ? [`aws:iam/role:Role ${p}-snapshots-role`, `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${p}-snapshots-policy`, `aws:dlm/lifecyclePolicy:LifecyclePolicy ${p}-snapshots`]
            : []),
        ...steps,
    ].sort();
}

/** The committed template (placeholders allowed), its password set as a secret. */
function withPassword(stack: string, overrides: Record<string, unknown> = {}) {
    return { config: { ...readStackConfig(stack), ...overrides }, secrets: { "sentry:adminPassword": PASSWORD }, allowPlaceholders: true };
}

describe("staging and prod stacks", () => {
    it("staging creates exactly its network, host, storage, access and provisioning", async () => {
        const plan = await planStack("staging", withPassword("staging"));
        expect(inventory(plan)).toEqual(awsInventory("staging"));
        const host = byName(plan, "sentry-staging-host");
        expect(host.inputs).toMatchObject({
            instanceType: "c7i.xlarge",
            ami: "ami-0f1e2d3c4b5a69788",
            metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            tags: { Stack: "staging", Environment: "staging", SentryProfile: "errors-only" },
        });
        expect(byName(plan, "sentry-staging-data").inputs).toMatchObject({ size: 60, type: "gp3", encrypted: true, iops: 3000, throughput: 125 });
        // Nothing in staging survives a destroy.
        expect(plan.resources.filter((r) => r.protect || r.retainOnDelete)).toEqual([]);
        expect(plan.outputs).toMatchObject({ profile: "errors-only", sentryVersion: "26.8.0", sshPrivateKey: "[secret]" });
        expect(plan.outputs.sentryUrl).toMatch(/^http:\/\/203\.0\.113\.\d+:9000$/);
    });

    it("prod protects the instance, data volume and address, and keeps the volume on delete", async () => {
        const plan = await planStack("prod", withPassword("prod"));
        // The template's front door: a load balancer with a certificate, records in the zone, SES.
        const front = frontDoorInventory("sentry-prod", { tls: "alb", zone: true, ses: { verify: 1 } });
        expect(inventory(plan)).toEqual([...awsInventory("prod").filter((r) => !r.endsWith("-web-0")), ...front.add].sort());
        const protectedNames = plan.resources.filter((r) => r.protect).map((r) => r.name).sort();
        expect(protectedNames).toEqual(["sentry-prod-alb", "sentry-prod-data", "sentry-prod-eip", "sentry-prod-host"]);
        expect(plan.resources.filter((r) => r.retainOnDelete).map((r) => r.name).sort()).toEqual(["sentry-prod-data", "sentry-prod-pre-upgrade"]);
        expect(byName(plan, "sentry-prod-host").inputs).toMatchObject({ instanceType: "m7i.xlarge", disableApiTermination: true, tags: { SentryProfile: "feature-complete" } });
        expect(byName(plan, "sentry-prod-data").inputs).toMatchObject({ size: 200 });
    });

    it("keeps staging and prod isolated: no shared name, own VPC ranges, own key pairs", async () => {
        const staging = await planStack("staging", withPassword("staging"));
        const prod = await planStack("prod", withPassword("prod"));
        const names = (p: Plan) => new Set(p.resources.map((r) => r.name));
        const shared = [...names(staging)].filter((n) => names(prod).has(n));
        expect(shared).toEqual([]);
        expect(byName(staging, "sentry-staging-vpc").inputs.cidrBlock).not.toBe(byName(prod, "sentry-prod-vpc").inputs.cidrBlock);
        // Physical names AWS sees carry the stack too.
        for (const plan of [staging, prod]) {
            for (const r of plan.resources) {
                const tags = r.inputs.tags as Record<string, string> | undefined;
                if (tags) {
                    expect(tags.Name).toBe(r.name);
                    expect(tags.Stack).toBe(plan.stack);
                }
                for (const k of ["namePrefix", "keyNamePrefix"]) {
                    if (typeof r.inputs[k] === "string") {
                        expect(r.inputs[k]).toContain(plan.stack);
                    }
                }
            }
        }
    });

    it("yields identical inputs when evaluated twice (a preview shows no spurious changes)", async () => {
        const first = await planStack("staging", withPassword("staging"));
        const second = await planStack("staging", withPassword("staging"));
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    });

    it("opens SSH only to the admin CIDRs and the web port only to the web CIDRs", async () => {
        const plan = await planStack("staging", withPassword("staging", { "sentry:webCidrs": ["198.51.100.0/24", "2001:db8::/32"] }));
        expect(byName(plan, "sentry-staging-ssh-0").inputs).toMatchObject({ cidrIpv4: "198.51.100.7/32", fromPort: 22, toPort: 22, ipProtocol: "tcp" });
        expect(byName(plan, "sentry-staging-web-0").inputs).toMatchObject({ cidrIpv4: "198.51.100.0/24", fromPort: 9000, toPort: 9000 });
        expect(byName(plan, "sentry-staging-web-1").inputs).toMatchObject({ cidrIpv6: "2001:db8::/32", fromPort: 9000 });
        const ingress = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(ingress.map((r) => r.name).sort()).toEqual(["sentry-staging-ssh-0", "sentry-staging-web-0", "sentry-staging-web-1"]);
    });

    it("picks an arm64 Ubuntu image for a Graviton type, and a pinned AMI is used as given", async () => {
        const arm = await planStack("staging", withPassword("staging", { "sentry:instanceType": "c7g.xlarge" }));
        expect(byName(arm, "sentry-staging-host").inputs.ami).toBe("ami-0a1b2c3d4e5f60718");
        const pinned = await planStack("staging", withPassword("staging", { "sentry:amiId": "ami-0123456789abcdef0" }));
        expect(byName(pinned, "sentry-staging-host").inputs.ami).toBe("ami-0123456789abcdef0");
    });

    it("uses an existing VPC and subnet without creating network resources", async () => {
        const plan = await planStack("staging", withPassword("staging", { "sentry:vpcId": "vpc-0123456789abcdef0", "sentry:subnetId": "subnet-0123456789abcdef0" }));
        const types = new Set(plan.resources.map((r) => r.type));
        for (const t of ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/flowLog:FlowLog"]) {
            expect(types.has(t)).toBe(false);
        }
        expect(byName(plan, "sentry-staging-sg").inputs.vpcId).toBe("vpc-0123456789abcdef0");
        expect(byName(plan, "sentry-staging-host").inputs.subnetId).toBe("subnet-0123456789abcdef0");
    });

    it("turns snapshots off with snapshotRetentionDays 0", async () => {
        const plan = await planStack("staging", withPassword("staging", { "sentry:snapshotRetentionDays": 0 }));
        expect(inventory(plan)).toEqual(awsInventory("staging", false));
    });
});

describe("sizing is checked at preview", () => {
    it("refuses feature-complete on the 4 vCPU / 8 GiB type", async () => {
        await expect(planStack("staging", withPassword("staging", { "sentry:profile": "feature-complete" }))).rejects.toThrow(
            "instance type c7i.xlarge has 4 vCPUs and 8 GiB, but the feature-complete profile needs at least 4 vCPUs and 16 GiB",
        );
    });

    it("asks AWS about types it does not know and refuses one too small", async () => {
        const tiny = { "z9.large": { vcpus: 2, memoryMiB: 4096, architecture: "x86_64" as const } };
        await expect(planStack("staging", { ...withPassword("staging", { "sentry:instanceType": "z9.large" }), mocks: { extraInstanceTypes: tiny } })).rejects.toThrow(
            "sentry:instanceType = z9.large: instance type z9.large has 2 vCPUs and 4 GiB, but the errors-only profile needs at least 2 vCPUs and 8 GiB",
        );
    });

    it("plans a type the offline catalogue does not list: only AWS knows its size, and is asked at preview", async () => {
        const plan = await planStack("staging", withPassword("staging", { "sentry:instanceType": "q1.nano" }));
        expect(byName(plan, "sentry-staging-host").inputs.instanceType).toBe("q1.nano");
    });
});

describe("secrets", () => {
    it("never shows the admin password or the SSH private key in inputs or plain outputs", async () => {
        const plan = await planStack("staging", withPassword("staging"));
        const text = JSON.stringify(plan);
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain("PRIVATE KEY");
        const admin = byName(plan, "sentry-staging-provision-create-admin");
        expect(admin.inputs.stdin).toBe("[secret]");
        for (const step of plan.resources.filter((r) => r.type === "command:remote:Command")) {
            expect(step.inputs.environment).toBeUndefined();
            expect(step.inputs.addPreviousOutputInEnv).toBe(false);
            // The private key makes the whole connection secret, as the engine stores it.
            expect(step.inputs.connection).toBe("[secret]");
        }
        // The password and key are really there, only hidden.
        const revealed = await planStack("staging", { ...withPassword("staging"), revealSecrets: true });
        expect(byName(revealed, "sentry-staging-provision-create-admin").inputs.stdin).toEqual({ "[secret]": PASSWORD });
        expect(JSON.stringify(revealed)).toContain("PRIVATE KEY");
    });
});
