import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCRIPTS_DIR, SENTRY_COMPOSE, SENTRY_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const PASSWORD = `Tr0ub4dor&3 'quoted' "double" $HOME \`tick\``;
const base = { SENTRY_DIR, SENTRY_ADMIN_EMAIL: "ops@example.com" };
const EXEC = `${SENTRY_COMPOSE} exec -T web sentry createuser --email ops@example.com --superuser`;

function running(): Sandbox {
  const sb = makeSandbox();
  copySelfHosted(sb);
  sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
  return sb;
}

/** Every place the password must never show up. */
function expectNoLeak(sb: Sandbox, output: string) {
  expect(output).not.toContain(PASSWORD);
  for (const f of fs.readdirSync(sb.rec)) {
    if (f === "docker-exec-stdin.log") continue; // where it is supposed to arrive
    const p = path.join(sb.rec, f);
    if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, "utf8"), f).not.toContain(PASSWORD);
  }
}

describe("create-admin.sh", () => {
  it("creates the superuser with the password on stdin only (twice: prompt and confirmation)", () => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", base, { input: `${PASSWORD}\n` });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "docker")).toEqual([EXEC]);
    expect(sb.recFile("docker-exec-stdin.log")).toBe(`${PASSWORD}\n${PASSWORD}\n`);
    expect(sb.recFile("sentry-users")).toBe("ops@example.com\n");
    expect(sb.recFile("compose.log")).toBe("exec\tCOMPOSE_PROFILES=errors-only\tenv-files=.env,.env.custom\n");
    expect(r.stdout).toContain("User created: ops@example.com");
    expectNoLeak(sb, r.output);
  });

  it("accepts a password without a trailing newline (as Pulumi's stdin sends it)", () => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", base, { input: PASSWORD });
    expect(r.status, r.output).toBe(0);
    expect(sb.recFile("docker-exec-stdin.log")).toBe(`${PASSWORD}\n${PASSWORD}\n`);
  });

  it("treats an existing user as success and changes nothing", () => {
    const sb = running();
    expect(runScript(sb, "create-admin.sh", base, { input: `${PASSWORD}\n` }).status).toBe(0);
    const r = runScript(sb, "create-admin.sh", base, { input: `${PASSWORD}\n` });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("already exists; left unchanged");
    expect(sb.recFile("sentry-users")).toBe("ops@example.com\n");
    expect(callsOf(sb, "docker").every((l) => !l.includes("--force-update"))).toBe(true);
    expectNoLeak(sb, r.output);
  });

  it.each(["3", "1"])("also accepts older Sentry releases that exit %s for an existing user", (code) => {
    const sb = running();
    sb.writeRec("sentry-users", "ops@example.com\n");
    const r = runScript(sb, "create-admin.sh", { ...base, STANDIN_CREATEUSER_EXISTS_EXIT: code }, { input: `${PASSWORD}\n` });
    expect(r.status, r.output).toBe(0);
  });

  it("masks the password if anything ever echoes it", () => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", { ...base, STANDIN_CREATEUSER_ECHO: "1" }, { input: `${PASSWORD}\n` });
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain("********");
    expect(r.output).not.toContain(PASSWORD);
  });

  it("fails clearly on empty stdin without calling docker", () => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", base, { input: "" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no password on stdin");
    expect(callsOf(sb, "docker")).toEqual([]);
  });

  it("fails without leaking the password when Sentry is not running", () => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", { ...base, STANDIN_CREATEUSER_FAIL: "1" }, { input: `${PASSWORD}\n` });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("sentry createuser failed");
    expect(r.stderr).toContain('service "web" is not running');
    expectNoLeak(sb, r.output);
  });

  it.each([
    ["missing SENTRY_ADMIN_EMAIL", { SENTRY_ADMIN_EMAIL: "" }, "SENTRY_ADMIN_EMAIL is required"],
    ["malformed SENTRY_ADMIN_EMAIL", { SENTRY_ADMIN_EMAIL: "ops at example.com" }, "SENTRY_ADMIN_EMAIL='ops at example.com'"],
    ["missing SENTRY_DIR", { SENTRY_DIR: "" }, "SENTRY_DIR is required"],
  ])("%s fails before calling docker", (_name, extra, message) => {
    const sb = running();
    const r = runScript(sb, "create-admin.sh", { ...base, ...extra }, { input: `${PASSWORD}\n` });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(callsOf(sb, "docker")).toEqual([]);
    expect(r.output).not.toContain(PASSWORD);
  });

  it("has no code path that passes --password or exports the password", () => {
    const code = fs
      .readFileSync(path.join(SCRIPTS_DIR, "create-admin.sh"), "utf8")
      .split("\n")
      .filter((l) => !l.trimStart().startsWith("#"))
      .join("\n");
    expect(code).not.toMatch(/--password/);
    expect(code).not.toMatch(/export\s+password/i);
  });
});
