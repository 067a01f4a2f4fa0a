// Trial ("experience") environments: short-lived copies of staging under their own stack
// name, created, extended, destroyed and reaped through the Pulumi CLI. Every CLI call
// goes through a PulumiRunner so tests can check the exact commands and their stdin.
// tools/trial.ts is the command line; this file has no side effects on import.
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseArgs as parseArgsStrict, ParseArgsConfig } from "util";
import { Document, Scalar } from "yaml";
import { PRODUCTION_STACK, STAGING_STACK } from "../components/tags";
import { isSecureValue, readStackFile, StackFile, stackFilePath } from "./stackFile";
import { FoundSnapshot, pickLatest, SnapshotFinder } from "./snapshotFinder";

export const SOURCE_STACK = STAGING_STACK;
/** Stacks the trial tool never touches. */
export const RESERVED_STACKS: readonly string[] = [STAGING_STACK, PRODUCTION_STACK, "production"];
/**
 * Longest trial name. The tightest AWS name this program derives from the stack name is
 * the instance profile's namePrefix "sentry-<stack>-host-", which IAM caps at 38
 * characters: 7 + 20 + 6 = 33 leaves room. IAM role names (64 with Pulumi's 8-character
 * suffix) come next: "sentry-<stack>-snapshots-role-xxxxxxx" is at most 50.
 */
export const MAX_TRIAL_NAME = 20;
export const DEFAULT_TTL = "72h";
export const MAX_TTL_HOURS = 14 * 24;
export const TAG_ENVIRONMENT = "sentry:environment";
export const TAG_EXPIRES_AT = "sentry:expires-at";
export const TAG_SOURCE = "sentry:created-from";
export const TAG_DATA_FROM = "sentry:data-from";

/** A refusal or a failed Pulumi command: the message says what to do, no stack trace needed. */
export class TrialError extends Error {}

/** Returns why `name` cannot be a trial stack name, or undefined when it can. */
export function trialNameProblem(name: string): string | undefined {
    for (const reserved of RESERVED_STACKS) {
        if (name === reserved || name.startsWith(`${reserved}-`)) {
            return `"${name}" is reserved: staging and prod are long-lived stacks, and names starting with "${reserved}-" would be mistaken for them`;
        }
    }
    if (name.length < 2 || name.length > MAX_TRIAL_NAME) {
        return `"${name}" must be 2 to ${MAX_TRIAL_NAME} characters (AWS name limits: IAM instance profile name prefixes are at most 38 characters)`;
    }
    if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(name) || name.includes("--")) {
        return `"${name}" must be lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (e.g. demo, pr-123, anna-test)`;
    }
    return undefined;
}

/** "72h", "3d", "90m", "1w" -> milliseconds. Between 1 hour and 14 days. */
export function parseTtl(text: string): number {
    const m = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
    if (!m) {
        throw new TrialError(`--ttl ${text}: use a number and a unit, m (minutes), h (hours), d (days) or w (weeks), e.g. 72h or 3d`);
    }
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as "m" | "h" | "d" | "w"];
    const ms = Number(m[1]) * unit;
    if (ms < 3_600_000 || ms > MAX_TTL_HOURS * 3_600_000) {
        throw new TrialError(`--ttl ${text}: a trial lives between 1h and ${MAX_TTL_HOURS / 24}d; extend it later with \`npm run trial -- extend <name> --ttl 48h\``);
    }
    return ms;
}

/** ISO 8601 UTC to the second, the format sentry:expiresAt accepts: 2026-12-01T00:00:00Z. */
export function isoUtc(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function parseIso(text: string | undefined): Date | undefined {
    if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(text)) {
        return undefined;
    }
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A fresh admin password: 32 URL-safe characters (192 bits), safe in any shell or env file. */
export function generatePassword(): string {
    return randomBytes(24).toString("base64url");
}

// ---------------------------------------------------------------------------------------
// Stack files.


/**
 * Config keys a trial must not inherit from staging even when they are not secret: the names
 * users and SDKs know (a trial with its source's domain would take over its DNS record and
 * certificate), and the source's dead-man's switch (a trial pinging it would hide the source's
 * own outage).
 */
export const NOT_COPIED: readonly string[] = [
    "sentry:publicUrl",
    "sentry:csrfTrustedOrigins",
    "sentry:domain",
    "sentry:hostedZone",
    "sentry:certificateArn",
    "sentry:tls",
    "sentry:heartbeatUrl",
];

/**
 * The trial's config: staging's plain values (secure values are encrypted for staging's
 * secrets provider and cannot be read by another stack), marked as a trial that expires.
 */
export function trialConfig(source: Record<string, unknown>, expiresAt: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) {
        if (!isSecureValue(v) && !NOT_COPIED.includes(k)) {
            out[k] = v;
        }
    }
    out["sentry:environment"] = "trial";
    out["sentry:protect"] = false;
    out["sentry:expiresAt"] = expiresAt;
    return out;
}

