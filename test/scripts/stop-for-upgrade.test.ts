// stop-for-upgrade.sh with real bash; docker is the recording stand-in (test/fixtures/bin/docker).
import { afterAll, describe, expect, it } from "vitest";
import { SENTRY_COMPOSE, SENTRY_DIR, STATE_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const env = { SENTRY_DIR, SENTRY_STATE_DIR: STATE_DIR, SENTRY_VERSION: "26.8.0" };

function installed(version: string | undefined) {
    const sb = makeSandbox();
    copySelfHosted(sb);
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    sb.write(`${STATE_DIR}/.keep`, "");
    if (version !== undefined) sb.write(`${STATE_DIR}/installed-version`, `${version}\n`);
    return sb;
}

describe("stop-for-upgrade.sh", () => {
    it("stops Sentry cleanly before an upgrade, opens a maintenance window and records where it came from", () => {
        const sb = installed("26.7.2");
        const before = Math.floor(Date.now() / 1000);
        const r = runScript(sb, "stop-for-upgrade.sh", env);
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "docker")).toContain(`${SENTRY_COMPOSE} stop --timeout 120`);
        const until = Number(sb.read(`${STATE_DIR}/maintenance-until`).trim());
        expect(until).toBeGreaterThanOrEqual(before + 7200);
        expect(sb.read(`${STATE_DIR}/upgrade-from`)).toBe("26.7.2\n");
        expect(r.stdout).toContain("upgrading Sentry 26.7.2 -> 26.8.0");
    });

    it.each([
        [undefined, "a first install, nothing to stop"],
        ["26.8.0", "no upgrade, nothing stopped"],
    ])("stops nothing when installed-version is %s", (version, message) => {
        const sb = installed(version);
        const r = runScript(sb, "stop-for-upgrade.sh", env);
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "docker")).toEqual([]);
        expect(sb.exists(`${STATE_DIR}/maintenance-until`)).toBe(false);
        expect(r.stdout).toContain(message);
    });

    it("refuses to call the volume consistent while a container of the project still runs", () => {
        const sb = installed("26.7.2");
        sb.writeRec("containers", "c0ffee\tsentry-self-hosted\tpostgres\t\n");
        const r = runScript(sb, "stop-for-upgrade.sh", env);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("still run after 'docker compose stop': c0ffee");
    });

    it("refuses a bad version", () => {
        const sb = installed("26.7.2");
        const r = runScript(sb, "stop-for-upgrade.sh", { ...env, SENTRY_VERSION: "master" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("SENTRY_VERSION='master' is not a self-hosted release tag");
        expect(callsOf(sb, "docker")).toEqual([]);
    });
});
