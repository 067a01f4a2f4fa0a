// heartbeat.sh and install-heartbeat.sh with real bash. Stand-ins (test/fixtures/bin): curl
// answers Sentry's /_health/ (and the dead-man's-switch URL) from STANDIN_CURL_SEQUENCE, aws
// records the metrics it would publish (no AWS here), df answers a test's "full disk", and
// systemctl keeps unit state in files.
import { afterAll, describe, expect, it } from "vitest";
import { DATA_DIR, STATE_DIR, Sandbox, callsOf, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const MEMINFO = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6400000 kB\nSwapTotal:       8000000 kB\nSwapFree:        6000000 kB\n";
const cloudwatch = { HEALTH_URL: "http://127.0.0.1:9000/_health/", DATA_DIR, SENTRY_STATE_DIR: STATE_DIR, METRICS_NAMESPACE: "SentryDeploy/sentry-prod", AWS_REGION: "eu-central-1" };

function host(): Sandbox {
    const sb = makeSandbox();
    sb.write("/proc/meminfo", MEMINFO);
    sb.write("/run/systemd/system/.keep", ""); // a booted systemd
    sb.write(`${STATE_DIR}/.keep`, "");
    return sb;
}

/** The metrics of each put-metric-data call: name -> value. */
function published(sb: Sandbox): Record<string, number>[] {
    return sb
        .recFile("metric-data.log")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => Object.fromEntries((JSON.parse(l) as { MetricName: string; Value: number }[]).map((m) => [m.MetricName, m.Value])));
}

/** Makes the df stand-in answer for a host path: used and available KiB. */
function fill(sb: Sandbox, hostPath: string, usedKb: number, availKb: number): void {
    sb.writeRec(`df/${hostPath.replace(/\//g, "_")}`, `${usedKb} ${availKb}\n`);
}

describe("heartbeat.sh", () => {
    it("publishes healthy, disk, memory and swap figures into the stack's namespace", () => {
        const sb = host();
        fill(sb, DATA_DIR, 41, 59);
        fill(sb, "/", 23, 77);
        const r = runScript(sb, "heartbeat.sh", cloudwatch);
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "curl")[0]).toContain("http://127.0.0.1:9000/_health/");
        const aws = callsOf(sb, "aws");
        expect(aws).toHaveLength(1);
        expect(aws[0]).toMatch(/^aws cloudwatch put-metric-data --region eu-central-1 --namespace SentryDeploy\/sentry-prod --metric-data file:\/\//);
        expect(published(sb)).toEqual([{ Heartbeat: 1, HealthCheck: 1, DataDiskUsedPercent: 41, RootDiskUsedPercent: 23, MemoryUsedPercent: 60, SwapUsedPercent: 25 }]);
        expect(r.stdout).toContain("heartbeat: healthy=1 data=41% root=23% mem=60% swap=25% cloudwatch=SentryDeploy/sentry-prod");
    });

    it("reports a stopped web (nothing answers, or nginx's 502) as unhealthy, and still beats", () => {
        for (const answer of ["000", "502:bad-gateway", "200:starting"]) {
            const sb = host();
            const r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: answer });
            expect(r.status, r.output).toBe(0);
            expect(published(sb)[0]).toMatchObject({ Heartbeat: 1, HealthCheck: 0 });
            expect(r.stdout).toContain("healthy=0");
        }
    });

    it("sees a disk cross the critical threshold and withholds the dead-man's-switch ping", () => {
        const sb = host();
        sb.write("/etc/sentry-deploy/heartbeat-url", "https://hc-ping.example.org/0b9c-secret-uuid\n", 0o600);
        fill(sb, DATA_DIR, 89, 11);
        let r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: "200:ok 200:ok" });
        expect(r.status, r.output).toBe(0);
        expect(published(sb)[0].DataDiskUsedPercent).toBe(89);
        expect(callsOf(sb, "curl").filter((c) => c.includes("hc-ping"))).toHaveLength(1);
        expect(r.stdout).toContain("ping=sent");

        sb.clearCalls();
        sb.writeRec("curl-count", "0");
        fill(sb, DATA_DIR, 91, 9);
        r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: "200:ok 200:ok" });
        expect(r.status, r.output).toBe(0);
        expect(published(sb)[1].DataDiskUsedPercent).toBe(91);
        expect(callsOf(sb, "curl").filter((c) => c.includes("hc-ping"))).toEqual([]);
        expect(r.stdout).toContain("problems: data disk 91% >= 90%");
        expect(r.stdout).toContain("ping=withheld");
        // The URL is a credential: never printed.
        expect(r.output).not.toContain("secret-uuid");
    });

    it("pings the heartbeat URL on an own server without CloudWatch, and withholds it when unhealthy", () => {
        const sb = host();
        sb.write("/etc/sentry-deploy/heartbeat-url", "https://hc-ping.example.org/uuid\n", 0o600);
        const own = { HEALTH_URL: "http://127.0.0.1:9000/_health/", DATA_DIR, SENTRY_STATE_DIR: STATE_DIR };
        let r = runScript(sb, "heartbeat.sh", { ...own, STANDIN_CURL_SEQUENCE: "200:ok 200:ok" });
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "aws")).toEqual([]);
        expect(callsOf(sb, "curl")[1]).toContain("https://hc-ping.example.org/uuid");
        sb.clearCalls();
        sb.writeRec("curl-count", "0");
        r = runScript(sb, "heartbeat.sh", { ...own, STANDIN_CURL_SEQUENCE: "000" });
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "curl")).toHaveLength(1);
        expect(r.stdout).toContain("problems: Sentry unhealthy (HTTP 000 from http://127.0.0.1:9000/_health/)");
        expect(r.stdout).toContain("ping=withheld");
    });

    it("leaves HealthCheck out during an upgrade's maintenance window, and ends the window once healthy", () => {
        const sb = host();
        sb.write(`${STATE_DIR}/maintenance-until`, `${Math.floor(Date.now() / 1000) + 3600}\n`);
        let r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: "000" });
        expect(r.status, r.output).toBe(0);
        expect(published(sb)[0]).not.toHaveProperty("HealthCheck");
        expect(published(sb)[0].Heartbeat).toBe(1);
        expect(r.stdout).toContain("maintenance=until-");
        r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: "200:ok" });
        expect(published(sb)[1].HealthCheck).toBe(1);
        expect(sb.exists(`${STATE_DIR}/maintenance-until`)).toBe(false);
    });

    it("does not honour an expired maintenance window", () => {
        const sb = host();
        sb.write(`${STATE_DIR}/maintenance-until`, `${Math.floor(Date.now() / 1000) - 10}\n`);
        const r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_CURL_SEQUENCE: "000" });
        expect(r.status, r.output).toBe(0);
        expect(published(sb)[0].HealthCheck).toBe(0);
    });

    it("fails when CloudWatch refuses the metrics (a missing permission must not look like a heartbeat)", () => {
        const sb = host();
        const r = runScript(sb, "heartbeat.sh", { ...cloudwatch, STANDIN_AWS_EXIT: "254" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("could not publish to CloudWatch namespace SentryDeploy/sentry-prod in eu-central-1");
    });

    it.each([
        [{ METRICS_NAMESPACE: "AWS/EC2" }, "is not a custom CloudWatch namespace"],
        [{ AWS_REGION: "" }, "AWS_REGION='' is not an AWS region name"],
        [{ HEALTH_URL: "127.0.0.1:9000" }, "must be an http(s) URL"],
        [{ DISK_CRITICAL_PERCENT: "120" }, "DISK_CRITICAL_PERCENT='120' must be a whole percentage"],
    ])("refuses bad input %j", (bad, message) => {
        const sb = host();
        const r = runScript(sb, "heartbeat.sh", { ...cloudwatch, ...bad });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(callsOf(sb, "aws")).toEqual([]);
    });
});

