// configure-updates.sh with real bash; apt-get, apt-mark and dpkg-query are recording stand-ins.
import { afterAll, describe, expect, it } from "vitest";
import { callsOf, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const DOCKER = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"];

function host(installed: string[] = [...DOCKER, "unattended-upgrades"]) {
    const sb = makeSandbox();
    sb.writeRec("dpkg-installed", installed.map((p) => `${p}\n`).join(""));
    return sb;
}

describe("configure-updates.sh", () => {
    it("turns on unattended upgrades, holds Docker's packages and never reboots by default", () => {
        const sb = host();
        const r = runScript(sb, "configure-updates.sh", {});
        expect(r.status, r.output).toBe(0);
        expect(sb.read("/etc/apt/apt.conf.d/20auto-upgrades")).toContain('APT::Periodic::Unattended-Upgrade "1";');
        const conf = sb.read("/etc/apt/apt.conf.d/52sentry-deploy-unattended");
        expect(conf).toContain('Unattended-Upgrade::Automatic-Reboot "false";');
        expect(conf).not.toContain("Automatic-Reboot-Time");
        expect(conf).toContain('"^containerd\\.io$";');
        expect(sb.recFile("apt-holds").trim().split("\n")).toEqual(DOCKER);
        expect(callsOf(sb, "apt-get")).toEqual([]);
        expect(r.stdout).toContain("no automatic reboot");
        // A second run holds nothing again and writes nothing.
        sb.clearCalls();
        const again = runScript(sb, "configure-updates.sh", {});
        expect(callsOf(sb, "apt-mark").filter((c) => c.startsWith("apt-mark hold"))).toEqual([]);
        expect(again.stdout).not.toContain("wrote");
    });

    it("reboots automatically only in the configured window", () => {
        const sb = host();
        const r = runScript(sb, "configure-updates.sh", { REBOOT_WINDOW: "04:30" });
        expect(r.status, r.output).toBe(0);
        const conf = sb.read("/etc/apt/apt.conf.d/52sentry-deploy-unattended");
        expect(conf).toContain('Unattended-Upgrade::Automatic-Reboot "true";');
        expect(conf).toContain('Unattended-Upgrade::Automatic-Reboot-Time "04:30";');
    });

    it("installs unattended-upgrades when missing and holds only what is installed", () => {
        const sb = host(["docker-ce"]);
        const r = runScript(sb, "configure-updates.sh", {});
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "apt-get").join("\n")).toContain("install unattended-upgrades");
        expect(sb.recFile("apt-holds")).toBe("docker-ce\n");
    });

    it("warns loudly, and goes on, when unattended-upgrades cannot be installed (no mirror)", () => {
        const sb = host(["docker-ce"]);
        const r = runScript(sb, "configure-updates.sh", { STANDIN_APT_EXIT: "100" });
        expect(r.status, r.output).toBe(0);
        expect(r.stderr).toContain("WARNING: unattended-upgrades is not installed and apt-get could not install it");
        expect(sb.exists("/etc/apt/apt.conf.d/52sentry-deploy-unattended")).toBe(true);
    });

    it.each(["4:30", "24:00", "04:30; reboot"])("refuses REBOOT_WINDOW=%s", (bad) => {
        const sb = host();
        const r = runScript(sb, "configure-updates.sh", { REBOOT_WINDOW: bad });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("must be a time HH:MM");
        expect(sb.exists("/etc/apt/apt.conf.d/52sentry-deploy-unattended")).toBe(false);
    });
});
