import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SENTRY_DIR, STATE_DIR, callsOf, copySelfHosted, installerRuns, makeSandbox, removeSandboxes, runFile, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const FLAGS = "--skip-user-creation --no-report-self-hosted-issues --apply-automatic-config-updates --skip-commit-check";
const base = { SENTRY_DIR, SENTRY_VERSION: "26.8.0", SENTRY_PROFILE: "errors-only", SENTRY_STATE_DIR: STATE_DIR };

/** The docker calls that change something (compose config and ps only read). */
const dockerChanges = (sb: Sandbox) => callsOf(sb, "docker").filter((l) => !/^docker (compose .* config( --services)?|ps .*)$/.test(l));

/** A configured 26.8.0 checkout, as configure-sentry.sh leaves it. */
function configured(profile = "errors-only"): Sandbox {
  const sb = makeSandbox();
  copySelfHosted(sb);
  sb.write(`${SENTRY_DIR}/.env.custom`, `COMPOSE_PROFILES=${profile}\nSENTRY_BIND=9000\nSENTRY_EVENT_RETENTION_DAYS=90\n`);
  return sb;
}

describe("install-sentry.sh", () => {
  it("runs the installer unattended in the checkout with every flag and closed stdin", () => {
    const sb = configured();
    // Data on our own stdin must not reach the installer.
    const r = runScript(sb, "install-sentry.sh", base, { input: "y\ny\n" });
    expect(r.status, r.output).toBe(0);
    expect(installerRuns(sb)).toEqual([
      {
        cwd: sb.host(SENTRY_DIR),
        args: FLAGS,
        stdin: "eof",
        COMPOSE_PROFILES: "errors-only",
        SENTRY_BIND: "9000",
        SENTRY_EVENT_RETENTION_DAYS: "90",
        SENTRY_MAIL_HOST: "",
        result: "ok",
      },
    ]);
    expect(sb.read(`${STATE_DIR}/installed`)).toBe("26.8.0 errors-only\n");
    expect(sb.read(`${STATE_DIR}/installed-version`)).toBe("26.8.0\n");
    expect(sb.read(`${STATE_DIR}/install-26.8.0.log`)).toContain("step 100/100");
    expect(fs.statSync(sb.host(STATE_DIR)).mode & 0o777).toBe(0o700);
    // A fresh install has no old images to prune.
    expect(dockerChanges(sb)).toEqual([]);
    expect(r.output).not.toContain("step 50/100");
  });

  it("does not re-run the installer for the same version and profile", () => {
    const sb = configured();
    expect(runScript(sb, "install-sentry.sh", base).status).toBe(0);
    const markers = [sb.read(`${STATE_DIR}/installed`), sb.read(`${STATE_DIR}/installed-version`)];
    const r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("already installed");
    expect(installerRuns(sb)).toHaveLength(1);
    expect([sb.read(`${STATE_DIR}/installed`), sb.read(`${STATE_DIR}/installed-version`)]).toEqual(markers);
  });

  it("re-runs the installer when the profile changes", () => {
    const sb = configured("feature-complete");
    sb.write(`${STATE_DIR}/installed`, "26.8.0 errors-only\n");
    sb.write(`${STATE_DIR}/installed-version`, "26.8.0\n");
    const r = runScript(sb, "install-sentry.sh", { ...base, SENTRY_PROFILE: "feature-complete" });
    expect(r.status, r.output).toBe(0);
    expect(installerRuns(sb).map((run) => run.COMPOSE_PROFILES)).toEqual(["feature-complete"]);
    expect(sb.read(`${STATE_DIR}/installed`)).toBe("26.8.0 feature-complete\n");
    expect(dockerChanges(sb)).toEqual([]);
  });

  it("stops and removes the old profile's containers before the installer runs after a switch to errors-only", () => {
    const sb = configured("errors-only");
    sb.write(`${STATE_DIR}/installed`, "26.8.0 feature-complete\n");
    sb.write(`${STATE_DIR}/installed-version`, "26.8.0\n");
    sb.writeRec("containers", "c-web\tsentry-self-hosted\tweb\t\nc-tx\tsentry-self-hosted\ttransactions-consumer\t\n");
    const r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(dockerChanges(sb)).toEqual(["docker stop c-tx", "docker rm c-tx"]);
    expect(sb.recFile("containers")).toBe("c-web\tsentry-self-hosted\tweb\t\n");
    expect(installerRuns(sb).map((run) => run.COMPOSE_PROFILES)).toEqual(["errors-only"]);
  });

  it("prunes dangling images after an upgrade", () => {
    const sb = configured();
    sb.write(`${STATE_DIR}/installed`, "26.7.0 errors-only\n");
    sb.write(`${STATE_DIR}/installed-version`, "26.7.0\n");
    const r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(dockerChanges(sb)).toEqual(["docker image prune --force --filter dangling=true"]);
    expect(sb.read(`${STATE_DIR}/installed-version`)).toBe("26.8.0\n");
  });

  it("keeps .env.custom in charge even when the caller's environment sets COMPOSE_PROFILES", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, COMPOSE_PROFILES: "feature-complete", SENTRY_BIND: "80" });
    expect(r.status, r.output).toBe(0);
    expect(installerRuns(sb)[0]).toMatchObject({ COMPOSE_PROFILES: "errors-only", SENTRY_BIND: "9000" });
  });

  it("on failure prints the log path and its last 60 lines, and records nothing", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, STANDIN_INSTALL_EXIT: "3" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("install.sh failed (exit 3)");
    expect(r.stderr).toContain("/data/sentry-deploy/install-26.8.0.log");
    expect(r.stderr).toContain("step 41/100");
    expect(r.stderr).toContain("step 100/100");
    expect(r.stderr).not.toContain("step 40/100");
    expect(sb.exists(`${STATE_DIR}/installed`)).toBe(false);
    expect(sb.exists(`${STATE_DIR}/installed-version`)).toBe(false);
  });

  it("stops the installer at INSTALL_TIMEOUT_SECONDS", () => {
    const sb = configured();
    const started = Date.now();
    const r = runScript(sb, "install-sentry.sh", { ...base, INSTALL_TIMEOUT_SECONDS: "1", STANDIN_INSTALL_SLEEP: "30" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("did not finish within INSTALL_TIMEOUT_SECONDS=1");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sb.exists(`${STATE_DIR}/installed`)).toBe(false);
  });

  it("reports progress while the installer runs, so the SSH session is never silent for long", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, INSTALL_HEARTBEAT_SECONDS: "1", STANDIN_INSTALL_SLEEP: "3" });
    expect(r.status, r.output).toBe(0);
    const beats = r.stdout.split("\n").filter((l) => l.includes("install.sh still running ("));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(sb.exists(`${STATE_DIR}/installed`)).toBe(true);
  });

  it("refuses when .env.custom does not carry the profile (configure-sentry.sh not run)", () => {
    const sb = configured("feature-complete");
    const r = runScript(sb, "install-sentry.sh", base);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("COMPOSE_PROFILES='feature-complete', not SENTRY_PROFILE=errors-only");
    expect(installerRuns(sb)).toEqual([]);
  });

  it("refuses when the checkout is at another version", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, SENTRY_VERSION: "26.7.0" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("is at 26.8.0 (SENTRY_IMAGE in .env), not SENTRY_VERSION=26.7.0");
    expect(installerRuns(sb)).toEqual([]);
  });

  const cases: [string, Record<string, string>, string][] = [
    ["missing SENTRY_DIR", { SENTRY_DIR: "" }, "SENTRY_DIR is required"],
    ["missing SENTRY_VERSION", { SENTRY_VERSION: "" }, "SENTRY_VERSION is required"],
    ["malformed SENTRY_VERSION", { SENTRY_VERSION: "latest" }, "SENTRY_VERSION='latest'"],
    ["missing SENTRY_PROFILE", { SENTRY_PROFILE: "" }, "SENTRY_PROFILE is required"],
    ["missing SENTRY_STATE_DIR", { SENTRY_STATE_DIR: "" }, "SENTRY_STATE_DIR is required"],
    ["bad timeout", { INSTALL_TIMEOUT_SECONDS: "1h" }, "INSTALL_TIMEOUT_SECONDS='1h'"],
  ];
  it.each(cases)("%s fails before running anything", (_name, extra, message) => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, ...extra });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(installerRuns(sb)).toEqual([]);
  });
});

