// End-to-end: the real Pulumi CLI, Node.js language host and @pulumi/command provider run
// the real program (existing-host placement) against a disposable Debian host reached over
// real SSH (test/e2e/host.sh): up, no-op preview, URL change, version change, a cut SSH
// connection in the middle of a step, destroy. Docker and getsentry/self-hosted are
// stand-ins on the host (test/fixtures, test/e2e/standins); everything else is real.
//
// Run with `npm run test:e2e` (as root). See test/e2e/README.md.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { DATA_DIR, SENTRY_DIR, STATE_DIR } from "../scripts/harness";
import { COMMAND_TIMEOUT, copyProject, engineEnv, engineToolchain, readCommandVersion } from "./engine";
import {
    ADMIN_EMAIL,
    changedResources,
    cutSshDuringComposeUp,
    filesContaining,
    Host,
    hostFilesContaining,
    INSTALL_FLAGS,
    ProcessSampler,
    readEvents,
    RECORD,
    RunOptions,
    RunResult,
    Runner,
    Scenario,
    startTestHost,
    stopTestHost,
    URL_1,
    URL_2,
    walk,
} from "./lib";

// ------------------------------------------------------------------ toolchain, up front
const { BIN, MISSING } = engineToolchain();

const STACK = "e2e";

describe.skipIf(MISSING !== "")("pulumi engine against a real SSH host", () => {
    // (The body of a skipped describe still runs to collect its tests: make nothing then.)
    const tmp = MISSING ? os.tmpdir() : fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const project = path.join(tmp, "project");
    const eventsDir = path.join(tmp, "events");
    const password = `E2e-${crypto.randomBytes(12).toString("hex")}`;
    let host: Host;
    let sampler: ProcessSampler;
    const scenario = new Scenario();
    let opCounter = 0;

    const env = engineEnv(tmp, BIN);

    const pulumi = (label: string, args: string[], opts: RunOptions = {}): Promise<RunResult> =>
        runner.run(`pulumi-${label}`, path.join(BIN, "pulumi"), [...args, "--non-interactive"], { cwd: project, env, timeoutMs: COMMAND_TIMEOUT, ...opts });

    /** An engine operation with its event log and engine log (-v=5: see the README on -v >= 7). */
    const operation = async (label: string, args: string[], opts: RunOptions = {}) => {
        const n = String(++opCounter).padStart(2, "0");
        const events = path.join(eventsDir, `${n}-${label}.jsonl`);
        const result = await pulumi(label, [...args, "--stack", STACK, "--event-log", events, "--logtostderr", "-v=5"], opts);
        return { result, events: readEvents(events) };
    };
    const up = (label: string, opts: RunOptions = {}) => operation(label, ["up", "--yes", "--skip-preview", "--diff"], opts);
    const configSet = (key: string, value: string, extra: string[] = []) => pulumi(`config-${key}`, ["config", "set", "--stack", STACK, ...extra, key], { input: value });

    const installRuns = () => host.lines(`${RECORD}/install.log`);
    const composeUps = () => host.lines(`${RECORD}/compose.log`).filter((l) => l.startsWith("up\t"));

    beforeAll(async () => {
        fs.mkdirSync(eventsDir, { recursive: true });
        copyProject(project);

        let repoUrl: string;
        ({ host, sampler, repoUrl } = await startTestHost(runner, path.join(tmp, "host")));

        fs.mkdirSync(path.join(tmp, "state"));
        await pulumi("plugin-install", ["plugin", "install", "resource", "command", readCommandVersion(), "--file", path.join(BIN, "pulumi-resource-command")]);
        await pulumi("stack-init", ["stack", "init", STACK]);
        await configSet("sentry:placement", "existing");
        await configSet("sentry:existingHost.address", host.info.addr, ["--path"]);
        await configSet("sentry:existingHost.port", String(host.info.port), ["--path"]);
        await configSet("sentry:existingHost.user", host.info.user, ["--path"]);
        await configSet("sentry:existingHost.dataDir", DATA_DIR, ["--path"]);
        // Secrets travel on stdin, never on a command line.
        await configSet("sentry:existingHostPrivateKey", fs.readFileSync(host.info.key, "utf8"), ["--secret"]);
        await configSet("sentry:adminPassword", password, ["--secret"]);
        await configSet("sentry:adminEmail", ADMIN_EMAIL);
        await configSet("sentry:publicUrl", URL_1);
        await configSet("sentry:profile", "errors-only");
        await configSet("sentry:sentryVersion", "26.7.2");
        // The deprecated key on purpose: a stack written before sentry:mirrors keeps deploying
        // (the loader maps it onto mirrors.selfHostedRepo with a warning).
        await configSet("sentry:selfHostedRepoUrl", repoUrl);
        // No swap file: swapon inside the test host would add swap to this very machine.
        await configSet("sentry:swapSizeGb", "0", ["--type", "int"]);
    });

    afterAll(() => stopTestHost(host, sampler, tmp, scenario.failed, "(logs/, events/, state/, host/root)"), 60_000);

    const step = (name: string, fn: () => Promise<void>) => scenario.step(name, fn);

    step("first `pulumi up` provisions the host over SSH (26.7.2, errors-only)", async () => {
        // Which language host the engine really starts: the CLI looks beside its own resolved
        // path, so this proves toolchain.sh put matching pieces in one folder.
        const languageHosts = new Set<string>();
        const watch = setInterval(() => localExecutables("pulumi-language-nodejs").forEach((exe) => languageHosts.add(exe)), 25);
        const { result, events } = await up("up-1").finally(() => clearInterval(watch));
        expect(result.code).toBe(0);
        // One folder, real files: the language host the engine ran sits in BIN itself.
        expect([...languageHosts]).toEqual([path.join(fs.realpathSync(BIN), "pulumi-language-nodejs")]);
        expect(Object.keys(changedResources(events)).length).toBeGreaterThanOrEqual(10);

        // Files the steps wrote, with the values from the stack's config.
        const configYml = host.read(`${SENTRY_DIR}/sentry/config.yml`);
        expect(configYml).toMatch(configYmlLine("system.url-prefix", URL_1));
        expect(configYml).toMatch(configYmlLine("system.admin-email", ADMIN_EMAIL));
        expect(configYml).toMatch(/^auth\.allow-registration: false$/m);
        const envCustom = host.read(`${SENTRY_DIR}/.env.custom`);
        expect(envCustom).toMatch(/^COMPOSE_PROFILES=errors-only$/m);
        expect(envCustom).toMatch(/^SENTRY_BIND=9000$/m);
        const daemon = JSON.parse(host.read("/etc/docker/daemon.json")) as { "data-root": string; "default-address-pools": { base: string }[] };
        expect(daemon["data-root"]).toBe(`${DATA_DIR}/docker`);
        expect(daemon["default-address-pools"][0].base).toBe("10.250.0.0/16");
        expect(fs.statSync(path.join(host.info.root, DATA_DIR)).isDirectory()).toBe(true);
        // No device configured: a plain data directory, so nothing may be added to fstab.
        expect(host.readOr("/etc/fstab", "")).not.toContain(DATA_DIR);
        // The tracked .env stays untouched (the checkout at the tag is clean).
        const status = await host.exec("git-status", `git -c safe.directory='*' -C ${SENTRY_DIR} status --porcelain --untracked-files=no; git -c safe.directory='*' -C ${SENTRY_DIR} describe --tags`);
        expect(status.stdout.trim()).toBe("26.7.2");

        // The installer: once, in the checkout, with the unattended flags, stdin closed.
        const runs = installRuns();
        expect(runs).toHaveLength(1);
        expect(runs[0]).toContain(`cwd=${SENTRY_DIR}\t`);
        expect(runs[0]).toContain(`args=${INSTALL_FLAGS}\t`);
        expect(runs[0]).toContain("COMPOSE_PROFILES=errors-only");
        expect(runs[0]).toContain("stdin=eof");
        expect(runs[0]).toMatch(/result=ok$/);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.7.2");

        // Compose always with both env files; one start; the admin exists; health answered.
        const compose = host.lines(`${RECORD}/compose.log`);
        expect(compose.length).toBeGreaterThan(0);
        for (const line of compose) {
            expect(line).toMatch(/\tCOMPOSE_PROFILES=errors-only\tenv-files=\.env,\.env\.custom$/);
        }
        expect(composeUps()).toHaveLength(1);
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
        expect((await host.health("health")).stdout).toBe("ok");
    });

    step("`pulumi preview --expect-no-changes` right after is clean", async () => {
        const { result, events } = await operation("preview-1", ["preview", "--expect-no-changes"]);
        expect(result.code).toBe(0);
        expect(changedResources(events)).toEqual({});
    });

    step("a URL change re-runs configure, start and health check, not the installer", async () => {
        const ups = composeUps().length;
        await configSet("sentry:publicUrl", URL_2);
        const { result, events } = await up("up-url");
        expect(result.code).toBe(0);
        expect(Object.keys(changedResources(events)).sort()).toEqual(["sentry-e2e-check-health", "sentry-e2e-configure-sentry", "sentry-e2e-start-sentry"]);
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toMatch(configYmlLine("system.url-prefix", URL_2));
        expect(installRuns()).toHaveLength(1);
        expect(composeUps()).toHaveLength(ups + 1);
    });

    step("a version change (26.7.2 -> 26.8.0) checks out, re-derives the configuration, installs once more and restarts", async () => {
        await configSet("sentry:sentryVersion", "26.8.0");
        const { result, events } = await up("up-version");
        expect(result.code).toBe(0);
        expect(Object.keys(changedResources(events)).sort()).toEqual([
            "sentry-e2e-check-health",
            "sentry-e2e-checkout-self-hosted",
            "sentry-e2e-configure-sentry",
            "sentry-e2e-install-sentry",
            "sentry-e2e-start-sentry",
            "sentry-e2e-stop-for-upgrade",
        ]);
        const runs = installRuns();
        expect(runs).toHaveLength(2);
        expect(runs[1]).toContain(`args=${INSTALL_FLAGS}\t`);
        expect(runs[1]).toMatch(/result=ok$/);
        expect(host.read(`${SENTRY_DIR}/.env`)).toMatch(/^SENTRY_IMAGE=.*:26\.8\.0$/m);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.8.0");
        // Config made before survives the upgrade.
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toContain(URL_2);
        expect(host.read(`${SENTRY_DIR}/.env.custom`)).toMatch(/^COMPOSE_PROFILES=errors-only$/m);

        const again = await operation("preview-2", ["preview", "--expect-no-changes"]);
        expect(again.result.code).toBe(0);
    });

    step("sshd killed in the middle of a step: the next `pulumi up` completes with the same end state", async () => {
        const installs = installRuns().length;
        await configSet("sentry:publicUrl", URL_1);
        // Make `compose up` (start-sentry) slow, start the update, and cut SSH during it.
        try {
            const { result } = await cutSshDuringComposeUp(host, { cut: "kill-sshd", slowSeconds: 15, waitMs: 120_000 }, () => up("up-fault", { allowFail: true }));
            expect(result.code).not.toBe(0);
            // The provider lost the session inside start-sentry (configure had finished).
            expect(result.stdout + result.stderr).toMatch(/remote command exited without exit status|connection (reset|lost|closed)|EOF/i);
        } finally {
            await host.control("start-sshd");
        }
        const after = await up("up-after-fault");
        expect(after.result.code).toBe(0);
        // Only what did not finish runs again.
        expect(Object.keys(changedResources(after.events)).sort()).toEqual(["sentry-e2e-check-health", "sentry-e2e-start-sentry"]);
        expect((await operation("preview-3", ["preview", "--expect-no-changes"])).result.code).toBe(0);

        // The same end state as without the fault.
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toMatch(configYmlLine("system.url-prefix", URL_1));
        expect(installRuns()).toHaveLength(installs);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.8.0");
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
        expect((await host.health("health-after-fault")).stdout).toBe("ok");
    });

    step("`pulumi destroy` finishes and leaves an empty stack", async () => {
        const { result } = await operation("destroy", ["destroy", "--yes", "--skip-preview"]);
        expect(result.code).toBe(0);
        const exported = JSON.parse((await pulumi("export", ["stack", "export", "--stack", STACK])).stdout) as { deployment: { resources?: unknown[] } };
        expect(exported.deployment.resources ?? []).toHaveLength(0);
    });

    step("the admin password is nowhere in the state, the engine's output and logs, or the host's processes", async () => {
        sampler.stop();
        const stateFiles = walk(path.join(tmp, "state"));
        expect(stateFiles.length).toBeGreaterThan(0);
        expect(filesContaining(stateFiles, password)).toEqual([]);
        // Console output of every pulumi command, the engine event logs and -v=5 engine logs.
        const logs = [...runner.logs(), ...walk(eventsDir), ...walk(path.join(tmp, "pulumi-home"))];
        expect(filesContaining(logs, password)).toEqual([]);
        // The host's process list, sampled all along.
        expect(sampler.samples).toBeGreaterThan(100);
        expect([...sampler.seen].filter((c) => c.includes(password))).toEqual([]);
        expect([...sampler.seen].some((c) => c.includes("createuser"))).toBe(true);
        // The host's files: only the stand-in's own record of what `compose exec` read on stdin.
        expect(hostFilesContaining(host, password)).toEqual([`${RECORD}/docker-exec-stdin.log`]);
    });
});

/** The resolved executables of this machine's processes named `name` (the kernel keeps 15 characters of it). */
function localExecutables(name: string): string[] {
    const out: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
        try {
            if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name.slice(0, 15)) {
                out.push(fs.readlinkSync(`/proc/${pid}/exe`));
            }
        } catch {
            // the process ended meanwhile
        }
    }
    return out;
}

/** A `key: value` line of config.yml, the value quoted or not. */
function configYmlLine(key: string, value: string): RegExp {
    return new RegExp(`^${escape(key)}: ['"]?${escape(value)}['"]?$`, "m");
}

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
