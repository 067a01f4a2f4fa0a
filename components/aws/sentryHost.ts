// SentryHost: the AWS side of a self-hosted Sentry (network, host, storage, access) and the
// SentryProvisioner that turns the host into a running Sentry.
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSettings, createAlarmTopic, createMetricAlarms, metricsNamespace, putMetricsPolicy } from "./alarms";
import { assumeRolePolicyFor, iamNamePrefix } from "./iam";
import * as tls from "@pulumi/tls";
import { cidrIngressRules, createNetwork, NetworkSpec } from "./network";
import { createFrontDoor, DnsRecord, hostedZoneId } from "./frontDoor";
import { FrontDoorSpec, SesSpec } from "./frontDoorSpec";
import { createSesMail } from "./mail";
import { CANONICAL_OWNER_BY_PARTITION, canonicalOwnerProblem, managedPolicyArn, recoverActionArn } from "./partition";
import { ApiTokenRequest, SentryProvisioner, SentryProvisionerArgs, SentrySettings } from "../host/provisioner";
import { readScript, renderStepCommand } from "../host/render";
import { createPreUpgradeSnapshot, pruneSnapshotsPolicy } from "./snapshots";
import { CpuArchitecture, KNOWN_INSTANCE_TYPES, redisMaxMemoryProblem, sizingProblem } from "../sizing";
import { childName, resourceTags, StackIdentity } from "../tags";
import { cidrProblem, cidrsOverlap, dataVolumeSizeProblem, gp3PerformanceProblem, sshCidrsProblem } from "../validation";

export const SSH_USER = "ubuntu";
/** Where the data volume is mounted; Docker's data root and the checkout live below it. */
export const DATA_DIR = "/data";
const DATA_DEVICE_NAME = "/dev/sdf";

export interface SentryHostArgs {
    identity: StackIdentity;
    /** Protect the instance, data volume and Elastic IP from deletion, and keep the volume on destroy. */
    protect: boolean;
    region: string;
    instanceType: string;
    /** Pin an AMI. Unset: the newest Ubuntu 24.04 at first deploy, never replaced by a newer one later. */
    amiId?: string;
    rootVolumeSizeGb: number;
    dataVolume: { sizeGb: number; iops: number; throughputMBps: number };
    network: NetworkSpec;
    /** Who may reach Sentry's web port. */
    webCidrs: string[];
    /** Who may reach SSH (never the whole internet). */
    adminSshCidrs: string[];
    sshPublicKeys: string[];
    /** Daily snapshots of the data volume kept this many days; 0 turns them off. */
    snapshotRetentionDays: number;
    sentry: SentrySettings;
    adminPassword: pulumi.Input<string>;
    deployedVersion?: pulumi.Input<string | undefined>;
    /** How HTTPS reaches Sentry (sentry:tls): load balancer, the host's own TLS server, or the web port as it is. */
    frontDoor: FrontDoorSpec;
    /** Mail through Amazon SES for the domain (sentry:mail ses); makes the SMTP credentials itself. */
    ses?: SesSpec;
    /** The SMTP password of sentry:mail smtp (a secret). */
    smtpPassword?: pulumi.Input<string>;
    /** Passed to the provisioner: an API token for sentry:projects (SentryProvisionerArgs.apiToken). */
    apiToken?: ApiTokenRequest;
    /** Where alarms go and their thresholds. */
    alarms: AlarmSettings;
    /** A dead-man's-switch URL the heartbeat also pings (secret). */
    heartbeatUrl?: pulumi.Input<string>;
    /** Stop, snapshot the data volume, then upgrade, on a version change; keep the newest `kept`. */
    preUpgradeSnapshots: { enabled: boolean; kept: number };
    /** Create the data volume from this EBS snapshot (restore, rollback, trial on real data). */
    dataSnapshotId?: string;
}