describe("the stand-in installer (test/fixtures/self-hosted/install.sh)", () => {
  const run = (sb: Sandbox, args: string[], input?: string) =>
    runFile(sb, path.join(sb.host(SENTRY_DIR), "install.sh"), args, {}, { cwd: sb.host(SENTRY_DIR), input });

  it("fails like a prompting installer without --no-report-self-hosted-issues", () => {
    const sb = configured();
    const r = run(sb, ["--skip-user-creation"]);
    expect(r.status).toBe(1);
    expect(installerRuns(sb)[0].result).toContain("would ask whether to report");
  });

  it("fails like a prompting installer without --skip-user-creation", () => {
    const sb = configured();
    const r = run(sb, ["--no-report-self-hosted-issues"]);
    expect(r.status).toBe(1);
    expect(installerRuns(sb)[0].result).toContain("would prompt to create a user");
  });

  it("fails when stdin has data a prompt would consume", () => {
    const sb = configured();
    const r = run(sb, FLAGS.split(" "), "y\n");
    expect(r.status).toBe(1);
    expect(installerRuns(sb)[0]).toMatchObject({ stdin: "data" });
  });

  it("creates the config files from the examples and replaces the secret key", () => {
    const sb = configured();
    expect(run(sb, FLAGS.split(" ")).status).toBe(0);
    expect(sb.read(`${SENTRY_DIR}/sentry/config.yml`)).toContain("system.secret-key: 'standin-fake-secret-key'\n");
    expect(sb.exists(`${SENTRY_DIR}/sentry/sentry.conf.py`)).toBe(true);
  });
});
