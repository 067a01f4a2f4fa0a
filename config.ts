// The one typed config loader. Every setting the program reads is read here, from the one
// schema in settings.ts (type, default, range, description), and validated; components
// receive typed values and never touch pulumi.Config. Every problem is collected and
// reported at once, each naming the key, the value and the fix.
import { Region } from "@pulumi/aws/types/enums";
import * as pulumi from "@pulumi/pulumi";
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { AlarmSettings } from "./components/aws/alarms";
import { partitionOfRegion, SNS_TOPIC_ARN_RE } from "./components/aws/partition";
import { SentrySettings } from "./components/host/provisioner";
import { KNOWN_INSTANCE_TYPES, redisMaxMemoryProblem } from "./components/sizing";
import { Environment, environmentProblem, PROJECT } from "./components/tags";
import { cidrContains, cidrProblem, cidrsOverlap, gp3PerformanceProblem, MIN_DATA_VOLUME_GB } from "./components/validation";
import {
    AWS_REGION_KEY,
    DefaultContext,
    defaultOf,
    fixOf,
    fullKey,
    JsonSchema,
    jsonSchemaOf,
    Placeholder,
    Setting,
    SETTING_KEYS,
    SettingKey,
    SETTINGS,
    SettingValue,
} from "./settings";

/** The ports AWS China opens only for a domain with an ICP filing. */
const ICP_PORTS: readonly number[] = [80, 443, 8080];

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
    /** Stop, snapshot, then upgrade on a version change; keep the newest `kept`. */
    preUpgradeSnapshots: { enabled: boolean; kept: number };
    /** Create the data volume from this snapshot. */
    dataSnapshotId?: string;
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
    /** Alarm targets (AWS) and thresholds (both placements: they also decide the heartbeat ping). */
    alarms: AlarmSettings;
    /** A dead-man's-switch URL (secret). */
    heartbeatUrl?: pulumi.Output<string>;
}

/** Where raw values come from: the engine's config, the offline plan's stack file, a test's map. */
export interface ConfigSource {
    /** Every key the stack sets ("sentry:webPort", "aws:region"): strings as they are, objects and arrays as JSON. */
    values: Readonly<Record<string, string>>;
    /** Whether the stack stores `key` as a secret (`secure:` in Pulumi.<stack>.yaml, `pulumi config set --secret`). */
    isSecret(key: string): boolean;
}

