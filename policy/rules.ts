// The guard rails of this program as plain data and functions. They run in two places with
// ONE implementation:
//  - offline, on the plan `npm run plan -- --stack <name> --check-policies` computes under
//    Pulumi mocks (checkPlan below), with no cloud account and no Pulumi CLI;
//  - in the Pulumi engine, as the policy pack in this folder (index.ts adapts these rules to
//    @pulumi/policy), during `pulumi preview/up --policy-pack policy`.
// Nothing here imports @pulumi/policy or @pulumi/pulumi.
import { KNOWN_INSTANCE_TYPES, SENTRY_PROFILES, SentryProfile, sizingProblem } from "../components/sizing";
import { environmentProblem, PRODUCTION_STACK, PROJECT, STANDARD_TAG_KEYS } from "../components/tags";
import { exposureText, InternetExposure, internetExposures, isIsoUtc } from "../components/validation";
import { POLICY_SETTINGS, PolicySettings } from "./settings";

/**
 * One resource as the rules see it. The offline plan's PlanResource (tools/planner.ts) is
 * assignable to it; the engine adapter builds it from @pulumi/policy's arguments, where
 * `retainOnDelete` is unknown (the analyzer protocol does not carry it) and left undefined.
 */
export interface PolicyResource {
    type: string;
    /** Logical name (the name given to the resource constructor). */
    name: string;
    inputs: Record<string, unknown>;
    protect?: boolean;
    retainOnDelete?: boolean;
    urn?: string;
}

/** A plan: the stack name and every resource the program registers. */
export interface PolicyPlan {
    stack: string;
    resources: readonly PolicyResource[];
}

export interface PolicyContext {
    stack: string;
    project: string;
    /** Every resource of the stack (in the engine, resource-scoped rules see only their own). */
    resources: readonly PolicyResource[];
    settings: PolicySettings;
}

export type EnforcementLevel = "mandatory" | "advisory";

export interface Rule {
    name: string;
    description: string;
    remediation: string;
    enforcementLevel: EnforcementLevel;
    /** Why the level is what it is, when it is not "mandatory". */
    levelRationale?: string;
    /** Benchmark controls the rule implements (Security Hub, CIS, checkov). */
    controls: string[];
    /**
     * "resource": looks at one resource (runs before the engine creates or updates it).
     * "stack": needs the other resources too; the engine runs it once over the whole stack.
     */
    scope: "resource" | "stack";
    /**
     * Reads context.settings (policy/settings.ts). In the engine, only such rules take the
     * settings schema, so only they can be overridden with `--policy-pack-config`.
     */
    usesSettings?: boolean;
    /** Returns one message per problem; an empty list means the resource complies. */
    check(resource: PolicyResource, context: PolicyContext): string[];
}

export interface Violation {
    /** Logical name of the offending resource. */
    resource: string;
    type: string;
    rule: string;
    enforcementLevel: EnforcementLevel;
    message: string;
}

// ---------------------------------------------------------------------------------------
// Resource types the rules know.

export const T = {
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    volume: "aws:ebs/volume:Volume",
    eip: "aws:ec2/eip:Eip",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    vpc: "aws:ec2/vpc:Vpc",
    flowLog: "aws:ec2/flowLog:FlowLog",
    dlmPolicy: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
} as const;

/**
 * AWS types that accept `tags` but that the program might forget to tag. Any other aws:
 * resource whose inputs carry `tags` is checked as well; AWS types without tags (route table
 * associations, volume attachments, policy attachments...) are not.
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
    T.instance,
    T.volume,
    T.eip,
    T.securityGroup,
    T.ingressRule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    T.vpc,
    T.flowLog,
    T.dlmPolicy,
    T.metricAlarm,
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/keyPair:KeyPair",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
]);

/** Resource types that are not cloud resources and carry no name of ours. */
function isEngineResource(type: string): boolean {
    return type.startsWith("pulumi:");
}

/** Ports that must never face the internet, with what listens there. */
export const ADMIN_PORTS: Readonly<Record<number, string>> = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    135: "Windows RPC",
    445: "SMB",
    1433: "SQL Server",
    1218: "Snuba API",
    2375: "Docker API (plain)",
    2376: "Docker API (TLS)",
    2379: "etcd",
    3000: "Relay (internal)",
    3021: "Symbolicator",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5601: "Kibana",
    5672: "RabbitMQ",
    5900: "VNC",
    6379: "Redis",
    8123: "ClickHouse HTTP",
    8333: "SeaweedFS S3",
    8888: "SeaweedFS filer",
    9009: "ClickHouse interserver",
    9092: "Kafka",
    9200: "Elasticsearch",
    9333: "SeaweedFS master",
    11211: "Memcached",
    15672: "RabbitMQ management",
    27017: "MongoDB",
};

// ---------------------------------------------------------------------------------------
// Reading inputs. In the engine, inputs are proxies that throw when a value is unknown
// during preview; @pulumi/policy turns that into an advisory "can't run during preview".
// Rules only read what they need, so unrelated unknown values never matter.

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function dict(v: unknown): Dict | undefined {
    return isDict(v) ? v : undefined;
}

function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
    if (typeof v === "number") {
        return v;
    }
    if (typeof v === "string" && /^-?\d+$/.test(v)) {
        return Number(v);
    }
    return undefined;
}

function isUnknownValueError(e: unknown): boolean {
    return typeof e === "object" && e !== null && "unknownTypeSentinel" in e;
}

/** True when `key` holds a value, including one that is only known after the update. */
function isSet(obj: Dict, key: string): boolean {
    try {
        const v = obj[key];
        return v !== undefined && v !== null && v !== "";
    } catch (e) {
        if (isUnknownValueError(e)) {
            return true;
        }
        throw e;
    }
}

export function tagsOf(resource: PolicyResource): Record<string, string> {
    const tags = dict(resource.inputs.tags) ?? {};
    const out: Record<string, string> = {};
    for (const k of Object.keys(tags)) {
        const v = str(tags[k]);
        if (v !== undefined) {
            out[k] = v;
        }
    }
    return out;
}

