import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { SENTRY_COMPOSE, SENTRY_DIR, STATE_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const base = { SENTRY_DIR, SENTRY_STATE_DIR: STATE_DIR };
const UP = `${SENTRY_COMPOSE} up --detach --remove-orphans --wait --wait-timeout 1200`;

function installed(): Sandbox {
  const sb = makeSandbox();
  copySelfHosted(sb);
  sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\nSENTRY_BIND=9000\n");
  sb.write(`${SENTRY_DIR}/sentry/config.yml`, "system.url-prefix: 'http://203.0.113.10:9000'\n");
  sb.write(`${SENTRY_DIR}/sentry/sentry.conf.py`, 'CSRF_TRUSTED_ORIGINS = ["http://203.0.113.10:9000"]\n');
  sb.write(`${STATE_DIR}/installed`, "26.8.0 errors-only\n");
  return sb;
}
const ups = (sb: Sandbox) => callsOf(sb, "docker").filter((l) => l.includes(" up "));

describe("start-sentry.sh", () => {
  it("first start: recreates with both env files and saves the stamp", () => {
    const sb = installed();
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(ups(sb)).toEqual([`${UP} --force-recreate`]);
    // What compose sees: the profile from .env.custom, not .env's feature-complete.
    expect(sb.recFile("compose.log")).toBe("up\tCOMPOSE_PROFILES=errors-only\tenv-files=.env,.env.custom\n");
    expect(sb.read(`${STATE_DIR}/started-config.sha256`)).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("later starts with unchanged configuration do not recreate", () => {
    const sb = installed();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    const stamp = sb.read(`${STATE_DIR}/started-config.sha256`);
    sb.clearCalls();
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(ups(sb)).toEqual([UP]);
    expect(sb.read(`${STATE_DIR}/started-config.sha256`)).toBe(stamp);
  });

  it.each([
    ["sentry/config.yml", `${SENTRY_DIR}/sentry/config.yml`],
    ["sentry/sentry.conf.py", `${SENTRY_DIR}/sentry/sentry.conf.py`],
    [".env.custom", `${SENTRY_DIR}/.env.custom`],
    ["the installed marker", `${STATE_DIR}/installed`],
  ])("recreates after %s changed (bind mounts hide it from compose)", (_name, hostPath) => {
    const sb = installed();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    fs.appendFileSync(sb.host(hostPath), "# changed\n");
    sb.clearCalls();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([`${UP} --force-recreate`]);
    sb.clearCalls();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([UP]);
  });

  it("recreates when docker-compose.override.yml appears", () => {
    const sb = installed();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    sb.write(`${SENTRY_DIR}/docker-compose.override.yml`, "services: {}\n");
    sb.clearCalls();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([`${UP} --force-recreate`]);
  });

  it("ignores COMPOSE_PROFILES from the caller's environment", () => {
    const sb = installed();
    expect(runScript(sb, "start-sentry.sh", { ...base, COMPOSE_PROFILES: "feature-complete" }).status).toBe(0);
    expect(sb.recFile("compose.log")).toContain("COMPOSE_PROFILES=errors-only");
  });

  it("passes COMPOSE_WAIT_TIMEOUT_SECONDS to --wait-timeout", () => {
    const sb = installed();
    expect(runScript(sb, "start-sentry.sh", { ...base, COMPOSE_WAIT_TIMEOUT_SECONDS: "300" }).status).toBe(0);
    expect(ups(sb)[0]).toContain("--wait --wait-timeout 300");
  });

  it("on failure shows docker compose ps and keeps the old stamp (next start recreates again)", () => {
    const sb = installed();
    const r = runScript(sb, "start-sentry.sh", { ...base, STANDIN_COMPOSE_UP_EXIT: "1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("docker compose up failed (exit 1)");
    expect(r.stderr).toContain("SERVICE\tSTATE\tSTATUS");
    expect(callsOf(sb, "docker")).toContain(`${SENTRY_COMPOSE} ps --all --format table {{.Service}}\\t{{.State}}\\t{{.Status}}`);
    expect(sb.exists(`${STATE_DIR}/started-config.sha256`)).toBe(false);
    sb.clearCalls();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([`${UP} --force-recreate`]);
  });

  it("refuses before Sentry was installed", () => {
    const sb = installed();
    fs.rmSync(sb.host(`${STATE_DIR}/installed`));
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("run install-sentry.sh first");
    expect(callsOf(sb, "docker")).toEqual([]);
  });

  it("refuses without .env.custom (plain compose would drop the overrides)", () => {
    const sb = installed();
    fs.rmSync(sb.host(`${SENTRY_DIR}/.env.custom`));
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("run configure-sentry.sh first");
    expect(callsOf(sb, "docker")).toEqual([]);
  });

  it.each([
    ["missing SENTRY_DIR", { SENTRY_DIR: "" }, "SENTRY_DIR is required"],
    ["missing SENTRY_STATE_DIR", { SENTRY_STATE_DIR: "" }, "SENTRY_STATE_DIR is required"],
    ["bad wait timeout", { COMPOSE_WAIT_TIMEOUT_SECONDS: "20m" }, "COMPOSE_WAIT_TIMEOUT_SECONDS='20m'"],
  ])("%s fails before calling docker", (_name, extra, message) => {
    const sb = installed();
    const r = runScript(sb, "start-sentry.sh", { ...base, ...extra });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(callsOf(sb, "docker")).toEqual([]);
  });
});
