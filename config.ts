// The one typed config loader. Every setting the program reads is read here, given its
// default, and validated; components receive typed values and never touch pulumi.Config.
import * as pulumi from "@pulumi/pulumi";
import { SentrySettings } from "./components/provisioner";
import { SENTRY_PROFILES, SentryProfile } from "./components/sizing";
import { Environment, PRODUCTION_STACK, PROJECT } from "./components/tags";
import {
    cidrContains,
    cidrProblem,
    cidrsOverlap,
    dataVolumeSizeProblem,
    duplicateCidrsProblem,
    emailProblem,
    gp3PerformanceProblem,
    isDataDir,
    isIsoUtc,
    originProblem,
    sentryVersionProblem,
    shellSafeProblem,
    sshCidrsProblem,
    sshPublicKeyProblem,
} from "./components/validation";
import { versionPolicyProblem } from "./components/versions";

const ENVIRONMENTS: readonly Environment[] = ["production", "staging", "trial"];

export interface AwsNetworkNew {
    kind: "new";
    vpcCidr: string;
    subnetCidr: string;
    availabilityZone?: string;
}

export interface AwsNetworkExisting {
    kind: "existing";
    vpcId: string;
    subnetId: string;
}

export interface AwsPlacement {
    kind: "aws";
    region: string;
    instanceType: string;
    amiId?: string;
    rootVolumeSizeGb: number;
    dataVolume: { sizeGb: number; iops: number; throughputMBps: number };
    network: AwsNetworkNew | AwsNetworkExisting;
    webCidrs: string[];
    adminSshCidrs: string[];
    sshPublicKeys: string[];
    snapshotRetentionDays: number;
    flowLogRetentionDays: number;
}

export interface ExistingPlacement {
    kind: "existing";
    address: string;
    port: number;
    user: string;
    privateKey: pulumi.Output<string>;
    dataDir: string;
    dataDevice?: string;
    sshPublicKeys: string[];
}

export interface StackConfig {
    project: string;
    stack: string;
    environment: Environment;
    protect: boolean;
    expiresAt?: string;
    sentry: SentrySettings;
    adminPassword: pulumi.Output<string>;
    placement: AwsPlacement | ExistingPlacement;
}

/** Where raw values come from: pulumi.Config in a deployment, a plain map in tests. */
export interface ConfigSource {
    /** Raw string value (objects and arrays as JSON), or undefined when unset. */
    get(key: string): string | undefined;
    /** Secret value, or undefined when unset. */
    getSecret(key: string): pulumi.Output<string> | undefined;
    /** The AWS provider's own `aws:region`. */
    awsRegion(): string | undefined;
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

interface ProfileDefaults {
    instanceType: string;
    swapSizeGb: number;
    redisMaxMemory: string;
    dataVolumeSizeGb: number;
}

/** Per-profile defaults: the design card's 4 vCPU / 8 GiB host only fits errors-only. */
const PROFILE_DEFAULTS: Record<SentryProfile, ProfileDefaults> = {
    "errors-only": { instanceType: "c7i.xlarge", swapSizeGb: 8, redisMaxMemory: "1gb", dataVolumeSizeGb: 60 },
    "feature-complete": { instanceType: "m7i.xlarge", swapSizeGb: 16, redisMaxMemory: "2gb", dataVolumeSizeGb: 200 },
};

export const DEFAULT_SENTRY_VERSION = "26.8.0";
const DEFAULT_REPO_URL = "https://github.com/getsentry/self-hosted.git";

const key = (k: string) => `${PROJECT}:${k}`;

class Reader {
    readonly problems: string[] = [];
    constructor(private readonly source: ConfigSource) {}

    fail(k: string, value: unknown, why: string, fix: string): void {
        const shown = typeof value === "string" ? value : JSON.stringify(value);
        this.problems.push(`${key(k)} = ${shown}: ${why}. Fix: ${fix}`);
    }

    string(k: string): string | undefined {
        const v = this.source.get(k);
        return v === undefined || v === "" ? undefined : v;
    }

