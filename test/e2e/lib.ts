// Helpers for the end-to-end test: running commands with their output kept in a log
// directory, the test host (host.sh) and its setup and teardown shared by both suites,
// engine event logs, and a sampler of the host's process list.
import { spawn } from "child_process";
import { it } from "vitest";
import * as fs from "fs";
import * as path from "path";
import { STEPS, StepName } from "../../components/host/provisioner";
import { planStack } from "../../tools/planner";
import { SETTINGS } from "../../settings";
import { DATA_DIR } from "../scripts/harness";

export const E2E_DIR = __dirname;
export const REPO_DIR = path.resolve(__dirname, "../..");

// The stack's values both suites deploy with, and where the stand-ins record on the host.
export const URL_1 = "http://sentry-e2e.example.test:9000";
export const URL_2 = "http://sentry-e2e-renamed.example.test:9000";
export const ADMIN_EMAIL = "admin@example.test";
export const RECORD = "/var/lib/sentry-e2e/record";
export const INSTALL_FLAGS = "--skip-user-creation --no-report-self-hosted-issues --apply-automatic-config-updates --skip-commit-check";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    /** Where stdout and stderr were written. */
    log: string;
}

export interface RunOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Written to the child's stdin, which is then closed (never on the command line). */
    input?: string;
    /** Kill the child after this long. */
    timeoutMs?: number;
    /** Non-zero exit is returned instead of thrown. */
    allowFail?: boolean;
}

let logCounter = 0;

export class Runner {
    constructor(readonly logDir: string) {}

    /** Every log written so far, for the secret scan. */
    logs(): string[] {
        return fs.existsSync(this.logDir) ? fs.readdirSync(this.logDir).map((f) => path.join(this.logDir, f)) : [];
    }

    run(label: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
        fs.mkdirSync(this.logDir, { recursive: true });
        const log = path.join(this.logDir, `${String(++logCounter).padStart(2, "0")}-${label.replace(/[^A-Za-z0-9._-]+/g, "_")}.log`);
        return new Promise((resolve, reject) => {
            const child = spawn(cmd, args, {
                cwd: opts.cwd,
                env: opts.env ?? process.env,
                stdio: ["pipe", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
            // A command that exits before reading its stdin closes the pipe; its
            // exit status tells what happened, so EPIPE on our write is not an error.
            child.stdin.on("error", (err: NodeJS.ErrnoException) => {
                if (err.code !== "EPIPE") {
                    reject(err);
                }
            });
            child.stdin.end(opts.input ?? "");
            child.on("error", reject);
            child.on("close", (code, signal) => {
                if (timer) {
                    clearTimeout(timer);
                }
                const exit = code ?? (signal ? 128 : 1);
                fs.writeFileSync(log, `$ ${cmd} ${args.join(" ")}\n# exit ${exit}${signal ? ` (${signal})` : ""}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n`);
                const result = { code: exit, stdout, stderr, log };
                if (exit !== 0 && !opts.allowFail) {
                    reject(new Error(`${label}: ${cmd} ${args.join(" ")} exited ${exit}; output in ${log}\n${tail(stdout + stderr, 40)}`));
                } else {
                    resolve(result);
                }
            });
        });
    }
}

export function tail(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}

// ------------------------------------------------------------------------------ the host

export interface HostInfo {
    dir: string;
    /** `boot` for a host booted with systemd (host.sh boot), else the chroot host. */
    kind: "boot" | "chroot";
    /** The booted host's data disk (a loop device, the same path inside the host), if attached. */
    dataLoop?: string;
    /** The booted host's data disk image on this machine (the loop device's backing file). */
    dataImage?: string;
    addr: string;
    port: number;
    user: string;
    key: string;
    ns: string;
    root: string;
}

export function readHostEnv(dir: string): HostInfo {
    const env: Record<string, string> = {};
    for (const line of fs.readFileSync(path.join(dir, "host.env"), "utf8").split("\n")) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line);
        if (m) {
            env[m[1]] = m[2];
        }
    }
    return {
        dir,
        kind: env.HOST_KIND === "boot" ? "boot" : "chroot",
        dataLoop: env.HOST_DATA_LOOP || undefined,
        dataImage: env.HOST_DATA_IMAGE || undefined,
        addr: env.HOST_ADDR,
        port: Number(env.HOST_PORT),
        user: env.HOST_USER,
        key: env.HOST_KEY,
        ns: env.HOST_NS,
        root: env.HOST_ROOT,
    };
}

export class Host {
    constructor(
        public info: HostInfo,
        private readonly runner: Runner,
    ) {}