/**
 * The environment the stack declares: the Environment tag its tagged resources carry
 * (sentry:environment, whatever the stack's name; components/tags.ts holds the rule), the
 * most common one if they disagree (one-environment reports the others). Undefined when no
 * resource in view is tagged (in the engine a resource rule sees only its own resource).
 */
function declaredEnvironment(resources: readonly PolicyResource[]): string | undefined {
    const counts = new Map<string, number>();
    for (const r of resources) {
        const env = tagsOf(r).Environment;
        if (env !== undefined) {
            counts.set(env, (counts.get(env) ?? 0) + 1);
        }
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/** A resource's environment: its own tag, else the stack's declared one. */
function environmentOf(resource: PolicyResource, ctx: PolicyContext): string | undefined {
    return tagsOf(resource).Environment ?? declaredEnvironment(ctx.resources);
}

/** Production if the resource or the stack says so, or the stack is prod (a mislabelled prod is still prod). */
function isProduction(resource: PolicyResource, ctx: PolicyContext): boolean {
    return ctx.stack === PRODUCTION_STACK || environmentOf(resource, ctx) === "production";
}

function isTrial(resource: PolicyResource, ctx: PolicyContext): boolean {
    return !isProduction(resource, ctx) && environmentOf(resource, ctx) === "trial";
}

// ---------------------------------------------------------------------------------------
// Security-group ingress, normalised across the three ways to write it.

export interface Ingress {
    cidrs: string[];
    /** Inclusive port range; undefined for "all ports". */
    fromPort?: number;
    toPort?: number;
    protocol: string;
    /** Where it came from, for messages: "ingress[0]", or "" for a standalone rule. */
    where: string;
}

export function ingressOf(resource: PolicyResource): Ingress[] {
    const i = resource.inputs;
    switch (resource.type) {
        case T.ingressRule:
            return [
                {
                    cidrs: [str(i.cidrIpv4), str(i.cidrIpv6)].filter((c): c is string => c !== undefined),
                    fromPort: num(i.fromPort),
                    toPort: num(i.toPort),
                    protocol: String(i.ipProtocol ?? "-1"),
                    where: "",
                },
            ];
        case T.securityGroupRule:
            if (i.type !== "ingress") {
                return [];
            }
            return [
                {
                    cidrs: [...list(i.cidrBlocks), ...list(i.ipv6CidrBlocks)].map(String),
                    fromPort: num(i.fromPort),
                    toPort: num(i.toPort),
                    protocol: String(i.protocol ?? "-1"),
                    where: "",
                },
            ];
        case T.securityGroup:
        case T.defaultSecurityGroup:
            return list(i.ingress).map((rule, n) => {
                const r = dict(rule) ?? {};
                return {
                    cidrs: [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)].map(String),
                    fromPort: num(r.fromPort),
                    toPort: num(r.toPort),
                    protocol: String(r.protocol ?? "-1"),
                    where: `ingress[${n}]`,
                };
            });
        default:
            return [];
    }
}

function allPorts(ing: Ingress): boolean {
    const p = ing.protocol.toLowerCase();
    return p === "-1" || p === "all" || ing.fromPort === undefined || ing.toPort === undefined || (ing.fromPort <= 0 && ing.toPort >= 65535) || ing.fromPort === -1;
}

/** The port-carrying protocols an entry lets through (ICMP and others have no ports). */
function portProtocols(ing: Ingress): ("tcp" | "udp")[] {
    const p = ing.protocol.toLowerCase();
    if (p === "-1" || p === "all") {
        return ["tcp", "udp"];
    }
    return p === "tcp" || p === "6" ? ["tcp"] : p === "udp" || p === "17" ? ["udp"] : [];
}

function portsOf(ing: Ingress): [number, number] {
    return allPorts(ing) ? [0, 65535] : [ing.fromPort!, ing.toPort!];
}

function portText(fromPort: number, toPort: number): string {
    if (fromPort <= 0 && toPort >= 65535) {
        return "all ports";
    }
    return fromPort === toPort ? `port ${fromPort}` : `ports ${fromPort}-${toPort}`;
}

/**
 * The security group an entry opens. Inline rules belong to their own resource. Standalone
 * rules name theirs by id; in a preview of a new stack the id is not known yet, and all such
 * rules are judged as one group: this program has one security group per stack, and the
 * mistake to avoid is passing a split that opens a port.
 */
function groupOf(r: PolicyResource): string {
    if (r.type === T.securityGroup || r.type === T.defaultSecurityGroup) {
        return `inline:${r.name}`;
    }
    return `group:${str(safeGet(r.inputs, "securityGroupId")) ?? "(known after deploy)"}`;
}

/** One ingress entry of one resource. */
interface Entry {
    resource: PolicyResource;
    ing: Ingress;
}

/** A port range of one security group that the internet can reach, and who opens it. */
interface PublicReach {
    fromPort: number;
    toPort: number;
    /** The entries whose CIDRs open it (plan order), with those CIDRs. */
    sources: { entry: Entry; cidrs: string[] }[];
    exposures: InternetExposure[];
}

const reachCache = new WeakMap<readonly PolicyResource[], PublicReach[]>();

/**
 * Every port range the internet can reach, judging each security group's ingress together:
 * for each port, the CIDRs of every entry of the group (rule resources, inline rules) that
 * carry it, as validation.ts's internetExposures judges a set. Adjacent ports opened by the
 * same entries are reported as one range.
 */
function publicReach(resources: readonly PolicyResource[]): PublicReach[] {
    const cached = reachCache.get(resources);
    if (cached) {
        return cached;
    }
    const buckets = new Map<string, Entry[]>();
    for (const resource of resources) {
        for (const ing of knownIngressOf(resource)) {
            for (const protocol of portProtocols(ing)) {
                const key = `${groupOf(resource)} ${protocol}`;
                buckets.set(key, [...(buckets.get(key) ?? []), { resource, ing }]);
            }
        }
    }
    const found: PublicReach[] = [];
    const seen = new Set<string>();
    for (const entries of buckets.values()) {
        const bounds = [...new Set(entries.flatMap((e) => [portsOf(e.ing)[0], portsOf(e.ing)[1] + 1]))].sort((a, b) => a - b);
        let open: (PublicReach & { key: string }) | undefined;
        const flush = () => {
            if (open && !seen.has(`${open.key} ${open.fromPort}-${open.toPort}`)) {
                seen.add(`${open.key} ${open.fromPort}-${open.toPort}`);
                found.push({ fromPort: open.fromPort, toPort: open.toPort, sources: open.sources, exposures: open.exposures });
            }
            open = undefined;
        };
        for (let n = 0; n + 1 < bounds.length; n++) {
            const [fromPort, toPort] = [bounds[n], bounds[n + 1] - 1];
            const reaching = entries.filter((e) => portsOf(e.ing)[0] <= fromPort && toPort <= portsOf(e.ing)[1]);
            const exposures = internetExposures(reaching.flatMap((e) => e.ing.cidrs));
            const opening = new Set(exposures.flatMap((x) => x.cidrs));
            const sources = reaching.map((entry) => ({ entry, cidrs: entry.ing.cidrs.filter((c) => opening.has(c)) })).filter((s) => s.cidrs.length > 0);
            const key = sources.map((s) => `${s.entry.resource.name}${s.entry.ing.where}=${s.cidrs.join(",")}`).join(" ");
            if (open && open.key === key && open.toPort + 1 === fromPort) {
                open.toPort = toPort;
                continue;
            }
            flush();
            if (sources.length > 0) {
                open = { fromPort, toPort, sources, exposures, key };
            }
        }
        flush();
    }
    reachCache.set(resources, found);
    return found;
}

/**
 * ingressOf, or nothing while a preview does not know the rule's ports or sources yet (they
 * are known when the stack policies run again at the end of the update), so that one unknown
 * rule does not stop the judgement of the others.
 */
function knownIngressOf(resource: PolicyResource): Ingress[] {
    try {
        return ingressOf(resource);
    } catch (e) {
        if (isUnknownValueError(e)) {
            return [];
        }
        throw e;
    }
}

/** The reaches a resource reports: those it is the first source of (one report per reach). */
function reachesReportedBy(r: PolicyResource, ctx: PolicyContext): PublicReach[] {
    return publicReach(ctx.resources).filter((reach) => reach.sources[0].entry.resource === r);
}

/** "0.0.0.0/0 may reach port 22", or who together opens which range to how much of the internet. */
function reachText(reach: PublicReach, what = ""): string {
    const ports = `${what}${portText(reach.fromPort, reach.toPort)}`;
    const where = (e: Entry) => (e.ing.where ? ` (${e.ing.where})` : "");
    if (reach.sources.length === 1) {
        const { entry, cidrs } = reach.sources[0];
        const whole = reach.exposures.every((x) => x.wholeInternet);
        return `${cidrs.join(", ")} may reach ${ports}${where(entry)}${whole ? "" : ` from ${reach.exposures.map(exposureText).join(" and ")}`}`;
    }
    const who = reach.sources.map(({ entry, cidrs }) => `${cidrs.join(", ")} (${entry.resource.name}${entry.ing.where ? ` ${entry.ing.where}` : ""})`);
    return `${who.join(" and ")} together may reach ${ports} from ${reach.exposures.map(exposureText).join(" and ")}`;
}

// ---------------------------------------------------------------------------------------
// The rules.

const imdsv2: Rule = {
    name: "ec2-imdsv2-required",
    description:
        "Every EC2 instance requires IMDSv2 session tokens (metadataOptions.httpTokens = \"required\"). With IMDSv1 a single " +
        "server-side request forgery in any container can read the instance role's credentials.",
    remediation: "Set metadataOptions: { httpTokens: \"required\", httpEndpoint: \"enabled\" } on the instance (or launch template).",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.8", "CIS AWS 5.6", "CKV_AWS_79"],
    scope: "resource",
    check(r) {
        if (r.type !== T.instance && r.type !== T.launchTemplate) {
            return [];
        }
        const m = dict(r.inputs.metadataOptions);
        const tokens = m ? str(m.httpTokens) : undefined;
        if (m && str(m.httpEndpoint) === "disabled") {
            return [];
        }
        if (tokens !== "required") {
            return [`metadataOptions.httpTokens is ${tokens === undefined ? "not set (AWS then allows IMDSv1)" : `"${tokens}"`}; it must be "required"`];
        }
        return [];
    },
};

const imdsHopLimit: Rule = {
    name: "ec2-imds-hop-limit",
    description:
        "The IMDS response hop limit stays at 1, so that processes in Docker containers on the host (all of Sentry runs in " +
        "containers) cannot reach the instance metadata service and its role credentials.",
    remediation: "Set metadataOptions.httpPutResponseHopLimit to 1 (nothing in self-hosted Sentry needs instance credentials).",
    enforcementLevel: "advisory",
    levelRationale:
        "Defence in depth beyond the baseline: the instance role only carries AmazonSSMManagedInstanceCore, and some AMIs and " +
        "account-level defaults set 2 on purpose. It warns instead of blocking a deploy.",
    controls: [],
    scope: "resource",
    check(r) {
        if (r.type !== T.instance && r.type !== T.launchTemplate) {
            return [];
        }
        const m = dict(r.inputs.metadataOptions);
        const hops = m ? num(m.httpPutResponseHopLimit) : undefined;
        if (hops !== undefined && hops > 1) {
            return [`metadataOptions.httpPutResponseHopLimit is ${hops}: containers on the host can reach instance credentials; use 1`];
        }
        return [];
    },
};

const ebsEncrypted: Rule = {
    name: "ebs-encrypted",
    description:
        "Every EBS volume is encrypted: standalone volumes (Sentry's data volume holds every event, user and setting) and the " +
        "root and extra block devices of every instance, stated explicitly rather than left to the account default.",
    remediation:
        "Set encrypted: true on aws.ebs.Volume, rootBlockDevice.encrypted: true and ebsBlockDevices[].encrypted: true on " +
        "aws.ec2.Instance (blockDeviceMappings[].ebs.encrypted: \"true\" on launch templates).",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.3", "Security Hub EC2.7", "CKV_AWS_3", "CKV_AWS_8"],
    scope: "resource",
    check(r) {
        const problems: string[] = [];
        const yes = (v: unknown) => v === true || v === "true";
        if (r.type === T.volume && !yes(r.inputs.encrypted)) {
            problems.push("the volume is not encrypted (encrypted must be true)");
        }
        if (r.type === T.instance) {
            const root = dict(r.inputs.rootBlockDevice);
            if (!root || !yes(root.encrypted)) {
                problems.push("rootBlockDevice.encrypted is not true (the root volume would follow the account default)");
            }
            list(r.inputs.ebsBlockDevices).forEach((d, n) => {
                if (!yes(dict(d)?.encrypted)) {
                    problems.push(`ebsBlockDevices[${n}] is not encrypted`);
                }
            });
        }
        if (r.type === T.launchTemplate) {
            list(r.inputs.blockDeviceMappings).forEach((d, n) => {
                const ebs = dict(dict(d)?.ebs);
                if (ebs && !yes(ebs.encrypted)) {
                    problems.push(`blockDeviceMappings[${n}].ebs is not encrypted`);
                }
            });
        }
        return problems;
    },
};

const noPublicAdmin: Rule = {
    name: "no-public-admin-ingress",
    description:
        "No security group lets the internet reach SSH (22) or any other administrative or data port (RDP, databases, Redis, " +
        "Kafka, ClickHouse, the Docker API, Sentry's internal services...). \"The internet\" is judged by coverage, not by " +
        "spelling: the CIDRs of all ingress of one security group that reach a port count together (0.0.0.0/1 and " +
        "128.0.0.0/1 on two rules are 0.0.0.0/0), and more public addresses than a /8 (IPv4) or /32 (IPv6) is open " +
        "(components/validation.ts INTERNET_BOUND). Checked on standalone ingress rules, inline security-group ingress and " +
        "aws.ec2.SecurityGroupRule.",
    remediation:
        "Narrow the sources to your own networks (sentry:adminSshCidrs for SSH, e.g. a VPN or office /32), or reach the host " +
        "through AWS Systems Manager Session Manager instead of opening a port.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.13", "Security Hub EC2.53", "CIS AWS 5.2", "CKV_AWS_24"],
    scope: "stack",
    check(r, ctx) {
        const problems: string[] = [];
        for (const reach of reachesReportedBy(r, ctx)) {
            const hit = Object.keys(ADMIN_PORTS)
                .map(Number)
                .filter((p) => reach.fromPort <= p && p <= reach.toPort);
            if (hit.length === 0) {
                continue;
            }
            const shown = hit.slice(0, 5).map((p) => `${p} (${ADMIN_PORTS[p]})`);
            const more = hit.length > 5 ? ` and ${hit.length - 5} more admin ports` : "";
            problems.push(`${reachText(reach)}, which includes ${shown.join(", ")}${more}; narrow the sources to your own networks (sentry:adminSshCidrs for SSH)`);
        }
        return problems;
    },
};

