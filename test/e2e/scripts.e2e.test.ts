// The part of the end-to-end run that needs no Pulumi engine: the commands the program
// renders (evaluated under mocks by tools/planner.ts) run for real, in the program's step
// order, over real SSH (the system OpenSSH client) against the disposable test host, with
// stdin exactly as the program gives it to the provider. This runs everywhere, including
// where the engine suite is blocked (see README.md); it does not decide which steps the
// engine would re-run (that is the engine suite's job), it checks which steps' text changes.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { STEPS, StepName } from "../../components/host/provisioner";
import { DATA_DIR, SENTRY_DIR, STATE_DIR } from "../scripts/harness";
import { ADMIN_EMAIL, cutSshDuringComposeUp, Host, hostFilesContaining, INSTALL_FLAGS, ProcessSampler, RECORD, renderSteps, RunResult, Runner, Scenario, startTestHost, Step, stopTestHost, URL_1, URL_2 } from "./lib";

describe("rendered steps over real SSH (no engine)", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-scripts-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const password = `E2e-${crypto.randomBytes(12).toString("hex")}`;
    let host: Host;
    let sampler: ProcessSampler;
    let repoUrl = "";
    const scenario = new Scenario();
    const rendered: Record<string, Record<StepName, Step>> = {};

    const render = async (label: string, overrides: Record<string, unknown>) => {
        const steps = await renderSteps(host, {
            "sentry:adminEmail": ADMIN_EMAIL,
            "sentry:profile": "errors-only",
            "sentry:mirrors": { selfHostedRepo: repoUrl },
            "sentry:swapSizeGb": "0",
            "sentry:adminPassword": password,
            ...overrides,
        });
        rendered[label] = steps;
        return steps;
    };

    const ssh = (label: string, step: Step, allowFail = false): Promise<RunResult> => host.ssh(label, step.create, { input: step.stdin ?? "", allowFail, timeoutMs: 5 * 60_000 });

    const runSteps = async (label: string, steps: Record<StepName, Step>, which: readonly StepName[] = STEPS) => {
        for (const s of which) {
            await ssh(`${label}-${s}`, steps[s]);
        }
    };
    const changedSteps = (a: Record<StepName, Step>, b: Record<StepName, Step>) => STEPS.filter((s) => a[s].create !== b[s].create);
    const installRuns = () => host.lines(`${RECORD}/install.log`);

    beforeAll(async () => {
        ({ host, sampler, repoUrl } = await startTestHost(runner, path.join(tmp, "host")));
    }, 5 * 60_000);

    afterAll(() => stopTestHost(host, sampler, tmp, scenario.failed), 60_000);

    const step = (name: string, fn: () => Promise<void>) => scenario.step(name, fn);

    step("the ten rendered steps provision the host over SSH in order (26.7.2)", async () => {
        const steps = await render("v1", { "sentry:publicUrl": URL_1, "sentry:sentryVersion": "26.7.2" });
        await runSteps("v1", steps);
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toContain(URL_1);
        expect(host.read(`${SENTRY_DIR}/.env.custom`)).toMatch(/^COMPOSE_PROFILES=errors-only$/m);
        expect(JSON.parse(host.read("/etc/docker/daemon.json"))["data-root"]).toBe(`${DATA_DIR}/docker`);
        const runs = installRuns();
        expect(runs).toHaveLength(1);
        expect(runs[0]).toContain(`args=${INSTALL_FLAGS}\t`);
        expect(runs[0]).toContain("stdin=eof");
        expect(runs[0]).toMatch(/result=ok$/);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.7.2");
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
        for (const line of host.lines(`${RECORD}/compose.log`)) {
            expect(line).toMatch(/\tenv-files=\.env,\.env\.custom$/);
        }
    });

    step("running every step again is harmless: no second install, no second admin", async () => {
        await runSteps("again", rendered.v1);
        expect(installRuns()).toHaveLength(1);
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
    });

    step("a URL change changes only configure-sentry's text; configure + start + health apply it", async () => {
        const steps = await render("url", { "sentry:publicUrl": URL_2, "sentry:sentryVersion": "26.7.2" });
        expect(changedSteps(rendered.v1, steps)).toEqual(["configure-sentry"]);
        await runSteps("url", steps, ["configure-sentry", "start-sentry", "check-health"]);
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toContain(URL_2);
        expect(installRuns()).toHaveLength(1);
    });

    step("a version change changes checkout and install; configure re-derives; the installer runs once more", async () => {
        const steps = await render("v2", { "sentry:publicUrl": URL_2, "sentry:sentryVersion": "26.8.0" });
        expect(changedSteps(rendered.url, steps)).toEqual(["stop-for-upgrade", "checkout-self-hosted", "install-sentry"]);
        // configure-sentry re-runs after every checkout (RERUN_AFTER): what it writes is derived from the tree.
        await runSteps("v2", steps, ["stop-for-upgrade", "checkout-self-hosted", "configure-sentry", "install-sentry", "start-sentry", "check-health"]);
        // Sentry was stopped cleanly before the checkout moved the tree (the pre-upgrade snapshot's moment on AWS).
        expect(host.read(`${STATE_DIR}/upgrade-from`).trim()).toBe("26.7.2");
        expect(installRuns()).toHaveLength(2);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.8.0");
        expect(host.read(`${SENTRY_DIR}/sentry/config.yml`)).toContain(URL_2);
    });

    step("the SSH session killed inside start-sentry: running the step again completes", async () => {
        const steps = rendered.v2;
        const broken = await cutSshDuringComposeUp(host, { cut: "kill-sessions", slowSeconds: 10, waitMs: 60_000 }, () => ssh("fault-start", steps["start-sentry"], true));
        expect(broken.code).toBe(255);
        await runSteps("after-fault", steps, ["start-sentry", "check-health"]);
        expect(installRuns()).toHaveLength(2);
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
    });

    step("the admin password travels only on stdin: not in any command text, process list or host file", async () => {
        sampler.stop();
        for (const steps of Object.values(rendered)) {
            for (const s of STEPS) {
                expect(steps[s].create).not.toContain(password);
            }
            expect(steps["create-admin"].stdin).toBe(password);
        }
        expect([...sampler.seen].filter((c) => c.includes(password))).toEqual([]);
        expect([...sampler.seen].some((c) => c.includes("createuser"))).toBe(true);
        expect(hostFilesContaining(host, password)).toEqual([`${RECORD}/docker-exec-stdin.log`]);
    });
});