/**
 * What a trial on a copy of production's data must not take over from production: who gets
 * paged and where mail goes (NOT_COPIED keeps the URL users and SDKs know). Mail is switched
 * off (sentry:mail none) so the copy never emails production's users.
 */
export const NOT_COPIED_WITH_DATA: readonly string[] = [
    "sentry:alarmEmails",
    "sentry:alarmTopicArn",
    "sentry:mailHost",
    "sentry:mailFrom",
    "sentry:mail",
    "sentry:smtp",
    "sentry:smtpPassword",
    "sentry:dataSnapshotId",
];

/** The trial's config with production's data: trialConfig, minus NOT_COPIED_WITH_DATA, on a volume made from `snapshot`. */
export function trialConfigWithData(source: Record<string, unknown>, expiresAt: string, snapshot: FoundSnapshot): Record<string, unknown> {
    const out = Object.fromEntries(Object.entries(trialConfig(source, expiresAt)).filter(([k]) => !NOT_COPIED_WITH_DATA.includes(k)));
    out["sentry:dataSnapshotId"] = snapshot.id;
    // The new volume is at least the snapshot's size (EBS refuses a smaller one).
    const size = typeof source["sentry:dataVolumeSizeGb"] === "number" ? (source["sentry:dataVolumeSizeGb"] as number) : 0;
    if (size < snapshot.sizeGb) {
        out["sentry:dataVolumeSizeGb"] = snapshot.sizeGb;
    }
    // A pre-upgrade snapshot holds the version before the upgrade: install that, then rehearse.
    if (snapshot.dataVersion) {
        out["sentry:sentryVersion"] = snapshot.dataVersion;
    }
    out["sentry:mail"] = "none";
    // DLM's snapshots outlive the stack (they are not Pulumi's): a trial takes none of its own.
    out["sentry:snapshotRetentionDays"] = 0;
    return out;
}

/** Secure keys of the source stack, which the trial has to get fresh values for. */
export function secureKeys(source: Record<string, unknown>): string[] {
    return Object.entries(source)
        .filter(([, v]) => isSecureValue(v))
        .map(([k]) => k);
}

/**
 * The trial's stack file: whatever `pulumi stack init` wrote (its secrets-provider keys)
 * plus the trial config. Text, with a header saying where it came from.
 */
export function renderTrialStackFile(initWritten: StackFile | undefined, config: Record<string, unknown>, name: string, source: string): string {
    const doc = new Document({ ...(initWritten ?? {}), config });
    // Quoted, so that no YAML 1.1 reader (Go's, in the Pulumi CLI) takes it for a timestamp.
    const expires = doc.getIn(["config", "sentry:expiresAt"], true);
    if (expires instanceof Scalar) {
        expires.type = "QUOTE_DOUBLE";
    }
    const header =
        `# Trial stack "${name}", created by \`npm run trial -- create ${name}\` from Pulumi.${source}.yaml.\n` +
        `# It expires at ${String(config["sentry:expiresAt"])}; the trial reaper destroys it after that.\n`;
    return header + doc.toString();
}

// ---------------------------------------------------------------------------------------
// The Pulumi CLI.

export interface RunOptions {
    /** Written to the command's standard input (never put secrets in args). */
    stdin?: string;
    /** Capture stdout (for --json output) instead of streaming it to the terminal. */
    capture?: boolean;
}

export interface RunResult {
    code: number;
    stdout: string;
}

