// Pulumi mocks that answer like AWS would for this program: realistic ids, addresses and
// look-ups (instance type facts, Ubuntu AMIs, subnets), deterministic so that evaluating
// the same configuration twice yields identical inputs.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { CANONICAL_OWNER_BY_PARTITION, partitionOfRegion } from "../components/aws/partition";
import { InstanceTypeFacts, KNOWN_INSTANCE_TYPES } from "../components/sizing";

function hex(seed: string, length: number): string {
    return crypto.createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/** A TEST-NET-3 address (203.0.113.0/24) derived from the name. */
function testNetAddress(seed: string): string {
    return `203.0.113.${(parseInt(hex(seed, 4), 16) % 250) + 2}`;
}

/**
 * What the mock AWS answers for an instance type: its facts from KNOWN_INSTANCE_TYPES, or for
 * any other type (the loader has checked that its name is well formed) a PLACEHOLDER: large
 * enough for every Sentry profile, so that the offline plan goes on, with the architecture
 * AWS's naming implies (a "g" after the generation digit is Graviton: m7g, c7gn, r8gd, t4g).
 * The real size is only known to AWS: a real preview asks for it and the program checks it
 * against the profile then.
 */
export function offlineInstanceType(name: string, extra: Record<string, InstanceTypeFacts> = {}): { facts: InstanceTypeFacts; placeholder: boolean } {
    const known = extra[name] ?? KNOWN_INSTANCE_TYPES[name];
    if (known) {
        return { facts: known, placeholder: false };
    }
    const architecture = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(name) ? "arm64" : "x86_64";
    return { facts: { vcpus: 4, memoryMiB: 16384, architecture }, placeholder: true };
}

export interface MockOptions {
    region: string;
    /** Outputs of the stack's previous deployment, as its self-reference reads them. */
    previousOutputs?: Record<string, unknown>;
    /** The availability zones that offer an instance type (default: every zone of the region). */
    offerings?: Record<string, string[]>;
    /** Instance types the mock AWS knows beyond KNOWN_INSTANCE_TYPES. */
    extraInstanceTypes?: Record<string, InstanceTypeFacts>;
}

const ID_PREFIXES: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/instance:Instance": "i-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/eipAssociation:EipAssociation": "eipassoc-",
    "aws:ebs/volume:Volume": "vol-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/keyPair:KeyPair": "key-",
    "aws:ebs/snapshot:Snapshot": "snap-",
};

