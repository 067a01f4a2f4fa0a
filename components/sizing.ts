// What self-hosted Sentry needs from a host, and what common EC2 types offer.
// Requirements come from getsentry/self-hosted install/_min-requirements.sh:
// the installer refuses hosts below MIN_CPU_HARD / MIN_RAM_HARD (MB visible to Docker).
// We ask for the whole-GiB size that clears that bar with OS overhead (7000 MB -> 8 GiB,
// 14000 MB -> 16 GiB), because a type that only just passes the check is the one that
// falls over under load.

export type SentryProfile = "errors-only" | "feature-complete";
export const SENTRY_PROFILES: readonly SentryProfile[] = ["errors-only", "feature-complete"];

export interface ProfileRequirement {
    minVcpus: number;
    minMemoryMiB: number;
    /** What install/_min-requirements.sh enforces, for messages. */
    installerMinRamMb: number;
}

const PROFILE_REQUIREMENTS: Record<SentryProfile, ProfileRequirement> = {
    "errors-only": { minVcpus: 2, minMemoryMiB: 8 * 1024, installerMinRamMb: 7000 },
    "feature-complete": { minVcpus: 4, minMemoryMiB: 16 * 1024, installerMinRamMb: 14000 },
};

export type CpuArchitecture = "x86_64" | "arm64";

export interface InstanceTypeFacts {
    vcpus: number;
    memoryMiB: number;
    architecture: CpuArchitecture;
}

/**
 * Facts for the instance types people commonly pick for this job, as
 * `aws ec2 describe-instance-types` reports them. The program itself asks AWS
 * (aws.ec2.getInstanceType); this table answers for the offline plan, the
 * mocks and the policy pack, which run without AWS.
 */
export const KNOWN_INSTANCE_TYPES: Record<string, InstanceTypeFacts> = {
    "t3.medium": { vcpus: 2, memoryMiB: 4096, architecture: "x86_64" },
    "t3.large": { vcpus: 2, memoryMiB: 8192, architecture: "x86_64" },
    "t3.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "x86_64" },
    "t3.2xlarge": { vcpus: 8, memoryMiB: 32768, architecture: "x86_64" },
    "t3a.large": { vcpus: 2, memoryMiB: 8192, architecture: "x86_64" },
    "t3a.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "x86_64" },
    "t4g.large": { vcpus: 2, memoryMiB: 8192, architecture: "arm64" },
    "t4g.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "arm64" },
    "c6i.xlarge": { vcpus: 4, memoryMiB: 8192, architecture: "x86_64" },
    "c7i.xlarge": { vcpus: 4, memoryMiB: 8192, architecture: "x86_64" },
    "c7i.2xlarge": { vcpus: 8, memoryMiB: 16384, architecture: "x86_64" },
    "c7g.xlarge": { vcpus: 4, memoryMiB: 8192, architecture: "arm64" },
    "c7g.2xlarge": { vcpus: 8, memoryMiB: 16384, architecture: "arm64" },
    "m6i.large": { vcpus: 2, memoryMiB: 8192, architecture: "x86_64" },
    "m6i.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "x86_64" },
    "m6i.2xlarge": { vcpus: 8, memoryMiB: 32768, architecture: "x86_64" },
    "m7i.large": { vcpus: 2, memoryMiB: 8192, architecture: "x86_64" },
    "m7i.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "x86_64" },
    "m7i.2xlarge": { vcpus: 8, memoryMiB: 32768, architecture: "x86_64" },
    "m7g.large": { vcpus: 2, memoryMiB: 8192, architecture: "arm64" },
    "m7g.xlarge": { vcpus: 4, memoryMiB: 16384, architecture: "arm64" },
    "m7g.2xlarge": { vcpus: 8, memoryMiB: 32768, architecture: "arm64" },
    "r7i.large": { vcpus: 2, memoryMiB: 16384, architecture: "x86_64" },
    "r7i.xlarge": { vcpus: 4, memoryMiB: 32768, architecture: "x86_64" },
    "r7g.large": { vcpus: 2, memoryMiB: 16384, architecture: "arm64" },
    "r7g.xlarge": { vcpus: 4, memoryMiB: 32768, architecture: "arm64" },
};