export interface PulumiRunner {
    run(args: string[], options?: RunOptions): Promise<RunResult>;
}

/** Runs the real `pulumi` binary in `cwd`. */
export function cliRunner(cwd: string, binary = "pulumi"): PulumiRunner {
    return {
        run(args, options = {}) {
            return new Promise((resolve, reject) => {
                const child = spawn(binary, args, {
                    cwd,
                    stdio: [options.stdin !== undefined ? "pipe" : "inherit", options.capture ? "pipe" : "inherit", "inherit"],
                });
                let stdout = "";
                child.stdout?.on("data", (d) => (stdout += d));
                child.on("error", (e) =>
                    reject(new TrialError(`could not run the Pulumi CLI "${binary}": ${e.message}. Install it (https://www.pulumi.com/docs/install/) and put it on PATH, or name it with PULUMI_BINARY`)),
                );
                child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
                if (options.stdin !== undefined) {
                    child.stdin!.end(options.stdin);
                }
            });
        },
    };
}

async function pulumi(runner: PulumiRunner, args: string[], options?: RunOptions): Promise<string> {
    const res = await runner.run(args, options);
    if (res.code !== 0) {
        throw new TrialError(`pulumi ${args.join(" ")} failed with exit code ${res.code}`);
    }
    return res.stdout;
}

export interface Env {
    runner: PulumiRunner;
    /** The project directory (Pulumi.yaml and the stack files). */
    dir: string;
    log: (line: string) => void;
    now: () => Date;
    /** Where the reaper also appends its report (GitHub's $GITHUB_STEP_SUMMARY). */
    summaryFile?: string;
    /** Where errors go (standard error on the command line); `log` when unset. */
    error?: (line: string) => void;
    /** Looks up the source stack's snapshots (--with-data). */
    snapshots?: SnapshotFinder;
}

// ---------------------------------------------------------------------------------------
// create

/** When a trial created or extended now with this time-to-live expires (ISO 8601 UTC). */
function expiresAfter(env: Env, ttl: string): string {
    return isoUtc(new Date(env.now().getTime() + parseTtl(ttl)));
}

export interface CreateOptions {
    ttl?: string;
    source?: string;
    /** Also run `pulumi up` with the policy pack. */
    up?: boolean;
    /** The data volume from the source stack's latest snapshot (--with-data). */
    withData?: boolean;
}