describe("install-heartbeat.sh", () => {
    const env = { ...cloudwatch, HEARTBEAT_INTERVAL_SECONDS: "60" };

    it("installs a timer every minute that runs heartbeat.sh with the step's env file, and beats once", () => {
        const sb = host();
        const r = runScript(sb, "install-heartbeat.sh", env);
        expect(r.status, r.output).toBe(0);
        const service = sb.read("/etc/systemd/system/sentry-heartbeat.service");
        expect(service).toContain("ExecStart=/bin/bash -c 'set -a; . /etc/sentry-deploy/install-heartbeat.env; set +a; exec /usr/local/lib/sentry-deploy/heartbeat.sh'");
        const timer = sb.read("/etc/systemd/system/sentry-heartbeat.timer");
        expect(timer).toContain("OnUnitActiveSec=60");
        expect(timer).toContain("WantedBy=timers.target");
        expect(callsOf(sb, "systemctl")).toEqual(["systemctl daemon-reload", "systemctl enable sentry-heartbeat.timer", "systemctl restart sentry-heartbeat.timer"]);
        expect(published(sb)).toHaveLength(1);
        expect(sb.exists("/etc/sentry-deploy/heartbeat-url")).toBe(false);
        // A second run changes no unit file, so systemd is not reloaded.
        sb.clearCalls();
        expect(runScript(sb, "install-heartbeat.sh", env).status).toBe(0);
        expect(callsOf(sb, "systemctl")).not.toContain("systemctl daemon-reload");
    });

    it("stores the heartbeat URL from stdin root-only and never prints it; empty stdin removes it", () => {
        const sb = host();
        const r = runScript(sb, "install-heartbeat.sh", { ...env, METRICS_NAMESPACE: "", STANDIN_CURL_SEQUENCE: "200:ok 200:ok" }, { input: "https://hc-ping.example.org/top-secret\n" });
        expect(r.status, r.output).toBe(0);
        expect(sb.read("/etc/sentry-deploy/heartbeat-url")).toBe("https://hc-ping.example.org/top-secret\n");
        expect((require("node:fs") as typeof import("node:fs")).statSync(sb.host("/etc/sentry-deploy/heartbeat-url")).mode & 0o777).toBe(0o600);
        expect(r.output).not.toContain("top-secret");
        expect(r.stdout).toContain("ping=sent");
        expect(runScript(sb, "install-heartbeat.sh", { ...env, METRICS_NAMESPACE: "" }).status).toBe(0);
        expect(sb.exists("/etc/sentry-deploy/heartbeat-url")).toBe(false);
    });

    it("on a host without a running systemd, writes the units, starts nothing and says so", () => {
        const sb = host();
        (require("node:fs") as typeof import("node:fs")).rmSync(sb.host("/run/systemd"), { recursive: true });
        const r = runScript(sb, "install-heartbeat.sh", env);
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "systemctl")).toEqual([]);
        expect(sb.exists("/etc/systemd/system/sentry-heartbeat.timer")).toBe(true);
        expect(r.stderr).toContain("WARNING: systemd is not running here, so the heartbeat timer cannot run");
    });

    it("fails the step when the first heartbeat cannot publish", () => {
        const sb = host();
        const r = runScript(sb, "install-heartbeat.sh", { ...env, STANDIN_AWS_EXIT: "254" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("the first heartbeat failed");
    });
});
