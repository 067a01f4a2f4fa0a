import { afterAll, describe, expect, it } from "vitest";
import { SENTRY_COMPOSE, SENTRY_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const fast = { HEALTH_INTERVAL_SECONDS: "0.2" };

describe("check-health.sh", () => {
  it("succeeds on 200 ok", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "check-health.sh", fast);
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "curl")).toHaveLength(1);
    expect(callsOf(sb, "curl")[0]).toContain("http://127.0.0.1:9000/_health/");
    expect(r.stdout).toContain("Sentry is healthy");
  });

  it("keeps polling through refused connections and 502s", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "check-health.sh", { ...fast, STANDIN_CURL_SEQUENCE: "000 502:bad-gateway 200:ok" });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "curl")).toHaveLength(3);
  });

  it("does not accept a 200 whose body is not ok", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "check-health.sh", { ...fast, HEALTH_TIMEOUT_SECONDS: "1", STANDIN_CURL_SEQUENCE: "200:starting" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("last: HTTP 200, body 'starting'");
  });

  it("times out with the last answer and, given SENTRY_DIR, compose diagnostics", () => {
    const sb = makeSandbox();
    copySelfHosted(sb);
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    const r = runScript(sb, "check-health.sh", {
      ...fast,
      HEALTH_TIMEOUT_SECONDS: "1",
      HEALTH_URL: "http://127.0.0.1:9100/_health/",
      SENTRY_DIR,
      STANDIN_CURL_SEQUENCE: "502:bad-gateway",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("did not answer 200 'ok' at http://127.0.0.1:9100/_health/ within 1s");
    expect(r.stderr).toContain("last: HTTP 502, body 'bad-gateway'");
    const docker = callsOf(sb, "docker");
    expect(docker).toContain(`${SENTRY_COMPOSE} ps --all --format table {{.Service}}\\t{{.State}}\\t{{.Status}}`);
    expect(docker).toContain(`${SENTRY_COMPOSE} logs --no-color --tail 30 web nginx`);
    expect(r.stderr).toContain("web-1    | stand-in log line");
  });

  it("reports curl errors when nothing listens", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "check-health.sh", { ...fast, HEALTH_TIMEOUT_SECONDS: "1", STANDIN_CURL_SEQUENCE: "000" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("last: curl exit 7");
    expect(callsOf(sb, "docker")).toEqual([]);
  });

  it.each([
    ["bad URL", { HEALTH_URL: "127.0.0.1:9000/_health/" }, "HEALTH_URL='127.0.0.1:9000/_health/'"],
    ["bad timeout", { HEALTH_TIMEOUT_SECONDS: "0" }, "HEALTH_TIMEOUT_SECONDS='0'"],
    ["bad interval", { HEALTH_INTERVAL_SECONDS: "fast" }, "HEALTH_INTERVAL_SECONDS='fast'"],
    ["zero interval", { HEALTH_INTERVAL_SECONDS: "0.0" }, "HEALTH_INTERVAL_SECONDS='0.0'"],
  ])("%s fails naming the variable", (_name, env, message) => {
    const sb = makeSandbox();
    const r = runScript(sb, "check-health.sh", env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(callsOf(sb, "curl")).toEqual([]);
  });
});