export async function createTrial(env: Env, name: string, options: CreateOptions = {}): Promise<{ expiresAt: string; file: string }> {
    const problem = trialNameProblem(name);
    if (problem) {
        throw new TrialError(`trial name ${problem}`);
    }
    const source = options.source ?? SOURCE_STACK;
    const expiresAt = expiresAfter(env, options.ttl ?? DEFAULT_TTL);
    const file = stackFilePath(env.dir, name);
    if (fs.existsSync(file)) {
        throw new TrialError(`${file} already exists: pick another name, or destroy that trial first (npm run trial -- destroy ${name})`);
    }
    const sourceFile = readStackFile(env.dir, source);
    if (!sourceFile) {
        throw new TrialError(`no Pulumi.${source}.yaml in ${env.dir} to copy settings from`);
    }
    const sourceConfig = sourceFile.config ?? {};
    let snapshot: FoundSnapshot | undefined;
    if (options.withData) {
        if (sourceConfig["sentry:placement"] === "existing") {
            throw new TrialError(`--with-data copies an EBS snapshot; ${source} runs on a server of its own (sentry:placement existing)`);
        }
        const region = sourceConfig["aws:region"];
        if (typeof region !== "string" || region === "") {
            throw new TrialError(`Pulumi.${source}.yaml sets no aws:region to look for its snapshots in`);
        }
        if (!env.snapshots) {
            throw new TrialError("--with-data needs a snapshot look-up (the AWS CLI); none is configured");
        }
        let listed;
        try {
            listed = await env.snapshots.list(source, region);
        } catch (e) {
            throw new TrialError(`could not list the snapshots of ${source}: ${(e as Error).message}`);
        }
        snapshot = pickLatest(listed);
        if (!snapshot) {
            throw new TrialError(
                `no completed snapshot of ${source}'s data volume in ${region} (tags SentryPreUpgrade=${source} or SentryData=${source}); wait for the daily DLM snapshot, or take one: aws ec2 create-snapshot --volume-id $(pulumi stack output dataVolumeId --stack ${source})`,
            );
        }
        env.log(`data from ${source}'s ${snapshot.kind} snapshot ${snapshot.id} of ${snapshot.startTime} (${snapshot.sizeGb} GB${snapshot.dataVersion ? `, Sentry ${snapshot.dataVersion}` : ""})`);
    }

    const init = ["stack", "init", name, "--no-select", "--non-interactive"];
    if (typeof sourceFile.secretsprovider === "string" && sourceFile.secretsprovider !== "") {
        init.push("--secrets-provider", sourceFile.secretsprovider);
    }
    await pulumi(env.runner, init);
    const config = snapshot ? trialConfigWithData(sourceConfig, expiresAt, snapshot) : trialConfig(sourceConfig, expiresAt);
    fs.writeFileSync(file, renderTrialStackFile(readStackFile(env.dir, name), config, name, source));
    env.log(`wrote ${path.basename(file)} from Pulumi.${source}.yaml (environment trial, expires ${expiresAt})`);

    // Secure values are encrypted for the source stack; the trial gets fresh ones. The admin
    // password is generated and travels on stdin, never in argv or the log.
    await pulumi(env.runner, ["config", "set", "--secret", "sentry:adminPassword", "--stack", name, "--non-interactive"], { stdin: generatePassword() });
    env.log(`set a fresh random sentry:adminPassword (read it with: pulumi config get sentry:adminPassword --stack ${name})`);
    for (const key of secureKeys(sourceConfig).filter((k) => k !== "sentry:adminPassword")) {
        env.log(`not copied: secret ${key} of ${source}; set it with: pulumi config set --secret ${key} --stack ${name}`);
    }

    await pulumi(env.runner, ["stack", "tag", "set", TAG_ENVIRONMENT, "trial", "--stack", name, "--non-interactive"]);
    await pulumi(env.runner, ["stack", "tag", "set", TAG_EXPIRES_AT, expiresAt, "--stack", name, "--non-interactive"]);
    await pulumi(env.runner, ["stack", "tag", "set", TAG_SOURCE, source, "--stack", name, "--non-interactive"]);
    if (snapshot) {
        await pulumi(env.runner, ["stack", "tag", "set", TAG_DATA_FROM, snapshot.id, "--stack", name, "--non-interactive"]);
    }
    env.log(`tagged stack ${name}: ${TAG_ENVIRONMENT}=trial, ${TAG_EXPIRES_AT}=${expiresAt}`);
    if (snapshot) {
        env.log(
            `a copy of ${source}'s data: its users, password hashes, DSN keys and events. Mail is off, alarms page nobody, the URL is the trial's own; ` +
                `log in with ${source}'s admin account (the fresh sentry:adminPassword applies only to a new user). Keep sentry:webCidrs tight, and destroy it when done.`,
        );
    }

    if (options.up) {
        await pulumi(env.runner, ["up", "--yes", "--non-interactive", "--stack", name, "--policy-pack", "policy"]);
    } else {
        env.log(`next: pulumi up --stack ${name} --policy-pack policy`);
    }
    return { expiresAt, file };
}

// ---------------------------------------------------------------------------------------
// destroy

/** How to retire production on purpose; printed when someone asks the trial tool to destroy it. */
export const PRODUCTION_DESTROY_HELP = [
    'refusing to destroy "prod": it is the production Sentry. Its instance, data volume and Elastic IP are',
    "protected (protect: true), so `pulumi destroy --stack prod` stops at them, the instance has EC2 termination",
    "protection, and the data volume is retained on delete. To retire production deliberately:",
    "  1. snapshot the data:   aws ec2 create-snapshot --volume-id $(pulumi stack output dataVolumeId --stack prod) --description 'sentry prod final'",
    "  2. allow termination:   aws ec2 modify-instance-attribute --instance-id $(pulumi stack output instanceId --stack prod) --no-disable-api-termination",
    "  3. lift protection:     pulumi state unprotect --all --yes --stack prod",
    "  4. destroy, reviewing the preview first:   pulumi destroy --stack prod",
    "  5. the data volume is kept (retainOnDelete); delete it once the snapshot is safe:   aws ec2 delete-volume --volume-id <id>",
    "  6. pulumi stack rm prod",
    "See README.md, \"Destroying production on purpose\".",
].join("\n");

