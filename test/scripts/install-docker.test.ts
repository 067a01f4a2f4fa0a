import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { STANDIN_BIN, callsOf, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const PACKAGES = "docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin";

function ubuntuHost(): Sandbox {
  const sb = makeSandbox();
  sb.write("/etc/os-release", 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nID=ubuntu\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n');
  fs.mkdirSync(sb.host("/data"), { recursive: true });
  return sb;
}

const base = { DOCKER_DATA_ROOT: "/data/docker" };
const DROP_INS = ["/etc/systemd/system/docker.service.d/sentry-data-mount.conf", "/etc/systemd/system/containerd.service.d/sentry-data-mount.conf"];
const dockerRunning = (sb: Sandbox) => {
  sb.writeRec("systemd/docker.active", "");
  sb.writeRec("systemd/docker.enabled", "");
};
const serviceChanges = (sb: Sandbox) =>
  callsOf(sb, "systemctl").filter((l) => !/ (is-active|is-enabled) /.test(l));

describe("install-docker.sh on a host without Docker", () => {
  it("writes daemon.json before installing Docker from Docker's apt repository", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_MISSING: "1" });
    expect(r.status, r.output).toBe(0);

    const daemon = JSON.parse(sb.read("/etc/docker/daemon.json"));
    expect(daemon).toEqual({
      "data-root": "/data/docker",
      "log-driver": "local",
      "log-opts": { "max-size": "20m", "max-file": "5" },
      "default-address-pools": [{ base: "10.250.0.0/16", size: 24 }],
    });
    // The docker-ce package found the final daemon.json when it was installed (and started).
    expect(sb.recFile("daemon-json-at-docker-install")).toBe(sb.read("/etc/docker/daemon.json"));

    expect(sb.read("/etc/apt/sources.list.d/docker.list")).toBe(
      "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n",
    );
    expect(sb.read("/etc/apt/keyrings/docker.asc")).toContain("BEGIN PGP PUBLIC KEY BLOCK");
    expect(callsOf(sb, "curl")[0]).toContain("https://download.docker.com/linux/ubuntu/gpg");
    const apt = callsOf(sb, "apt-get");
    expect(apt.at(-2)).toMatch(/ update$/);
    expect(apt.at(-1)).toMatch(new RegExp(` install ${PACKAGES}$`));
    expect(serviceChanges(sb)).not.toContain("systemctl restart docker");
    expect(callsOf(sb, "docker")).toContain("docker info --format {{.DockerRootDir}}|{{.Driver}}|{{json .DriverStatus}}");
    expect(r.stdout).toContain(
      "Docker Engine 28.5.1, Compose 2.40.3, graph driver overlay2; data root /data/docker and containerd root /data/containerd on the data volume",
    );
  });

  it("changes nothing on a second run", () => {
    const sb = ubuntuHost();
    const env = { ...base, STANDIN_DOCKER_MISSING: "1" };
    expect(runScript(sb, "install-docker.sh", env).status).toBe(0);
    const owned = ["/etc/docker/daemon.json", "/etc/containerd/config.toml", ...DROP_INS, "/etc/apt/sources.list.d/docker.list", "/etc/apt/keyrings/docker.asc"];
    const before = owned.map(sb.read);
    sb.clearCalls();
    const r = runScript(sb, "install-docker.sh", env);
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "apt-get")).toEqual([]);
    expect(callsOf(sb, "curl")).toEqual([]);
    expect(serviceChanges(sb)).toEqual([]);
    expect(owned.map(sb.read)).toEqual(before);
  });

  it("uses the Debian suite and the dpkg architecture", () => {
    const sb = makeSandbox();
    sb.write("/etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n");
    fs.mkdirSync(sb.host("/data"));
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_MISSING: "1", STANDIN_DPKG_ARCH: "arm64" });
    expect(r.status, r.output).toBe(0);
    expect(sb.read("/etc/apt/sources.list.d/docker.list")).toBe(
      "deb [arch=arm64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n",
    );
  });

  it("refuses other distributions with a clear message", () => {
    const sb = makeSandbox();
    sb.write("/etc/os-release", "ID=fedora\nVERSION_CODENAME=\n");
    fs.mkdirSync(sb.host("/data"));
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_MISSING: "1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Ubuntu or Debian only (found ID='fedora')");
    expect(callsOf(sb, "apt-get")).toEqual([]);
  });

  it("fails naming the apt-get command and its log when apt-get fails", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_MISSING: "1", STANDIN_APT_EXIT: "100" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("apt-get update failed; full log in /var/log/sentry-install-docker.log");
    // with the tail of apt-get's log, to show why
    expect(r.stderr).toMatch(/apt-get .*: done \(stand-in\)/);
    expect(callsOf(sb, "apt-get")).toHaveLength(1);
  });
});