export class AwsMocks implements pulumi.runtime.Mocks {
    constructor(private readonly options: MockOptions) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const seed = `${args.type}:${args.name}`;
        const prefix = ID_PREFIXES[args.type];
        const id = prefix ? `${prefix}${hex(seed, 17)}` : `${args.name}-id`;
        const partition = partitionOfRegion(this.options.region);
        const arn = (service: string, resource: string) => `arn:${partition}:${service}:${this.options.region}:123456789012:${resource}`;
        const state: Record<string, unknown> = { ...args.inputs };
        switch (args.type) {
            case "aws:ec2/eip:Eip":
                state.publicIp = testNetAddress(seed);
                state.allocationId = id;
                break;
            case "aws:ec2/instance:Instance":
                state.privateIp = "10.42.0.10";
                state.arn = arn("ec2", `instance/${id}`);
                break;
            case "aws:ec2/keyPair:KeyPair":
                state.keyName = `${args.inputs.keyNamePrefix ?? args.name}${hex(seed, 8)}`;
                break;
            case "aws:iam/role:Role":
            case "aws:iam/instanceProfile:InstanceProfile":
                state.name = `${args.inputs.namePrefix ?? args.name}${hex(seed, 8)}`;
                state.arn = `arn:${partition}:iam::123456789012:${args.type.includes("role") ? "role" : "instance-profile"}/${state.name}`;
                break;
            case "aws:cloudwatch/logGroup:LogGroup":
                state.arn = arn("logs", `log-group:${args.inputs.namePrefix ?? args.name}${hex(seed, 8)}`);
                break;
            case "aws:ec2/vpc:Vpc":
                state.arn = arn("ec2", `vpc/${id}`);
                break;
            case "aws:sns/topic:Topic":
                state.arn = arn("sns", `${args.inputs.namePrefix ?? args.name}${hex(seed, 8)}`);
                break;
            case "aws:kms/key:Key":
                state.arn = arn("kms", `key/${hex(seed, 8)}-${hex(seed, 4)}`);
                break;
            case "aws:ebs/snapshot:Snapshot":
                state.arn = arn("ec2", `snapshot/${id}`);
                break;
            case "tls:index/privateKey:PrivateKey":
                state.publicKeyOpenssh = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA${hex(seed, 43)} mock`;
                state.privateKeyOpenssh = pulumi.secret(`-----BEGIN OPENSSH PRIVATE KEY-----\nmock-${hex(seed, 32)}\n-----END OPENSSH PRIVATE KEY-----\n`);
                state.privateKeyPem = pulumi.secret(`mock-pem-${hex(seed, 32)}`);
                break;
            case "command:remote:Command":
                state.stdout = "";
                state.stderr = "";
                break;
            case "pulumi:pulumi:StackReference":
                state.outputs = this.options.previousOutputs ?? {};
                break;
        }
        return { id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const inputs = args.inputs as Record<string, unknown>;
        switch (args.token) {
            case "aws:ec2/getInstanceType:getInstanceType": {
                const name = String(inputs.instanceType);
                const { facts } = offlineInstanceType(name, this.options.extraInstanceTypes);
                return {
                    id: name,
                    instanceType: name,
                    defaultVcpus: facts.vcpus,
                    memorySize: facts.memoryMiB,
                    supportedArchitectures: [facts.architecture],
                };
            }
            case "aws:index/getPartition:getPartition": {
                const partition = partitionOfRegion(this.options.region);
                const china = partition === "aws-cn";
                return { id: partition, partition, dnsSuffix: china ? "amazonaws.com.cn" : "amazonaws.com", reverseDnsPrefix: china ? "cn.com.amazonaws" : "com.amazonaws" };
            }
            case "aws:index/getServicePrincipal:getServicePrincipal": {
                // As the AWS provider answers (its service principal data source, after the AWS
                // CDK's region facts): in China only these services take the .amazonaws.com.cn suffix.
                const service = String(inputs.serviceName);
                const cn = partitionOfRegion(this.options.region) === "aws-cn" && ["codedeploy", "elasticmapreduce", "logs"].includes(service);
                const suffix = cn ? "amazonaws.com.cn" : "amazonaws.com";
                return { id: `${service}.${this.options.region}.${suffix}`, name: `${service}.${suffix}`, region: this.options.region, serviceName: service, suffix };
            }
            case "aws:ec2/getAmi:getAmi": {
                // Canonical publishes the Ubuntu images of each partition from its own account: a
                // look-up with another owner finds nothing, as AWS would answer.
                const publisher = CANONICAL_OWNER_BY_PARTITION[partitionOfRegion(this.options.region)];
                const owners = (inputs.owners ?? []) as string[];
                if (!owners.includes(publisher)) {
                    const message = `Your query returned no results: no Ubuntu image of owners ${owners.join(", ")} in ${this.options.region} (Canonical publishes there as ${publisher})`;
                    throw Object.assign(new Error(message), { details: message });
                }
                const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
                const arch = filters.find((f) => f.name === "architecture")?.values[0] ?? "x86_64";
                return {
                    id: arch === "arm64" ? "ami-0a1b2c3d4e5f60718" : "ami-0f1e2d3c4b5a69788",
                    architecture: arch,
                    name: `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-20261101`,
                    ownerId: publisher,
                };
            }
            case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
                // Every zone of the region offers every type, unless a test says otherwise.
                const type = String(((inputs.filters ?? []) as { values: string[] }[])[0]?.values[0]);
                const zones = this.options.offerings?.[type] ?? ["a", "b", "c"].map((z) => `${this.options.region}${z}`);
                return { id: this.options.region, locationType: inputs.locationType, locations: zones, instanceTypes: zones.map(() => type), locationTypes: zones.map(() => inputs.locationType) };
            }
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: ["a", "b", "c"].map((z) => `${this.options.region}${z}`), zoneIds: [] };
            case "aws:ec2/getSubnet:getSubnet":
                return { id: inputs.id, vpcId: "vpc-0123456789abcdef0", availabilityZone: `${this.options.region}a`, cidrBlock: "172.31.0.0/20" };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { id: "123456789012", accountId: "123456789012", arn: `arn:${partitionOfRegion(this.options.region)}:iam::123456789012:user/plan`, userId: "AIDAPLAN" };
            case "aws:ec2/getVpc:getVpc":
                return { id: inputs.id, cidrBlock: "172.31.0.0/16" };
            default:
                return inputs;
        }
    }
}