async function stackTags(env: Env, name: string): Promise<Record<string, string>> {
    const out = await pulumi(env.runner, ["stack", "tag", "ls", "--json", "--stack", name, "--non-interactive"], { capture: true });
    const parsed = JSON.parse(out || "{}") as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
}

export async function destroyTrial(env: Env, name: string): Promise<void> {
    if (name === PRODUCTION_STACK || name === "production") {
        throw new TrialError(PRODUCTION_DESTROY_HELP);
    }
    const problem = trialNameProblem(name);
    if (problem) {
        throw new TrialError(`refusing to destroy ${JSON.stringify(name)}: ${problem}`);
    }
    const tags = await stackTags(env, name);
    if (tags[TAG_ENVIRONMENT] !== "trial") {
        throw new TrialError(
            `refusing to destroy "${name}": the stack is not tagged ${TAG_ENVIRONMENT}=trial, so it was not created by \`npm run trial -- create\`. ` +
                `If you really mean it: pulumi destroy --stack ${name} --remove`,
        );
    }
    await removeStack(env, name);
}

/** Destroys every resource, then removes the stack and its Pulumi.<name>.yaml (--remove). */
async function removeStack(env: Env, name: string): Promise<void> {
    await pulumi(env.runner, ["destroy", "--yes", "--non-interactive", "--remove", "--stack", name]);
    env.log(`destroyed and removed trial stack ${name}`);
}

// ---------------------------------------------------------------------------------------
// extend

export async function extendTrial(env: Env, name: string, ttl: string): Promise<string> {
    const problem = trialNameProblem(name);
    if (problem) {
        throw new TrialError(`trial name ${problem}`);
    }
    const tags = await stackTags(env, name);
    if (tags[TAG_ENVIRONMENT] !== "trial") {
        throw new TrialError(`"${name}" is not tagged ${TAG_ENVIRONMENT}=trial`);
    }
    const expiresAt = expiresAfter(env, ttl);
    await pulumi(env.runner, ["stack", "tag", "set", TAG_EXPIRES_AT, expiresAt, "--stack", name, "--non-interactive"]);
    await pulumi(env.runner, ["config", "set", "sentry:expiresAt", expiresAt, "--stack", name, "--non-interactive"]);
    env.log(`trial ${name} now expires at ${expiresAt}; run \`pulumi up --stack ${name} --policy-pack policy\` to update its ExpiresAt tags in AWS`);
    return expiresAt;
}

// ---------------------------------------------------------------------------------------
// reap

export interface StackInfo {
    name: string;
    tags: Record<string, string>;
}

export interface Selection {
    expired: { name: string; expiresAt: string }[];
    live: { name: string; expiresAt: string }[];
    /** Trial-tagged stacks the reaper will not touch, and why. */
    skipped: { name: string; reason: string }[];
}

/** The short stack name of "org/project/name" or "org/name". */
export function shortName(full: string): string {
    const parts = full.split("/");
    return parts[parts.length - 1];
}

/** Which trial stacks have outlived their time-to-live at `now`. */
export function selectExpired(stacks: readonly StackInfo[], now: Date): Selection {
    const out: Selection = { expired: [], live: [], skipped: [] };
    for (const s of stacks) {
        if (s.tags[TAG_ENVIRONMENT] !== "trial") {
            continue;
        }
        const short = shortName(s.name);
        if (trialNameProblem(short) !== undefined) {
            out.skipped.push({ name: s.name, reason: "tagged as a trial but named like a long-lived stack; check it by hand" });
            continue;
        }
        const raw = s.tags[TAG_EXPIRES_AT];
        const at = parseIso(raw);
        if (!at) {
            out.skipped.push({ name: s.name, reason: raw ? `${TAG_EXPIRES_AT} "${raw}" is not an ISO 8601 UTC time` : `no ${TAG_EXPIRES_AT} tag` });
            continue;
        }
        (at.getTime() <= now.getTime() ? out.expired : out.live).push({ name: s.name, expiresAt: raw! });
    }
    return out;
}