describe("install-docker.sh keeps every image on the data volume, whichever image store Docker uses", () => {
  const DOCKER_29 = { ...base, STANDIN_DOCKER_MISSING: "1", STANDIN_APT_DOCKER_VERSION: "29.1.2" };

  it("moves containerd's root to the data volume before containerd.io is installed (Docker 29's containerd image store)", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", DOCKER_29);
    expect(r.status, r.output).toBe(0);
    const toml = sb.read("/etc/containerd/config.toml");
    expect(toml).toMatch(/^root = "\/data\/containerd"$/m);
    expect(toml).toMatch(/^version = 2$/m);
    expect(toml).toMatch(/^disabled_plugins = \["io\.containerd\.grpc\.v1\.cri"\]$/m);
    // containerd.io found it when it was installed (and first started), and dpkg keeps it.
    expect(sb.recFile("containerd-toml-at-docker-install")).toBe(toml);
    expect(callsOf(sb, "apt-get").at(-1)).toContain("-o Dpkg::Options::=--force-confold");
    // Asked before (the root it had) and after (the root it has).
    expect(callsOf(sb, "containerd")).toEqual(["containerd config dump", "containerd config dump"]);
    expect(r.stdout).toContain(
      "Docker Engine 29.1.2, Compose 2.40.3, containerd image store (overlayfs snapshotter); data root /data/docker and containerd root /data/containerd on the data volume",
    );
  });

  // A real containerd binary (e.g. the one the real-Docker test host builds), when given.
  const realContainerd = process.env.REAL_CONTAINERD;
  it.skipIf(realContainerd === undefined)("writes a config.toml that a real containerd (1.7 or 2.x) loads with the root on the data volume", () => {
    const sb = ubuntuHost();
    expect(runScript(sb, "install-docker.sh", DOCKER_29).status).toBe(0);
    const r = spawnSync(realContainerd as string, ["--config", sb.host("/etc/containerd/config.toml"), "config", "dump"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^root = ["']\/data\/containerd["']$/m);
    expect(r.stdout).toMatch(/^disabled_plugins = \[["']io\.containerd\.grpc\.v1\.cri["']\]$/m);
  });

  it("takes CONTAINERD_ROOT and keeps the config.toml it found once", () => {
    const sb = ubuntuHost();
    sb.write("/etc/containerd/config.toml", 'disabled_plugins = ["cri"]\n');
    const r = runScript(sb, "install-docker.sh", { ...DOCKER_29, CONTAINERD_ROOT: "/data/ctr" });
    expect(r.status, r.output).toBe(0);
    expect(sb.read("/etc/containerd/config.toml")).toMatch(/^root = "\/data\/ctr"$/m);
    expect(sb.read("/etc/containerd/config.toml.before-install-docker")).toBe('disabled_plugins = ["cri"]\n');
  });

  it.each(["containerd", "overlay2"])("fails when containerd runs with its root on the root disk (image store %s)", (store) => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...DOCKER_29, STANDIN_DOCKER_IMAGE_STORE: store, STANDIN_CONTAINERD_ROOT: "/var/lib/containerd" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("containerd uses root '/var/lib/containerd', not CONTAINERD_ROOT=/data/containerd");
  });

  it.skipIf(fs.statSync("/dev/shm", { throwIfNoEntry: false })?.dev === fs.statSync(os.tmpdir()).dev)(
    "fails when Docker's data root is not on the data volume's filesystem",
    () => {
      const sb = ubuntuHost();
      // /data/docker on another filesystem than /data: what Docker finds when it starts before the mount.
      const elsewhere = fs.mkdtempSync("/dev/shm/install-docker-test-");
      try {
        fs.symlinkSync(elsewhere, sb.host("/data/docker"));
        const r = runScript(sb, "install-docker.sh", DOCKER_29);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("/data/docker is not on the filesystem of /data (the data volume)");
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    },
  );

  it.each([
    ["no containerd root of its own", { CONTAINERD_ROOT: "/data/docker" }, "CONTAINERD_ROOT='/data/docker' must be a directory of its own"],
    ["inside the data root", { CONTAINERD_ROOT: "/data/docker/containerd" }, "CONTAINERD_ROOT='/data/docker/containerd'"],
    ["relative", { CONTAINERD_ROOT: "data/containerd" }, "CONTAINERD_ROOT='data/containerd'"],
  ])("refuses %s before touching anything", (_name, env, message) => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, ...env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(sb.calls()).toEqual([]);
  });
});

describe("install-docker.sh binds Docker and containerd to the data mount (reboots)", () => {
  const dropIn = (unit: string) =>
    [
      "# Managed by install-docker.sh; edits are overwritten.",
      "# The data volume is mounted with nofail, which orders nothing: without this,",
      `# ${unit} could start before it after a reboot, fill an empty directory on the`,
      "# root disk and run Sentry without its data. Start only after the mounts",
      "# holding these paths, and fail (not run on the root disk) when one fails.",
      "[Unit]",
      "RequiresMountsFor=/data/docker /data/containerd",
      "",
    ].join("\n");

  it("writes RequiresMountsFor drop-ins for docker.service and containerd.service, and reloads systemd, before Docker is installed", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_MISSING: "1" });
    expect(r.status, r.output).toBe(0);
    expect(DROP_INS.map(sb.read)).toEqual([dropIn("docker"), dropIn("containerd")]);
    // The packages start both daemons when they are installed: the drop-ins were there and loaded.
    expect(sb.recFile("dropins-at-docker-install")).toBe(DROP_INS.map((f, i) => `== ${f}\n${[dropIn("docker"), dropIn("containerd")][i]}`).join(""));
    const calls = sb.calls();
    const reload = calls.indexOf("systemctl daemon-reload");
    const install = calls.findIndex((l) => / install .*docker-ce /.test(l));
    expect(reload).toBeGreaterThan(-1);
    expect(reload).toBeLessThan(install);
    expect(calls.slice(install).filter((l) => /^systemctl (start|restart)/.test(l))).toEqual([]);
  });

  it("moves a running containerd's root: stops Docker, then containerd, copies the content over, starts both", () => {
    const sb = ubuntuHost();
    dockerRunning(sb);
    sb.writeRec("systemd/containerd.active", "");
    // Images of Docker 29's containerd image store, built on this host: no registry has them.
    sb.write("/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/abc", "layer");
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_VERSION: "29.1.2" });
    expect(r.status, r.output).toBe(0);
    expect(serviceChanges(sb)).toEqual(["systemctl daemon-reload", "systemctl stop docker", "systemctl stop containerd", "systemctl start containerd", "systemctl start docker"]);
    expect(sb.read("/data/containerd/io.containerd.content.v1.content/blobs/sha256/abc")).toBe("layer");
    expect(r.stdout).toContain("copying containerd's content (1 MB) from /var/lib/containerd to /data/containerd; remove /var/lib/containerd once Sentry runs");
    // A second run moves nothing again.
    sb.clearCalls();
    expect(runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_VERSION: "29.1.2" }).status).toBe(0);
    expect(serviceChanges(sb)).toEqual([]);
  });
});