const publicWebOnly: Rule = {
    name: "public-ingress-web-only",
    description:
        "The internet may only reach Sentry's web port, and only on stacks listed as public in policy/settings.ts " +
        "(publicWebStacks; by default only prod). Staging and trial Sentries serve dev/test apps from known networks. " +
        "\"The internet\" is judged as in no-public-admin-ingress: by the address space the CIDRs of one security group " +
        "cover together.",
    remediation:
        "Restrict sentry:webCidrs to the networks your users and applications send from. If this stack really must take " +
        "events from the whole internet, add it to publicWebStacks in policy/settings.ts (a reviewed change to the guard " +
        "rails). If you moved sentry:webPort, add the port to webPorts there.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.53 (only intended ports public)", "CIS AWS 5.2"],
    scope: "stack",
    usesSettings: true,
    check(r, ctx) {
        const problems: string[] = [];
        for (const reach of reachesReportedBy(r, ctx)) {
            const single = reach.fromPort === reach.toPort;
            if (single && ADMIN_PORTS[reach.fromPort] !== undefined) {
                continue; // no-public-admin-ingress reports it
            }
            const webPorts = ctx.settings.webPorts;
            if (!(single && webPorts.includes(reach.fromPort))) {
                problems.push(`${reachText(reach)}; only the web port (${webPorts.join("/")}) may ever be public`);
            } else if (!ctx.settings.publicWebStacks.includes(ctx.stack)) {
                problems.push(
                    `${reachText(reach, "web ")}, but stack "${ctx.stack}" is not in publicWebStacks ` +
                        `(${ctx.settings.publicWebStacks.join(", ") || "none"}): restrict sentry:webCidrs to your networks`,
                );
            }
        }
        return problems;
    },
};