export interface LoadOptions {
    /**
     * Accept the committed template's placeholders (documentation addresses and domains).
     * Only the offline plan of the repository's own template passes it
     * (`npm run plan -- --allow-placeholders`); a stack that is deployed never does.
     */
    allowPlaceholders?: boolean;
    /**
     * The offline plan: the value taken for a required secret the stack file does not hold
     * (it is set with `pulumi config set --secret` before `pulumi up`).
     */
    assumedSecret?: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

const AWS_REGIONS: readonly string[] = Object.values(Region);

/** RFC 5737 and RFC 3849: the address ranges documentation (and the committed template) use. */
const DOCUMENTATION_NETWORKS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"];
/** RFC 2606: the domains documentation (and the committed template) use. */
const DOCUMENTATION_DOMAINS = ["example.com", "example.org", "example.net"];

/**
 * The closest of `known` to a misspelt `name`: a case-insensitive match first, then the
 * smallest edit distance (fastest-levenshtein), if it is close enough to be a typo.
 */
function closestName(name: string, known: readonly string[]): string | undefined {
    const sameCase = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (sameCase !== undefined) {
        return sameCase;
    }
    const best = closest(name, known);
    return distance(name.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** The domain of an email address, URL or bare domain name. */
function domainOf(value: string): string {
    const afterAt = value.slice(value.lastIndexOf("@") + 1);
    try {
        return new URL(afterAt).hostname.toLowerCase();
    } catch {
        return afterAt.toLowerCase();
    }
}

function placeholderIn(kind: Placeholder, value: string): string | undefined {
    if (kind === "network") {
        const range = cidrProblem(value) === undefined ? DOCUMENTATION_NETWORKS.find((doc) => cidrContains(doc, value)) : undefined;
        return range && `is a documentation address (${range}, RFC 5737/3849) left from the committed template: the first \`pulumi up\` could not reach or SSH into the host`;
    }
    const domain = domainOf(value);
    const doc = DOCUMENTATION_DOMAINS.find((d) => domain === d || domain.endsWith(`.${d}`));
    return doc && `uses ${doc}, a documentation domain (RFC 2606) left from the committed template`;
}

/** The message for a value of the wrong type or out of range, from the schema. */
function rangeMessage(json: JsonSchema): string {
    if (json.enum) {
        return `must be one of ${json.enum.join(", ")}`;
    }
    switch (json.type) {
        case "integer":
            return json.minimum !== undefined && json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER
                ? `must be a whole number from ${json.minimum} to ${json.maximum}`
                : "must be a whole number";
        case "boolean":
            return "must be true or false";
        case "array":
            return "must be a list of strings";
        case "object":
            return "must be an object";
        default:
            return "must not be empty";
    }
}

/** A raw config string as the setting's type, or undefined when it is not of that type. */
function decode(raw: string, type: string | undefined): unknown {
    switch (type) {
        case "integer":
        case "number":
            return /^-?\d+$/.test(raw.trim()) ? Number(raw) : undefined;
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : undefined;
        case "array":
        case "object":
            try {
                const parsed: unknown = JSON.parse(raw);
                return typeof parsed === "object" && parsed !== null && Array.isArray(parsed) === (type === "array") ? parsed : undefined;
            } catch {
                return undefined;
            }
        default:
            return raw;
    }
}

function shown(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

class Reader {
    readonly problems: string[] = [];
    readonly ctx: DefaultContext;

    constructor(
        private readonly source: ConfigSource,
        stack: string,
        private readonly options: LoadOptions,
    ) {
        this.ctx = { stack, environment: "staging", profile: "feature-complete", vpcCidr: "" };
    }

    /** `key` is the setting's name or a dotted path into it ("existingHost.port"), or a full key ("aws:region"). */
    fail(key: string, value: unknown, why: string, fix: string): void {
        this.problems.push(`${key.includes(":") ? key : fullKey(key)} = ${shown(value)}: ${why}. Fix: ${fix}`);
    }

    raw(k: SettingKey): string | undefined {
        const v = this.source.values[fullKey(k)];
        return v === undefined || v === "" ? undefined : v;
    }

    /** The setting's value, its default when unset (or invalid, after reporting it), or undefined. */
    get<K extends SettingKey>(k: K): SettingValue<K> | undefined {
        const s = SETTINGS[k] as Setting;
        const raw = this.raw(k);
        const fallback = defaultOf(k, this.ctx);
        if (raw === undefined) {
            return fallback;
        }
        const json = jsonSchemaOf(s);
        const decoded = decode(raw, json.type);
        if (decoded === undefined) {
            this.fail(k, s.secret ? "[secret]" : raw, rangeMessage(json), fixOf(k, this.ctx));
            return fallback;
        }
        const result = s.schema.safeParse(decoded);
        if (!result.success) {
            for (const issue of result.error.issues) {
                this.report(k, s, decoded, json, issue);
            }
            return fallback;
        }
        if (s.placeholder !== undefined && !this.options.allowPlaceholders) {
            // A list's elements, an object's text fields (named as paths), or the value itself.
            const data = result.data as unknown;
            const candidates: [string, string, string | undefined][] = Array.isArray(data)
                ? data.map((v) => [k, String(v), undefined])
                : typeof data === "object" && data !== null
                  ? Object.entries(data).flatMap(([f, v]) => (typeof v === "string" ? [[`${k}.${f}`, v, f] as [string, string, string]] : []))
                  : [[k, String(data), undefined]];
            for (const [key, v, field] of candidates) {
                const why = placeholderIn(s.placeholder, v);
                if (why) {
                    this.fail(key, v, why, fixOf(k, this.ctx, field));
                }
            }
        }
        return result.data as SettingValue<K>;
    }

    private report(k: SettingKey, s: Setting, decoded: unknown, json: JsonSchema, issue: z.core.$ZodIssue): void {
        if (issue.code === "unrecognized_keys") {
            const fields = Object.keys(json.properties ?? {});
            for (const field of issue.keys) {
                const near = closestName(field, fields);
                this.fail(`${k}.${field}`, (decoded as Record<string, unknown>)[field], `${k} has no field ${field}`, near ? `rename it to ${k}.${near}` : `remove it; the fields are ${fields.join(", ")}`);
            }
            return;
        }
        // A field of an object setting is named as a path; an element of a list shows itself.
        const field = typeof issue.path[0] === "string" ? issue.path[0] : undefined;
        const value = issue.path.reduce<unknown>((v, p) => (v as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey], decoded);
        const inner = field ? (json.properties?.[field] ?? {}) : issue.path.length > 0 ? (json.items ?? {}) : json;
        const why = issue.code === "custom" || issue.code === "invalid_format" ? issue.message : value === undefined ? "is required" : rangeMessage(inner);
        this.fail(field ? `${k}.${field}` : k, s.secret ? "[secret]" : (value ?? "(unset)"), why, fixOf(k, this.ctx, field));
    }

    /** A required setting: reports it when unset (an empty list counts as unset). */
    need<K extends SettingKey>(k: K): SettingValue<K> | undefined {
        const reported = this.problems.length;
        const v = this.get(k);
        if (this.problems.length === reported && (v === undefined || (Array.isArray(v) && v.length === 0))) {
            const s = SETTINGS[k] as Setting;
            this.fail(k, this.raw(k) ?? "(unset)", s.required ?? "required", fixOf(k, this.ctx));
        }
        return v;
    }

    /** A secret setting (plainSecrets refuses it in plain text); in the offline plan, assumed set when absent. */
    secret(k: SettingKey): pulumi.Output<string> | undefined {
        const raw = this.raw(k);
        if (raw === undefined) {
            if (this.options.assumedSecret !== undefined) {
                return pulumi.secret(this.options.assumedSecret);
            }
            this.fail(k, "(unset)", (SETTINGS[k] as Setting).required ?? "required", fixOf(k, this.ctx));
            return undefined;
        }
        return pulumi.secret(raw);
    }

    /** Secret settings stored in plain text, whichever placement reads them: the value is exposed either way. */
    plainSecrets(): void {
        for (const k of SETTING_KEYS.filter((key) => (SETTINGS[key] as Setting).secret)) {
            if (this.raw(k) !== undefined && !this.source.isSecret(fullKey(k))) {
                this.fail(
                    k,
                    "(plain text, not shown)",
                    "a secret stored in plain text, readable by anyone with the stack file (and in git history if committed)",
                    `pulumi config rm ${fullKey(k)}; pulumi config set --secret ${fullKey(k)} (it prompts), then change the exposed value`,
                );
            }
        }
    }

    /** Keys in the project's namespace that are no setting: typos fall back to defaults silently otherwise. */
    unknownKeys(): void {
        const prefix = `${PROJECT}:`;
        for (const key of Object.keys(this.source.values)) {
            if (!key.startsWith(prefix) || (SETTING_KEYS as string[]).includes(key.slice(prefix.length))) {
                continue;
            }
            const name = key.slice(prefix.length);
            const near = closestName(name, SETTING_KEYS);
            const secret = this.source.isSecret(key);
            const value = this.source.values[key];
            const setAgain = secret ? `pulumi config set --secret ${fullKey(near ?? "")}` : /^[^\s"'[{]+$/.test(value) ? `pulumi config set ${fullKey(near ?? "")} ${value}` : `pulumi config set ${fullKey(near ?? "")} '<value>'`;
            this.fail(
                key,
                secret ? "[secret]" : value,
                "not a setting of this program (it would be ignored)",
                near
                    ? `rename it to ${fullKey(near)} in Pulumi.<stack>.yaml, or: pulumi config rm ${key}; ${setAgain}`
                    : `remove it (pulumi config rm ${key}); README.md's Configuration reference lists every key`,
            );
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

export function parseConfig(source: ConfigSource, stack: string, project = PROJECT, options: LoadOptions = {}): StackConfig {
    const r = new Reader(source, stack, options);
    const stackProblem = stackNameProblem(stack);
    if (stackProblem) {
        r.problems.push(`${stackProblem}. Fix: pulumi stack rename <name>`);
    }
    r.unknownKeys();
    r.plainSecrets();

    const environment = r.get("environment") as Environment;
    const envProblem = environmentProblem(stack, environment);
    if (envProblem) {
        r.fail("environment", environment, envProblem, "pulumi config rm sentry:environment");
    }
    r.ctx.environment = environment;
    const protect = r.get("protect") as boolean;
    const expiresAt = r.get("expiresAt");
    if (environment === "production" && expiresAt !== undefined) {
        r.fail("expiresAt", expiresAt, "a production stack must not carry a time-to-live (the trial reaper would destroy it)", "pulumi config rm sentry:expiresAt");
    }
    r.ctx.profile = r.get("profile")!;

    const publicUrl = r.get("publicUrl");
    const behindTlsProxy = r.get("behindTlsProxy")!;
    if (behindTlsProxy && !publicUrl?.startsWith("https://")) {
        r.fail(
            "publicUrl",
            publicUrl ?? "(unset: http://<Elastic IP>:<webPort>)",
            "behindTlsProxy is true, so users reach Sentry over https through the proxy; an http URL breaks logins (CSRF) and every link Sentry sends",
            "pulumi config set sentry:publicUrl https://sentry.your-company.com (the proxy's origin), or pulumi config set sentry:behindTlsProxy false",
        );
    }
    const adminEmail = r.need("adminEmail");
    const adminPassword = r.secret("adminPassword");

    const sentry: SentrySettings = {
        profile: r.ctx.profile,
        version: r.get("sentryVersion")!,
        repoUrl: r.get("selfHostedRepoUrl")!,
        publicUrl,
        csrfTrustedOrigins: r.get("csrfTrustedOrigins")!,
        webPort: r.get("webPort")!,
        retentionDays: r.get("retentionDays")!,
        adminEmail: adminEmail ?? "",
        allowRegistration: r.get("allowRegistration")!,
        behindTlsProxy,
        eventsPerMinuteLimit: r.get("eventsPerMinuteLimit")!,
        mailHost: r.get("mailHost"),
        mailFrom: r.get("mailFrom"),
        redisMaxMemory: r.get("redisMaxMemory")!,
        swapSizeGb: r.get("swapSizeGb")!,
        dockerAddressPool: r.get("dockerAddressPool")!,
        checkUpgradePath: r.get("checkUpgradePath")!,
        rebootWindow: r.get("rebootWindow"),
    };
    const alarms = parseAlarms(r, source);
    const heartbeatUrl = r.get("heartbeatUrl") !== undefined ? r.secret("heartbeatUrl") : undefined;
    const sshPublicKeys = r.get("sshPublicKeys")!;

    const placement = r.get("placement") === "existing" ? parseExistingPlacement(r, sshPublicKeys) : parseAwsPlacement(r, source, sentry, sshPublicKeys);

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return { project, stack, environment, protect, expiresAt, sentry, adminPassword: adminPassword as pulumi.Output<string>, placement, alarms, heartbeatUrl };
}

/** Where alarms go and when they fire; the thresholds must be in order. */
function parseAlarms(r: Reader, source: ConfigSource): AlarmSettings {
    const a: AlarmSettings = {
        emails: r.get("alarmEmails")!,
        topicArn: r.get("alarmTopicArn"),
        unhealthyMinutes: r.get("alarmUnhealthyMinutes")!,
        heartbeatMinutes: r.get("alarmHeartbeatMinutes")!,
        diskWarningPercent: r.get("alarmDiskWarningPercent")!,
        diskCriticalPercent: r.get("alarmDiskCriticalPercent")!,
        memoryPercent: r.get("alarmMemoryPercent")!,
    };
    if (a.diskCriticalPercent <= a.diskWarningPercent) {
        r.fail(
            "alarmDiskCriticalPercent",
            a.diskCriticalPercent,
            `must be above alarmDiskWarningPercent (${a.diskWarningPercent}), or the warning never comes first`,
            `pulumi config set sentry:alarmDiskCriticalPercent ${Math.min(99, a.diskWarningPercent + 10)}`,
        );
    }
    const region = source.values[AWS_REGION_KEY];
    const topic = a.topicArn !== undefined ? SNS_TOPIC_ARN_RE.exec(a.topicArn) : null;
    if (topic && region && (topic[1] !== partitionOfRegion(region) || topic[2] !== region)) {
        r.fail("alarmTopicArn", a.topicArn, `is in ${topic[2]} (${topic[1]}), but CloudWatch alarms notify topics of their own region only (${region})`, `create the topic in ${region}, or pulumi config rm sentry:alarmTopicArn`);
    }
    return a;
}

function parseExistingPlacement(r: Reader, sshPublicKeys: string[]): ExistingPlacement {
    const host = r.need("existingHost");
    const privateKey = r.secret("existingHostPrivateKey");
    return {
        kind: "existing",
        address: host?.address ?? "",
        port: host?.port ?? 22,
        user: host?.user ?? "ubuntu",
        privateKey: privateKey as pulumi.Output<string>,
        dataDir: host?.dataDir ?? "/data",
        dataDevice: host?.dataDevice,
        sshPublicKeys,
    };
}

function parseAwsPlacement(r: Reader, source: ConfigSource, sentry: SentrySettings, sshPublicKeys: string[]): AwsPlacement {
    const region = source.values[AWS_REGION_KEY] || undefined;
    const regionFix = (example: string) => `pulumi config set ${AWS_REGION_KEY} ${example}`;
    if (region === undefined) {
        r.fail(AWS_REGION_KEY, "(unset)", "the AWS region is required", regionFix("eu-central-1"));
    } else if (!AWS_REGIONS.includes(region)) {
        r.fail(AWS_REGION_KEY, region, "not an AWS region (@pulumi/aws's Region list)", regionFix(closestName(region, AWS_REGIONS) ?? "eu-central-1"));
    }

    const instanceType = r.get("instanceType")!;
    const known = KNOWN_INSTANCE_TYPES[instanceType];
    const redisProblem = known && redisMaxMemoryProblem(sentry.redisMaxMemory, instanceType, known);
    if (redisProblem) {
        r.fail("redisMaxMemory", sentry.redisMaxMemory, redisProblem, `pulumi config set sentry:redisMaxMemory ${Math.floor(known.memoryMiB / 2 / 1024)}gb (or less), or pick a larger sentry:instanceType`);
    }

    const sizeGb = r.get("dataVolumeSizeGb")!;
    const iops = r.get("dataVolumeIops")!;
    const throughputMBps = r.get("dataVolumeThroughput")!;
    const gp3Problem = gp3PerformanceProblem(sizeGb, iops, throughputMBps);
    if (gp3Problem) {
        r.fail("dataVolumeThroughput", `${throughputMBps} MB/s at ${iops} IOPS`, gp3Problem, fixOf("dataVolumeThroughput", r.ctx));
    }
    // The swap file lives on the data volume; what is left beside it must still hold Sentry
    // (images and build cache alone take 15-20 GB): the data volume's own minimum.
    if (sentry.swapSizeGb > 0 && sizeGb - sentry.swapSizeGb < MIN_DATA_VOLUME_GB) {
        r.fail(
            "swapSizeGb",
            sentry.swapSizeGb,
            `leaves ${sizeGb - sentry.swapSizeGb} GB of the ${sizeGb} GB data volume for Sentry, which needs at least ${MIN_DATA_VOLUME_GB} GB beside the swap file (images, Kafka, ClickHouse, Postgres)`,
            `pulumi config set sentry:swapSizeGb ${Math.max(0, sizeGb - MIN_DATA_VOLUME_GB)}, or pulumi config set sentry:dataVolumeSizeGb ${sentry.swapSizeGb + MIN_DATA_VOLUME_GB} (or more)`,
        );
    }

    // AWS China keeps ports 80, 443 and 8080 closed to the internet until the domain has an ICP
    // filing: Sentry would install and then answer nobody.
    if (region !== undefined && partitionOfRegion(region) === "aws-cn" && ICP_PORTS.includes(sentry.webPort) && !r.get("icpFiled")) {
        r.fail(
            "webPort",
            sentry.webPort,
            `AWS China keeps ports ${ICP_PORTS.join(", ")} closed until the domain has an ICP filing (${region})`,
            "pulumi config set sentry:webPort 9000, or once the filing is through: pulumi config set sentry:icpFiled true",
        );
    }

    const webCidrs = r.need("webCidrs") ?? [];
    const adminSshCidrs = r.need("adminSshCidrs") ?? [];

    const vpcId = r.get("vpcId");
    const subnetId = r.get("subnetId");
    let network: AwsNetworkNew | AwsNetworkExisting;
    if (vpcId !== undefined || subnetId !== undefined) {
        if (vpcId === undefined && r.raw("vpcId") === undefined) {
            r.fail("vpcId", "(unset)", "an existing network needs both a VPC id and a subnet id", fixOf("vpcId", r.ctx));
        }
        if (subnetId === undefined && r.raw("subnetId") === undefined) {
            r.fail("subnetId", "(unset)", "an existing network needs both a VPC id and a public subnet id", fixOf("subnetId", r.ctx));
        }
        network = { kind: "existing", vpcId: vpcId ?? "", subnetId: subnetId ?? "" };
    } else {
        const vpcCidr = r.get("vpcCidr")!;
        r.ctx.vpcCidr = vpcCidr;
        const subnetCidr = r.get("subnetCidr")!;
        if (cidrProblem(vpcCidr) === undefined && cidrProblem(subnetCidr) === undefined) {
            if (!cidrContains(vpcCidr, subnetCidr)) {
                r.fail("subnetCidr", subnetCidr, `must lie inside vpcCidr ${vpcCidr}`, `pulumi config set sentry:subnetCidr ${defaultOf("subnetCidr", r.ctx)}`);
            }
            if (cidrsOverlap(vpcCidr, sentry.dockerAddressPool)) {
                r.fail("dockerAddressPool", sentry.dockerAddressPool, `overlaps the VPC ${vpcCidr}; containers would lose the route to hosts in it`, "pick a range outside the VPC, e.g. 10.250.0.0/16");
            }
        }
        const availabilityZone = r.get("availabilityZone");
        if (availabilityZone !== undefined && region !== undefined && AWS_REGIONS.includes(region) && !availabilityZone.startsWith(region)) {
            r.fail("availabilityZone", availabilityZone, `is not an availability zone of ${AWS_REGION_KEY} ${region}`, `pulumi config set sentry:availabilityZone ${region}a, or pulumi config rm sentry:availabilityZone to use the region's first`);
        }
        network = { kind: "new", vpcCidr, subnetCidr, availabilityZone };
    }

    return {
        kind: "aws",
        region: region ?? "",
        instanceType,
        amiId: r.get("amiId"),
        rootVolumeSizeGb: r.get("rootVolumeSizeGb")!,
        dataVolume: { sizeGb, iops, throughputMBps },
        network,
        webCidrs,
        adminSshCidrs,
        sshPublicKeys,
        snapshotRetentionDays: r.get("snapshotRetentionDays")!,
        flowLogRetentionDays: r.get("flowLogRetentionDays")!,
        preUpgradeSnapshots: { enabled: r.get("preUpgradeSnapshots")!, kept: r.get("preUpgradeSnapshotsKept")! },
        dataSnapshotId: r.get("dataSnapshotId"),
    };
}

/**
 * The running stack's configuration: every key the engine passes the program (the stack's
 * and Pulumi.yaml's defaults), and which of them the stack stores as secrets. The runtime
 * exports isConfigSecret (marked internal, so absent from its typings) over the
 * PULUMI_CONFIG_SECRET_KEYS list the engine sets; the offline plan fills the same two.
 */
export function pulumiConfigSource(): ConfigSource {
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    return { values: pulumi.runtime.allConfig(), isSecret: (k) => runtime.isConfigSecret(k) };
}

/** Reads the real stack configuration. */
export function loadConfig(): StackConfig {
    return parseConfig(pulumiConfigSource(), pulumi.getStack(), pulumi.getProject());
}