    private script(): string {
        return path.join(E2E_DIR, "host.sh");
    }

    /** Runs a bash snippet as root inside the host (its namespaces and chroot). */
    exec(label: string, snippet: string, opts: RunOptions = {}): Promise<RunResult> {
        return this.runner.run(`host-${label}`, this.script(), ["exec", this.info.dir, "/bin/bash", "-c", snippet], opts);
    }

    /** Runs a command over real SSH as the host's user (host.sh ssh); the exit status is ssh's. */
    ssh(label: string, command: string, opts: RunOptions = {}): Promise<RunResult> {
        return this.runner.run(`ssh-${label}`, this.script(), ["ssh", this.info.dir, command], opts);
    }

    /** `curl -sf` of Sentry's /_health/ on the host, from inside its network namespace. */
    health(label: string): Promise<RunResult> {
        return this.runner.run(label, "ip", ["netns", "exec", this.info.ns, "curl", "-sf", "http://127.0.0.1:9000/_health/"]);
    }

    control(verb: "kill-sshd" | "kill-sessions" | "start-sshd" | "stop"): Promise<RunResult> {
        return this.runner.run(`host-${verb}`, this.script(), [verb, this.info.dir], { allowFail: verb === "stop" });
    }

    /**
     * Booted host only: systemd's poweroff, then a boot of the same root: without the data
     * disk, or with `dataImage` (a copy of data.img: a volume made from a snapshot) as its data
     * disk instead of its own. `info.dataLoop` is the data disk of the new boot.
     */
    async reboot(label: string, { withoutDataDisk = false, dataImage }: { withoutDataDisk?: boolean; dataImage?: string } = {}): Promise<void> {
        await this.runner.run(`${label}-poweroff`, this.script(), ["poweroff", this.info.dir]);
        const mode = withoutDataDisk ? ["--without-data-disk"] : dataImage !== undefined ? ["--data-image", dataImage] : [];
        await this.runner.run(`${label}-poweron`, this.script(), ["poweron", this.info.dir, ...mode]);
        this.info = readHostEnv(this.info.dir);
    }

    /** A file of the host, read from its root directory on this machine. */
    read(file: string): string {
        return fs.readFileSync(path.join(this.info.root, file), "utf8");
    }

    readOr(file: string, fallback: string): string {
        return fs.existsSync(path.join(this.info.root, file)) ? this.read(file) : fallback;
    }

    lines(file: string): string[] {
        return this.readOr(file, "")
            .split("\n")
            .filter((l) => l !== "");
    }

    /** Host-side PIDs of the processes in the host's network namespace. */
    pids(): number[] {
        const want = netnsInode(this.info.ns);
        const out: number[] = [];
        for (const entry of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(entry)) {
                continue;
            }
            try {
                if (fs.statSync(`/proc/${entry}/ns/net`).ino === want) {
                    out.push(Number(entry));
                }
            } catch {
                // the process ended meanwhile
            }
        }
        return out;
    }

    /** The command lines of the host's processes right now. */
    processList(): string[] {
        const out: string[] = [];
        for (const pid of this.pids()) {
            try {
                out.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim());
            } catch {
                // ended meanwhile
            }
        }
        return out;
    }
}

/** A started host, sampled from the start, with the stand-ins (prepare-host.sh) in place. */
export interface TestHost {
    host: Host;
    sampler: ProcessSampler;
    /** The self-hosted stand-in's repository on the host. */
    repoUrl: string;
}