const sizeFitsProfile: Rule = {
    name: "instance-type-fits-profile",
    description:
        "The instance type has the vCPUs and memory the Sentry profile it runs needs (SentryProfile tag): errors-only at least " +
        "2 vCPUs / 8 GiB, feature-complete at least 4 vCPUs / 16 GiB. Self-hosted's installer refuses smaller hosts, and hosts " +
        "that only just pass fall over under load.",
    remediation:
        "Pick a larger sentry:instanceType (e.g. m7i.xlarge for feature-complete, c7i.xlarge for errors-only) or set " +
        "sentry:profile to errors-only.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "resource",
    check(r) {
        if (r.type !== T.instance) {
            return [];
        }
        const tags = tagsOf(r);
        const profile = tags.SentryProfile;
        const type = str(r.inputs.instanceType);
        if (profile === undefined) {
            return ["the instance has no SentryProfile tag, so nobody can tell whether it is large enough; tag it with the sentry:profile it runs"];
        }
        if (!SENTRY_PROFILES.includes(profile as SentryProfile)) {
            return [`SentryProfile tag "${profile}" is not a known profile (${SENTRY_PROFILES.join(", ")})`];
        }
        if (type === undefined) {
            return ["the instance has no instanceType"];
        }
        const facts = KNOWN_INSTANCE_TYPES[type];
        if (!facts) {
            return []; // instance-type-known warns; the program itself asks AWS at deploy time.
        }
        const problem = sizingProblem(type, facts, profile as SentryProfile);
        return problem ? [problem] : [];
    },
};

