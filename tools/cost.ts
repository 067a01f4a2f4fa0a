// The estimated monthly cost of a plan, per resource and per stack, from the price table in
// tools/prices.ts. A resource whose price the table lacks is "unknown" (null), never 0, and the
// stack total then says how many items it leaves out. Resource types that AWS does not bill by
// themselves are listed in FREE_TYPES with the reason; any other type is unknown.
import type { Plan, PlanResource } from "./planner";
import { ASSUMPTIONS, HOURS_PER_MONTH, PRICES, PRICES_AS_OF, RegionPrices } from "./prices";

export interface CostLine {
    resource: string;
    type: string;
    /** Monthly amount in `currency`; null when unknown. */
    monthly: number | null;
    currency: string;
    /** How it was computed, or why it is unknown. */
    detail: string;
    assumption?: string;
}

export interface CostEstimate {
    stack: string;
    region: string;
    currency: string;
    pricesAsOf: string;
    lines: CostLine[];
    /** Sum of the known lines. */
    knownTotal: number;
    /** Lines whose price is unknown: the real total is higher by their cost. */
    unknownCount: number;
}

/** Types that cost nothing by themselves (their traffic or what they contain is billed elsewhere). */
export const FREE_TYPES: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "no charge for the VPC itself",
    "aws:ec2/subnet:Subnet": "no charge",
    "aws:ec2/internetGateway:InternetGateway": "no charge (data transfer is billed separately)",
    "aws:ec2/routeTable:RouteTable": "no charge",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
    "aws:ec2/route:Route": "no charge",
    "aws:ec2/securityGroup:SecurityGroup": "no charge",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "no charge",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "no charge",
    "aws:ec2/keyPair:KeyPair": "no charge",
    "aws:ec2/eipAssociation:EipAssociation": "no charge (the address is billed on its Eip)",
    "aws:ec2/volumeAttachment:VolumeAttachment": "no charge",
    "aws:ec2/flowLog:FlowLog": "billed as log ingestion on its log group",
    "aws:iam/role:Role": "IAM has no charge",
    "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
    "aws:iam/instanceProfile:InstanceProfile": "IAM has no charge",
    "aws:iam/policy:Policy": "IAM has no charge",
    "aws:lb/listener:Listener": "billed on its load balancer",
    "aws:lb/targetGroup:TargetGroup": "billed on its load balancer",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": "billed on its load balancer",
    "aws:iam/user:User": "IAM has no charge",
    "aws:iam/userPolicy:UserPolicy": "IAM has no charge",
    "aws:iam/accessKey:AccessKey": "IAM has no charge",
    "aws:route53/record:Record": "no charge of its own (queries are billed on the hosted zone you own; alias queries to a load balancer have none)",
    "aws:ses/domainIdentity:DomainIdentity": "no charge (SES bills per message sent, not per identity)",
    "aws:ses/domainIdentityVerification:DomainIdentityVerification": "no charge",
    "aws:ses/domainDkim:DomainDkim": "no charge",
    "aws:ses/mailFrom:MailFrom": "no charge",
    "aws:ses/emailIdentity:EmailIdentity": "no charge (SES bills per message sent, not per identity)",
    "aws:sns/topic:Topic": "no charge for the topic (deliveries are billed per use; the first 1,000 emails a month are free)",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "aws:sns/topicSubscription:TopicSubscription": "no charge (deliveries are billed on use)",
    "aws:kms/alias:Alias": "no charge",
    "aws:acm/certificate:Certificate": "public ACM certificates have no charge",
    "aws:acm/certificateValidation:CertificateValidation": "no charge",
    "tls:index/privateKey:PrivateKey": "generated locally, not an AWS resource",
    "command:remote:Command": "a command run over SSH, not an AWS resource",
    "command:local:Command": "a local command, not an AWS resource",
    "pulumi:pulumi:StackReference": "reads another stack's outputs",
    "pulumi:providers:sentry": "a provider for Sentry's API, not an AWS resource",
    "pulumi:providers:docker": "a provider for the edge Relay's Docker host, not an AWS resource",
    "docker:index/container:Container": "the edge Relay on the application host's Docker: no AWS charge on this stack",
    "docker:index/remoteImage:RemoteImage": "pulled onto the application host: no AWS charge on this stack",
    "docker:index/volume:Volume": "on the application host's disk: no AWS charge on this stack",
};

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

