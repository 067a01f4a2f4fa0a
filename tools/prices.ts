// The price table `npm run plan -- --cost` estimates a stack's monthly cost from: AWS list
// prices (on-demand, Linux, no free tier, no Savings Plans or Reserved Instances, taxes not
// included), per region and in the region's currency (USD; CNY for the China regions).
//
// Every figure carries a tag saying where it was confirmed. This machine cannot reach AWS's
// pricing pages or its Price List API, so figures were checked against the stored copies of
// public pages below (each with its own date; PRICES_AS_OF is the date of that check):
//   [karp]    https://github.com/aws/karpenter-provider-aws/blob/6fc13b5236fd04fd16ff3f9dc7490d0813994099/pkg/providers/pricing/zz_generated.pricing_aws.go
//             EC2 on-demand, us-east-1: AWS's Karpenter, generated from the Price List API on 2026-07-20
//   [karp-cn] https://github.com/aws/karpenter-provider-aws/blob/655d4733d635e2b633333373c969b1327deb7a81/pkg/providers/pricing/zz_generated.pricing_aws_cn.go
//             EC2 on-demand, cn-north-1, CNY: the same, generated on 2024-11-06 (Beijing only, no Ningxia)
//   [c3x-m]   https://c3x.dev/blog/m5-vs-m6i-vs-m7i-cost-performance         us-east-1 m6i/m7i/m7g.xlarge
//   [saisci]  https://www.saisci.com/aws/gp2-vs-gp3-cost-comparison-ebs-volumes/   us-east-1 gp3 (GB, IOPS, MB/s)
//   [c3x-s]   https://c3x.dev/resources/aws/aws_ebs_snapshot/               snapshots, standard tier, us-east-1
//   [ipv4]    https://www.doit.com/aws-public-ipv4-price-increase-the-complete-guide/ and AWS's announcement
//             https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-usage-on-aws/
//             public IPv4, every address in use or idle (Elastic IPs included) since 2024-02-01
//   [ch-alb]  https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/   ALB hour and LCU-hour, us-east-1
//   [darcy]   https://aws.darcy-it.com/elb%E3%81%AE%E3%82%B3%E3%82%B9%E3%83%88%E6%96%99%E9%87%91/
//             ALB hour and LCU-hour (a Japanese page: Tokyo's rate)
//   [calc]    https://cal53.calculator.city/aws-alb-cost-calculator/        ALB hour by region (a calculator's table: weak)
//   [c3x-a]   https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm     alarms, standard and high-resolution
//   [c3x-l]   https://c3x.dev/resources/aws/aws_cloudwatch_log_group        logs ingestion (vended too) and storage
//   [hj-gp3]  https://hendric-jabs.de/2023/11/02/gp3-in-2-minuten/          eu-central-1 gp3 (GB, IOPS, MB/s)
//   [awsi]    https://awsi.click/en/articles/cloudwatch-logs-cost-structure-surprise/   ap-northeast-1 logs
//   [cn-cw]   https://amazonaws.cn/cloudwatch/pricing                        China alarms (both China regions, CNY)
//   [code]    no page found; the figure agrees with independent price tables in public code (an ALB table
//             "from aws.amazon.com/elasticloadbalancing/pricing", a Frankfurt table "from the AWS Pricing
//             API", a per-region table "checked against AWS's price list") whose repositories the
//             search index does not name, so they cannot be cited
//   [memory]  UNCONFIRMED: kept from the table's first version (transcribed by hand from memory of
//             aws.amazon.com's pricing pages); no stored source was found to confirm or correct it
// A figure with real doubt and no source was removed rather than guessed: it shows as unknown.
// A figure that is absent here is shown as "unknown", never as 0. Prices change: check the AWS
// Pricing Calculator (calculator.aws, calculator.amazonaws.cn) before a purchase decision.
//
// China (Beijing, Sinnet; Ningxia, NWCD) is priced in CNY on www.amazonaws.cn. Found: the CloudWatch
// alarm prices of both regions, and Beijing's EC2 prices. Not found: Ningxia's EC2 prices (lower
// than Beijing's, so Beijing's are not used for it), EBS (gp3 and snapshots), the load balancer,
// CloudWatch Logs, and whether and at what rate China charges for public IPv4: they are absent and
// a China stack shows them as unknown (and an instance as unknown too, its root volume's price
// being unknown; its hourly rate is still printed).
//
// Extending it:
//   - a figure shared by a whole partition or currency (a commercial-wide rate): COMMERCIAL below;
//   - a region: add it to PRICES with `region(BASE, { ...figures that differ })`, BASE being the
//     closest region already in the table (its figures are copied unless overridden; set one to
//     `undefined` to drop it, and say which figures it inherits and on what grounds) or CHINA_BASE
//     for cn-*; give only figures you have a source for, tag each, and add the source above;
//   - an instance type: add it to `ec2Hourly` of each region it is priced for (a region that
//     gives `ec2Hourly` has only those types; one that does not has its base's);
//   - a resource type: add its estimator to ESTIMATORS in tools/cost.ts (reading a new field
//     here), or, if it is never billed by itself (a VPC, a route table), to FREE_TYPES there.