const sizeKnown: Rule = {
    name: "instance-type-known",
    description:
        "The instance type is one the policy can size-check without AWS (components/sizing.ts KNOWN_INSTANCE_TYPES). For other " +
        "types the offline check cannot tell whether the Sentry profile fits.",
    remediation:
        "Add the type's vCPUs and memory (aws ec2 describe-instance-types --instance-types <type>) to KNOWN_INSTANCE_TYPES in " +
        "components/sizing.ts, or pick a listed type.",
    enforcementLevel: "advisory",
    levelRationale:
        "An unknown type is not a wrong type: the program asks AWS for the real size (aws.ec2.getInstanceType) and refuses a " +
        "too-small host at preview. Blocking every new type until the table catches up would only push people to list types blindly.",
    controls: [],
    scope: "resource",
    check(r) {
        if (r.type !== T.instance) {
            return [];
        }
        const type = str(r.inputs.instanceType);
        if (type !== undefined && !KNOWN_INSTANCE_TYPES[type]) {
            return [`instance type ${type} is not in KNOWN_INSTANCE_TYPES; its size could not be checked against the profile offline`];
        }
        return [];
    },
};

const PROTECTED_IN_PRODUCTION: Readonly<Record<string, string>> = {
    [T.instance]: "the instance",
    [T.volume]: "the data volume",
    [T.eip]: "the Elastic IP (its address is in every DSN and in system.url-prefix)",
};

const productionProtected: Rule = {
    name: "production-protected",
    description:
        "In production, the instance, every EBS data volume and the Elastic IP carry `protect: true`, and data volumes also " +
        "`retainOnDelete: true`, so that no `pulumi up` replacement or `pulumi destroy` can delete Sentry's data or address. " +
        "(The Pulumi engine does not tell policy packs about retainOnDelete; the offline check enforces that part.)",
    remediation:
        "Keep sentry:environment = production and sentry:protect = true on the prod stack (the defaults). To retire prod " +
        "deliberately, see README.md \"Destroying production on purpose\".",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "resource",
    check(r, ctx) {
        const what = PROTECTED_IN_PRODUCTION[r.type];
        if (!what || !isProduction(r, ctx)) {
            return [];
        }
        const problems: string[] = [];
        if (r.protect !== true) {
            problems.push(`${what} is not protected (protect: true) in production`);
        }
        if (r.type === T.volume && r.retainOnDelete === false) {
            problems.push("the data volume is not retained on delete (retainOnDelete: true) in production");
        }
        return problems;
    },
};

const trialDisposable: Rule = {
    name: "trial-disposable",
    description:
        "Trial stacks destroy cleanly and leave nothing billed: no resource is protected or retained on delete, and every " +
        "tagged resource carries a valid ExpiresAt (ISO 8601 UTC) so the trial reaper and a human can tell when it may go.",
    remediation:
        "Create trials with `npm run trial -- create <name>`, which sets sentry:environment = trial, sentry:protect = false and " +
        "sentry:expiresAt. Never set protect or retainOnDelete on trial resources.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "resource",
    check(r, ctx) {
        if (isEngineResource(r.type) || !isTrial(r, ctx)) {
            return [];
        }
        const problems: string[] = [];
        if (r.protect === true) {
            problems.push("a trial resource is protected: `pulumi destroy` and the trial reaper would fail on it");
        }
        if (r.retainOnDelete === true) {
            problems.push("a trial resource has retainOnDelete: destroying the trial would leave it behind, still billed");
        }
        if (hasTags(r)) {
            const expires = tagsOf(r).ExpiresAt;
            if (expires === undefined) {
                problems.push("the ExpiresAt tag is missing");
            } else if (!isIsoUtc(expires)) {
                problems.push(`ExpiresAt "${expires}" is not an ISO 8601 UTC time like 2026-12-01T00:00:00Z`);
            }
        }
        return problems;
    },
};

function hasTags(r: PolicyResource): boolean {
    return r.type.startsWith("aws:") && (TAGGABLE_TYPES.has(r.type) || isSet(r.inputs, "tags"));
}