interface Context {
    region: string;
    prices: RegionPrices | undefined;
    plan: Plan;
}

type Estimator = (r: PlanResource, c: Context) => Omit<CostLine, "resource" | "type" | "currency">;

const unknown = (detail: string) => ({ monthly: null, detail });

/** The currency's symbol: ¥ for CNY (the China regions), $ for USD. */
export const symbol = (currency: string | undefined): string => (currency === "CNY" ? "¥" : "$");
/** A unit price as the table has it, with its currency's symbol ("¥2.02642", "$0.08"). */
const rate = (p: RegionPrices | undefined, n: number | undefined): string => `${symbol(p?.currency)}${n}`;

function gp3Monthly(p: RegionPrices | undefined, sizeGb: number, iops = 3000, throughput = 125): { monthly: number | null; detail: string } {
    if (p?.gp3GbMonth === undefined || (iops > 3000 && p.gp3IopsMonth === undefined) || (throughput > 125 && p.gp3ThroughputMBpsMonth === undefined)) {
        return unknown("gp3 price not in the table for this region");
    }
    const storage = sizeGb * p.gp3GbMonth;
    const extraIops = Math.max(0, iops - 3000) * (p.gp3IopsMonth ?? 0);
    const extraThroughput = Math.max(0, throughput - 125) * (p.gp3ThroughputMBpsMonth ?? 0);
    const parts = [`${sizeGb} GB x ${rate(p, p.gp3GbMonth)}/GB-month`];
    if (iops > 3000) {
        parts.push(`${iops - 3000} IOPS above 3000 x ${rate(p, p.gp3IopsMonth)}`);
    }
    if (throughput > 125) {
        parts.push(`${throughput - 125} MB/s above 125 x ${rate(p, p.gp3ThroughputMBpsMonth)}`);
    }
    return { monthly: storage + extraIops + extraThroughput, detail: `gp3 ${parts.join(" + ")}` };
}

/** Volumes a DLM policy snapshots: those carrying all of its target tags. */
function targetedVolumes(policy: PlanResource, plan: Plan): PlanResource[] {
    const targets = ((policy.inputs.policyDetails as Record<string, unknown> | undefined)?.targetTags ?? {}) as Record<string, unknown>;
    return plan.resources.filter((r) => r.type === "aws:ebs/volume:Volume" && Object.entries(targets).every(([k, v]) => (r.inputs.tags as Record<string, unknown> | undefined)?.[k] === v));
}

/**
 * AWS KMS: a customer managed key costs USD 1 a month (https://c3x.dev/resources/aws/aws_kms_key and
 * aws.amazon.com/kms/pricing as archived on 2019-03-08); with rotation enabled (components/aws/alarms.ts)
 * rotated key versions add to it from the second year (AWS changed how in May 2024; not modelled).
 */
const KMS_KEY_MONTH_USD = 1;