describe("install-docker.sh with Docker already present", () => {
  it("installs nothing when docker and compose are new enough", () => {
    const sb = ubuntuHost();
    dockerRunning(sb);
    sb.write("/etc/docker/daemon.json", "{}\n");
    const r = runScript(sb, "install-docker.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "apt-get")).toEqual([]);
    // daemon.json changed while docker ran: exactly one restart to apply it (the new
    // drop-ins need only a reload; they apply from the next start).
    expect(serviceChanges(sb)).toEqual(["systemctl daemon-reload", "systemctl restart docker"]);
    expect(sb.read("/etc/docker/daemon.json.before-install-docker")).toBe("{}\n");

    sb.clearCalls();
    expect(runScript(sb, "install-docker.sh", base).status).toBe(0);
    expect(serviceChanges(sb)).toEqual([]);
  });

  it.each([
    ["docker too old", { STANDIN_DOCKER_VERSION: "19.03.5" }],
    ["compose too old (the seed's 2.20.2)", { STANDIN_COMPOSE_VERSION: "2.20.2" }],
    ["compose plugin missing", { STANDIN_COMPOSE_VERSION: "missing" }],
  ])("upgrades from Docker's repository when %s", (_name, env) => {
    const sb = ubuntuHost();
    dockerRunning(sb);
    const r = runScript(sb, "install-docker.sh", { ...base, ...env });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "apt-get").at(-1)).toMatch(new RegExp(` install ${PACKAGES}$`));
  });

  it("fails naming MIN_COMPOSE_VERSION when compose is still too old after installing", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", {
      ...base,
      STANDIN_COMPOSE_VERSION: "2.20.2",
      STANDIN_APT_COMPOSE_VERSION: "2.20.2",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Docker Compose 2.20.2 is older than MIN_COMPOSE_VERSION=2.32.2");
  });

  it("fails naming MIN_DOCKER_VERSION when the engine is too old", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, MIN_DOCKER_VERSION: "99.0.0" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Docker Engine 28.5.1 is older than MIN_DOCKER_VERSION=99.0.0");
  });

  it("does not count the standalone docker-compose v1", () => {
    const sb = ubuntuHost();
    const bin = `${sb.scratch}/bin`;
    fs.mkdirSync(bin);
    fs.writeFileSync(`${bin}/docker-compose`, "#!/bin/sh\necho 1.29.2\n", { mode: 0o755 });
    const r = runScript(
      sb,
      "install-docker.sh",
      { ...base, STANDIN_COMPOSE_VERSION: "missing", STANDIN_APT_COMPOSE_VERSION: "missing" },
      { binDir: `${bin}:${STANDIN_BIN}` },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Compose v2 plugin ('docker compose') is not installed");
    expect(r.stderr).toContain("standalone docker-compose");
  });

  it("fails clearly when the daemon does not answer", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { ...base, STANDIN_DOCKER_DAEMON_DOWN: "1", DOCKER_START_WAIT_SECONDS: "1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("the Docker daemon does not answer");
  });
});