/** Starts a fresh host in `dir` (host.sh start), samples its processes and puts the stand-ins on it. */
export async function startTestHost(runner: Runner, dir: string): Promise<TestHost> {
    await runner.run("host-start", path.join(E2E_DIR, "host.sh"), ["start", dir]);
    const host = new Host(readHostEnv(dir), runner);
    const sampler = new ProcessSampler(host);
    sampler.start();
    try {
        const repoUrl = (await runner.run("prepare-host", path.join(E2E_DIR, "prepare-host.sh"), [host.info.dir])).stdout.trim();
        return { host, sampler, repoUrl };
    } catch (err) {
        sampler.stop();
        await host.control("stop");
        throw err;
    }
}

/** Boots a fresh host with systemd in `dir` (host.sh boot) and prepares it (prepare-host.sh: Compose, the real self-hosted, the image sources). */
export async function bootTestHost(runner: Runner, dir: string): Promise<{ host: Host; repoUrl: string }> {
    await runner.run("host-boot", path.join(E2E_DIR, "host.sh"), ["boot", dir]);
    const host = new Host(readHostEnv(dir), runner);
    try {
        const repoUrl = (await runner.run("prepare-host", path.join(E2E_DIR, "prepare-host.sh"), [host.info.dir])).stdout.trim();
        return { host, repoUrl };
    } catch (err) {
        await host.control("stop");
        throw err;
    }
}

/** One step as the program gives it to the provider: the `create` command and its stdin. */
export interface Step {
    create: string;
    stdin?: string;
}

/**
 * The program's ten step commands for an existing-host stack on `host`, evaluated under mocks
 * (tools/planner.ts) with `config` on top of the host's address, user, key and data dir.
 */
export async function renderSteps(host: Host, config: Record<string, unknown>, existingHost: Record<string, unknown> = {}): Promise<Record<StepName, Step>> {
    // Secrets (the settings settings.ts marks secret) reach the plan as a stack file's
    // `secure:` values would; a plain one is refused.
    const plain: Record<string, unknown> = {};
    const secrets: Record<string, string> = { "sentry:existingHostPrivateKey": fs.readFileSync(host.info.key, "utf8") };
    for (const [key, value] of Object.entries(config)) {
        const setting = (SETTINGS as Record<string, { secret?: boolean }>)[key.replace(/^sentry:/, "")];
        if (setting?.secret) {
            secrets[key] = String(value);
        } else {
            plain[key] = value;
        }
    }
    const plan = await planStack("e2e", {
        config: {
            "sentry:placement": "existing",
            "sentry:existingHost": { address: host.info.addr, port: host.info.port, user: host.info.user, dataDir: DATA_DIR, ...existingHost },
            ...plain,
        },
        secrets,
        revealSecrets: true,
    });
    const steps = {} as Record<StepName, Step>;
    for (const s of STEPS) {
        const r = plan.resources.find((x) => x.type === "command:remote:Command" && x.name === `sentry-e2e-${s}`);
        if (!r) {
            throw new Error(`step ${s} is not registered in the plan`);
        }
        const stdin = r.inputs.stdin as { "[secret]": string } | undefined;
        steps[s] = { create: String(r.inputs.create), stdin: stdin?.["[secret]"] };
    }
    return steps;
}

/**
 * The suites' teardown: stops sampling and the host (if started), then removes `tmp` unless
 * `failed` or E2E_KEEP=1 (`contents` says what it holds in the message).
 */