export interface ReapResult extends Selection {
    removed: string[];
    failed: { name: string; error: string }[];
}

export async function reapTrials(env: Env, options: { dryRun?: boolean } = {}): Promise<ReapResult> {
    const listed = await pulumi(env.runner, ["stack", "ls", "--json", "--tag", `${TAG_ENVIRONMENT}=trial`, "--non-interactive"], { capture: true });
    const names = (JSON.parse(listed || "[]") as { name: string }[]).map((s) => s.name);
    const stacks: StackInfo[] = [];
    for (const name of names) {
        stacks.push({ name, tags: await stackTags(env, name) });
    }
    const now = env.now();
    const selection = selectExpired(stacks, now);
    const result: ReapResult = { ...selection, removed: [], failed: [] };
    for (const s of selection.expired) {
        if (options.dryRun) {
            continue;
        }
        try {
            await removeStack(env, s.name);
            result.removed.push(s.name);
        } catch (e) {
            result.failed.push({ name: s.name, error: e instanceof Error ? e.message : String(e) });
        }
    }
    const report = reapReport(result, now, options.dryRun === true);
    report.forEach((line) => env.log(line));
    if (env.summaryFile) {
        fs.appendFileSync(env.summaryFile, report.join("\n") + "\n");
    }
    return result;
}

/** Markdown lines, fit for a terminal and for $GITHUB_STEP_SUMMARY. */
export function reapReport(r: ReapResult, now: Date, dryRun: boolean): string[] {
    const lines = [`### Trial reaper, ${isoUtc(now)}${dryRun ? " (dry run: nothing destroyed)" : ""}`, ""];
    const expiredAt = new Map(r.expired.map((e) => [e.name, e.expiresAt]));
    if (dryRun) {
        lines.push(r.expired.length ? `Would remove ${r.expired.length} expired trial stack(s):` : "No trial stack has expired.");
        r.expired.forEach((e) => lines.push(`- ${e.name} (expired ${e.expiresAt})`));
    } else {
        lines.push(r.removed.length ? `Removed ${r.removed.length} expired trial stack(s):` : "Removed nothing: no trial stack has expired.");
        r.removed.forEach((n) => lines.push(`- ${n} (expired ${expiredAt.get(n)})`));
    }
    if (r.failed.length) {
        lines.push("", `Failed to remove ${r.failed.length}:`);
        r.failed.forEach((f) => lines.push(`- ${f.name}: ${f.error}`));
    }
    if (r.skipped.length) {
        lines.push("", "Skipped:");
        r.skipped.forEach((s) => lines.push(`- ${s.name}: ${s.reason}`));
    }
    if (r.live.length) {
        lines.push("", "Still running:");
        r.live.forEach((l) => lines.push(`- ${l.name} (expires ${l.expiresAt})`));
    }
    return lines;
}

// ---------------------------------------------------------------------------------------
// Command line.

