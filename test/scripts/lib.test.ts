// lib.sh, the helpers every host script sources, exercised directly in real bash.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCRIPTS_DIR, makeSandbox, removeSandboxes, runFile, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const LIB = path.join(SCRIPTS_DIR, "lib.sh");

/** Runs a few lines of bash as a script named "demo" that has sourced lib.sh. */
function demo(sb: Sandbox, body: string, env: Record<string, string> = {}) {
  const file = path.join(sb.scratch, `demo-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, `set -euo pipefail\nreadonly SCRIPT=demo\n. ${JSON.stringify(LIB)}\n${body}\n`);
  return runFile(sb, file, [], env);
}

describe("lib.sh", () => {
  it("refuses to be run instead of sourced", () => {
    const sb = makeSandbox();
    const r = runFile(sb, LIB, [], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("source it, do not run it");
  });

  it("insists that the caller names itself first", () => {
    const sb = makeSandbox();
    const file = path.join(sb.scratch, "nameless.sh");
    fs.writeFileSync(file, `set -euo pipefail\n. ${JSON.stringify(LIB)}\necho reached\n`);
    const r = runFile(sb, file, [], {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("set SCRIPT to the script name before sourcing lib.sh");
    expect(r.stdout).not.toContain("reached");
  });

  it("log prefixes stdout lines with the script's name; die goes to stderr and stops the script", () => {
    const sb = makeSandbox();
    const r = demo(sb, 'log "step one"\ndie "it broke"\nlog "never"');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("demo: step one\n");
    expect(r.stderr).toBe("demo: ERROR: it broke\n");
  });

  it.each([
    ["", "DIR is required, e.g. /data"],
    ["data", "DIR='data' must be an absolute path"],
    ["/data/", "DIR='/data/' must be an absolute path"],
    ["/data/../etc", "DIR='/data/../etc' must be an absolute path"],
    ["/data/./x", "DIR='/data/./x' must be an absolute path"],
    ["/my data", "DIR='/my data' must be an absolute path"],
  ])("require_abs_path rejects %j", (value, message) => {
    const sb = makeSandbox();
    const r = demo(sb, 'require_abs_path DIR "$DIR" /data\necho accepted', { DIR: value });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).not.toContain("accepted");
  });

  it.each(["/data", "/data/self-hosted", "/srv/sentry_1.x"])("require_abs_path accepts %s", (value) => {
    const sb = makeSandbox();
    const r = demo(sb, 'require_abs_path DIR "$DIR" /data\necho accepted', { DIR: value });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toBe("accepted\n");
  });

  it.each(["", "0", "15m", "-5", "1.5", "07"])("require_seconds rejects %j, naming the variable and an example", (value) => {
    const sb = makeSandbox();
    const r = demo(sb, 'require_seconds WAIT "$WAIT" 900', { WAIT: value });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`demo: ERROR: WAIT='${value}' is not a positive whole number of seconds, e.g. 900\n`);
  });

  it.each([
    ["26.7.0", "26.8.0", true],
    ["26.9.0", "26.10.0", true],
    ["26.8.0", "26.8.0", false],
    ["26.10.0", "26.9.0", false],
    ["v2.32.1", "2.32.2", true],
    ["28.5.1-ce", "28.5.1", false],
    ["20.10.24+dfsg1", "19.03.6", false],
  ])("version_lt %s %s is %s", (a, b, less) => {
    const sb = makeSandbox();
    const r = demo(sb, 'if version_lt "$A" "$B"; then echo less; else echo not-less; fi', { A: a, B: b });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toBe(less ? "less\n" : "not-less\n");
  });

  it("SENTRY_VERSION_RE and EMAIL_RE match release tags and email addresses", () => {
    const sb = makeSandbox();
    const r = demo(
      sb,
      [
        'for v in 26.8.0 23.11.0 26.13.0 26.8 v26.8.0 master; do [[ "$v" =~ $SENTRY_VERSION_RE ]] && echo "tag $v"; done',
        'for e in ops@example.com a.b+c@mail.example.org ops@example "ops at example.com" ops@-example.com; do [[ "$e" =~ $EMAIL_RE ]] && echo "email $e"; done',
        "true",
      ].join("\n"),
    );
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toBe("tag 26.8.0\ntag 23.11.0\nemail ops@example.com\nemail a.b+c@mail.example.org\n");
  });

  it("wait_with_heartbeat reports while the job runs and returns the job's exit status", () => {
    const sb = makeSandbox();
    const r = demo(
      sb,
      [
        'report() { log "still going after $1 s"; }',
        "(sleep 3; exit 7) &",
        "rc=0",
        'wait_with_heartbeat $! 1 report || rc=$?',
        'log "job exited $rc"',
      ].join("\n"),
    );
    expect(r.status, r.output).toBe(0);
    const beats = r.stdout.split("\n").filter((l) => l.startsWith("demo: still going after "));
    expect(beats.length).toBeGreaterThanOrEqual(1);
    expect(beats.length).toBeLessThanOrEqual(3);
    expect(r.stdout).toContain("demo: job exited 7\n");
  });

  it("wait_with_heartbeat stays quiet for a job that ends before the first beat", () => {
    const sb = makeSandbox();
    const r = demo(sb, 'report() { log "beat"; }\ntrue &\nwait_with_heartbeat $! 60 report\nlog done');
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toBe("demo: done\n");
  });

  it("a step script copied somewhere without lib.sh fails at once, naming the missing file", () => {
    const sb = makeSandbox();
    const lonely = path.join(sb.scratch, "alone", "check-health.sh");
    fs.mkdirSync(path.dirname(lonely), { recursive: true });
    fs.copyFileSync(path.join(SCRIPTS_DIR, "check-health.sh"), lonely);
    const r = runFile(sb, lonely, [], { HEALTH_URL: "http://127.0.0.1:9/_health/" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${path.dirname(lonely)}/lib.sh: No such file or directory`);
  });
});