const requiredTags: Rule = {
    name: "required-tags",
    description:
        "Every taggable AWS resource carries Name, Project, Stack, Environment and ManagedBy=pulumi, with Stack equal to the " +
        "stack and Environment one of production, staging or trial (always production on the stack prod), so that cost reports, " +
        "the console and a clean-up after a failed destroy can tell whose resource it is.",
    remediation:
        "Tag resources with components/tags.ts resourceTags(); keep sentry:environment at its default on prod, declare it on " +
        "other stacks (staging when unset), and create trials with `npm run trial -- create <name>`.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "resource",
    check(r, ctx) {
        if (!hasTags(r)) {
            return [];
        }
        const tags = tagsOf(r);
        const problems: string[] = [];
        const missing = STANDARD_TAG_KEYS.filter((k) => tags[k] === undefined || tags[k] === "");
        if (missing.length > 0) {
            problems.push(`missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
        }
        if (tags.Stack !== undefined && tags.Stack !== ctx.stack) {
            problems.push(`tag Stack is "${tags.Stack}" but the resource belongs to stack "${ctx.stack}"`);
        }
        if (tags.Project !== undefined && tags.Project !== ctx.project) {
            problems.push(`tag Project is "${tags.Project}" but the project is "${ctx.project}"`);
        }
        if (tags.ManagedBy !== undefined && tags.ManagedBy !== "pulumi") {
            problems.push(`tag ManagedBy is "${tags.ManagedBy}", expected "pulumi"`);
        }
        const envProblem = tags.Environment === undefined ? undefined : environmentProblem(ctx.stack, tags.Environment);
        if (envProblem) {
            problems.push(`tag Environment is "${tags.Environment}": ${envProblem}`);
        }
        return problems;
    },
};

const oneEnvironment: Rule = {
    name: "one-environment",
    description:
        "Every tagged resource of a stack declares the same Environment (the stack's sentry:environment), so the rules that " +
        "judge a stack by its environment (production protection, disposable trials) judge all of it the same way.",
    remediation: "Tag resources with components/tags.ts resourceTags(identity), which takes the one environment the config loader read.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "stack",
    check(r, ctx) {
        const env = tagsOf(r).Environment;
        const declared = declaredEnvironment(ctx.resources);
        if (env === undefined || declared === undefined || env === declared) {
            return [];
        }
        return [`tag Environment is "${env}" but the stack's other resources declare "${declared}"`];
    },
};

/** Splits a name into lowercase alphanumeric tokens: "/sentry/demo-1/x" -> ["sentry","demo","1","x"]. */
function tokens(s: string): string[] {
    return s
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((t) => t.length > 0);
}

function containsSequence(haystack: string[], needle: string[]): boolean {
    outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
        for (let j = 0; j < needle.length; j++) {
            if (haystack[i + j] !== needle[j]) {
                continue outer;
            }
        }
        return true;
    }
    return false;
}

/** Inputs that become a resource's name in AWS. */
const PHYSICAL_NAME_INPUTS = ["name", "namePrefix", "keyName", "keyNamePrefix", "alarmName", "bucket", "bucketPrefix", "roleName", "functionName"];
/**
 * Types whose `name` is not a name of ours in AWS but a DNS name the user chose (the domain,
 * its validation and mail records): unique by the zone, never carrying the stack.
 */
const DNS_NAMED_TYPES: ReadonlySet<string> = new Set(["aws:route53/record:Record"]);

const namesCarryStack: Rule = {
    name: "names-carry-own-stack",
    description:
        "Every resource's logical name starts with \"<project>-<stack>\" (e.g. sentry-staging-vpc), and every name it takes in " +
        "AWS (name, namePrefix, keyName..., the Name tag) contains \"<project>-<stack>\", so two stacks in one account and " +
        "region can never collide or be mistaken for each other, and a trial can never reuse staging's or prod's names.",
    remediation:
        "Derive child names from the component name with childName(name, part) and physical names from the same prefix; never " +
        "hard-code a stack name.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "resource",
    check(r, ctx) {
        if (isEngineResource(r.type)) {
            return [];
        }
        const prefix = `${ctx.project}-${ctx.stack}`;
        const problems: string[] = [];
        if (r.name !== prefix && !r.name.startsWith(`${prefix}-`)) {
            problems.push(`logical name "${r.name}" does not start with "${prefix}"`);
        }
        const want = tokens(prefix);
        const physical: [string, string][] = [];
        for (const key of PHYSICAL_NAME_INPUTS) {
            if (key === "name" && DNS_NAMED_TYPES.has(r.type)) {
                continue;
            }
            const v = str(safeGet(r.inputs, key));
            if (v !== undefined) {
                physical.push([key, v]);
            }
        }
        const nameTag = tagsOf(r).Name;
        if (nameTag !== undefined) {
            physical.push(["tags.Name", nameTag]);
        }
        for (const [key, value] of physical) {
            if (!containsSequence(tokens(value), want)) {
                problems.push(`${key} "${value}" does not contain "${prefix}"`);
            }
        }
        return problems;
    },
};

/** Reads a key, treating a value unknown during preview as absent. */
function safeGet(obj: Dict, key: string): unknown {
    try {
        return obj[key];
    } catch (e) {
        if (isUnknownValueError(e)) {
            return undefined;
        }
        throw e;
    }
}

const ssmManaged: Rule = {
    name: "ec2-ssm-managed",
    description:
        "Every instance has an IAM instance profile, so AWS Systems Manager can manage it and people can get a shell without " +
        "opening port 22 to more networks.",
    remediation: "Attach an instance profile whose role has AmazonSSMManagedInstanceCore (iamInstanceProfile on aws.ec2.Instance).",
    enforcementLevel: "mandatory",
    controls: ["Security Hub SSM.1"],
    scope: "resource",
    check(r) {
        if (r.type !== T.instance) {
            return [];
        }
        return isSet(r.inputs, "iamInstanceProfile") ? [] : ["the instance has no iamInstanceProfile, so Systems Manager cannot manage it"];
    },
};

const vpcFlowLogs: Rule = {
    name: "vpc-flow-logs",
    description: "Every VPC the stack creates records flow logs, so that traffic to and from Sentry can be investigated after the fact.",
    remediation: "Add an aws.ec2.FlowLog (trafficType ALL) for the VPC, delivering to CloudWatch Logs or S3.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.6", "CKV2_AWS_11"],
    scope: "stack",
    check(r, ctx) {
        if (r.type !== T.vpc) {
            return [];
        }
        const logs = ctx.resources.filter((x) => x.type === T.flowLog && isSet(x.inputs, "vpcId"));
        return logs.length > 0 ? [] : ["the VPC has no flow log (no aws.ec2.FlowLog with a vpcId in this stack)"];
    },
};

const productionRecovery: Rule = {
    name: "production-backups-and-recovery",
    description:
        "In production, the data volume is snapshotted on a schedule (a DLM lifecycle policy) and the instance has a CloudWatch " +
        "alarm that recovers it when its system status check fails. A snapshot of the data volume is the only full backup of " +
        "self-hosted Sentry.",
    remediation: "Keep sentry:snapshotRetentionDays above 0 on prod, or back the volume up with AWS Backup instead.",
    enforcementLevel: "advisory",
    levelRationale:
        "Operational, with no benchmark ID, and a team may back up with AWS Backup outside this stack; it warns instead of blocking.",
    controls: [],
    scope: "stack",
    check(r, ctx) {
        if (!isProduction(r, ctx)) {
            return [];
        }
        if (r.type === T.volume && !ctx.resources.some((x) => x.type === T.dlmPolicy)) {
            return ["no DLM lifecycle policy snapshots the production data volume"];
        }
        if (r.type === T.instance && !ctx.resources.some((x) => x.type === T.metricAlarm)) {
            return ["no CloudWatch alarm recovers the production instance"];
        }
        return [];
    },
};

