import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { SENTRY_COMPOSE, SENTRY_DIR, STATE_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const base = { SENTRY_DIR, SENTRY_STATE_DIR: STATE_DIR };
const UP_ARGS = `${SENTRY_COMPOSE} up --detach --wait --wait-timeout 1200`;
const UP = `${UP_ARGS} --remove-orphans`;
const RECREATE_ONLY = (...services: string[]) => `${UP_ARGS} --no-deps --force-recreate ${services.join(" ")}`;
const PROJECT = "sentry-self-hosted";

/** The docker stand-in's containers: [id, project, service, bind mount sources]. */
type Container = [string, string, string, string[]];
const RUNNING: Container[] = [
  ["c-redis", PROJECT, "redis", [`${SENTRY_DIR}/redis.conf`]],
  ["c-web", PROJECT, "web", [`${SENTRY_DIR}/sentry`, `${SENTRY_DIR}/geoip`]],
  ["c-nginx", PROJECT, "nginx", [`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`]],
  // Another compose project on the same host: never touched.
  ["c-other", "other-project", "transactions-consumer", ["/srv/other/sentry"]],
];
const setContainers = (sb: Sandbox, containers: Container[]) =>
  sb.writeRec("containers", containers.map(([id, project, service, sources]) => `${id}\t${project}\t${service}\t${sources.join(" ")}\n`).join(""));
const containerIds = (sb: Sandbox) =>
  sb
    .recFile("containers")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t")[0]);

function installed(): Sandbox {
  const sb = makeSandbox();
  copySelfHosted(sb);
  sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\nSENTRY_BIND=9000\n");
  sb.write(`${SENTRY_DIR}/sentry/config.yml`, "system.url-prefix: 'http://203.0.113.10:9000'\n");
  sb.write(`${SENTRY_DIR}/sentry/sentry.conf.py`, 'CSRF_TRUSTED_ORIGINS = ["http://203.0.113.10:9000"]\n');
  sb.write(`${STATE_DIR}/installed`, "26.8.0 errors-only\n");
  sb.write(`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`, "http {}\n");
  setContainers(sb, RUNNING);
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
    expect(sb.recFile("compose.log").split("\n").filter((l) => l.startsWith("up\t"))).toEqual(["up\tCOMPOSE_PROFILES=errors-only\tenv-files=.env,.env.custom"]);
    expect(sb.read(`${STATE_DIR}/started-config.sha256`).split("\n")).toEqual([
      expect.stringMatching(/^[0-9a-f]{64} installed$/),
      expect.stringMatching(/^[0-9a-f]{64} \.env\.custom$/),
      "absent docker-compose.override.yml",
      expect.stringMatching(/^[0-9a-f]{64} sentry\/config\.yml$/),
      expect.stringMatching(/^[0-9a-f]{64} sentry\/sentry\.conf\.py$/),
      expect.stringMatching(/^[0-9a-f]{64} nginx\.behind-tls-proxy\.conf$/),
      "absent tls-server.Caddyfile",
      "absent sentry-deploy-secrets/smtp-password",
      "",
    ]);
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

  /** A started sandbox, then FILE changed, then start-sentry again: the `up` commands of that second run. */
  const upsAfterChanging = (sb: Sandbox, hostPath: string) => {
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    fs.appendFileSync(sb.host(hostPath), "# changed\n");
    sb.clearCalls();
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    return { ups: ups(sb), r };
  };

  it.each([
    // nginx depends on web with `restart: true` (it resolves web's address once): compose would restart it with web.
    ["sentry/config.yml", ["web", "nginx"]],
    ["sentry/sentry.conf.py", ["web", "nginx"]],
    ["nginx.behind-tls-proxy.conf", ["nginx"]],
  ])("after %s changed, recreates only the services that mount it and what restarts with them (%s), then starts the rest as they are", (file, services) => {
    const sb = installed();
    const { ups: second } = upsAfterChanging(sb, `${SENTRY_DIR}/${file}`);
    expect(second).toEqual([RECREATE_ONLY(...services), UP]);
    // Applied once: the next start leaves everything running.
    sb.clearCalls();
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([UP]);
  });

  it("recreates every service that mounts a changed file, once each", () => {
    const sb = installed();
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=feature-complete\nSENTRY_BIND=9000\n");
    setContainers(sb, [
      ...RUNNING,
      ["c-tx", PROJECT, "transactions-consumer", [`${SENTRY_DIR}/sentry`]],
      ["c-web-2", PROJECT, "web", [`${SENTRY_DIR}/sentry`]],
    ]);
    expect(upsAfterChanging(sb, `${SENTRY_DIR}/sentry/config.yml`).ups).toEqual([RECREATE_ONLY("transactions-consumer", "web", "nginx"), UP]);
  });

  it.each([".env.custom", "docker-compose.override.yml"])("after %s changed, lets compose recreate what it affects (no --force-recreate)", (file) => {
    const sb = installed();
    sb.write(`${SENTRY_DIR}/docker-compose.override.yml`, "services: {}\n");
    const { ups: second, r } = upsAfterChanging(sb, `${SENTRY_DIR}/${file}`);
    expect(second).toEqual([UP]);
    expect(r.stdout).toContain(`changed since the last start: ${file} (compose recreates the services it affects)`);
  });

  it("recreates every container after install.sh ran (the installed marker changed)", () => {
    const sb = installed();
    expect(upsAfterChanging(sb, `${STATE_DIR}/installed`).ups).toEqual([`${UP} --force-recreate`]);
  });

  it("recreates every container once when the stamp is from an older version of this script (one checksum)", () => {
    const sb = installed();
    sb.write(`${STATE_DIR}/started-config.sha256`, `${"0".repeat(64)}\n`);
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(ups(sb)).toEqual([`${UP} --force-recreate`]);
  });

  it("after a switch to errors-only, stops and removes the containers of feature-complete's services", () => {
    const sb = installed();
    setContainers(sb, [...RUNNING, ["c-tx", PROJECT, "transactions-consumer", []]]);
    const r = runScript(sb, "start-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("stopping and removing 1 container(s) of services outside the active profile: transactions-consumer");
    const docker = callsOf(sb, "docker");
    expect(docker).toContain("docker stop c-tx");
    expect(docker).toContain("docker rm c-tx");
    // Before compose brings up the active ones.
    expect(docker.indexOf("docker rm c-tx")).toBeLessThan(docker.findIndex((l) => l.includes(" up ")));
    expect(containerIds(sb)).toEqual(["c-redis", "c-web", "c-nginx", "c-other"]);
  });

  it("keeps every container whose service is in the active profile", () => {
    const sb = installed();
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=feature-complete\nSENTRY_BIND=9000\n");
    setContainers(sb, [...RUNNING, ["c-tx", PROJECT, "transactions-consumer", []]]);
    expect(runScript(sb, "start-sentry.sh", base).status).toBe(0);
    expect(callsOf(sb, "docker").filter((l) => /^docker (stop|rm) /.test(l))).toEqual([]);
    expect(containerIds(sb)).toEqual(["c-redis", "c-web", "c-nginx", "c-other", "c-tx"]);
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
    expect(r.stderr).toContain("docker compose up --remove-orphans --force-recreate failed (exit 1)");
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
    // The marker lives on the data volume: without the volume mounted nothing starts.
    expect(r.stderr).toContain("or the data volume holding it is not mounted");
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
