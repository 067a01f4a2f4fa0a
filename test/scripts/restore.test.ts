// A data volume restored from a snapshot (sentry:dataSnapshotId) on a new host: the steps that
// run on it recognise the installation found there and neither reformat nor reinstall. Real
// bash; blkid, mount (which makes the volume's content appear), docker and install.sh are the
// recording stand-ins of test/fixtures.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SELF_HOSTED_FIXTURE, SENTRY_DIR, STATE_DIR, callsOf, installerRuns, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const VOL = "vol-0123456789abcdef0";

/** A new Nitro host whose data volume, made from a snapshot, holds an ext4 filesystem with Sentry 26.8.0 installed on it. */
function restoredHost() {
    const sb = makeSandbox();
    sb.write("/etc/fstab", "");
    sb.write("/dev/nvme1n1", "");
    fs.mkdirSync(sb.host("/dev/disk/by-id"), { recursive: true });
    fs.symlinkSync("../../nvme1n1", sb.host("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"));
    sb.writeRec("blkid/nvme1n1", "UUID=1111aaaa-2222-3333-4444-555566667777\nTYPE=ext4\n");
    const volume = path.join(sb.rec, "volume", "nvme1n1");
    fs.cpSync(SELF_HOSTED_FIXTURE, path.join(volume, "self-hosted"), { recursive: true });
    fs.writeFileSync(path.join(volume, "self-hosted", ".env.custom"), "COMPOSE_PROFILES=errors-only\n");
    fs.mkdirSync(path.join(volume, "sentry-deploy"), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(volume, "sentry-deploy", "installed"), "26.8.0 errors-only\n");
    fs.writeFileSync(path.join(volume, "sentry-deploy", "installed-version"), "26.8.0\n");
    fs.mkdirSync(path.join(volume, "docker"), { recursive: true });
    return sb;
}

describe("restore onto a new host", () => {
    it("mounts the restored volume as it is, stops nothing and does not re-run the installer for the same version", () => {
        const sb = restoredHost();
        let r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "mkfs.ext4")).toEqual([]);
        expect(r.stdout).toContain("found an existing Sentry installation on /data: 26.8.0 errors-only (kept as it is: no format, no reinstall of the same version)");
        expect(sb.read(`${STATE_DIR}/installed`)).toBe("26.8.0 errors-only\n");

        r = runScript(sb, "stop-for-upgrade.sh", { SENTRY_DIR, SENTRY_STATE_DIR: STATE_DIR, SENTRY_VERSION: "26.8.0" });
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "docker")).toEqual([]);

        r = runScript(sb, "install-sentry.sh", { SENTRY_DIR, SENTRY_VERSION: "26.8.0", SENTRY_PROFILE: "errors-only", SENTRY_STATE_DIR: STATE_DIR });
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain("already installed");
        expect(installerRuns(sb)).toEqual([]);
    });

    it("a fresh volume says nothing of an installation", () => {
        const sb = makeSandbox();
        const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data" });
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).not.toContain("existing Sentry installation");
    });
});
