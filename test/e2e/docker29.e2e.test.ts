// Docker Engine 29 against install-docker.sh: the data-placement check of issue 8 point 2 run on
// a real 29.x daemon (docker29/build.sh: dockerd, containerd, runc, CLI and Compose from the Go
// module proxy) in a sandbox laid out as Docker's apt packages lay a host out
// (docker29/sandbox.sh), with /data as its own ext4 mount. A fresh Docker 29 install uses the
// containerd image store, whose bytes live in containerd's root, not in Docker's data-root: the
// test proves that every byte the engine stores lands on /data, measured with `du`.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { E2E_DIR, REPO_DIR, RunOptions, RunResult, Runner, Scenario } from "./lib";

const BUILD = path.join(E2E_DIR, "docker29", "build.sh");
const SANDBOX = path.join(E2E_DIR, "docker29", "sandbox.sh");
const PROJECT_DIR = process.env.E2E_PROJECT_DIR ?? REPO_DIR;
const DOCKER_VERSION = "29.8.1";
const DATA_ROOT = "/data/docker";
// Where provisioned hosts keep the scripts (lib.sh's header), with lib.sh beside them.
const SCRIPTS_DIR = "/usr/local/lib/sentry-deploy";
const PAYLOAD_MIB = 8;
// What the root file system may grow by, outside /var/log (the daemons' logs: the journal on a
// real host), /etc (the configuration install-docker.sh writes on purpose: daemon.json,
// containerd's config.toml, unit drop-ins) and /tmp (the image tarball). Measured with
// containerd's root on /data: 12 KiB, the three empty directories /opt/containerd/{,bin,lib}
// that containerd's "opt" plugin creates at every start; nothing else.
const ROOT_ALLOWANCE_KIB = 64;

/** KiB used below `dir` on its own file system (`du -skx`), 0 when absent. */
function duKib(dir: string, exclude: string[] = []): number {
    if (!fs.existsSync(dir)) {
        return 0;
    }
    const out = execFileSync("du", ["-skx", ...exclude.map((e) => `--exclude=${e}`), dir], { encoding: "utf8" });
    return Number(out.split(/\s/)[0]);
}