    choice<T extends string>(k: string, allowed: readonly T[], fallback: T): T {
        const v = this.string(k);
        if (v === undefined) {
            return fallback;
        }
        if (!(allowed as readonly string[]).includes(v)) {
            this.fail(k, v, `must be one of ${allowed.join(", ")}`, `pulumi config set ${key(k)} ${fallback}`);
            return fallback;
        }
        return v as T;
    }

    int(k: string, fallback: number, min: number, max: number): number {
        const v = this.string(k);
        if (v === undefined) {
            return fallback;
        }
        const n = Number(v);
        if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) {
            this.fail(k, v, `must be a whole number from ${min} to ${max}`, `pulumi config set ${key(k)} ${fallback}`);
            return fallback;
        }
        return n;
    }

    bool(k: string, fallback: boolean): boolean {
        const v = this.string(k);
        if (v === undefined) {
            return fallback;
        }
        if (v !== "true" && v !== "false") {
            this.fail(k, v, "must be true or false", `pulumi config set ${key(k)} ${fallback}`);
            return fallback;
        }
        return v === "true";
    }

    list(k: string): string[] {
        const v = this.string(k);
        if (v === undefined) {
            return [];
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(v);
        } catch {
            parsed = undefined;
        }
        if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
            this.fail(k, v, "must be a list of strings", `set it as a YAML list in Pulumi.<stack>.yaml, or: pulumi config set --path '${key(k)}[0]' <value>`);
            return [];
        }
        return parsed as string[];
    }

    object(k: string): Record<string, unknown> | undefined {
        const v = this.string(k);
        if (v === undefined) {
            return undefined;
        }
        try {
            const parsed: unknown = JSON.parse(v);
            if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
                return parsed as Record<string, unknown>;
            }
        } catch {
            // reported below
        }
        this.fail(k, v, "must be an object", `set it as a YAML mapping in Pulumi.<stack>.yaml`);
        return undefined;
    }

    check(k: string, value: unknown, problem: string | undefined, fix: string): void {
        if (problem) {
            this.fail(k, value, problem, fix);
        }
    }
}

/** Stack names become part of AWS names and tags: keep them short and plain. */
function stackNameProblem(stack: string): string | undefined {
    if (!/^[a-z][a-z0-9-]{0,23}$/.test(stack)) {
        return `stack name "${stack}" must be 1-24 lowercase letters, digits or dashes, starting with a letter (it becomes part of every AWS name)`;
    }
    return undefined;
}