function validateSentryHostArgs(args: SentryHostArgs): string[] {
    const problems: (string | undefined)[] = [
        dataVolumeSizeProblem(args.dataVolume.sizeGb),
        gp3PerformanceProblem(args.dataVolume.sizeGb, args.dataVolume.iops, args.dataVolume.throughputMBps),
        args.adminSshCidrs.length === 0 ? "adminSshCidrs is empty: Pulumi provisions the host over SSH" : sshCidrsProblem(args.adminSshCidrs),
        args.webCidrs.length === 0 ? "webCidrs is empty: nobody could reach Sentry" : undefined,
        args.dataSnapshotId !== undefined && !/^snap-([0-9a-f]{8}|[0-9a-f]{17})$/.test(args.dataSnapshotId) ? `dataSnapshotId "${args.dataSnapshotId}" is not an EBS snapshot id (snap-0123456789abcdef0)` : undefined,
        args.alarms.diskCriticalPercent <= args.alarms.diskWarningPercent ? `alarm thresholds: critical ${args.alarms.diskCriticalPercent}% must be above warning ${args.alarms.diskWarningPercent}%` : undefined,
        ...args.webCidrs.map(cidrProblem),
    ];
    const known = KNOWN_INSTANCE_TYPES[args.instanceType];
    if (known) {
        problems.push(sizingProblem(args.instanceType, known, args.sentry.profile));
    }
    if (args.network.kind === "new" && cidrsOverlap(args.network.vpcCidr, args.sentry.dockerAddressPool)) {
        problems.push(`dockerAddressPool ${args.sentry.dockerAddressPool} overlaps the VPC ${args.network.vpcCidr}`);
    }
    return problems.filter((p): p is string => p !== undefined);
}

function architectureOf(supported: string[]): CpuArchitecture {
    return supported.includes("arm64") ? "arm64" : "x86_64";
}