describe(`Docker Engine ${DOCKER_VERSION} (containerd image store): every byte on the data volume`, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-docker29-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const dir = path.join(tmp, "sandbox");
    const root = path.join(dir, "root");
    const scenario = new Scenario();
    // Root file system paths that do not count (see ROOT_ALLOWANCE_KIB), relative to the root.
    const notCounted = ["./var/log", "./etc", "./tmp"];
    const rootKib = () => duKib(root, notCounted.map((p) => path.join(root, p)));
    let rootBefore = 0;
    let started = false;

    const sandbox = (label: string, script: string, opts: RunOptions = {}): Promise<RunResult> =>
        runner.run(`sandbox-${label}`, "bash", [SANDBOX, "exec", dir, "/bin/bash", "-ec", script], { timeoutMs: 5 * 60_000, ...opts });

    const info = async (format: string): Promise<string> => (await sandbox("docker-info", `docker info --format '${format}'`)).stdout.trim();

    beforeAll(async () => {
        const t0 = Date.now();
        const build = (await runner.run("build", "bash", [BUILD], { timeoutMs: 45 * 60_000 })).stdout.trim();
        const t1 = Date.now();
        await runner.run("sandbox-start", "bash", [SANDBOX, "start", dir, build], { timeoutMs: 15 * 60_000 });
        started = true;
        const t2 = Date.now();
        for (const f of ["install-docker.sh", "lib.sh"]) {
            fs.mkdirSync(path.join(root, SCRIPTS_DIR), { recursive: true });
            fs.copyFileSync(path.join(PROJECT_DIR, "components", "host", "scripts", f), path.join(root, SCRIPTS_DIR, f));
        }
        // A small local image, no registry: a shell, cat and their C library, plus a payload of
        // random (incompressible) bytes that the container copies into a volume and its own layer.
        const img = path.join(root, "tmp", "image");
        for (const f of ["usr/bin/dash", "usr/bin/cat", "lib/x86_64-linux-gnu/libc.so.6", "lib64/ld-linux-x86-64.so.2"]) {
            const to = path.join(img, f === "usr/bin/dash" ? "bin/sh" : f === "usr/bin/cat" ? "bin/cat" : f);
            fs.mkdirSync(path.dirname(to), { recursive: true });
            fs.copyFileSync(fs.realpathSync(path.join(root, f)), to);
            fs.chmodSync(to, 0o755);
        }
        fs.writeFileSync(path.join(img, "payload"), crypto.randomBytes(PAYLOAD_MIB << 20));
        await runner.run("image-tar", "tar", ["-C", img, "-cf", path.join(root, "tmp", "image.tar"), "."]);
        rootBefore = rootKib();
        console.log(`docker29: build ${((t1 - t0) / 1000).toFixed(1)} s, sandbox ${((t2 - t1) / 1000).toFixed(1)} s, image ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    }, 60 * 60_000); // a cold build (empty Go caches) takes 5-15 minutes on 2 cores

    afterAll(async () => {
        if (started) {
            await runner.run("sandbox-stop", "bash", [SANDBOX, "stop", dir], { allowFail: true });
        }
        if (scenario.failed || process.env.E2E_KEEP === "1") {
            console.warn(`e2e: kept ${tmp} (logs/, sandbox/root, sandbox/data.img)`);
        } else {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    scenario.step(`install-docker.sh finds Docker ${DOCKER_VERSION} and Compose as installed, configures and starts them, and its own check passes`, async () => {
        const t = Date.now();
        const r = await sandbox("install-docker", `DOCKER_DATA_ROOT=${DATA_ROOT} bash ${SCRIPTS_DIR}/install-docker.sh`);
        console.log(`docker29: install-docker.sh ${((Date.now() - t) / 1000).toFixed(1)} s\n${r.stdout}${r.stderr}`);
        expect(r.stdout).toMatch(new RegExp(`docker ${DOCKER_VERSION.replace(/\./g, "\\.")} and compose \\S+ already installed`));
        expect(r.stdout).toContain(`Docker Engine ${DOCKER_VERSION}`);
        // Docker's apt path (and Debian's docker.io) was not needed: nothing was installed.
        expect(fs.existsSync(path.join(root, "var/log/sentry-install-docker.log")), "apt-get ran").toBe(false);
        const dpkg = await sandbox("dpkg", "dpkg-query -W -f '${Package}\\n' 'docker*' 'containerd*' 'runc' 2>/dev/null || true");
        expect(dpkg.stdout.trim()).toBe("");
    });

    scenario.step(`docker info: Docker ${DOCKER_VERSION} on the containerd image store, data root ${DATA_ROOT}`, async () => {
        expect(await info("{{.ServerVersion}}")).toBe(DOCKER_VERSION);
        expect(await info("{{.DockerRootDir}}")).toBe(DATA_ROOT);
        // The containerd image store (the default of a fresh 29 install): Driver is containerd's
        // snapshotter, DriverStatus says so.
        expect(await info("{{.Driver}}")).toBe("overlayfs");
        expect(await info("{{json .DriverStatus}}")).toContain("io.containerd.snapshotter.v1");
        const d = JSON.parse((await sandbox("daemon-json", "cat /etc/docker/daemon.json")).stdout) as Record<string, unknown>;
        expect(d["data-root"]).toBe(DATA_ROOT);
    });

    scenario.step("a local image, a named volume and a container writing into both", async () => {
        const t = Date.now();
        await sandbox("workload", [
            "docker import /tmp/image.tar sentry-e2e/docker29:local >/dev/null",
            "docker volume create sentry-e2e-data >/dev/null",
            "docker run --name sentry-e2e-writer -v sentry-e2e-data:/vol sentry-e2e/docker29:local /bin/sh -c 'cat /payload > /vol/payload && cat /payload > /layer-copy'",
            `test "$(docker volume inspect -f '{{.Mountpoint}}' sentry-e2e-data)" = ${DATA_ROOT}/volumes/sentry-e2e-data/_data`,
        ].join("\n"));
        console.log(`docker29: workload ${((Date.now() - t) / 1000).toFixed(1)} s`);
    });

    scenario.step("every byte Docker and containerd stored is under /data; the root file system did not grow", async () => {
        const data = await sandbox("du-data", "du -skx /data/* | sort -k2");
        const perDir = ["var/lib/docker", "var/lib/containerd"].map((p) => `${p}: ${duKib(path.join(root, p))} KiB`);
        const dataKib = Number((await sandbox("du-data-total", "du -skx /data")).stdout.split(/\s/)[0]);
        const grown = rootKib() - rootBefore;
        const containerdRoot = (await sandbox("containerd-root", "containerd config dump 2>/dev/null | grep '^root = '")).stdout.trim();
        const report = [
            `containerd's configuration: ${containerdRoot} (Docker's data-root: ${DATA_ROOT})`,
            `root file system grew by ${grown} KiB (outside ${notCounted.join(", ")}); allowance ${ROOT_ALLOWANCE_KIB} KiB`,
            `on the root file system: ${perDir.join(", ")}`,
            `/data: ${dataKib} KiB in all:\n${data.stdout.trim()}`,
            `payload: ${PAYLOAD_MIB} MiB, stored 4 times (image content, unpacked snapshot, volume, container layer)`,
        ].join("\n");
        console.log(`docker29: ${report}`);
        expect(grown, report).toBeLessThanOrEqual(ROOT_ALLOWANCE_KIB);
        expect(dataKib, report).toBeGreaterThanOrEqual(3 * PAYLOAD_MIB * 1024);
    });
});