export function parseConfig(source: ConfigSource, stack: string, project = PROJECT): StackConfig {
    const r = new Reader(source);
    const stackProblem = stackNameProblem(stack);
    if (stackProblem) {
        r.problems.push(`${stackProblem}. Fix: pulumi stack rename <name>`);
    }

    const environment = r.choice("environment", ENVIRONMENTS, stack === PRODUCTION_STACK ? "production" : "staging");
    const protect = r.bool("protect", environment === "production");
    const expiresAt = r.string("expiresAt");
    if (expiresAt !== undefined && !isIsoUtc(expiresAt)) {
        r.fail("expiresAt", expiresAt, "must be an ISO 8601 UTC time", "pulumi config set sentry:expiresAt 2026-12-01T00:00:00Z");
    }
    if (environment === "production" && expiresAt !== undefined) {
        r.fail("expiresAt", expiresAt, "a production stack must not carry a time-to-live (the trial reaper would destroy it)", "pulumi config rm sentry:expiresAt");
    }

    const profile = r.choice("profile", SENTRY_PROFILES, "feature-complete");
    const defaults = PROFILE_DEFAULTS[profile];

    const version = r.string("sentryVersion") ?? DEFAULT_SENTRY_VERSION;
    r.check("sentryVersion", version, sentryVersionProblem(version) ?? versionPolicyProblem(version), `pulumi config set sentry:sentryVersion ${DEFAULT_SENTRY_VERSION}`);

    const repoUrl = r.string("selfHostedRepoUrl") ?? DEFAULT_REPO_URL;
    r.check("selfHostedRepoUrl", repoUrl, shellSafeProblem(repoUrl), `pulumi config set sentry:selfHostedRepoUrl ${DEFAULT_REPO_URL}`);

    const publicUrl = r.string("publicUrl");
    if (publicUrl !== undefined) {
        r.check("publicUrl", publicUrl, originProblem(publicUrl), "pulumi config set sentry:publicUrl https://sentry.example.com (the exact origin users type, no trailing slash)");
    }
    const csrfTrustedOrigins = r.list("csrfTrustedOrigins");
    for (const origin of csrfTrustedOrigins) {
        r.check("csrfTrustedOrigins", origin, originProblem(origin), "list bare origins such as https://sentry.internal.example.com");
    }

    const adminEmail = r.string("adminEmail");
    if (adminEmail === undefined) {
        r.fail("adminEmail", "(unset)", "the first superuser needs an email address", "pulumi config set sentry:adminEmail you@example.com");
    } else {
        r.check("adminEmail", adminEmail, emailProblem(adminEmail), "pulumi config set sentry:adminEmail you@example.com");
    }
    const adminPassword = source.getSecret("adminPassword");
    if (adminPassword === undefined) {
        r.fail("adminPassword", "(unset)", "the first superuser needs a password, stored as a secret", "pulumi config set --secret sentry:adminPassword (it prompts; never pass it on the command line)");
    }

    const mailHost = r.string("mailHost");
    if (mailHost !== undefined) {
        r.check("mailHost", mailHost, /^[A-Za-z0-9.-]+$/.test(mailHost) ? undefined : "must be a domain name (FQDN)", "pulumi config set sentry:mailHost example.com");
    }
    const mailFrom = r.string("mailFrom");
    if (mailFrom !== undefined) {
        r.check("mailFrom", mailFrom, emailProblem(mailFrom), "pulumi config set sentry:mailFrom sentry@example.com");
    }
    const redisMaxMemory = r.string("redisMaxMemory") ?? defaults.redisMaxMemory;
    r.check("redisMaxMemory", redisMaxMemory, /^\d+(mb|gb)$/.test(redisMaxMemory) ? undefined : "must be a size such as 512mb or 2gb", `pulumi config set sentry:redisMaxMemory ${defaults.redisMaxMemory}`);

    const dockerAddressPool = r.string("dockerAddressPool") ?? "10.250.0.0/16";
    r.check("dockerAddressPool", dockerAddressPool, cidrProblem(dockerAddressPool), "pulumi config set sentry:dockerAddressPool 10.250.0.0/16");

    const sentry: SentrySettings = {
        profile,
        version,
        repoUrl,
        publicUrl,
        csrfTrustedOrigins,
        webPort: r.int("webPort", 9000, 1024, 65535),
        retentionDays: r.int("retentionDays", 90, 1, 3650),
        adminEmail: adminEmail ?? "",
        allowRegistration: r.bool("allowRegistration", false),
        behindTlsProxy: r.bool("behindTlsProxy", false),
        eventsPerMinuteLimit: r.int("eventsPerMinuteLimit", 0, 0, 100_000_000),
        mailHost,
        mailFrom,
        redisMaxMemory,
        swapSizeGb: r.int("swapSizeGb", defaults.swapSizeGb, 0, 64),
        dockerAddressPool,
        checkUpgradePath: r.bool("checkUpgradePath", true),
    };

    const sshPublicKeys = r.list("sshPublicKeys");
    for (const k of sshPublicKeys) {
        r.check("sshPublicKeys", k, sshPublicKeyProblem(k), "paste the one-line content of your ~/.ssh/id_ed25519.pub");
    }

    const placementKind = r.choice("placement", ["aws", "existing"] as const, "aws");
    let placement: AwsPlacement | ExistingPlacement;
    if (placementKind === "existing") {
        placement = parseExistingPlacement(r, source, sshPublicKeys);
    } else {
        placement = parseAwsPlacement(r, source, defaults, dockerAddressPool, sshPublicKeys);
    }

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return {
        project,
        stack,
        environment,
        protect,
        expiresAt,
        sentry,
        adminPassword: adminPassword as pulumi.Output<string>,
        placement,
    };
}

