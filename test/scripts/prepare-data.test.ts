import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { callsOf, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const VOL = "vol-0123456789abcdef0";
const SERIAL = "vol0123456789abcdef0";
const UUID = "5f1c0a2e-7b3d-4e8f-9a6b-0c1d2e3f4a5b";
const ROOT_FSTAB = "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\n# a comment\n";
const MUTATING = ["mkfs.ext4", "mkfs.xfs", "mount", "swapon", "swapoff", "mkswap", "fallocate", "systemctl"];

/** A Nitro host: the volume as /dev/nvme1n1 with its by-id link. */
function nitroHost(opts: { byId?: boolean } = {}): Sandbox {
  const sb = makeSandbox();
  sb.write("/etc/fstab", ROOT_FSTAB);
  sb.write("/dev/nvme0n1", "");
  sb.write("/dev/nvme1n1", "");
  if (opts.byId ?? true) {
    fs.mkdirSync(sb.host("/dev/disk/by-id"), { recursive: true });
    fs.symlinkSync("../../nvme1n1", sb.host(`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${SERIAL}`));
  }
  return sb;
}

function mutatingCalls(sb: Sandbox): string[] {
  return sb.calls().filter((l) => MUTATING.includes(l.split(" ")[0]));
}

describe("prepare-data.sh with an EBS volume", () => {
  it("formats the empty volume, mounts it by UUID with nofail and creates the directories", () => {
    const sb = nitroHost();
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status, r.output).toBe(0);
    const dev = sb.host("/dev/nvme1n1");
    expect(callsOf(sb, "mkfs.ext4")).toEqual([`mkfs.ext4 -q -L sentry-data ${dev}`]);
    expect(callsOf(sb, "mount")).toEqual([`mount -t ext4 ${dev} ${sb.host("/data")}`]);
    // Grown to fill the device, so a volume resized in AWS is usable after the next deploy.
    expect(callsOf(sb, "resize2fs")).toEqual([`resize2fs ${dev}`]);
    expect(sb.read("/etc/fstab")).toBe(`${ROOT_FSTAB}UUID=${UUID} /data ext4 defaults,nofail 0 2\n`);
    expect(callsOf(sb, "systemctl")).toEqual(["systemctl daemon-reload"]);
    expect(fs.statSync(sb.host("/data/sentry-deploy")).mode & 0o777).toBe(0o700);
    expect(fs.statSync(sb.host("/data/docker")).isDirectory()).toBe(true);
    expect(sb.exists("/data/self-hosted")).toBe(false);
    expect(sb.exists("/data/swapfile")).toBe(false);
  });

  it("changes nothing on a second run", () => {
    const sb = nitroHost();
    const env = { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, SWAP_SIZE_GB: "2" };
    expect(runScript(sb, "prepare-data.sh", env).status).toBe(0);
    const fstab = sb.read("/etc/fstab");
    const swaps = sb.read("/proc/swaps");
    sb.clearCalls();
    const r = runScript(sb, "prepare-data.sh", env);
    expect(r.status, r.output).toBe(0);
    expect(mutatingCalls(sb)).toEqual([]);
    expect(sb.read("/etc/fstab")).toBe(fstab);
    expect(sb.read("/proc/swaps")).toBe(swaps);
  });

  it("finds the volume by its NVMe serial when the by-id link is missing", () => {
    const sb = nitroHost({ byId: false });
    const lsblk = [`NAME="nvme0n1" SERIAL="vol0aaaaaaaaaaaaaaaa" TYPE="disk"`, `NAME="nvme1n1" SERIAL="${SERIAL}" TYPE="disk"`].join("\n");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, STANDIN_LSBLK: lsblk });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "mkfs.ext4")).toEqual([`mkfs.ext4 -q -L sentry-data ${sb.host("/dev/nvme1n1")}`]);
  });

  it("accepts the single Xen data disk (/dev/xvdf) when the instance has no NVMe", () => {
    const sb = makeSandbox();
    sb.write("/dev/xvdf", "");
    const lsblk = [`NAME="xvda" SERIAL="" TYPE="disk"`, `NAME="xvdf" SERIAL="" TYPE="disk"`].join("\n");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, STANDIN_LSBLK: lsblk });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "mount")).toEqual([`mount -t ext4 ${sb.host("/dev/xvdf")} ${sb.host("/data")}`]);
  });

  it("refuses to guess between several Xen disks and points to DATA_DEVICE", () => {
    const sb = makeSandbox();
    const lsblk = [`NAME="xvda" SERIAL="" TYPE="disk"`, `NAME="xvdf" SERIAL="" TYPE="disk"`, `NAME="xvdg" SERIAL="" TYPE="disk"`].join("\n");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, STANDIN_LSBLK: lsblk });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("xvdf xvdg");
    expect(r.stderr).toContain("DATA_DEVICE");
    expect(mutatingCalls(sb)).toEqual([]);
  });

  it("fails naming the volume when it does not appear within DEVICE_WAIT_SECONDS", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "prepare-data.sh", {
      DATA_DIR: "/data",
      DATA_VOLUME_ID: VOL,
      DEVICE_WAIT_SECONDS: "1",
      STANDIN_LSBLK: `NAME="nvme0n1" SERIAL="vol0aaaaaaaaaaaaaaaa" TYPE="disk"`,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`EBS volume ${VOL} did not appear within 1s`);
    expect(r.stderr).toContain("DEVICE_WAIT_SECONDS");
    expect(mutatingCalls(sb)).toEqual([]);
  });

  it("never reformats: an existing filesystem is kept (and its type used)", () => {
    const sb = nitroHost();
    sb.writeRec("blkid/nvme1n1", `UUID=1111aaaa-2222-3333-4444-555566667777\nTYPE=xfs\n`);
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "mkfs.ext4")).toEqual([]);
    expect(callsOf(sb, "mkfs.xfs")).toEqual([]);
    expect(sb.read("/etc/fstab")).toContain("UUID=1111aaaa-2222-3333-4444-555566667777 /data xfs defaults,nofail 0 0\n");
  });

  it("refuses to format a device that has a partition table but no filesystem", () => {
    const sb = nitroHost();
    sb.writeRec("blkid/nvme1n1", "PTTYPE=gpt\n");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("partition table");
    expect(mutatingCalls(sb)).toEqual([]);
    expect(sb.read("/etc/fstab")).toBe(ROOT_FSTAB);
  });

  it("refuses a device blkid cannot identify unambiguously", () => {
    const sb = nitroHost();
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, STANDIN_BLKID_EXIT: "8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("blkid could not identify /dev/nvme1n1 unambiguously (exit 8)");
    expect(r.stderr).toContain("wipefs -n /dev/nvme1n1");
    expect(mutatingCalls(sb)).toEqual([]);
    expect(sb.read("/etc/fstab")).toBe(ROOT_FSTAB);
  });

  it("replaces an old fstab line for the mount point in place (one line per mount point)", () => {
    const sb = nitroHost();
    sb.write("/etc/fstab", `${ROOT_FSTAB}UUID=old-uuid /data ext4 defaults 0 2\n/dev/sdz /other ext4 defaults 0 2\n`);
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status, r.output).toBe(0);
    expect(sb.read("/etc/fstab")).toBe(`${ROOT_FSTAB}UUID=${UUID} /data ext4 defaults,nofail 0 2\n/dev/sdz /other ext4 defaults 0 2\n`);
  });

  it("refuses when DATA_DIR is mounted from another device", () => {
    const sb = nitroHost();
    sb.write("/dev/sdq", "");
    sb.write("/proc/self/mounts", `${sb.host("/dev/sdq")} ${sb.host("/data")} ext4 rw 0 0\n`);
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("already mounted from /dev/sdq");
    expect(callsOf(sb, "mount")).toEqual([]);
  });

  it("refuses to mount over a non-empty DATA_DIR", () => {
    const sb = nitroHost();
    sb.write("/data/precious.txt", "keep me");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("not empty");
    expect(callsOf(sb, "mount")).toEqual([]);
  });
});