export class SentryHost extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly publicIp: pulumi.Output<string>;
    readonly instanceId: pulumi.Output<string>;
    readonly dataVolumeId: pulumi.Output<string>;
    readonly sshCommand: pulumi.Output<string>;
    /** The generated SSH key (secret). */
    readonly sshPrivateKey: pulumi.Output<string>;
    readonly provisioner: SentryProvisioner;
    /** DNS records to create by hand (no sentry:hostedZone); empty when the program created them. */
    readonly dnsRecords: pulumi.Output<DnsRecord[]>;
    /** With tls alb: the load balancer's DNS name. */
    readonly loadBalancerDnsName?: pulumi.Output<string>;
    /** With mail ses: the SMTP username (the IAM access key id). */
    readonly smtpUsername?: pulumi.Output<string>;

    constructor(name: string, args: SentryHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sentry:aws:SentryHost", name, {}, opts);
        const problems = validateSentryHostArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`SentryHost ${name}: ${problems.join("; ")}`, this);
        }
        const parent = { parent: this };
        const n = (part: string) => childName(name, part);
        const tags = (part: string, extra?: Record<string, string>) => resourceTags(args.identity, n(part), extra);
        // What must survive a mistaken `pulumi destroy` in production.
        const keep: pulumi.CustomResourceOptions = args.protect ? { protect: true } : {};

        // The partition (aws, aws-cn, aws-us-gov) every ARN below is written in, from the provider.
        const partition = aws.getPartitionOutput({}, parent).partition;
        const principal = (serviceName: string) => aws.getServicePrincipalOutput({ serviceName }, parent).name;

        // Sizing, asked of AWS at preview: the installer would refuse a small host after a
        // 20-minute wait, and a type that only just passes falls over under load.
        const typeInfo = aws.ec2.getInstanceTypeOutput({ instanceType: args.instanceType }, parent);
        const architecture = pulumi.all([typeInfo.defaultVcpus, typeInfo.memorySize, typeInfo.supportedArchitectures]).apply(([vcpus, memoryMiB, archs]) => {
            const facts = { vcpus, memoryMiB, architecture: architectureOf(archs) };
            const problem = sizingProblem(args.instanceType, facts, args.sentry.profile);
            if (problem) {
                throw new pulumi.ResourceError(`sentry:instanceType = ${args.instanceType}: ${problem}`, this);
            }
            // The loader checks the types KNOWN_INSTANCE_TYPES lists; this, any other.
            const redisProblem = redisMaxMemoryProblem(args.sentry.redisMaxMemory, args.instanceType, facts);
            if (redisProblem) {
                throw new pulumi.ResourceError(`sentry:redisMaxMemory = ${args.sentry.redisMaxMemory}: ${redisProblem}. Fix: lower sentry:redisMaxMemory or pick a larger sentry:instanceType`, this);
            }
            return facts.architecture;
        });
        const amiId = args.amiId
            ? pulumi.output(args.amiId)
            : pulumi.all([architecture, partition]).apply(([arch, p]) => {
                  const problem = canonicalOwnerProblem(p);
                  if (problem) {
                      throw new pulumi.ResourceError(problem, this);
                  }
                  return aws.ec2.getAmiOutput(
                      {
                          owners: [CANONICAL_OWNER_BY_PARTITION[p]],
                          mostRecent: true,
                          filters: [
                              { name: "name", values: [`ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-*`] },
                              { name: "architecture", values: [arch] },
                              { name: "virtualization-type", values: ["hvm"] },
                          ],
                      },
                      parent,
                  ).id;
              });

        // Where the type runs: not every type is offered in every zone (or region, e.g. in AWS
        // China), and AWS would only say so when the instance is created.
        const offeredIn = aws.ec2.getInstanceTypeOfferingsOutput(
            { locationType: "availability-zone", filters: [{ name: "instance-type", values: [args.instanceType] }] },
            parent,
        ).locations;
        const network = createNetwork(name, args.network, args.identity, this, offeredIn);
        const instanceType = pulumi.all([network.availabilityZone, offeredIn]).apply(([zone, offered]) => {
            if (!offered.includes(zone)) {
                const where = offered.length > 0 ? `it is offered in ${offered.join(", ")}` : `it is offered in no zone of ${args.region}`;
                throw new pulumi.ResourceError(
                    `sentry:instanceType = ${args.instanceType}: not offered in availability zone ${zone} (${where}). Fix: pick a type offered there, or set sentry:availabilityZone (own network) or sentry:subnetId to a zone that offers it`,
                    this,
                );
            }
            return args.instanceType;
        });

        const sg = new aws.ec2.SecurityGroup(
            n("sg"),
            { vpcId: network.vpcId, description: `Sentry ${args.identity.stack}: web from webCidrs, SSH from adminSshCidrs`, tags: tags("sg") },
            parent,
        );
        const ingress = (part: string, cidrs: string[], port: number, what: string) => cidrIngressRules(n, tags, sg.id, { part, cidrs, port, what }, parent);
        // The web: behind the load balancer only it reaches the web port (createFrontDoor adds
        // that rule); with the host's own TLS server, 443 and 80 (the ACME challenge and the
        // redirect) face webCidrs and Sentry listens on loopback; else the web port, as it is.
        const tlsMode = args.frontDoor.tls;
        if (tlsMode === "acme") {
            ingress("https", args.webCidrs, 443, "HTTPS to Sentry (TLS server on the host)");
            ingress("http", args.webCidrs, 80, "HTTP: ACME HTTP-01 challenge and redirect to HTTPS");
        } else if (tlsMode !== "alb") {
            ingress("web", args.webCidrs, args.sentry.webPort, "Sentry web and ingest");
        }
        ingress("ssh", args.adminSshCidrs, 22, "SSH for administrators and Pulumi");
        // Outbound: the installer pulls images from GitHub and ghcr.io, apt and Docker's repository.
        new aws.vpc.SecurityGroupEgressRule(n("egress-v4"), { securityGroupId: sg.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "outbound", tags: tags("egress-v4") }, parent);

        // A per-stack key pair; the private half exists only as a secret in state.
        const sshKey = new tls.PrivateKey(n("ssh-key"), { algorithm: "ED25519" }, parent);
        const keyPair = new aws.ec2.KeyPair(n("key"), { keyNamePrefix: `${n("key")}-`, publicKey: sshKey.publicKeyOpenssh, tags: tags("key") }, parent);

        // Systems Manager (SSM.1): shell access without port 22, patch reporting.
        const role = new aws.iam.Role(
            n("role"),
            {
                namePrefix: iamNamePrefix(n("host")),
                assumeRolePolicy: principal("ec2").apply(assumeRolePolicyFor),
                tags: tags("role"),
            },
            parent,
        );
        new aws.iam.RolePolicyAttachment(n("ssm"), { role: role.name, policyArn: partition.apply((p) => managedPolicyArn(p, "AmazonSSMManagedInstanceCore")) }, parent);
        // The heartbeat: PutMetricData into the stack's own namespace, nothing else.
        const namespace = metricsNamespace(args.identity.project, args.identity.stack);
        new aws.iam.RolePolicy(n("metrics"), { role: role.id, policy: putMetricsPolicy(namespace) }, parent);
        if (args.preUpgradeSnapshots.enabled) {
            new aws.iam.RolePolicy(
                n("prune-snapshots-policy"),
                { role: role.id, policy: partition.apply((p) => pruneSnapshotsPolicy(p, args.region, args.identity.stack)) },
                parent,
            );
        }
        const profile = new aws.iam.InstanceProfile(n("profile"), { namePrefix: iamNamePrefix(n("host")), role: role.name, tags: tags("profile") }, parent);

        const instance = new aws.ec2.Instance(
            n("host"),
            {
                ami: amiId,
                instanceType,
                subnetId: network.subnetId,
                vpcSecurityGroupIds: [sg.id],
                keyName: keyPair.keyName,
                iamInstanceProfile: profile.name,
                // IMDSv2 only (EC2.8); hop limit 1 keeps the credentials away from containers.
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: args.rootVolumeSizeGb, encrypted: true, deleteOnTermination: true, tags: tags("root") },
                monitoring: false,
                disableApiTermination: args.protect,
                tags: tags("host", { SentryProfile: args.sentry.profile, SentryVersion: args.sentry.version, SentryTls: tlsMode }),
            },
            {
                ...parent,
                ...keep,
                // A newer upstream AMI must not replace the host on an unrelated update; pin
                // sentry:amiId to move deliberately.
                ignoreChanges: args.amiId ? [] : ["ami"],
            },
        );

        // A stable address: the URL, CSRF origin and users' bookmarks survive stop/start and replacement.
        const eip = new aws.ec2.Eip(n("eip"), { domain: "vpc", tags: tags("eip") }, { ...parent, ...keep });
        const eipAssociation = new aws.ec2.EipAssociation(n("eip-assoc"), { allocationId: eip.allocationId, instanceId: instance.id }, parent);

        // Everything Sentry stores lives here, on its own volume that outlives the instance.
        const dataVolume = new aws.ebs.Volume(
            n("data"),
            {
                availabilityZone: network.availabilityZone,
                size: args.dataVolume.sizeGb,
                type: "gp3",
                iops: args.dataVolume.iops,
                throughput: args.dataVolume.throughputMBps,
                encrypted: true,
                // A restore: the volume starts as the snapshot (prepare-data.sh keeps its filesystem,
                // install-sentry.sh sees the version installed on it).
                ...(args.dataSnapshotId ? { snapshotId: args.dataSnapshotId } : {}),
                tags: tags("data", { SentryData: args.identity.stack }),
            },
            { ...parent, ...keep, ...(args.protect ? { retainOnDelete: true } : {}) },
        );
        const attachment = new aws.ec2.VolumeAttachment(
            n("data-attachment"),
            { deviceName: DATA_DEVICE_NAME, volumeId: dataVolume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true },
            parent,
        );

        // Where alarms go: the stack's encrypted topic (and emails), and a topic of the user's.
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const alarmTopic = createAlarmTopic(
            n,
            tags,
            { stack: args.identity.stack, settings: args.alarms, partition, accountId: account, cloudwatchPrincipal: principal("cloudwatch"), protect: args.protect },
            parent,
        );

        // Recover the instance onto healthy hardware when AWS's system check fails.
        new aws.cloudwatch.MetricAlarm(
            n("recover"),
            {
                alarmDescription: `Recover the Sentry ${args.identity.stack} host when the system status check fails`,
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed_System",
                dimensions: { InstanceId: instance.id },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 2,
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                alarmActions: [partition.apply((p) => recoverActionArn(p, args.region)), ...alarmTopic.actions],
                okActions: alarmTopic.actions,
                tags: tags("recover"),
            },
            parent,
        );

        if (args.snapshotRetentionDays > 0) {
            const dlmRole = new aws.iam.Role(
                n("snapshots-role"),
                {
                    namePrefix: iamNamePrefix(n("snap")),
                    assumeRolePolicy: principal("dlm").apply(assumeRolePolicyFor),
                    tags: tags("snapshots-role"),
                },
                parent,
            );
            new aws.iam.RolePolicyAttachment(
                n("snapshots-policy"),
                { role: dlmRole.name, policyArn: partition.apply((p) => managedPolicyArn(p, "service-role/AWSDataLifecycleManagerServiceRole")) },
                parent,
            );
            new aws.dlm.LifecyclePolicy(
                n("snapshots"),
                {
                    description: `Daily snapshots of Sentry ${args.identity.stack} data`,
                    executionRoleArn: dlmRole.arn,
                    state: "ENABLED",
                    policyDetails: {
                        resourceTypes: ["VOLUME"],
                        targetTags: { SentryData: args.identity.stack },
                        schedules: [
                            {
                                name: "daily",
                                createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
                                retainRule: { count: args.snapshotRetentionDays },
                                copyTags: true,
                            },
                        ],
                    },
                    tags: tags("snapshots"),
                },
                parent,
            );
        }

        const publicIp = eip.publicIp;

        // HTTPS on the domain, and mail through SES: records in the hosted zone, or printed.
        const domain = args.frontDoor.domain ?? args.ses?.domain;
        const zoneRef = args.frontDoor.hostedZone ?? args.ses?.hostedZone;
        const zoneId = zoneRef !== undefined && domain !== undefined ? hostedZoneId(zoneRef, domain, this) : undefined;
        const frontDoor = createFrontDoor(
            name,
            {
                spec: args.frontDoor,
                identity: args.identity,
                protect: args.protect,
                vpcId: network.vpcId,
                hostSubnetId: network.subnetId,
                hostAvailabilityZone: network.availabilityZone,
                publicRouteTableId: network.publicRouteTableId,
                hostSecurityGroupId: sg.id,
                instanceId: instance.id,
                publicIp,
                webPort: args.sentry.webPort,
                webCidrs: args.webCidrs,
                zoneId,
            },
            this,
        );
        const ses =
            args.ses !== undefined
                ? createSesMail(name, { spec: args.ses, identity: args.identity, region: args.region, from: args.sentry.mail?.from ?? "", zoneId, validationTimeout: args.frontDoor.validationTimeout }, this)
                : undefined;

        // With SES the SMTP username is the access key id, known only once the key exists.
        let preUpgrade: aws.ebs.Snapshot | undefined;
        const provisionerArgs: SentryProvisionerArgs = {
            connection: { host: publicIp, port: 22, user: SSH_USER, privateKey: sshKey.privateKeyOpenssh },
            storage: { dataDir: DATA_DIR, volumeId: dataVolume.id, volumeSizeGb: args.dataVolume.sizeGb },
            sentry: args.sentry,
            adminPassword: args.adminPassword,
            smtpPassword: ses?.smtpPassword ?? args.smtpPassword,
            ...(ses ? { smtpUsername: ses.smtpUsername } : {}),
            sshPublicKeys: args.sshPublicKeys,
            deployedVersion: args.deployedVersion,
            hostId: instance.id,
            dependsOn: [eipAssociation, attachment, ...frontDoor.ready, ...(ses?.ready ?? [])],
            apiToken: args.apiToken,
            monitoring: {
                metricsNamespace: namespace,
                region: args.region,
                heartbeatUrl: args.heartbeatUrl,
                diskCriticalPercent: args.alarms.diskCriticalPercent,
                memoryCriticalPercent: args.alarms.memoryPercent,
            },
            // Sentry stopped, the volume consistent: snapshot it before the new version is checked out.
            beforeUpgrade: args.preUpgradeSnapshots.enabled
                ? (stopped) => {
                      preUpgrade = createPreUpgradeSnapshot(
                          n,
                          tags,
                          { stack: args.identity.stack, volumeId: dataVolume.id, toVersion: args.sentry.version, fromVersion: args.deployedVersion, retain: args.protect, after: stopped },
                          parent,
                      );
                      return [preUpgrade];
                  }
                : undefined,
        };
        this.provisioner = new SentryProvisioner(n("provision"), provisionerArgs, parent);
        this.dnsRecords = pulumi.all([frontDoor.dnsRecords, ses?.dnsRecords ?? pulumi.output([])]).apply(([a, b]) => [...a, ...b]);
        this.loadBalancerDnsName = frontDoor.loadBalancerDnsName;
        this.smtpUsername = ses?.smtpUsername;
        const steps = this.provisioner.steps;
        createMetricAlarms(n, tags, { stack: args.identity.stack, namespace, settings: args.alarms, actions: alarmTopic.actions, heartbeatInstalled: steps["install-heartbeat"] }, parent);

        // The pruning rule, run on the host once the upgraded Sentry is healthy (a failed
        // upgrade never prunes the snapshot it may need): keep the newest `kept`.
        if (preUpgrade !== undefined) {
            const snapshot = preUpgrade;
            new command.remote.Command(
                n("prune-snapshots"),
                {
                    connection: { host: publicIp, port: 22, user: SSH_USER, privateKey: pulumi.secret(sshKey.privateKeyOpenssh) },
                    create: renderStepCommand(
                        "prune-snapshots",
                        readScript("prune-snapshots.sh"),
                        { STACK_NAME: args.identity.stack, KEEP: String(args.preUpgradeSnapshots.kept), AWS_REGION: args.region },
                        readScript("lib.sh"),
                    ),
                    triggers: [snapshot.id, instance.id],
                    addPreviousOutputInEnv: false,
                    logging: "stdoutAndStderr",
                },
                { ...parent, dependsOn: [steps["install-heartbeat"], snapshot] },
            );
        }

        this.url = this.provisioner.url;
        this.publicIp = publicIp;
        this.instanceId = instance.id;
        this.dataVolumeId = dataVolume.id;
        this.sshCommand = pulumi.interpolate`ssh -i ~/.ssh/sentry-${args.identity.stack}.key ${SSH_USER}@${publicIp}`;
        this.sshPrivateKey = pulumi.secret(sshKey.privateKeyOpenssh);
        this.registerOutputs({
            url: this.url,
            publicIp: this.publicIp,
            instanceId: this.instanceId,
            dataVolumeId: this.dataVolumeId,
            dnsRecords: this.dnsRecords,
        });
    }
}