/** Returns a message explaining why `facts` cannot run `profile`, or undefined when it can. */
export function sizingProblem(instanceType: string, facts: InstanceTypeFacts, profile: SentryProfile): string | undefined {
    const need = PROFILE_REQUIREMENTS[profile];
    if (facts.vcpus >= need.minVcpus && facts.memoryMiB >= need.minMemoryMiB) {
        return undefined;
    }
    const gib = (mib: number) => `${mib / 1024} GiB`;
    const fix =
        profile === "feature-complete"
            ? `pick a type with at least ${need.minVcpus} vCPUs and ${gib(need.minMemoryMiB)} (e.g. m7i.xlarge or m7g.xlarge), or set profile to errors-only`
            : `pick a type with at least ${need.minVcpus} vCPUs and ${gib(need.minMemoryMiB)} (e.g. c7i.xlarge or t3.large)`;
    return (
        `instance type ${instanceType} has ${facts.vcpus} vCPUs and ${gib(facts.memoryMiB)}, ` +
        `but the ${profile} profile needs at least ${need.minVcpus} vCPUs and ${gib(need.minMemoryMiB)} ` +
        `(self-hosted's installer refuses less than ${need.installerMinRamMb} MB): ${fix}`
    );
}

/** A Redis maxmemory value ("512mb", "2gb") in MiB, or undefined when it is not one. */
export function redisMaxMemoryMiB(value: string): number | undefined {
    const match = /^([1-9]\d*)(mb|gb)$/.exec(value);
    return match ? Number(match[1]) * (match[2] === "gb" ? 1024 : 1) : undefined;
}

/**
 * Redis's cap must leave the host room for the rest of Sentry: the installer's own minimum
 * (7000 MB errors-only, 14000 MB feature-complete) is the whole stack's need, Redis
 * included, so a cap above half the host's memory starves Kafka, ClickHouse, Postgres and the
 * workers long before Redis reaches it (and one at or above it cannot be reached at all).
 */
export function redisMaxMemoryProblem(redisMaxMemory: string, instanceType: string, facts: InstanceTypeFacts): string | undefined {
    const cap = redisMaxMemoryMiB(redisMaxMemory);
    if (cap === undefined || cap <= facts.memoryMiB / 2) {
        return undefined;
    }
    return `${redisMaxMemory} is more than half of ${instanceType}'s ${facts.memoryMiB / 1024} GiB of memory; the rest of Sentry (Kafka, ClickHouse, Postgres, the workers) needs the other half`;
}

/**
 * A PLANNING FIGURE, not a measurement: error events per minute one vCPU of a self-hosted
 * host is assumed to ingest when the install sets no global limit (`system.rate-limit` 0).
 * Upstream publishes no throughput figure; this one is deliberately low (a 4 vCPU host:
 * 4000/min, about 67 per second, below what the ingest consumers and ClickHouse keep up with
 * on such a host) so that the per-key limits derived from it err towards protecting Sentry.
 * Set `sentry:eventsPerMinuteLimit` and the derived limits follow that figure instead.
 */
export const PLANNED_EVENTS_PER_MINUTE_PER_VCPU = 1000;

/** The vCPUs a profile's smallest host has: what a host of unknown size (your own server) is assumed to have. */
export function profileMinVcpus(profile: SentryProfile): number {
    return PROFILE_REQUIREMENTS[profile].minVcpus;
}

/**
 * Events per minute the install can take: the global limit when one is set (above it Relay
 * answers 429 anyway), else the planning figure for the host's vCPUs.
 */
export function ingestCapacityPerMinute(eventsPerMinuteLimit: number, vcpus: number): number {
    return eventsPerMinuteLimit > 0 ? eventsPerMinuteLimit : vcpus * PLANNED_EVENTS_PER_MINUTE_PER_VCPU;
}
