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
import { SentrySettings, TlsMode } from "./components/host/provisioner";
import { ingestCapacityPerMinute, KNOWN_INSTANCE_TYPES, PLANNED_EVENTS_PER_MINUTE_PER_VCPU, profileMinVcpus, redisMaxMemoryProblem } from "./components/sizing";
import { ProjectSpec, ResolvedProject, resolveRateLimits } from "./components/sentryApi/limits";
import { Environment, environmentProblem, PROJECT } from "./components/tags";
import { cidrContains, cidrProblem, cidrsOverlap, gp3PerformanceProblem, internetExposures, isInZone, MIN_DATA_VOLUME_GB } from "./components/validation";
import { RELEASE_REGISTRIES } from "./components/versions";
import { DEFAULT_VALIDATION_TIMEOUT, FrontDoorSpec, HostedZoneRef, sesSmtpEndpoint, SesSpec } from "./components/aws/frontDoorSpec";
import {
    AWS_REGION_KEY,
    DEFAULT_REPO_URL,
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
    SENTRY_PROVIDER_KEYS,
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
    /** How HTTPS reaches Sentry on AWS (load balancer, records); filled in by parseFrontDoor. */
    frontDoor: FrontDoorSpec;
    /** Mail through Amazon SES (sentry:mail ses). */
    ses?: SesSpec;
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

/** sentry:projects and what Sentry's API needs for them; `projects` empty: no API use at all. */
export interface SentryApiSettings {
    organization: string;
    projects: ResolvedProject[];
    apiTokenRotation: number;
    /** The events per minute the default limits share, and where the figure comes from. */
    capacityPerMinute: number;
    capacitySource: string;
}

/** sentry:edgeRelay. */
export interface EdgeRelaySettings {
    dockerHost: string;
    address: string;
    port: number;
    spoolMaxDiskMb: number;
    memoryLimitMb: number;
}

export interface StackConfig {
    project: string;
    stack: string;
    environment: Environment;
    protect: boolean;
    expiresAt?: string;
    sentry: SentrySettings;
    /** Warnings about accepted settings (deprecated keys): the program logs them. */
    notices?: string[];
    adminPassword: pulumi.Output<string>;
    /** sentry:smtpPassword (mail smtp with a username); with mail ses the AWS side makes its own. */
    smtpPassword?: pulumi.Output<string>;
    placement: AwsPlacement | ExistingPlacement;
    sentryApi: SentryApiSettings;
    edgeRelay?: EdgeRelaySettings;
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
    /**
     * The offline plan: the values that stand for a secret it cannot decrypt (a stack file's
     * `secure:` value). Such a value says nothing of the real one's form, so it is not checked
     * against the setting's schema (a secret URL's form is checked at deploy).
     */
    opaqueSecrets?: readonly string[];
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
    /** What is accepted but should change (deprecated keys): shown as warnings, never fatal. */
    readonly notices: string[] = [];
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
        if (s.secret && this.source.isSecret(fullKey(k)) && (this.options.opaqueSecrets ?? []).includes(raw)) {
            return raw as SettingValue<K>;
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
            const provider = SENTRY_PROVIDER_KEYS[name];
            if (provider !== undefined) {
                this.fail(key, this.source.isSecret(key) ? "[secret]" : this.source.values[key], provider.why, provider.fix);
                continue;
            }
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
    // parseFrontDoor reads it with sentry:tls and sentry:domain (and checks publicUrl is https).
    const behindTlsProxy = r.get("behindTlsProxy")!;
    const adminEmail = r.need("adminEmail");
    const adminPassword = r.secret("adminPassword");

    // sentry:mirrors.selfHostedRepo supersedes sentry:selfHostedRepoUrl, which is still read.
    const mirrors = r.get("mirrors") ?? {};
    const legacyRepoUrl = r.get("selfHostedRepoUrl");
    if (legacyRepoUrl !== undefined && mirrors.selfHostedRepo !== undefined && legacyRepoUrl !== mirrors.selfHostedRepo) {
        r.fail(
            "selfHostedRepoUrl",
            legacyRepoUrl,
            `contradicts sentry:mirrors.selfHostedRepo ${mirrors.selfHostedRepo} (selfHostedRepoUrl is its deprecated alias)`,
            "pulumi config rm sentry:selfHostedRepoUrl",
        );
    } else if (legacyRepoUrl !== undefined) {
        r.notices.push(
            `sentry:selfHostedRepoUrl is deprecated; it still works. Move it: pulumi config rm sentry:selfHostedRepoUrl; pulumi config set --path sentry:mirrors.selfHostedRepo ${legacyRepoUrl}`,
        );
    }
    const { selfHostedRepo, ...hostMirrors } = mirrors;
    // With registries mirrored, a registry the release pulls from that has none goes out to the
    // internet: say so at preview, where a reviewer sees it (the host says it again at deploy).
    const version = r.get("sentryVersion")!;
    if (mirrors.registries !== undefined && Object.keys(mirrors.registries).length > 0) {
        const unmirrored = (RELEASE_REGISTRIES[version] ?? []).filter((reg) => !(reg in mirrors.registries!) && !(reg === "docker.io" && (mirrors.dockerHub ?? []).length > 0));
        for (const reg of unmirrored) {
            r.notices.push(
                `sentry:mirrors.registries has no mirror for ${reg}, which self-hosted ${version} pulls images from: the host will pull those from ${reg} itself. ` +
                    `Add one: pulumi config set --path 'sentry:mirrors.registries["${reg}"]' <your mirror>/<path>`,
            );
        }
    }

    const sentry: SentrySettings = {
        profile: r.ctx.profile,
        version,
        repoUrl: selfHostedRepo ?? legacyRepoUrl ?? DEFAULT_REPO_URL,
        mirrors: hostMirrors,
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
    const smtpPassword = parseFrontDoor(r, sentry, placement, environment);

    const sentryApi = readSentryApi(r, sentry.eventsPerMinuteLimit, placement);
    const edgeRelay = r.get("edgeRelay");

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return { project, stack, environment, protect, expiresAt, sentry, adminPassword: adminPassword as pulumi.Output<string>, smtpPassword, placement, notices: r.notices, sentryApi, edgeRelay, alarms, heartbeatUrl };
}

/**
 * sentry:projects, read here rather than by Reader.get so that a problem deep in the list is
 * named by its path (sentry:projects[1].rateLimit.window), then the keys' limits resolved
 * against the install's capacity (components/sentryApi/limits.ts).
 */
function readSentryApi(r: Reader, eventsPerMinuteLimit: number, placement: AwsPlacement | ExistingPlacement): SentryApiSettings {
    const organization = r.get("organization")!;
    const apiTokenRotation = r.get("apiTokenRotation")!;
    const vcpus = placement.kind === "aws" ? (KNOWN_INSTANCE_TYPES[placement.instanceType]?.vcpus ?? profileMinVcpus(r.ctx.profile)) : profileMinVcpus(r.ctx.profile);
    const capacityPerMinute = ingestCapacityPerMinute(eventsPerMinuteLimit, vcpus);
    const capacitySource =
        eventsPerMinuteLimit > 0
            ? "sentry:eventsPerMinuteLimit"
            : `the planning figure for a ${vcpus} vCPU host (${PLANNED_EVENTS_PER_MINUTE_PER_VCPU} per vCPU; set sentry:eventsPerMinuteLimit to choose it)`;
    const settings = { organization, apiTokenRotation, capacityPerMinute, capacitySource, projects: [] as ResolvedProject[] };
    const raw = r.raw("projects");
    if (raw === undefined) {
        return settings;
    }
    let decoded: unknown;
    try {
        decoded = JSON.parse(raw);
    } catch {
        decoded = undefined;
    }
    if (!Array.isArray(decoded)) {
        r.fail("projects", raw, "must be a list of {name, team, platform, rateLimit} objects", fixOf("projects", r.ctx));
        return settings;
    }
    const parsed = SETTINGS.projects.schema.safeParse(decoded);
    if (!parsed.success) {
        const fields = ["name", "team", "platform", "rateLimit"];
        for (const issue of parsed.error.issues) {
            const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
            const value = issue.path.reduce<unknown>((v, p) => (v as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey], decoded);
            if (issue.code === "unrecognized_keys") {
                for (const field of issue.keys) {
                    const known = issue.path.length > 1 ? ["count", "window"] : fields;
                    const near = closestName(field, known);
                    r.fail(`projects${where}.${field}`, (value as Record<string, unknown>)[field], `has no field ${field}`, near ? `rename it to ${near}` : `remove it; the fields are ${known.join(", ")}`);
                }
                continue;
            }
            r.fail(`projects${where}`, value ?? "(unset)", value === undefined ? "is required" : issue.message, fixOf("projects", r.ctx));
        }
        return settings;
    }
    const resolved = resolveRateLimits(parsed.data as ProjectSpec[], capacityPerMinute, capacitySource);
    for (const p of resolved.problems) {
        r.fail(`projects${p.path}`, p.value, p.why, p.fix);
    }
    return { ...settings, projects: resolved.projects };
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

    r.ctx.region = region;
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
        frontDoor: { tls: "none", validationTimeout: DEFAULT_VALIDATION_TIMEOUT },
        preUpgradeSnapshots: { enabled: r.get("preUpgradeSnapshots")!, kept: r.get("preUpgradeSnapshotsKept")! },
        dataSnapshotId: r.get("dataSnapshotId"),
    };
}

// ---------------------------------------------------------------------------------------
// The front door (sentry:domain, sentry:tls, ...) and mail (sentry:mail, ...): README
// "HTTPS and mail". Read after the placement, since what is possible depends on it.

/** ACME CAs on the public internet: they validate HTTP-01 from addresses they do not publish. */
const PUBLIC_ACME_HOSTS = ["acme-v02.api.letsencrypt.org", "acme-staging-v02.api.letsencrypt.org", "acme.zerossl.com", "dv.acme-v02.api.pki.goog", "api.buypass.com", "api.test4.buypass.no"];

function isPublicAcmeCa(url: string): boolean {
    try {
        return PUBLIC_ACME_HOSTS.includes(new URL(url).hostname);
    } catch {
        return false;
    }
}

function hostedZoneRef(value: string): HostedZoneRef {
    return /^Z[A-Z0-9]{4,32}$/.test(value) ? { id: value } : { name: value };
}

/** The origin users type for a domain: https unless TLS is off (then the web port, unless 80). */
function domainOrigin(domain: string, tls: TlsMode, webPort: number): string {
    return tls !== "none" ? `https://${domain}` : webPort === 80 ? `http://${domain}` : `http://${domain}:${webPort}`;
}

/**
 * The TLS mode when sentry:tls is unset. Production on AWS gets the load balancer: AWS
 * renews its certificate, nothing on the host holds a key, and its fixed cost (about
 * 16-20 USD a month) is small beside a production host. Staging, trials and your own server
 * get ACME on the host: free, and the HTTP-01 check works because their web port faces the
 * internet; a staging stack reachable only from your networks cannot pass Let's Encrypt's
 * check, so it gets the load balancer (DNS-validated) instead. Without a domain there is no
 * certificate to have: `proxy` if you said one is in front (behindTlsProxy), else `none`.
 */
function defaultTls(domain: string | undefined, behindTlsProxy: boolean, placement: AwsPlacement | ExistingPlacement, environment: Environment): TlsMode {
    if (behindTlsProxy) {
        return "proxy";
    }
    if (domain === undefined) {
        return "none";
    }
    if (placement.kind === "existing") {
        return "acme";
    }
    if (environment === "production") {
        return "alb";
    }
    return internetExposures(placement.webCidrs).some((x) => x.wholeInternet && x.family === 4) ? "acme" : "alb";
}

/**
 * Reads the front door and mail settings into `sentry` (tls, domain, acme, mail, publicUrl,
 * behindTlsProxy) and, on AWS, into the placement (frontDoor, ses). Returns the SMTP
 * password of `mail: smtp` (with `mail: ses` the AWS side makes it).
 */
function parseFrontDoor(r: Reader, sentry: SentrySettings, placement: AwsPlacement | ExistingPlacement, environment: Environment): pulumi.Output<string> | undefined {
    const aws = placement.kind === "aws" ? placement : undefined;
    const region = aws?.region || undefined;
    const china = region !== undefined && partitionOfRegion(region) === "aws-cn";
    const domain = r.get("domain");
    const behindTlsProxy = sentry.behindTlsProxy;
    const explicitTls = r.get("tls");
    const tls: TlsMode = explicitTls ?? defaultTls(domain, behindTlsProxy, placement, environment);

    // behindTlsProxy came before sentry:tls: true still means `proxy`; it cannot mean anything else.
    if (behindTlsProxy && explicitTls !== undefined && explicitTls !== "proxy") {
        r.fail(
            "behindTlsProxy",
            true,
            `says your own proxy terminates TLS, but sentry:tls is ${explicitTls}`,
            `pulumi config rm sentry:behindTlsProxy (sentry:tls ${explicitTls} says how HTTPS is terminated now), or pulumi config set sentry:tls proxy`,
        );
    }
    if (tls === "none" && environment === "production" && !r.get("allowPlainHttp")) {
        r.fail(
            "tls",
            explicitTls ?? "none (no sentry:domain)",
            "production without HTTPS: passwords, session cookies and DSNs would cross the network in clear text",
            "pulumi config set sentry:domain sentry.your-company.com (HTTPS through a load balancer by default; README \"HTTPS and mail\"), or pulumi config set sentry:tls proxy with an https:// sentry:publicUrl if you run the proxy, or (only if you accept it) pulumi config set sentry:allowPlainHttp true",
        );
    }
    if ((tls === "alb" || tls === "acme") && domain === undefined) {
        r.fail(
            "domain",
            "(unset)",
            `sentry:tls ${tls} needs the name the certificate is for`,
            "pulumi config set sentry:domain sentry.your-company.com (a name in a zone you control), or pulumi config set sentry:tls none",
        );
    }
    if (tls === "alb" && placement.kind === "existing") {
        r.fail("tls", "alb", "an AWS load balancer needs placement aws; your own server terminates TLS itself", "pulumi config set sentry:tls acme (a TLS server on your server, Let's Encrypt), or sentry:tls proxy if you run one");
    }
    if (tls === "acme" && aws !== undefined) {
        const caUrl = r.get("acmeCaUrl")!;
        const worldOpen = internetExposures(aws.webCidrs).some((x) => x.wholeInternet && x.family === 4);
        if (isPublicAcmeCa(caUrl) && !worldOpen) {
            r.fail(
                "tls",
                "acme",
                `${new URL(caUrl).hostname} checks HTTP-01 by fetching http://${domain ?? "<domain>"}/.well-known/acme-challenge/ from addresses it does not publish, but sentry:webCidrs (${aws.webCidrs.join(", ") || "empty"}) keeps ports 80 and 443 closed to them`,
                'pulumi config set sentry:tls alb (the certificate is validated through DNS, the load balancer keeps webCidrs), or open the web to the internet (sentry:webCidrs: ["0.0.0.0/0"], and list the stack in publicWebStacks in policy/settings.ts), or point sentry:acmeCaUrl at an ACME CA inside your network',
            );
        }
    }
    // AWS China keeps 80, 443 and 8080 closed until the domain has an ICP filing; both
    // front doors serve on 443 (and 80 for redirects and the ACME challenge).
    if (china && (tls === "alb" || tls === "acme") && !r.get("icpFiled")) {
        r.fail(
            "tls",
            tls,
            `AWS China keeps ports 80 and 443 closed until the domain has an ICP filing (${region}); HTTPS on ${domain ?? "the domain"} would answer nobody`,
            "once the filing is through: pulumi config set sentry:icpFiled true; until then pulumi config set sentry:tls none (plain HTTP on sentry:webPort 9000), or sentry:tls proxy behind a proxy of your own",
        );
    }

    // The origin users type follows the domain; an explicit publicUrl must agree with it.
    if (domain !== undefined) {
        const origin = domainOrigin(domain, tls, sentry.webPort);
        if (sentry.publicUrl !== undefined && sentry.publicUrl !== origin) {
            r.fail(
                "publicUrl",
                sentry.publicUrl,
                `sentry:domain ${domain} makes the public URL ${origin} (system.url-prefix, the CSRF origin, every link Sentry sends)`,
                `pulumi config rm sentry:publicUrl, and list any other origin users type in sentry:csrfTrustedOrigins`,
            );
        }
        sentry.publicUrl = origin;
    } else if (tls === "proxy" && !sentry.publicUrl?.startsWith("https://")) {
        r.fail(
            "publicUrl",
            sentry.publicUrl ?? "(unset: http://<Elastic IP>:<webPort>)",
            "a TLS proxy is in front (sentry:tls proxy or behindTlsProxy), so users reach Sentry over https through it; an http URL breaks logins (CSRF) and every link Sentry sends",
            "pulumi config set sentry:domain sentry.your-company.com (the proxy's name), or pulumi config set sentry:publicUrl https://sentry.your-company.com, or pulumi config set sentry:tls none",
        );
    }
    sentry.tls = tls;
    sentry.domain = domain;
    // Behind a load balancer, your proxy or the host's own TLS server alike, Sentry's nginx is
    // reached over http from a proxy that terminated https: secure cookies, X-Forwarded-Proto.
    sentry.behindTlsProxy = tls !== "none";
    if (tls === "acme") {
        sentry.acme = { caUrl: r.get("acmeCaUrl")!, email: r.get("acmeEmail") ?? sentry.adminEmail };
    }

    const rawZone = r.get("hostedZone");
    const hostedZone = rawZone === undefined ? undefined : hostedZoneRef(rawZone);
    if (rawZone !== undefined) {
        if (placement.kind === "existing") {
            r.fail("hostedZone", rawZone, "the program writes Route 53 records only with placement aws", `pulumi config rm sentry:hostedZone, and point ${domain ?? "your domain"} at your server in your DNS`);
        } else if (domain === undefined) {
            r.fail("hostedZone", rawZone, "there is no sentry:domain to create records for", "pulumi config set sentry:domain sentry.your-company.com (a name in that zone), or pulumi config rm sentry:hostedZone");
        } else if ("name" in hostedZone! && !isInZone(domain, hostedZone.name)) {
            r.fail("hostedZone", rawZone, `sentry:domain ${domain} is not in that zone`, `pulumi config set sentry:hostedZone ${domain.split(".").slice(1).join(".")} (the zone holding ${domain}), or its zone id`);
        }
    }

    const certificateArn = r.get("certificateArn");
    if (certificateArn !== undefined) {
        const [, partition, , arnRegion] = certificateArn.split(":");
        if (tls !== "alb") {
            r.fail("certificateArn", certificateArn, `only the load balancer (sentry:tls alb) uses an ACM certificate; sentry:tls is ${tls}`, "pulumi config rm sentry:certificateArn, or pulumi config set sentry:tls alb");
        } else if (region !== undefined && (arnRegion !== region || partition !== partitionOfRegion(region))) {
            r.fail("certificateArn", certificateArn, `is a certificate of ${arnRegion} (${partition}); a load balancer in ${region} can only use one of its own region`, `import or request the certificate in ${region} (aws acm import-certificate --region ${region} ...) and set its ARN`);
        }
    }

    if (aws !== undefined) {
        let albSubnets: FrontDoorSpec["albSubnets"];
        const albSubnetIds = r.get("albSubnetIds") ?? [];
        if (aws.network.kind === "existing") {
            if (tls === "alb" && albSubnetIds.length < 2) {
                r.fail(
                    "albSubnetIds",
                    albSubnetIds.length === 0 ? "(unset)" : albSubnetIds,
                    "a load balancer needs public subnets in at least two availability zones, and in an existing VPC you name them",
                    fixOf("albSubnetIds", r.ctx),
                );
            }
            if (new Set(albSubnetIds).size !== albSubnetIds.length) {
                r.fail("albSubnetIds", albSubnetIds, "lists a subnet twice", "list each subnet once");
            }
            albSubnets = tls === "alb" ? { kind: "existing", subnetIds: albSubnetIds } : undefined;
        } else {
            if (albSubnetIds.length > 0) {
                r.fail("albSubnetIds", albSubnetIds, "names subnets of an existing VPC, but this stack creates its own (no sentry:vpcId)", "pulumi config rm sentry:albSubnetIds (the program adds the second subnet itself; sentry:albSubnetCidr sets its range)");
            }
            if (tls === "alb") {
                const cidr = r.get("albSubnetCidr")!;
                const { vpcCidr, subnetCidr } = aws.network;
                if (cidrProblem(cidr) === undefined && cidrProblem(vpcCidr) === undefined && cidrProblem(subnetCidr) === undefined) {
                    if (!cidrContains(vpcCidr, cidr)) {
                        r.fail("albSubnetCidr", cidr, `must lie inside vpcCidr ${vpcCidr}`, `pulumi config set sentry:albSubnetCidr ${defaultOf("albSubnetCidr", r.ctx)}`);
                    } else if (cidrsOverlap(cidr, subnetCidr)) {
                        r.fail("albSubnetCidr", cidr, `overlaps the host's subnet ${subnetCidr}`, `pick another range of ${vpcCidr}, e.g. pulumi config set sentry:albSubnetCidr ${defaultOf("albSubnetCidr", r.ctx)}`);
                    }
                }
                albSubnets = { kind: "new", cidr };
            }
        }
        aws.frontDoor = { tls, domain, hostedZone, certificateArn, albSubnets, validationTimeout: DEFAULT_VALIDATION_TIMEOUT };
    }

    return parseMail(r, sentry, placement, domain, hostedZone, china);
}

function parseMail(r: Reader, sentry: SentrySettings, placement: AwsPlacement | ExistingPlacement, domain: string | undefined, hostedZone: HostedZoneRef | undefined, china: boolean): pulumi.Output<string> | undefined {
    const mail = r.get("mail")!;
    const smtp = r.get("smtp");
    const hasPassword = r.raw("smtpPassword") !== undefined;
    if (mail !== "none" && sentry.mailHost !== undefined) {
        r.fail("mailHost", sentry.mailHost, `names the host of upstream's bundled relay, which sentry:mail ${mail} replaces`, "pulumi config rm sentry:mailHost");
    }
    if (mail !== "smtp" && smtp !== undefined) {
        r.fail("smtp", smtp, `is read only with sentry:mail smtp (it is ${mail})`, "pulumi config set sentry:mail smtp, or pulumi config rm sentry:smtp");
    }
    if (mail !== "smtp" && hasPassword) {
        r.fail("smtpPassword", "[secret]", mail === "ses" ? "with sentry:mail ses the program makes SES's SMTP password itself" : `is read only with sentry:mail smtp (it is ${mail})`, "pulumi config rm sentry:smtpPassword");
    }
    if (mail === "none") {
        return undefined;
    }

    const from = sentry.mailFrom ?? (domain !== undefined ? `sentry@${domain}` : undefined);
    if (from === undefined) {
        r.fail("mailFrom", "(unset)", `sentry:mail ${mail} needs a sender address, and there is no sentry:domain to derive one from`, fixOf("mailFrom", r.ctx));
    }

    if (mail === "ses") {
        if (placement.kind === "existing") {
            r.fail("mail", "ses", "SES is set up with placement aws only (the program has no AWS account for your own server)", "pulumi config set sentry:mail smtp with sentry:smtp (SES's SMTP interface works too, with credentials you make in your account)");
            return undefined;
        }
        if (china) {
            // SES is not among the services of the China regions (Getting Started with AWS in
            // China lists none; SES's endpoint list has no cn- region).
            r.fail("mail", "ses", `Amazon SES is not offered in the AWS China regions (${placement.region})`, "pulumi config set sentry:mail smtp, with sentry:smtp pointing at a mail service that delivers from China");
            return undefined;
        }
        if (domain === undefined) {
            r.fail("mail", "ses", "SES sends as a verified domain identity, and there is no sentry:domain", "pulumi config set sentry:domain sentry.your-company.com (its DKIM and MAIL FROM records go into sentry:hostedZone), or pulumi config set sentry:mail smtp");
            return undefined;
        }
        if (from !== undefined && !isInZone(from.slice(from.lastIndexOf("@") + 1), domain)) {
            r.fail("mailFrom", from, `SES sends only as the verified identity ${domain} (and names below it)`, `pulumi config set sentry:mailFrom sentry@${domain}`);
        }
        sentry.mail = { host: sesSmtpEndpoint(placement.region), port: 587, security: "starttls", from: from ?? "" };
        placement.ses = { domain, hostedZone, verifyAddresses: [sentry.adminEmail].filter((a) => a !== "") };
        return undefined;
    }

    const server = r.need("smtp");
    if (server === undefined) {
        return undefined;
    }
    sentry.mail = { host: server.host, port: server.port, username: server.username, security: server.security, from: from ?? "" };
    if (server.username !== undefined) {
        return r.secret("smtpPassword");
    }
    if (hasPassword) {
        r.fail("smtpPassword", "[secret]", "there is no sentry:smtp.username to log in with", "pulumi config set --path sentry:smtp.username <user>, or pulumi config rm sentry:smtpPassword");
    }
    return undefined;
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
    const config = parseConfig(pulumiConfigSource(), pulumi.getStack(), pulumi.getProject());
    for (const notice of config.notices ?? []) {
        void pulumi.log.warn(notice);
    }
    return config;
}