export const ESTIMATORS: Record<string, Estimator> = {
    "aws:ec2/instance:Instance": (r, { prices }) => {
        const type = String(r.inputs.instanceType);
        const hourly = prices?.ec2Hourly[type];
        const root = r.inputs.rootBlockDevice as Record<string, unknown> | undefined;
        const rootGb = num(root?.volumeSize) ?? 8;
        const rootType = String(root?.volumeType ?? "gp3");
        const disk = rootType === "gp3" ? gp3Monthly(prices, rootGb, num(root?.iops), num(root?.throughput)) : unknown(`${rootType} root volume not in the table`);
        if (hourly === undefined) {
            return unknown(`no on-demand price for ${type} in the table for this region`);
        }
        if (disk.monthly === null) {
            return unknown(`${type} ${rate(prices, hourly)}/h (${money(hourly * HOURS_PER_MONTH, prices!.currency)} a month), but the root volume's price is unknown (${disk.detail})`);
        }
        return { monthly: hourly * HOURS_PER_MONTH + disk.monthly, detail: `${type} ${rate(prices, hourly)}/h x ${HOURS_PER_MONTH} h + root ${disk.detail}` };
    },
    "aws:ebs/volume:Volume": (r, { prices }) => {
        const type = String(r.inputs.type ?? "gp3");
        if (type !== "gp3") {
            return unknown(`${type} volumes are not in the table`);
        }
        return gp3Monthly(prices, num(r.inputs.size) ?? 0, num(r.inputs.iops), num(r.inputs.throughput));
    },
    "aws:ec2/eip:Eip": (_r, { prices }) =>
        prices?.publicIpv4Hourly === undefined ? unknown("public IPv4 price not in the table") : { monthly: prices.publicIpv4Hourly * HOURS_PER_MONTH, detail: `public IPv4 ${rate(prices, prices.publicIpv4Hourly)}/h x ${HOURS_PER_MONTH} h` },
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": (r, { prices, plan }) => {
        const schedules = ((r.inputs.policyDetails as Record<string, unknown> | undefined)?.schedules ?? []) as Record<string, unknown>[];
        const kept = Math.max(0, ...schedules.map((s) => num((s.retainRule as Record<string, unknown> | undefined)?.count) ?? 0));
        const volumes = targetedVolumes(r, plan);
        const gb = volumes.reduce((sum, v) => sum + (num(v.inputs.size) ?? 0), 0);
        const assumption = `snapshots are incremental: the first holds ${ASSUMPTIONS.snapshotUsedShare * 100}% of the ${gb} GB targeted (the data written so far), each later one ${ASSUMPTIONS.snapshotDailyChangeShare * 100}% (what changed that day); ${kept} kept`;
        if (prices?.snapshotGbMonth === undefined) {
            return { ...unknown("snapshot price not in the table"), assumption };
        }
        const stored = gb * (ASSUMPTIONS.snapshotUsedShare + ASSUMPTIONS.snapshotDailyChangeShare * Math.max(0, kept - 1));
        return { monthly: stored * prices.snapshotGbMonth, detail: `about ${stored.toFixed(0)} GB stored x ${rate(prices, prices.snapshotGbMonth)}/GB-month`, assumption };
    },
    "aws:ebs/snapshot:Snapshot": (r, { prices, plan }) => {
        // The pre-upgrade snapshot: a full copy of the data written so far on its volume.
        const volume = plan.resources.find((x) => x.type === "aws:ebs/volume:Volume" && plan.placeholders?.[String(r.inputs.volumeId)] === `id of ${x.name}`);
        const gb = num(volume?.inputs.size);
        if (gb === undefined) {
            return unknown("the size of the snapshotted volume is not known to the estimate");
        }
        const assumption = `the snapshot holds ${ASSUMPTIONS.snapshotUsedShare * 100}% of the ${gb} GB volume (the data written so far); each older one kept adds what changed since`;
        if (prices?.snapshotGbMonth === undefined) {
            return { ...unknown("snapshot price not in the table"), assumption };
        }
        const stored = gb * ASSUMPTIONS.snapshotUsedShare;
        return { monthly: stored * prices.snapshotGbMonth, detail: `about ${stored.toFixed(0)} GB stored x ${rate(prices, prices.snapshotGbMonth)}/GB-month`, assumption };
    },
    "aws:kms/key:Key": (_r, { prices }) =>
        prices?.currency === "USD"
            ? { monthly: KMS_KEY_MONTH_USD, detail: `customer managed key $${KMS_KEY_MONTH_USD}/month in its first year (later rotations add to it; requests: the alarms' few publishes are negligible)` }
            : unknown("KMS key price not in the table for this region"),
    "aws:lb/loadBalancer:LoadBalancer": (r, { prices }) => {
        const type = String(r.inputs.loadBalancerType ?? "application");
        const assumption = `${ASSUMPTIONS.albAverageLcu} LCU on average`;
        if (type !== "application") {
            return unknown(`${type} load balancers are not in the table`);
        }
        if (prices?.albHourly === undefined || prices.albLcuHourly === undefined) {
            return { ...unknown("ALB price not in the table"), assumption };
        }
        const monthly = (prices.albHourly + ASSUMPTIONS.albAverageLcu * prices.albLcuHourly) * HOURS_PER_MONTH;
        return { monthly, detail: `ALB ${rate(prices, prices.albHourly)}/h + ${ASSUMPTIONS.albAverageLcu} LCU x ${rate(prices, prices.albLcuHourly)}/LCU-h, x ${HOURS_PER_MONTH} h`, assumption };
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": (r, { prices }) => {
        const highResolution = (num(r.inputs.period) ?? 60) < 60;
        const price = highResolution ? prices?.alarmHighResolutionMonth : prices?.alarmMonth;
        return price === undefined ? unknown("alarm price not in the table") : { monthly: price, detail: `${highResolution ? "high-resolution" : "standard"} alarm ${rate(prices, price)}/month` };
    },
    "aws:cloudwatch/logGroup:LogGroup": (r, { prices, plan }) => {
        // What the group receives: this estimate knows flow logs; any other writer is unknown.
        const fed = plan.resources.filter((x) => x.type === "aws:ec2/flowLog:FlowLog" && plan.placeholders?.[String(x.inputs.logDestination)] === `arn of ${r.name}`);
        if (fed.length === 0) {
            return unknown("what this log group receives is not known to the estimate");
        }
        const gb = ASSUMPTIONS.flowLogGbPerMonth * fed.length;
        const days = num(r.inputs.retentionInDays) ?? 0;
        const storedGb = days > 0 ? (gb * Math.min(days, 3650)) / 30 : gb * 12;
        const assumption = `${gb} GB of flow logs a month, kept ${days > 0 ? `${days} days` : "forever (counted as a year)"}`;
        if (prices?.logsIngestGb === undefined || prices.logsStorageGbMonth === undefined) {
            return { ...unknown("CloudWatch Logs prices not in the table"), assumption };
        }
        return { monthly: gb * prices.logsIngestGb + storedGb * prices.logsStorageGbMonth, detail: `ingest ${gb} GB x ${rate(prices, prices.logsIngestGb)} + store ${storedGb.toFixed(1)} GB x ${rate(prices, prices.logsStorageGbMonth)}`, assumption };
    },
};