function parseExistingPlacement(r: Reader, source: ConfigSource, sshPublicKeys: string[]): ExistingPlacement {
    const host = r.object("existingHost") ?? {};
    const address = typeof host.address === "string" ? host.address : "";
    if (!address || !/^[A-Za-z0-9.:-]+$/.test(address)) {
        r.fail("existingHost.address", host.address ?? "(unset)", "the server's address or DNS name is required", "pulumi config set --path sentry:existingHost.address sentry.example.internal");
    }
    const port = host.port === undefined ? 22 : Number(host.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        r.fail("existingHost.port", host.port, "must be a TCP port", "pulumi config set --path sentry:existingHost.port 22");
    }
    const user = typeof host.user === "string" ? host.user : "ubuntu";
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
        r.fail("existingHost.user", user, "must be a Unix user name", "pulumi config set --path sentry:existingHost.user ubuntu");
    }
    const dataDir = typeof host.dataDir === "string" ? host.dataDir : "/data";
    if (!isDataDir(dataDir)) {
        r.fail("existingHost.dataDir", dataDir, "must be an absolute directory other than /", "pulumi config set --path sentry:existingHost.dataDir /data");
    }
    const dataDevice = typeof host.dataDevice === "string" ? host.dataDevice : undefined;
    if (dataDevice !== undefined && !/^\/dev\/[A-Za-z0-9/_.-]+$/.test(dataDevice)) {
        r.fail("existingHost.dataDevice", dataDevice, "must be a block device path under /dev", "pulumi config set --path sentry:existingHost.dataDevice /dev/disk/by-id/<your-disk>");
    }
    const privateKey = source.getSecret("existingHostPrivateKey");
    if (privateKey === undefined) {
        r.fail("existingHostPrivateKey", "(unset)", "the SSH private key for the server is required, as a secret", "pulumi config set --secret sentry:existingHostPrivateKey < ~/.ssh/id_ed25519");
    }
    return {
        kind: "existing",
        address,
        port,
        user,
        privateKey: privateKey as pulumi.Output<string>,
        dataDir,
        dataDevice,
        sshPublicKeys,
    };
}