describe("prepare-data.sh with DATA_DEVICE or a plain directory", () => {
  it("uses an explicit DATA_DEVICE", () => {
    const sb = makeSandbox();
    sb.write("/dev/sdb", "");
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/srv-data", DATA_DEVICE: "/dev/sdb", DATA_FS_TYPE: "xfs" });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "mkfs.xfs")).toEqual([`mkfs.xfs -q -L sentry-data ${sb.host("/dev/sdb")}`]);
    expect(sb.read("/etc/fstab")).toBe(`UUID=${UUID} /srv-data xfs defaults,nofail 0 0\n`);
    expect(callsOf(sb, "xfs_growfs")).toEqual([`xfs_growfs ${sb.host("/srv-data")}`]);
  });

  it("fails naming the device when the filesystem cannot be grown", () => {
    const sb = nitroHost();
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, STANDIN_GROW_FAIL: "1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("could not grow the ext4 filesystem on /dev/nvme1n1 (resize2fs /dev/nvme1n1)");
  });

  it("fails clearly when DATA_DEVICE does not exist", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", DATA_DEVICE: "/dev/sdx" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("DATA_DEVICE='/dev/sdx' does not exist");
  });

  it("without a device, only creates directories on the existing filesystem", () => {
    const sb = makeSandbox();
    sb.write("/etc/fstab", ROOT_FSTAB);
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data" });
    expect(r.status, r.output).toBe(0);
    expect(mutatingCalls(sb)).toEqual([]);
    expect(sb.read("/etc/fstab")).toBe(ROOT_FSTAB);
    expect(fs.statSync(sb.host("/data/sentry-deploy")).mode & 0o777).toBe(0o700);
    expect(fs.statSync(sb.host("/data/docker")).isDirectory()).toBe(true);
  });
});

