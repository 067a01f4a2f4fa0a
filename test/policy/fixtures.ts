// Synthetic plans shaped like the offline plan of this program (tools/planner.ts), so the
// rules can be tested on exact, hand-made resources: one compliant plan per kind of stack,
// and helpers to break one thing at a time.
import { defaultEnvironment } from "../../components/tags";
import { type PolicyPlan, type PolicyResource } from "../../policy/rules";

export interface FixtureOptions {
    environment?: "production" | "staging" | "trial";
    expiresAt?: string;
    profile?: string;
    instanceType?: string;
    webCidrs?: string[];
    sshCidrs?: string[];
    protect?: boolean;
    /** The SentryTls tag (sentry:tls): production defaults to proxy, other stacks to none. */
    tls?: string;
}

export function stackPlan(stack: string, o: FixtureOptions = {}): PolicyPlan {
    const env = o.environment ?? defaultEnvironment(stack);
    const p = `sentry-${stack}`;
    const protect = o.protect ?? env === "production";
    const tags = (name: string, extra: Record<string, string> = {}) => ({
        Name: name,
        Project: "sentry",
        Stack: stack,
        Environment: env,
        ManagedBy: "pulumi",
        ...(env === "trial" ? { ExpiresAt: o.expiresAt ?? "2026-12-01T00:00:00Z" } : {}),
        ...extra,
    });
    const r = (type: string, part: string, inputs: Record<string, unknown> = {}, extra: Partial<PolicyResource> = {}): PolicyResource => {
        const name = part ? `${p}-${part}` : p;
        return { type, name, inputs, protect: false, retainOnDelete: false, ...extra };
    };
    const tagged = (type: string, part: string, inputs: Record<string, unknown> = {}, extra: Partial<PolicyResource> = {}) =>
        r(type, part, { ...inputs, tags: tags(`${p}-${part}`) }, extra);
    const ingress = (kind: string, port: number, cidrs: string[]) =>
        cidrs.map((cidr, i) =>
            tagged("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `${kind}-${i}`, {
                securityGroupId: "sg-123",
                fromPort: port,
                toPort: port,
                ipProtocol: "tcp",
                ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
            }),
        );
    const resources: PolicyResource[] = [
        { type: "pulumi:pulumi:Stack", name: `sentry-${stack}`, inputs: {} },
        { type: "pulumi:providers:aws", name: "default_7_48_0", inputs: { region: "eu-central-1" } },
        { type: "pulumi:pulumi:StackReference", name: `organization/sentry/${stack}`, inputs: { name: `organization/sentry/${stack}` } },
        r("sentry:aws:SentryHost", ""),
        r("sentry:host:SentryProvisioner", "provision"),
        tagged("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.42.0.0/16" }),
        tagged("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", { vpcId: "vpc-1" }),
        tagged("aws:ec2/internetGateway:InternetGateway", "igw", { vpcId: "vpc-1" }),
        tagged("aws:ec2/subnet:Subnet", "subnet", { vpcId: "vpc-1", cidrBlock: "10.42.0.0/24" }),
        tagged("aws:ec2/routeTable:RouteTable", "rt", { vpcId: "vpc-1", routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-1" }] }),
        r("aws:ec2/routeTableAssociation:RouteTableAssociation", "rta", { subnetId: "subnet-1", routeTableId: "rtb-1" }),
        tagged("aws:cloudwatch/logGroup:LogGroup", "flow-logs", { namePrefix: `/sentry/${stack}/vpc-flow-logs-`, retentionInDays: 30 }),
        tagged("aws:iam/role:Role", "flow-logs-role", { assumeRolePolicy: "{}" }),
        r("aws:iam/rolePolicy:RolePolicy", "flow-logs-policy", { role: "r", policy: "{}" }),
        tagged("aws:ec2/flowLog:FlowLog", "flow-log", { vpcId: "vpc-1", trafficType: "ALL" }),
        tagged("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "vpc-1", description: "Sentry" }),
        ...ingress("web", 9000, o.webCidrs ?? ["198.51.100.0/24"]),
        ...ingress("ssh", 22, o.sshCidrs ?? ["198.51.100.7/32"]),
        tagged("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress-v4", { securityGroupId: "sg-123", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
        r("tls:index/privateKey:PrivateKey", "ssh-key", { algorithm: "ED25519" }),
        tagged("aws:ec2/keyPair:KeyPair", "key", { keyNamePrefix: `${p}-key-`, publicKey: "ssh-ed25519 AAAA" }),
        tagged("aws:iam/role:Role", "role", { assumeRolePolicy: "{}" }),
        r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ssm", { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }),
        tagged("aws:iam/instanceProfile:InstanceProfile", "profile", { namePrefix: `${p}-host-`, role: "r" }),
        r(
            "aws:ec2/instance:Instance",
            "host",
            {
                ami: "ami-0123456789abcdef0",
                instanceType: o.instanceType ?? (env === "production" ? "m7i.xlarge" : "c7i.xlarge"),
                iamInstanceProfile: `${p}-host-abc`,
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true, deleteOnTermination: true },
                tags: tags(`${p}-host`, { SentryProfile: o.profile ?? (env === "production" ? "feature-complete" : "errors-only"), SentryTls: o.tls ?? (env === "production" ? "proxy" : "none") }),
            },
            { protect },
        ),
        tagged("aws:ec2/eip:Eip", "eip", { domain: "vpc" }, { protect }),
        r("aws:ec2/eipAssociation:EipAssociation", "eip-assoc", { allocationId: "eipalloc-1", instanceId: "i-1" }),
        tagged("aws:ebs/volume:Volume", "data", { availabilityZone: "eu-central-1a", size: 60, type: "gp3", encrypted: true }, { protect, retainOnDelete: protect }),
        r("aws:ec2/volumeAttachment:VolumeAttachment", "data-attachment", { deviceName: "/dev/sdf", volumeId: "vol-1", instanceId: "i-1" }),
        tagged("aws:cloudwatch/metricAlarm:MetricAlarm", "recover", { metricName: "StatusCheckFailed_System", alarmActions: ["arn:aws:automate:eu-central-1:ec2:recover", `arn:aws:sns:eu-central-1:123456789012:${p}-alarms-abc`] }),
        tagged("aws:kms/key:Key", "alarms-key", { enableKeyRotation: true }),
        tagged("aws:sns/topic:Topic", "alarms", { namePrefix: `${p}-alarms-`, kmsMasterKeyId: "arn:aws:kms:eu-central-1:123456789012:key/k" }),
        r("aws:sns/topicSubscription:TopicSubscription", "alarms-email-0", { protocol: "email", endpoint: "oncall@example.com" }),
        tagged("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm-heartbeat", {
            metricName: "Heartbeat",
            treatMissingData: "breaching",
            alarmActions: [`arn:aws:sns:eu-central-1:123456789012:${p}-alarms-abc`],
        }),
        r("aws:ebs/snapshot:Snapshot", "pre-upgrade", { volumeId: "vol-1", tags: tags(`${p}-pre-upgrade`, { SentryPreUpgrade: stack }) }, { retainOnDelete: protect }),
        tagged("aws:iam/role:Role", "snapshots-role", { assumeRolePolicy: "{}" }),
        tagged("aws:dlm/lifecyclePolicy:LifecyclePolicy", "snapshots", { description: `${p} data` }),
        r("command:remote:Command", "provision-wait-for-host", { create: "cloud-init status --wait" }),
    ];
    return { stack, resources };
}

export function find(plan: PolicyPlan, suffix: string): PolicyResource {
    const r = plan.resources.find((x) => x.name.endsWith(`-${suffix}`));
    if (!r) {
        throw new Error(`fixture has no resource ending in -${suffix}`);
    }
    return r;
}

/** A copy of `plan` with the resource named `...-<suffix>` changed by `change`. */
export function withResource(plan: PolicyPlan, suffix: string, change: (r: PolicyResource) => PolicyResource): PolicyPlan {
    const target = find(plan, suffix);
    return { ...plan, resources: plan.resources.map((r) => (r === target ? change(structuredClone(r)) : r)) };
}

export function withExtra(plan: PolicyPlan, ...extra: PolicyResource[]): PolicyPlan {
    return { ...plan, resources: [...plan.resources, ...extra] };
}

export function without(plan: PolicyPlan, type: string): PolicyPlan {
    return { ...plan, resources: plan.resources.filter((r) => r.type !== type) };
}