export const PRICES_AS_OF = "2026-12-02";

export interface RegionPrices {
    currency: "USD" | "CNY";
    /** EC2 on-demand Linux, per instance-hour. */
    ec2Hourly: Record<string, number>;
    /** EBS gp3: per GB-month, per provisioned IOPS-month above 3,000, per MB/s-month above 125. */
    gp3GbMonth?: number;
    gp3IopsMonth?: number;
    gp3ThroughputMBpsMonth?: number;
    /** EBS snapshots, standard tier, per GB-month of stored (incremental) data. */
    snapshotGbMonth?: number;
    /** Public IPv4 address (in use or idle, Elastic IPs included), per address-hour. */
    publicIpv4Hourly?: number;
    /** Application Load Balancer: per hour, and per LCU-hour. */
    albHourly?: number;
    albLcuHourly?: number;
    /** CloudWatch: standard-resolution alarm per alarm-month; high-resolution alarm per alarm-month. */
    alarmMonth?: number;
    alarmHighResolutionMonth?: number;
    /** CloudWatch Logs: ingestion per GB (first tier, vended logs such as flow logs included), storage per GB-month. */
    logsIngestGb?: number;
    logsStorageGbMonth?: number;
}

type Figures = Partial<Omit<RegionPrices, "currency">>;

/**
 * `base` with `overrides` applied. A figure given as undefined is dropped (unknown in that region).
 * `ec2Hourly`, when given, replaces the base's list: instance prices differ from region to region.
 */
export function region(base: RegionPrices, overrides: Figures): RegionPrices {
    const merged: RegionPrices = { ...base, ...overrides, ec2Hourly: { ...(overrides.ec2Hourly ?? base.ec2Hourly) } };
    for (const key of Object.keys(merged) as (keyof RegionPrices)[]) {
        if (merged[key] === undefined) {
            delete merged[key];
        }
    }
    return merged;
}

/** What AWS charges the same in every commercial (USD) region. */
const COMMERCIAL = {
    publicIpv4Hourly: 0.005, // [ipv4]
    albLcuHourly: 0.008, // [ch-alb] us-east-1, [darcy] Tokyo; [memory] the same elsewhere
    alarmMonth: 0.1, // [c3x-a] us-east-1; [memory] the same in the other regions here
    alarmHighResolutionMonth: 0.3, // [c3x-a] us-east-1; [memory] the same in the other regions here
} satisfies Figures;

/** US East (N. Virginia): the base of the other commercial regions. */
const US_EAST_1: RegionPrices = {
    currency: "USD",
    ...COMMERCIAL,
    ec2Hourly: {
        "c7i.xlarge": 0.1785, // [karp]
        "c7i.2xlarge": 0.357, // [karp]
        "m7i.large": 0.1008, // [karp]
        "m7i.xlarge": 0.2016, // [karp], [c3x-m]
        "m7i.2xlarge": 0.4032, // [karp]
        "m6i.xlarge": 0.192, // [karp], [c3x-m]
        "m7g.xlarge": 0.1632, // [karp], [c3x-m]
        "c7g.xlarge": 0.145, // [karp]
        "t3.xlarge": 0.1664, // [karp]
        "r7i.xlarge": 0.2646, // [karp]
    },
    gp3GbMonth: 0.08, // [saisci]
    gp3IopsMonth: 0.005, // [saisci]
    gp3ThroughputMBpsMonth: 0.04, // [saisci]
    snapshotGbMonth: 0.05, // [c3x-s]
    albHourly: 0.0225, // [ch-alb], [code], [calc]
    logsIngestGb: 0.5, // [c3x-l]
    logsStorageGbMonth: 0.03, // [c3x-l]
};

/** The China regions (CNY, www.amazonaws.cn): both regions publish the same CloudWatch prices. */
const CHINA_BASE: RegionPrices = {
    currency: "CNY",
    ec2Hourly: {},
    alarmMonth: 0.622, // [cn-cw] standard resolution (60 s), per alarm metric
    alarmHighResolutionMonth: 2.036, // [cn-cw] high resolution (10 s)
};