describe("install-docker.sh inputs", () => {
  it("renders custom pools and log limits", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", {
      ...base,
      DOCKER_ADDRESS_POOL_BASE: "192.168.128.0/17",
      DOCKER_ADDRESS_POOL_SIZE: "26",
      DOCKER_LOG_MAX_SIZE: "50m",
      DOCKER_LOG_MAX_FILE: "3",
    });
    expect(r.status, r.output).toBe(0);
    const daemon = JSON.parse(sb.read("/etc/docker/daemon.json"));
    expect(daemon["default-address-pools"]).toEqual([{ base: "192.168.128.0/17", size: 26 }]);
    expect(daemon["log-opts"]).toEqual({ "max-size": "50m", "max-file": "3" });
  });

  it("refuses to run before the data volume's directory exists", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "install-docker.sh", { DOCKER_DATA_ROOT: "/data/docker" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("run prepare-data.sh first");
    expect(sb.exists("/etc/docker/daemon.json")).toBe(false);
    expect(sb.calls()).toEqual([]);
  });

  const cases: [string, Record<string, string>, string][] = [
    ["missing data root", {}, "DOCKER_DATA_ROOT is required"],
    ["relative data root", { DOCKER_DATA_ROOT: "data/docker" }, "DOCKER_DATA_ROOT='data/docker'"],
    ["pool base not a CIDR", { ...base, DOCKER_ADDRESS_POOL_BASE: "10.250.0.0" }, "DOCKER_ADDRESS_POOL_BASE='10.250.0.0'"],
    ["pool base octet > 255", { ...base, DOCKER_ADDRESS_POOL_BASE: "10.256.0.0/16" }, "DOCKER_ADDRESS_POOL_BASE='10.256.0.0/16'"],
    ["pool size wider than the pool", { ...base, DOCKER_ADDRESS_POOL_SIZE: "12" }, "DOCKER_ADDRESS_POOL_SIZE='12'"],
    ["log size without unit", { ...base, DOCKER_LOG_MAX_SIZE: "20" }, "DOCKER_LOG_MAX_SIZE='20'"],
    ["log files zero", { ...base, DOCKER_LOG_MAX_FILE: "0" }, "DOCKER_LOG_MAX_FILE='0'"],
    ["bad minimum version", { ...base, MIN_COMPOSE_VERSION: "v2" }, "MIN_COMPOSE_VERSION='v2'"],
  ];
  it.each(cases)("%s fails before touching anything", (_name, env, message) => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(sb.calls()).toEqual([]);
    expect(sb.exists("/etc/docker/daemon.json")).toBe(false);
  });
});