function parseAwsPlacement(r: Reader, source: ConfigSource, defaults: ProfileDefaults, dockerAddressPool: string, sshPublicKeys: string[]): AwsPlacement {
    const region = source.awsRegion();
    if (region === undefined) {
        r.problems.push(`aws:region = (unset): the AWS region is required. Fix: pulumi config set aws:region eu-central-1`);
    } else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
        r.problems.push(`aws:region = ${region}: not an AWS region name. Fix: pulumi config set aws:region eu-central-1`);
    }

    const instanceType = r.string("instanceType") ?? defaults.instanceType;
    r.check("instanceType", instanceType, /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType) ? undefined : "is not an EC2 instance type name", `pulumi config set sentry:instanceType ${defaults.instanceType}`);

    const amiId = r.string("amiId");
    if (amiId !== undefined) {
        r.check("amiId", amiId, /^ami-[0-9a-f]{8,17}$/.test(amiId) ? undefined : "is not an AMI id", "pulumi config rm sentry:amiId to use the current Ubuntu 24.04 image");
    }

    const sizeGb = r.int("dataVolumeSizeGb", defaults.dataVolumeSizeGb, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    r.check("dataVolumeSizeGb", sizeGb, dataVolumeSizeProblem(sizeGb), `pulumi config set sentry:dataVolumeSizeGb ${defaults.dataVolumeSizeGb}`);
    const iops = r.int("dataVolumeIops", 3000, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const throughputMBps = r.int("dataVolumeThroughput", 125, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    r.check("dataVolumeThroughput", `${throughputMBps} MB/s at ${iops} IOPS`, gp3PerformanceProblem(sizeGb, iops, throughputMBps), "leave dataVolumeIops at 3000 and dataVolumeThroughput at 125 (gp3's included baseline) unless you measured a need");

    const webCidrs = r.list("webCidrs");
    if (webCidrs.length === 0) {
        r.fail("webCidrs", "[]", "nobody could reach Sentry's web port", "list the networks your users and applications send from, e.g. sentry:webCidrs: [\"203.0.113.0/24\"] (0.0.0.0/0 only if Sentry must be public)");
    }
    for (const c of webCidrs) {
        r.check("webCidrs", c, cidrProblem(c), "use CIDR notation such as 203.0.113.0/24");
    }
    r.check("webCidrs", webCidrs, duplicateCidrsProblem(webCidrs), "list each network once: drop the entries named");
    const adminSshCidrs = r.list("adminSshCidrs");
    if (adminSshCidrs.length === 0) {
        r.fail("adminSshCidrs", "[]", "Pulumi provisions the host over SSH, so the machine running `pulumi up` must be allowed", "list your public IP, e.g. sentry:adminSshCidrs: [\"198.51.100.7/32\"] (curl -s https://checkip.amazonaws.com)");
    } else {
        r.check("adminSshCidrs", adminSshCidrs, sshCidrsProblem(adminSshCidrs), "list only the addresses you administer from, e.g. 198.51.100.7/32");
        r.check("adminSshCidrs", adminSshCidrs, duplicateCidrsProblem(adminSshCidrs), "list each network once: drop the entries named");
    }

    const vpcId = r.string("vpcId");
    const subnetId = r.string("subnetId");
    let network: AwsNetworkNew | AwsNetworkExisting;
    if (vpcId !== undefined || subnetId !== undefined) {
        if (vpcId === undefined || !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
            r.fail("vpcId", vpcId ?? "(unset)", "an existing network needs both a VPC id and a subnet id", "pulumi config set sentry:vpcId vpc-0123456789abcdef0");
        }
        if (subnetId === undefined || !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) {
            r.fail("subnetId", subnetId ?? "(unset)", "an existing network needs both a VPC id and a public subnet id", "pulumi config set sentry:subnetId subnet-0123456789abcdef0");
        }
        network = { kind: "existing", vpcId: vpcId ?? "", subnetId: subnetId ?? "" };
    } else {
        const vpcCidr = r.string("vpcCidr") ?? "10.42.0.0/16";
        const firstSubnetCidr = vpcCidr.replace(/\/\d+$/, "/24");
        const subnetCidr = r.string("subnetCidr") ?? firstSubnetCidr;
        const vpcCidrProblem = cidrProblem(vpcCidr);
        const subnetCidrProblem = cidrProblem(subnetCidr);
        r.check("vpcCidr", vpcCidr, vpcCidrProblem ?? (vpcCidr.includes(":") ? "must be IPv4" : undefined), "pulumi config set sentry:vpcCidr 10.42.0.0/16");
        r.check("subnetCidr", subnetCidr, subnetCidrProblem, "pulumi config set sentry:subnetCidr 10.42.0.0/24");
        if (!vpcCidrProblem && !subnetCidrProblem) {
            if (!cidrContains(vpcCidr, subnetCidr)) {
                r.fail("subnetCidr", subnetCidr, `must lie inside vpcCidr ${vpcCidr}`, `pulumi config set sentry:subnetCidr ${firstSubnetCidr}`);
            }
            if (cidrsOverlap(vpcCidr, dockerAddressPool)) {
                r.fail("dockerAddressPool", dockerAddressPool, `overlaps the VPC ${vpcCidr}; containers would lose the route to hosts in it`, "pick a range outside the VPC, e.g. 10.250.0.0/16");
            }
        }
        network = { kind: "new", vpcCidr, subnetCidr, availabilityZone: r.string("availabilityZone") };
    }

    return {
        kind: "aws",
        region: region ?? "",
        instanceType,
        amiId,
        rootVolumeSizeGb: r.int("rootVolumeSizeGb", 20, 12, 200),
        dataVolume: { sizeGb, iops, throughputMBps },
        network,
        webCidrs,
        adminSshCidrs,
        sshPublicKeys,
        snapshotRetentionDays: r.int("snapshotRetentionDays", 7, 0, 365),
        flowLogRetentionDays: r.int("flowLogRetentionDays", 30, 1, 3653),
    };
}

/** The running stack's configuration, as parseConfig reads it. */
export function pulumiConfigSource(): ConfigSource {
    const sentry = new pulumi.Config(PROJECT);
    const aws = new pulumi.Config("aws");
    return {
        get: (k) => sentry.get(k),
        getSecret: (k) => sentry.getSecret(k),
        awsRegion: () => aws.get("region"),
    };
}

/** Reads the real stack configuration. */
export function loadConfig(): StackConfig {
    return parseConfig(pulumiConfigSource(), pulumi.getStack(), pulumi.getProject());
}