// ---------------------------------------------------------------------------------------
// The front door (README "HTTPS and mail"): the load balancer's listeners, the host behind it,
// and HTTPS in production.

/**
 * Security policies an HTTPS listener may use: TLS 1.2 at least, TLS 1.3 offered, forward-
 * secret AEAD ciphers only (Elastic Load Balancing's "Security policies for your Application
 * Load Balancer": the TLS13-1-2 policies without the Ext1/Ext2 legacy-cipher variants, and the
 * TLS 1.3-only ones). AWS's own default for listeners made by API, ELBSecurityPolicy-2016-08,
 * still accepts TLS 1.0.
 */
export const ALLOWED_TLS_POLICIES: readonly string[] = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
];

const httpsListenerPolicy: Rule = {
    name: "alb-https-tls-policy",
    description:
        "Every HTTPS listener names a security policy with TLS 1.2 as the minimum and TLS 1.3 offered, forward-secret ciphers " +
        "only (ALLOWED_TLS_POLICIES). Without one AWS applies ELBSecurityPolicy-2016-08, which still accepts TLS 1.0 and 1.1.",
    remediation: "Set sslPolicy on the aws.lb.Listener to ELBSecurityPolicy-TLS13-1-2-Res-2021-06 (components/aws/frontDoor.ts ALB_TLS_POLICY) or another of ALLOWED_TLS_POLICIES.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub ELB.17", "CKV_AWS_103"],
    scope: "resource",
    check(r) {
        if (r.type !== T.listener || str(safeGet(r.inputs, "protocol"))?.toUpperCase() !== "HTTPS") {
            return [];
        }
        const policy = str(safeGet(r.inputs, "sslPolicy"));
        if (policy === undefined) {
            return isSet(r.inputs, "sslPolicy") ? [] : ["the HTTPS listener names no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08 (TLS 1.0 and 1.1 accepted)"];
        }
        return ALLOWED_TLS_POLICIES.includes(policy) ? [] : [`sslPolicy ${policy} is not one of the allowed TLS 1.2+/1.3 policies (${ALLOWED_TLS_POLICIES.slice(0, 3).join(", ")}, ...)`];
    },
};

const httpRedirectsOnly: Rule = {
    name: "alb-http-redirects-only",
    description:
        "A plain-HTTP listener only redirects to HTTPS: every default action is a redirect with protocol HTTPS, so no " +
        "password, session cookie or event reaches Sentry unencrypted through the load balancer.",
    remediation: 'Give the port-80 listener the single default action { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }.',
    enforcementLevel: "mandatory",
    controls: ["Security Hub ELB.1"],
    scope: "resource",
    check(r) {
        if (r.type !== T.listener || str(safeGet(r.inputs, "protocol"))?.toUpperCase() !== "HTTP") {
            return [];
        }
        const actions = list(safeGet(r.inputs, "defaultActions"));
        if (actions.length === 0) {
            return ["the HTTP listener has no default action; it must redirect to HTTPS"];
        }
        return actions.flatMap((a, i) => {
            const action = dict(a) ?? {};
            const type = str(action.type);
            const protocol = str(dict(action.redirect)?.protocol);
            if (type !== "redirect") {
                return [`defaultActions[${i}] is "${type ?? "(none)"}": an HTTP listener may only redirect to HTTPS`];
            }
            return protocol?.toUpperCase() === "HTTPS" ? [] : [`defaultActions[${i}] redirects to ${protocol ?? "the same protocol"}, not HTTPS`];
        });
    },
};

const webBehindAlb: Rule = {
    name: "web-port-behind-alb",
    description:
        "Behind a load balancer, the host's web port (each target group's port) is reachable from the load balancer's " +
        "security group only: no ingress rule opens it to network ranges, which would let clients around the load balancer, " +
        "its TLS and its header checks.",
    remediation: "Remove CIDR ingress on the web port from the host's security group; allow it from the load balancer's security group (referencedSecurityGroupId), as components/aws/frontDoor.ts does.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub EC2.53 (only intended ports public)"],
    scope: "stack",
    check(r, ctx) {
        const ports = ctx.resources.filter((x) => x.type === T.targetGroup).map((x) => num(safeGet(x.inputs, "port"))).filter((p): p is number => p !== undefined);
        if (ports.length === 0) {
            return [];
        }
        return knownIngressOf(r).flatMap((ing) => {
            const [from, to] = portsOf(ing);
            const hit = ports.filter((p) => from <= p && p <= to && portProtocols(ing).includes("tcp"));
            return hit.length > 0 && ing.cidrs.length > 0 ? [`${ing.cidrs.join(", ")} may reach the web port ${hit.join(", ")}${ing.where ? ` (${ing.where})` : ""} around the load balancer`] : [];
        });
    },
};

const productionHttps: Rule = {
    name: "production-https",
    description:
        "Production Sentry is reached over HTTPS: the instance's SentryTls tag (sentry:tls) is alb, acme or proxy, never none " +
        "(passwords, session cookies and DSNs would cross the network in clear text). Stacks listed in plainHttpStacks " +
        "(policy/settings.ts) are exempt.",
    remediation:
        'Set sentry:domain (a load balancer with an ACM certificate by default in production) or sentry:tls proxy with an https:// publicUrl; README "HTTPS and mail". ' +
        "A production stack that must stay on plain HTTP is a reviewed change: add it to plainHttpStacks in policy/settings.ts.",
    enforcementLevel: "mandatory",
    controls: ["Security Hub ELB.1", "CIS AWS 2.x (encryption in transit)"],
    scope: "resource",
    usesSettings: true,
    check(r, ctx) {
        const exempt = ctx.settings.plainHttpStacks.includes(ctx.stack);
        if (exempt || r.type !== T.instance || !isProduction(r, ctx)) {
            return [];
        }
        const tls = tagsOf(r).SentryTls;
        if (tls === undefined) {
            return ["the production instance has no SentryTls tag, so nobody can tell whether it is reached over HTTPS; tag it with the sentry:tls it runs"];
        }
        return ["alb", "acme", "proxy"].includes(tls) ? [] : [`SentryTls is "${tls}": production is reached over plain HTTP`];
    },
};