/** Every flag, for util.parseArgs; COMMANDS says which command takes which. */
const OPTIONS = {
    ttl: { type: "string" },
    from: { type: "string" },
    now: { type: "string" },
    up: { type: "boolean" },
    "with-data": { type: "boolean" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

type Flag = Exclude<keyof typeof OPTIONS, "help">;

const COMMANDS: Record<string, { synopsis: string; help: string; takesName: boolean; flags: Flag[] }> = {
    create: {
        synopsis: "create <name> [--ttl 72h] [--from staging] [--with-data] [--up]",
        help: `a trial stack copied from staging (or --from); --ttl between 1h and ${MAX_TTL_HOURS / 24}d, default ${DEFAULT_TTL}; --with-data: its data volume from --from's latest snapshot; --up also deploys it`,
        takesName: true,
        flags: ["ttl", "from", "up", "with-data"],
    },
    extend: { synopsis: "extend <name> --ttl 48h", help: `move the trial's expiry to --ttl from now (default ${DEFAULT_TTL})`, takesName: true, flags: ["ttl"] },
    destroy: { synopsis: "destroy <name>", help: "destroy a trial's resources and remove its stack", takesName: true, flags: [] },
    reap: {
        synopsis: "reap [--now <ISO 8601 UTC>] [--dry-run]",
        help: "destroy every trial that has expired (at --now); --dry-run only reports",
        takesName: false,
        flags: ["now", "dry-run"],
    },
};

const USAGE = Object.values(COMMANDS)
    .map((c, i) => `${i === 0 ? "usage: " : "       "}npm run trial -- ${c.synopsis}`)
    .join("\n");

const HELP = [
    USAGE,
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.help}`),
    "",
    "The Pulumi CLI must be on PATH (or named by PULUMI_BINARY). Exit status: 0 done, 1 a command failed, 2 a usage error.",
].join("\n");

/** A mistake on the command line: reported with the usage, exit status 2. */
class UsageError extends TrialError {}

export interface ParsedArgs {
    command: string;
    name?: string;
    ttl?: string;
    from?: string;
    now?: string;
    up: boolean;
    withData: boolean;
    dryRun: boolean;
    help: boolean;
}

/** Reads the command line with util.parseArgs; refuses what the command does not take. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
    let parsed: { values: Partial<Record<keyof typeof OPTIONS, string | boolean>>; positionals: string[] };
    try {
        parsed = parseArgsStrict({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
    } catch (err) {
        // util.parseArgs's own errors (unknown option, missing value) carry an ERR_PARSE_ARGS_* code.
        if (err instanceof Error && String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_")) {
            throw new UsageError(err.message);
        }
        throw err;
    }
    const { values, positionals } = parsed;
    const [command = "", name, ...extra] = positionals;
    const args: ParsedArgs = {
        command,
        name,
        ttl: values.ttl as string | undefined,
        from: values.from as string | undefined,
        now: values.now as string | undefined,
        up: values.up === true,
        withData: values["with-data"] === true,
        dryRun: values["dry-run"] === true,
        help: values.help === true,
    };
    if (args.help) {
        return args;
    }
    const spec = COMMANDS[command];
    if (!spec) {
        throw new UsageError(command ? `unknown command "${command}"` : "missing command");
    }
    if (spec.takesName && name === undefined) {
        throw new UsageError(`${command} needs a trial name`);
    }
    const stray = spec.takesName ? extra : [name, ...extra].filter((x) => x !== undefined);
    if (stray.length > 0) {
        throw new UsageError(`unexpected argument "${stray[0]}" for ${command}`);
    }
    const refused = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter((f) => f !== "help" && !spec.flags.includes(f));
    if (refused.length > 0) {
        throw new UsageError(`${command} does not take --${refused[0]}`);
    }
    if (args.ttl !== undefined) {
        try {
            parseTtl(args.ttl);
        } catch (e) {
            throw new UsageError((e as Error).message);
        }
    }
    if (args.now !== undefined && !parseIso(args.now)) {
        throw new UsageError(`--now ${args.now}: use ISO 8601 UTC, e.g. 2026-12-01T00:00:00Z`);
    }
    return args;
}

/** Runs one command; returns the process exit code. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
    const error = env.error ?? env.log;
    try {
        const args = parseArgs(argv);
        if (args.help) {
            env.log(HELP);
            return 0;
        }
        const name = args.name!;
        switch (args.command) {
            case "create":
                await createTrial(env, name, { ttl: args.ttl, source: args.from, up: args.up, withData: args.withData });
                return 0;
            case "extend":
                await extendTrial(env, name, args.ttl ?? DEFAULT_TTL);
                return 0;
            case "destroy":
                await destroyTrial(env, name);
                return 0;
            default: {
                const at = args.now === undefined ? undefined : parseIso(args.now)!;
                const result = await reapTrials(at ? { ...env, now: () => at } : env, { dryRun: args.dryRun });
                return result.failed.length > 0 ? 1 : 0;
            }
        }
    } catch (e) {
        if (e instanceof UsageError) {
            error(`error: ${e.message}\n${USAGE}\n(npm run trial -- --help describes every command)`);
            return 2;
        }
        // A TrialError is a refusal or a failed Pulumi command, explained in its message; anything else is a bug.
        error(e instanceof TrialError ? `error: ${e.message}` : `error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return 1;
    }
}