/** The plan's estimate from `table` (the checked-in PRICES unless a test gives another). */
export function estimateCost(plan: Plan, table: Record<string, RegionPrices> = PRICES): CostEstimate {
    const region = plan.region ?? "eu-central-1";
    const prices = table[region];
    const currency = prices?.currency ?? (region.startsWith("cn-") ? "CNY" : "USD");
    const lines: CostLine[] = [];
    for (const r of plan.resources) {
        if (r.type.startsWith("sentry:")) {
            continue; // the program's own components (billed through their children) and Sentry's API objects (teams, projects, keys: no AWS charge)
        }
        const estimator = ESTIMATORS[r.type];
        const free = FREE_TYPES[r.type];
        const base = { resource: r.name, type: r.type, currency };
        if (estimator) {
            const line = estimator(r, { region, prices, plan });
            lines.push({ ...base, ...line, ...(prices ? {} : { monthly: null, detail: `region ${region} is not in the price table (tools/prices.ts)` }) });
        } else if (free !== undefined) {
            lines.push({ ...base, monthly: 0, detail: free });
        } else {
            lines.push({ ...base, monthly: null, detail: `resource type ${r.type} is not in the cost estimate (tools/cost.ts)` });
        }
    }
    const known = lines.filter((l) => l.monthly !== null);
    return {
        stack: plan.stack,
        region,
        currency,
        pricesAsOf: PRICES_AS_OF,
        lines,
        knownTotal: known.reduce((s, l) => s + (l.monthly ?? 0), 0),
        unknownCount: lines.length - known.length,
    };
}