export const PRICES: Record<string, RegionPrices> = {
    "us-east-1": US_EAST_1,
    // US West (Oregon): [memory] the same list prices as us-east-1 for every figure here ([code] for the ALB hour).
    "us-west-2": region(US_EAST_1, {}),
    // Europe (Ireland). Inherits COMMERCIAL and, [memory] the same here, snapshots and logs storage.
    "eu-west-1": region(US_EAST_1, {
        ec2Hourly: {
            "c7i.xlarge": 0.2016, // [memory]
            "m7i.xlarge": 0.2247, // [code]
            "m7i.2xlarge": 0.4494, // [code]
            "m6i.xlarge": 0.214, // [memory]
        },
        gp3GbMonth: 0.088, // [code]
        gp3IopsMonth: 0.0055, // [memory]
        gp3ThroughputMBpsMonth: 0.044, // [memory]
        albHourly: 0.0252, // [code], [calc]
        logsIngestGb: 0.57, // [memory]
    }),
    // Europe (Frankfurt), the committed stacks' region. Inherits COMMERCIAL.
    "eu-central-1": region(US_EAST_1, {
        ec2Hourly: {
            "c7i.xlarge": 0.2037, // [code]
            "c7i.2xlarge": 0.4074, // [memory]
            "m7i.large": 0.12075, // [memory]
            "m7i.xlarge": 0.2415, // [memory]
            "m7i.2xlarge": 0.483, // [memory]
            "m6i.xlarge": 0.23, // [memory]
        },
        gp3GbMonth: 0.0952, // [hj-gp3]
        gp3IopsMonth: 0.006, // [hj-gp3]
        gp3ThroughputMBpsMonth: 0.048, // [hj-gp3]
        snapshotGbMonth: 0.054, // [memory]
        albHourly: 0.027, // [code]
        logsIngestGb: 0.63, // [memory]
        logsStorageGbMonth: 0.0324, // [memory]
    }),
    // Asia Pacific (Tokyo). Inherits COMMERCIAL and, [memory] the same here, snapshots.
    "ap-northeast-1": region(US_EAST_1, {
        ec2Hourly: {
            "c7i.xlarge": 0.2247, // [memory]
            "m7i.xlarge": 0.2604, // [memory]
            "m6i.xlarge": 0.248, // [memory]
        },
        gp3GbMonth: 0.096, // [memory]
        gp3IopsMonth: 0.006, // [memory]
        gp3ThroughputMBpsMonth: 0.048, // [memory]
        albHourly: 0.0243, // [darcy], [code]
        logsIngestGb: 0.76, // [awsi]
        logsStorageGbMonth: 0.033, // [awsi]
    }),
    // Asia Pacific (Singapore). Inherits COMMERCIAL and, [memory] the same here, snapshots.
    "ap-southeast-1": region(US_EAST_1, {
        ec2Hourly: {
            "c7i.xlarge": 0.2058, // [memory]
            "m7i.xlarge": 0.252, // [memory]
            "m6i.xlarge": 0.24, // [memory]
        },
        gp3GbMonth: 0.096, // [memory]
        gp3IopsMonth: 0.006, // [memory]
        gp3ThroughputMBpsMonth: 0.048, // [memory]
        albHourly: 0.0252, // [code]
        // CloudWatch Logs removed: no source, and real doubt about the storage rate.
        logsIngestGb: undefined,
        logsStorageGbMonth: undefined,
    }),
    // China (Beijing, operated by Sinnet) and China (Ningxia, operated by NWCD).
    // China (Beijing): the 6th generation is the China default (settings.ts: c6i.xlarge, m6i.xlarge).
    "cn-north-1": region(CHINA_BASE, {
        ec2Hourly: {
            "c6i.xlarge": 1.47874, // [karp-cn]
            "c6i.2xlarge": 2.95747, // [karp-cn]
            "m6i.large": 1.01321, // [karp-cn]
            "m6i.xlarge": 2.02642, // [karp-cn]
            "m6i.2xlarge": 4.05283, // [karp-cn]
            "t3.xlarge": 1.0515, // [karp-cn]
            "m7g.xlarge": 1.7225, // [karp-cn]
            "c7g.xlarge": 1.2569, // [karp-cn]
        },
    }),
    // China (Ningxia): no EC2 price found (see the header).
    "cn-northwest-1": region(CHINA_BASE, {}),
};

/** Hours in the month the estimate assumes (AWS's own calculator uses 730). */
export const HOURS_PER_MONTH = 730;

/**
 * Usage the estimate has to assume, because the plan cannot know it. Each figure is printed
 * next to the line it affects.
 */
export const ASSUMPTIONS = {
    /** Snapshots: the first holds the data written so far, as a share of the volume; each later one adds what changed that day. */
    snapshotUsedShare: 0.5,
    snapshotDailyChangeShare: 0.02,
    /** ALB: average LCUs consumed around the clock (one Sentry host behind it stays well under 1 LCU). */
    albAverageLcu: 1,
    /** VPC flow logs of one host, GB ingested a month (a busy Sentry host's accepted and rejected flows). */
    flowLogGbPerMonth: 2,
};
