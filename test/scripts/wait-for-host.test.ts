import { afterAll, describe, expect, it } from "vitest";
import { callsOf, makeSandbox, onPath, removeSandboxes, runScript, standinsWithout, type Sandbox } from "./harness";

afterAll(removeSandboxes);

function hostWithFacts(): Sandbox {
  const sb = makeSandbox();
  sb.write("/etc/os-release", 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nVERSION_CODENAME=noble\n');
  sb.write("/proc/meminfo", "MemTotal:       16002048 kB\nMemFree:         1000000 kB\nSwapTotal:      16777212 kB\n");
  return sb;
}

describe("wait-for-host.sh", () => {
  it("waits for cloud-init with the timeout and prints a one-line host summary", () => {
    const sb = hostWithFacts();
    const r = runScript(sb, "wait-for-host.sh", {});
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "cloud-init")).toEqual(["cloud-init status --wait"]);
    const summary = r.stdout.split("\n").filter((l) => l.startsWith("wait-for-host: host:"));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/Ubuntu 24\.04\.1 LTS, arch \S+, bash \d+\.\d+, \d+ CPUs, 15627 MB memory, 16383 MB swap/);
  });

  it("treats cloud-init exit 2 (recoverable errors) as done", () => {
    const sb = hostWithFacts();
    const r = runScript(sb, "wait-for-host.sh", { STANDIN_CLOUD_INIT_EXIT: "2" });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("recoverable errors");
  });

  it("fails clearly when cloud-init reports an error", () => {
    const sb = hostWithFacts();
    const r = runScript(sb, "wait-for-host.sh", { STANDIN_CLOUD_INIT_EXIT: "1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cloud-init failed \(cloud-init status --wait exited 1\)/);
  });

  it("gives up after CLOUD_INIT_TIMEOUT_SECONDS", () => {
    const sb = hostWithFacts();
    const started = Date.now();
    const r = runScript(sb, "wait-for-host.sh", { CLOUD_INIT_TIMEOUT_SECONDS: "1", STANDIN_CLOUD_INIT_SLEEP: "10" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("did not finish within 1s");
    expect(r.stderr).toContain("CLOUD_INIT_TIMEOUT_SECONDS");
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it("rejects a malformed CLOUD_INIT_TIMEOUT_SECONDS, naming it", () => {
    const sb = hostWithFacts();
    const r = runScript(sb, "wait-for-host.sh", { CLOUD_INIT_TIMEOUT_SECONDS: "15m" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("CLOUD_INIT_TIMEOUT_SECONDS='15m'");
    expect(callsOf(sb, "cloud-init")).toEqual([]);
  });

  it.skipIf(onPath("cloud-init"))("skips the wait on hosts without cloud-init", () => {
    const sb = hostWithFacts();
    const r = runScript(sb, "wait-for-host.sh", {}, { binDir: standinsWithout(sb, "cloud-init") });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("cloud-init not installed");
    expect(r.stdout).toContain("wait-for-host: host:");
  });
});
