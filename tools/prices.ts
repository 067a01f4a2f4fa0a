// The price table `npm run plan -- --cost` estimates a stack's monthly cost from: AWS list
// prices (on-demand, Linux, no free tier, no Savings Plans or Reserved Instances, taxes not
// included), per region and in the region's currency (USD; CNY for the China regions).
//
// Sources (AWS's public pricing pages, as of the date below; this machine cannot reach AWS's
// Price List API, so the figures were transcribed by hand and cross-checked where third-party
// copies were found):
//   EC2 on-demand         https://aws.amazon.com/ec2/pricing/on-demand/   (us-east-1 m7i.xlarge
//                         $0.2016/h also in https://c3x.dev/blog/m5-vs-m6i-vs-m7i-cost-performance)
//   EBS gp3, snapshots    https://aws.amazon.com/ebs/pricing/             (us-east-1 gp3 $0.08/GB-month,
//                         $0.005 per IOPS-month above 3,000, $0.04 per MB/s-month above 125 MB/s;
//                         also https://www.saisci.com/aws/gp3-throughput-explained/)
//   Public IPv4           https://aws.amazon.com/vpc/pricing/             ($0.005 per address-hour since
//                         2024-02-01, Elastic IPs included, every commercial region; AWS networking
//                         blog "Identify and optimize public IPv4 address usage on AWS")
//   Load balancers        https://aws.amazon.com/elasticloadbalancing/pricing/
//   CloudWatch            https://aws.amazon.com/cloudwatch/pricing/      (standard alarm $0.10 per
//                         alarm-month; logs ingestion per GB, vended logs such as VPC flow logs at
//                         the same first-tier rate; storage per GB-month)
//   China regions         https://www.amazonaws.cn/en/pricing/ (Sinnet / NWCD, CNY): not
//                         transcribed yet, so every China figure is absent and shows as unknown.
// A figure that is absent here is shown as "unknown", never as 0. Prices change: check the
// AWS Pricing Calculator before a purchase decision, and update the table (and PRICES_AS_OF).
//
// Extending it:
//   - a region: add an entry to PRICES keyed by the region name with its currency; give only
//     the figures you have from the pricing pages (missing ones stay unknown);
//   - an instance type: add it to `ec2Hourly` of each region it is priced for;
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

const IPV4 = 0.005;

export const PRICES: Record<string, RegionPrices> = {
    "us-east-1": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.1785,
            "c7i.2xlarge": 0.357,
            "m7i.large": 0.1008,
            "m7i.xlarge": 0.2016,
            "m7i.2xlarge": 0.4032,
            "m6i.xlarge": 0.192,
            "m7g.xlarge": 0.1632,
            "c7g.xlarge": 0.145,
            "t3.xlarge": 0.1664,
            "r7i.xlarge": 0.2646,
        },
        gp3GbMonth: 0.08,
        gp3IopsMonth: 0.005,
        gp3ThroughputMBpsMonth: 0.04,
        snapshotGbMonth: 0.05,
        publicIpv4Hourly: IPV4,
        albHourly: 0.0225,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.5,
        logsStorageGbMonth: 0.03,
    },
    "us-west-2": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.1785,
            "c7i.2xlarge": 0.357,
            "m7i.large": 0.1008,
            "m7i.xlarge": 0.2016,
            "m7i.2xlarge": 0.4032,
            "m6i.xlarge": 0.192,
            "m7g.xlarge": 0.1632,
            "c7g.xlarge": 0.145,
            "t3.xlarge": 0.1664,
        },
        gp3GbMonth: 0.08,
        gp3IopsMonth: 0.005,
        gp3ThroughputMBpsMonth: 0.04,
        snapshotGbMonth: 0.05,
        publicIpv4Hourly: IPV4,
        albHourly: 0.0225,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.5,
        logsStorageGbMonth: 0.03,
    },
    "eu-west-1": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.2016,
            "m7i.xlarge": 0.2247,
            "m7i.2xlarge": 0.4494,
            "m6i.xlarge": 0.214,
        },
        gp3GbMonth: 0.088,
        gp3IopsMonth: 0.0055,
        gp3ThroughputMBpsMonth: 0.044,
        snapshotGbMonth: 0.05,
        publicIpv4Hourly: IPV4,
        albHourly: 0.0252,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.57,
        logsStorageGbMonth: 0.03,
    },
    "eu-central-1": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.2037,
            "c7i.2xlarge": 0.4074,
            "m7i.large": 0.12075,
            "m7i.xlarge": 0.2415,
            "m7i.2xlarge": 0.483,
            "m6i.xlarge": 0.23,
        },
        gp3GbMonth: 0.0952,
        gp3IopsMonth: 0.006,
        gp3ThroughputMBpsMonth: 0.048,
        snapshotGbMonth: 0.054,
        publicIpv4Hourly: IPV4,
        albHourly: 0.027,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.63,
        logsStorageGbMonth: 0.0324,
    },
    "ap-northeast-1": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.2247,
            "m7i.xlarge": 0.2604,
            "m6i.xlarge": 0.248,
        },
        gp3GbMonth: 0.096,
        gp3IopsMonth: 0.006,
        gp3ThroughputMBpsMonth: 0.048,
        snapshotGbMonth: 0.05,
        publicIpv4Hourly: IPV4,
        albHourly: 0.0243,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.76,
        logsStorageGbMonth: 0.033,
    },
    "ap-southeast-1": {
        currency: "USD",
        ec2Hourly: {
            "c7i.xlarge": 0.2058,
            "m7i.xlarge": 0.252,
            "m6i.xlarge": 0.24,
        },
        gp3GbMonth: 0.096,
        gp3IopsMonth: 0.006,
        gp3ThroughputMBpsMonth: 0.048,
        snapshotGbMonth: 0.05,
        publicIpv4Hourly: IPV4,
        albHourly: 0.0252,
        albLcuHourly: 0.008,
        alarmMonth: 0.1,
        alarmHighResolutionMonth: 0.3,
        logsIngestGb: 0.7,
        logsStorageGbMonth: 0.03,
    },
    // China (Beijing, operated by Sinnet) and China (Ningxia, operated by NWCD): priced in CNY
    // on amazonaws.cn; no figure transcribed yet (see the header), so everything is unknown.
    "cn-north-1": { currency: "CNY", ec2Hourly: {} },
    "cn-northwest-1": { currency: "CNY", ec2Hourly: {} },
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