export async function stopTestHost(host: Host | undefined, sampler: ProcessSampler | undefined, tmp: string, failed: boolean, contents = ""): Promise<void> {
    sampler?.stop();
    if (host) {
        await host.control("stop");
    }
    if (failed || process.env.E2E_KEEP === "1") {
        console.warn(`e2e: kept ${tmp}${contents ? ` ${contents}` : ""}`);
    } else {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * The fault test: makes the docker stand-in's `compose up` take `slowSeconds`, starts
 * `operation`, waits (up to `waitMs`) until `compose up` runs on the host, cuts SSH with `cut`
 * and returns what the operation returns. The slowdown is undone however this ends.
 */
export async function cutSshDuringComposeUp<T>(
    host: Host,
    { cut, slowSeconds, waitMs }: { cut: "kill-sshd" | "kill-sessions"; slowSeconds: number; waitMs: number },
    operation: () => Promise<T>,
): Promise<T> {
    const slowUp = path.join(host.info.root, "var/lib/sentry-e2e/slow-up");
    fs.writeFileSync(slowUp, `${slowSeconds}\n`);
    let running: Promise<T> | undefined;
    try {
        running = operation();
        // The stand-in itself, not the `bash -c` of the step that starts it.
        await waitFor("`compose up` on the host", () => host.processList().some((c) => / compose .* up /.test(c) && !c.startsWith("bash -c")), waitMs);
        await host.control(cut);
        return await running;
    } finally {
        fs.rmSync(slowUp, { force: true });
        await running?.catch(() => undefined);
    }
}

/** The host's files that contain `needle`, as paths on the host (everything but the system's own trees). */
export function hostFilesContaining(host: Host, needle: string): string[] {
    const files = ["etc", "data", "var", "usr/local", "home", "root", "tmp", "run"].flatMap((d) => walk(path.join(host.info.root, d)));
    return filesContaining(files, needle).map((f) => f.slice(host.info.root.length));
}

function netnsInode(ns: string): number {
    return fs.statSync(`/run/netns/${ns}`).ino;
}

/**
 * Samples the host's process list (command lines) every few milliseconds while an
 * operation runs, so a secret passed on a command line at any moment would be seen.
 */
export class ProcessSampler {
    readonly seen = new Set<string>();
    samples = 0;
    private timer?: NodeJS.Timeout;

    constructor(private readonly host: Host) {}

    start(intervalMs = 25): void {
        this.timer = setInterval(() => {
            this.samples++;
            for (const cmd of this.host.processList()) {
                this.seen.add(cmd);
            }
        }, intervalMs);
    }

    stop(): void {
        if (this.timer) {
            clearInterval(this.timer);
        }
    }
}

// --------------------------------------------------------------------------- the engine

export interface EngineEvent {
    resOutputsEvent?: { metadata: { op: string; urn: string } };
    resOpFailedEvent?: { metadata: { op: string; urn: string } };
    diagnosticEvent?: { message: string; severity: string; urn?: string };
    summaryEvent?: { resourceChanges: Record<string, number> };
}

export function readEvents(file: string): EngineEvent[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as EngineEvent);
}

/** Resource name (last URN part) -> operation, for every resource an update did not leave alone. */
export function changedResources(events: EngineEvent[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of events) {
        const md = e.resOutputsEvent?.metadata;
        // "read" is the StackReference the program reads its own outputs with, every run.
        if (md && md.op !== "same" && md.op !== "read") {
            out[md.urn.split("::").pop() as string] = md.op;
        }
    }
    return out;
}

/** Recursively lists the files below a directory. */
export function walk(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    const out: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            out.push(...walk(p));
        } else if (entry.isFile()) {
            out.push(p);
        }
    }
    return out;
}

/** Files among `files` whose bytes contain `needle`. */
export function filesContaining(files: string[], needle: string): string[] {
    const n = Buffer.from(needle);
    return files.filter((f) => {
        try {
            return fs.readFileSync(f).includes(n);
        } catch {
            return false;
        }
    });
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (check()) {
            return;
        }
        await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Steps of one scenario that build on each other: after a failure the later steps are skipped
 * (they would only repeat it), and `failed` tells the teardown to keep the evidence.
 */
export class Scenario {
    failed = false;

    /**
     * A check of the state the steps left: it runs while the scenario has not failed, but its own
     * failure does not skip the later steps (they do not build on it).
     */
    check(name: string, fn: () => Promise<void>): void {
        it(name, async (ctx) => {
            if (this.failed) {
                ctx.skip();
            }
            await fn();
        });
    }

    step(name: string, fn: () => Promise<void>): void {
        it(name, async (ctx) => {
            if (this.failed) {
                ctx.skip();
            }
            try {
                await fn();
            } catch (err) {
                this.failed = true;
                throw err;
            }
        });
    }
}