export function money(amount: number | null, currency: string): string {
    if (amount === null) {
        return "unknown";
    }
    return `${symbol(currency)}${amount.toFixed(2)}`;
}

export function renderCost(c: CostEstimate): string {
    if (!c.lines.some((l) => l.type.startsWith("aws:"))) {
        return `Estimated monthly cost of stack ${c.stack}: no AWS resources (a server you own); nothing here is billed by AWS.\n`;
    }
    const out = [`Estimated monthly cost of stack ${c.stack} in ${c.region} (${c.currency}, list prices of ${c.pricesAsOf}, tools/prices.ts):`];
    const billed = c.lines.filter((l) => l.monthly !== 0);
    for (const l of billed) {
        out.push(`  ${money(l.monthly, c.currency).padStart(10)}  ${l.resource}  (${l.type})  ${l.detail}${l.assumption ? `; assumes ${l.assumption}` : ""}`);
    }
    const free = c.lines.length - billed.length;
    out.push(`  ${money(0, c.currency).padStart(10)}  ${free} resources with no charge of their own (VPC, security groups, IAM, host steps, ...)`);
    const items = `${c.unknownCount} item${c.unknownCount === 1 ? "" : "s"} of unknown price`;
    out.push(
        c.unknownCount === 0
            ? `  total ${money(c.knownTotal, c.currency)} a month; data transfer, requests and taxes not included`
            : `  total unknown: ${money(c.knownTotal, c.currency)} a month for the priced items, plus ${items}; data transfer, requests and taxes not included`,
    );
    return out.join("\n") + "\n";
}

export interface CostChange {
    before: CostEstimate;
    after: CostEstimate;
    lines: { resource: string; type: string; before: number | null | undefined; after: number | null | undefined }[];
    /** null when either side has an unknown line that changed, or the currencies differ. */
    delta: number | null;
}

export function costChange(before: CostEstimate, after: CostEstimate): CostChange {
    const key = (l: CostLine) => `${l.type}::${l.resource}`;
    const a = new Map(before.lines.map((l) => [key(l), l]));
    const b = new Map(after.lines.map((l) => [key(l), l]));
    const lines = [...new Set([...a.keys(), ...b.keys()])]
        .map((k) => ({ resource: (b.get(k) ?? a.get(k))!.resource, type: (b.get(k) ?? a.get(k))!.type, before: a.get(k)?.monthly, after: b.get(k)?.monthly }))
        .filter((l) => l.before !== l.after);
    const unknownInvolved = lines.some((l) => l.before === null || l.after === null) || before.currency !== after.currency;
    const delta = unknownInvolved ? null : lines.reduce((s, l) => s + (l.after ?? 0) - (l.before ?? 0), 0);
    return { before, after, lines, delta };
}

export function renderCostChange(c: CostChange): string {
    const cur = c.after.currency;
    const sign = (n: number) => `${n >= 0 ? "+" : "-"}${money(Math.abs(n), cur)}`;
    const out = [
        `Cost change of stack ${c.after.stack}: ${money(c.before.knownTotal, c.before.currency)} -> ${money(c.after.knownTotal, cur)} a month, ${c.delta === null ? `change unknown (${c.before.currency !== cur ? `the prices are in ${c.before.currency} before and ${cur} after` : "a changed item has no price in the table"})` : sign(c.delta)}`,
    ];
    for (const l of c.lines) {
        const d = l.before !== null && l.after !== null ? `  (${sign((l.after ?? 0) - (l.before ?? 0))})` : "";
        out.push(`  ${l.resource}: ${l.before === undefined ? "(new)" : money(l.before, c.before.currency)} -> ${l.after === undefined ? "(removed)" : money(l.after, cur)}${d}`);
    }
    return out.join("\n") + "\n";
}