// Day two: a production Sentry somebody hears about, and upgrades with a way back.
const SNS_TOPIC = "aws:sns/topic:Topic";
const SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const EBS_SNAPSHOT = "aws:ebs/snapshot:Snapshot";

/** The SNS topics the stack's alarms notify that the stack does not own (sentry:alarmTopicArn). */
function foreignAlarmTopics(ctx: PolicyContext): string[] {
    const own = new Set(ctx.resources.filter((x) => x.type === SNS_TOPIC).map((x) => String(x.inputs.arn ?? "")));
    const actions = ctx.resources
        .filter((x) => x.type === T.metricAlarm)
        .flatMap((x) => (Array.isArray(x.inputs.alarmActions) ? x.inputs.alarmActions : []))
        .filter((a): a is string => typeof a === "string" && a.includes(":sns:"));
    const ownPrefixes = ctx.resources.filter((x) => x.type === SNS_TOPIC).map((x) => String(x.inputs.namePrefix ?? "\0"));
    return [...new Set(actions)].filter((a) => !own.has(a) && !ownPrefixes.some((prefix) => a.split(":").pop()?.startsWith(prefix)));
}

const productionAlarmsSubscribed: Rule = {
    name: "production-alarms-subscribed",
    description:
        "In production, the heartbeat alarms exist (no heartbeat, Sentry unhealthy, disks, memory) and reach a person: the stack's " +
        "alarm topic has at least one subscription, or the alarms also notify a topic of your own. The team this program is for " +
        "noticed their Sentry was down only when their own service fell over.",
    remediation: 'Set sentry:alarmEmails (e.g. ["oncall@your-company.com"], then confirm the email from AWS), or sentry:alarmTopicArn to a topic of your own.',
    enforcementLevel: "mandatory",
    controls: [],
    scope: "stack",
    check(r, ctx) {
        if (r.type !== T.instance || !isProduction(r, ctx)) {
            return [];
        }
        const alarms = ctx.resources.filter((x) => x.type === T.metricAlarm);
        const problems: string[] = [];
        if (!alarms.some((a) => a.inputs.metricName === "Heartbeat" && a.inputs.treatMissingData === "breaching")) {
            problems.push("no heartbeat alarm (metric Heartbeat, missing data breaching) watches the production host");
        }
        const subscribers = ctx.resources.filter((x) => x.type === SNS_SUBSCRIPTION).length + foreignAlarmTopics(ctx).length;
        if (subscribers === 0) {
            problems.push("the production alarms notify nobody: the alarm topic has no subscription and no topic of your own is notified");
        }
        return problems;
    },
};

const productionPreUpgradeSnapshots: Rule = {
    name: "production-pre-upgrade-snapshots",
    description:
        "In production, a version change stops Sentry and snapshots the data volume before the new version is checked out, and " +
        "that snapshot is kept when the stack replaces it (retainOnDelete): a failed upgrade leaves the old version's data in it.",
    remediation: "Keep sentry:preUpgradeSnapshots true (the default) and sentry:protect true on prod.",
    enforcementLevel: "mandatory",
    controls: [],
    scope: "stack",
    check(r, ctx) {
        if (r.type !== T.volume || !isProduction(r, ctx)) {
            return [];
        }
        const snapshot = ctx.resources.find((x) => x.type === EBS_SNAPSHOT && tagsOf(x).SentryPreUpgrade !== undefined);
        if (!snapshot) {
            return ["no pre-upgrade snapshot (aws:ebs/snapshot:Snapshot tagged SentryPreUpgrade) guards the production data volume"];
        }
        // The engine does not pass retainOnDelete to policies (undefined there): only a known false fails.
        return snapshot.retainOnDelete === false ? [`${snapshot.name} is not retained on delete: the next upgrade would delete the previous one`] : [];
    },
};

/** Every rule, in the order violations are reported. */
export const RULES: readonly Rule[] = [
    imdsv2,
    ebsEncrypted,
    noPublicAdmin,
    publicWebOnly,
    sizeFitsProfile,
    productionProtected,
    trialDisposable,
    namesCarryStack,
    requiredTags,
    oneEnvironment,
    ssmManaged,
    vpcFlowLogs,
    imdsHopLimit,
    sizeKnown,
    productionRecovery,
    httpsListenerPolicy,
    httpRedirectsOnly,
    webBehindAlb,
    productionHttps,
    productionAlarmsSubscribed,
    productionPreUpgradeSnapshots,
];

export interface CheckOptions {
    settings?: Partial<PolicySettings>;
}

/** Evaluates every rule against every resource of an offline plan. */
export function checkPlan(plan: PolicyPlan, options: CheckOptions = {}): Violation[] {
    const context: PolicyContext = {
        stack: plan.stack,
        project: PROJECT,
        resources: plan.resources,
        settings: { ...POLICY_SETTINGS, ...(options.settings ?? {}) },
    };
    const violations: Violation[] = [];
    for (const rule of RULES) {
        for (const resource of plan.resources) {
            for (const message of rule.check(resource, context)) {
                violations.push({ resource: resource.name, type: resource.type, rule: rule.name, enforcementLevel: rule.enforcementLevel, message });
            }
        }
    }
    return violations;
}

/** The violations that must fail a check (advisory ones only warn). */
export function blockingViolations(violations: readonly Violation[]): Violation[] {
    return violations.filter((v) => v.enforcementLevel === "mandatory");
}

/** One line per violation: "mandatory  ec2-imdsv2-required  sentry-prod-host: ...". */
export function formatViolations(violations: readonly Violation[]): string {
    return violations.map((v) => `${v.enforcementLevel.padEnd(9)}  ${v.rule}  ${v.resource} (${v.type}): ${v.message}`).join("\n");
}