describe("prepare-data.sh swap file", () => {
  it("creates, enables and registers the swap file, and recreates it when the size changes", () => {
    const sb = makeSandbox();
    sb.write("/etc/fstab", ROOT_FSTAB);
    let r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", SWAP_SIZE_GB: "2" });
    expect(r.status, r.output).toBe(0);
    const swapfile = sb.host("/data/swapfile");
    expect(fs.statSync(swapfile).size).toBe(2 * 1024 ** 3);
    expect(fs.statSync(swapfile).mode & 0o777).toBe(0o600);
    expect(callsOf(sb, "mkswap")).toEqual([`mkswap ${swapfile}.partial`]);
    expect(callsOf(sb, "swapon")).toEqual([`swapon ${swapfile}`]);
    expect(sb.read("/etc/fstab")).toBe(`${ROOT_FSTAB}/data/swapfile none swap sw,nofail 0 0\n`);

    sb.clearCalls();
    r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", SWAP_SIZE_GB: "1" });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "swapoff")).toEqual([`swapoff ${swapfile}`]);
    expect(callsOf(sb, "swapon")).toEqual([`swapon ${swapfile}`]);
    expect(fs.statSync(swapfile).size).toBe(1024 ** 3);
    expect(sb.read("/etc/fstab")).toBe(`${ROOT_FSTAB}/data/swapfile none swap sw,nofail 0 0\n`);
    expect(sb.read("/proc/swaps").split("\n").filter((l) => l.startsWith(swapfile))).toHaveLength(1);
  });

  it("SWAP_SIZE_GB=0 turns an existing swap file off and removes it", () => {
    const sb = makeSandbox();
    sb.write("/etc/fstab", ROOT_FSTAB);
    expect(runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", SWAP_SIZE_GB: "1" }).status).toBe(0);
    const r = runScript(sb, "prepare-data.sh", { DATA_DIR: "/data", SWAP_SIZE_GB: "0" });
    expect(r.status, r.output).toBe(0);
    expect(sb.exists("/data/swapfile")).toBe(false);
    expect(sb.read("/etc/fstab")).toBe(ROOT_FSTAB);
    expect(sb.read("/proc/swaps")).not.toContain("swapfile");
  });
});

describe("prepare-data.sh input validation", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["missing DATA_DIR", {}, "DATA_DIR is required"],
    ["relative DATA_DIR", { DATA_DIR: "data" }, "DATA_DIR='data'"],
    ["trailing slash", { DATA_DIR: "/data/" }, "DATA_DIR='/data/'"],
    ["system directory", { DATA_DIR: "/var" }, "DATA_DIR='/var' is a system directory"],
    ["malformed volume id", { DATA_DIR: "/data", DATA_VOLUME_ID: "vol-xyz" }, "DATA_VOLUME_ID='vol-xyz'"],
    ["both device kinds", { DATA_DIR: "/data", DATA_VOLUME_ID: VOL, DATA_DEVICE: "/dev/sdb" }, "set only one"],
    ["unsupported filesystem", { DATA_DIR: "/data", DATA_FS_TYPE: "btrfs" }, "DATA_FS_TYPE='btrfs'"],
    ["bad swap size", { DATA_DIR: "/data", SWAP_SIZE_GB: "16G" }, "SWAP_SIZE_GB='16G'"],
    ["bad wait", { DATA_DIR: "/data", DEVICE_WAIT_SECONDS: "five" }, "DEVICE_WAIT_SECONDS='five'"],
  ];
  it.each(cases)("%s fails before touching anything", (_name, env, message) => {
    const sb = makeSandbox();
    const r = runScript(sb, "prepare-data.sh", env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(sb.calls()).toEqual([]);
    expect(sb.exists("/data")).toBe(false);
  });
});
