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

/** A UUID-shaped id derived from the seed (ACM certificate ids). */
function uuid(seed: string): string {
    const h = hex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
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
    /** Existing subnets by id (VPC, zone); others are in vpc-0123456789abcdef0, their zone derived from the id. */
    subnets?: Record<string, { vpcId?: string; availabilityZone?: string }>;
    /** Route 53 hosted zones the mock AWS holds, by id: name and whether private. */
    hostedZones?: Record<string, { name: string; privateZone?: boolean }>;
    /**
     * The stack's sentry:domain: a zone looked up by an id the mock does not hold is answered
     * as the domain's parent (a PLACEHOLDER: only AWS knows the zone; a real preview asks it).
     */
    domain?: string;
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
    /**
     * Every value this mock made up that AWS only knows once it creates the resource (ids,
     * addresses, ARNs, generated names) or looks it up at deploy time (the AMI), with what it
     * stands for: the plan shows these as <after-deploy: ...> instead of passing them off as real.
     */
    readonly placeholders: Record<string, string> = {};

    /** Sentry API providers' base URLs by provider id, so a mock key's DSN names its own Sentry. */
    private readonly sentryBaseUrls = new Map<string, string>();

    constructor(private readonly options: MockOptions) {}

    private fabricated(state: Record<string, unknown>, inputs: Record<string, unknown>, name: string, id: string): void {
        this.placeholders[id] = `id of ${name}`;
        for (const [k, v] of Object.entries(state)) {
            if (typeof v === "string" && v !== "" && inputs[k] !== v) {
                this.placeholders[v] = `${k} of ${name}`;
            }
        }
    }

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
                // STAND-IN: the api-token step prints a user auth token on the host; here a
                // deterministic fake of the same form.
                state.stdout = args.name.endsWith("-create-api-token") ? `sntryu_${hex(seed, 64)}\n` : "";
                state.stderr = "";
                break;
            case "docker:index/remoteImage:RemoteImage":
                state.imageId = `sha256:${hex(seed, 64)}`;
                state.repoDigest = `${String(args.inputs.name).split(":")[0]}@sha256:${hex(`${seed}:digest`, 64)}`;
                break;
            case "pulumi:providers:sentry":
                this.sentryBaseUrls.set(id, String(args.inputs.baseUrl ?? "https://sentry.io/api/"));
                break;
            case "sentry:index/sentryProject:SentryProject":
                state.projectId = String(parseInt(hex(seed, 6), 16) % 100000);
                state.internalId = state.projectId;
                break;
            case "sentry:index/sentryKey:SentryKey": {
                // As Sentry answers: the key's public part and the project's numeric id on the
                // origin of the Sentry the key's provider talks to.
                const providerId = (args.provider ?? "").split("::").pop() ?? "";
                const origin = new URL(this.sentryBaseUrls.get(providerId) ?? "https://sentry.io/api/").origin;
                const projectId = parseInt(hex(`sentry:index/sentryProject:SentryProject:${String(args.name).replace("-key-", "-project-")}`, 6), 16) % 100000;
                state.public = hex(`${seed}:public`, 32);
                state.secret = hex(`${seed}:secret`, 32);
                state.projectId = projectId;
                state.dsnPublic = `${origin.replace("://", `://${state.public}@`)}/${projectId}`;
                state.dsnSecret = `${origin.replace("://", `://${state.public}:${state.secret}@`)}/${projectId}`;
                state.dsnCsp = `${origin}/api/${projectId}/csp-report/?sentry_key=${state.public}`;
                state.rateLimitCount = args.inputs.rateLimitCount ?? 0;
                state.rateLimitWindow = args.inputs.rateLimitWindow ?? 0;
                break;
            }
            case "pulumi:pulumi:StackReference":
                state.outputs = this.options.previousOutputs ?? {};
                break;
            // The front door and mail (components/aws/frontDoor.ts, mail.ts).
            case "aws:acm/certificate:Certificate": {
                const domain = String(args.inputs.domainName);
                state.arn = arn("acm", `certificate/${uuid(seed)}`);
                state.domainValidationOptions = [
                    { domainName: domain, resourceRecordName: `_${hex(`${seed}:n`, 32)}.${domain}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${hex(`${seed}:v`, 32)}.xlfgrmvvlj.acm-validations.aws.` },
                ];
                break;
            }
            case "aws:acm/certificateValidation:CertificateValidation":
                state.certificateArn = args.inputs.certificateArn;
                break;
            case "aws:route53/record:Record":
                state.fqdn = String(args.inputs.name).replace(/\.$/, "");
                break;
            case "aws:lb/loadBalancer:LoadBalancer":
                state.arn = arn("elasticloadbalancing", `loadbalancer/app/${args.name}/${hex(seed, 16)}`);
                state.dnsName = `${args.name}-${parseInt(hex(seed, 8), 16)}.${this.options.region}.elb.${partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}`;
                state.zoneId = "Z215JYRZR1TBD5";
                break;
            case "aws:lb/targetGroup:TargetGroup":
                state.arn = arn("elasticloadbalancing", `targetgroup/${args.name}/${hex(seed, 16)}`);
                break;
            case "aws:lb/listener:Listener":
                state.arn = arn("elasticloadbalancing", `listener/app/${args.name}/${hex(seed, 16)}`);
                break;
            case "aws:ses/domainIdentity:DomainIdentity":
                state.arn = arn("ses", `identity/${String(args.inputs.domain)}`);
                state.verificationToken = Buffer.from(hex(seed, 32), "hex").toString("base64");
                break;
            case "aws:ses/domainDkim:DomainDkim":
                state.dkimTokens = [0, 1, 2].map((i) => hex(`${seed}:${i}`, 32));
                break;
            case "aws:iam/user:User":
                state.arn = `arn:${partition}:iam::123456789012:user${String(args.inputs.path ?? "/")}${String(args.inputs.name)}`;
                break;
            case "aws:iam/accessKey:AccessKey":
                return {
                    id: `AKIA${hex(seed, 16).toUpperCase()}`,
                    state: { ...state, secret: pulumi.secret(`mock-secret-${hex(seed, 40)}`), sesSmtpPasswordV4: pulumi.secret(`mock-smtp-${hex(`${seed}:smtp`, 40)}`) },
                };
        }
        this.fabricated(state, args.inputs as Record<string, unknown>, args.name, id);
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
                const amiId = arch === "arm64" ? "ami-0a1b2c3d4e5f60718" : "ami-0f1e2d3c4b5a69788";
                this.placeholders[amiId] = `newest Ubuntu 24.04 ${arch} AMI (looked up at deploy)`;
                return {
                    id: amiId,
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
            case "aws:ec2/getSubnet:getSubnet": {
                const id = String(inputs.id);
                const known = this.options.subnets?.[id] ?? {};
                const zone = known.availabilityZone ?? `${this.options.region}${"abc"[parseInt(hex(id, 2), 16) % 3]}`;
                return { id, vpcId: known.vpcId ?? "vpc-0123456789abcdef0", availabilityZone: zone, cidrBlock: "172.31.0.0/20" };
            }
            case "aws:route53/getZone:getZone": {
                // As Route 53 answers: a zone by id, or the public zone of that name.
                const held = Object.entries(this.options.hostedZones ?? {});
                const byId = inputs.zoneId !== undefined ? held.find(([id]) => id === inputs.zoneId) : undefined;
                const byName = inputs.name !== undefined ? held.find(([, z]) => z.name.replace(/\.$/, "") === String(inputs.name).replace(/\.$/, "") && !z.privateZone) : undefined;
                const found = byId ?? byName;
                const name = found?.[1].name ?? (inputs.name !== undefined ? String(inputs.name) : (this.options.domain ?? "example.com").split(".").slice(1).join("."));
                const zoneId = found?.[0] ?? (inputs.zoneId !== undefined ? String(inputs.zoneId) : `Z${hex(name, 20).toUpperCase()}`);
                return { id: zoneId, zoneId, name, privateZone: found?.[1].privateZone ?? false, nameServers: ["ns-1.awsdns-01.org"] };
            }
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { id: "123456789012", accountId: "123456789012", arn: `arn:${partitionOfRegion(this.options.region)}:iam::123456789012:user/plan`, userId: "AIDAPLAN" };
            case "aws:ec2/getVpc:getVpc":
                return { id: inputs.id, cidrBlock: "172.31.0.0/16" };
            default:
                return inputs;
        }
    }
}
