// Docker Engine 29 against install-docker.sh: the data-placement check of issue 8 point 2 run on
// a real 29.x daemon (docker29/build.sh: dockerd, containerd, runc, CLI, Buildx and Compose from
// the Go module proxy) in a sandbox laid out as Docker's apt packages lay a host out
// (docker29/sandbox.sh), with /data as its own ext4 mount. A fresh Docker 29 install uses the
// containerd image store, whose bytes live in containerd's root, not in Docker's data-root: the
// test proves that every byte the engine stores lands on /data, measured with `du`.
//
// Then sentry:mirrors on that engine, in a sandbox whose network is its loopback and nothing
// else: a git mirror (`git daemon`) of the real getsentry/self-hosted and a real registry
// (CNCF Distribution v3.1.2, docker29/build.sh registry) serving as both the ghcr.io/Docker Hub
// prefix mirror and Docker Hub's `registry-mirrors`. The program's rendered steps check out
// 26.8.0 from the git mirror and configure it; real Compose reads the real compose file with
// the project's .env.custom and override, and every image it names is pulled (and the clickhouse
// image built, by BuildKit) through the registry, whose access log shows each request.
// Stand-in: the images' content (one small local image pushed under every mirrored name; the
// real images cannot be had here). The names, the registry, the pulls and the builds are real.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseConfig } from "../../config";
import { stepEnvironments, StepName } from "../../components/host/provisioner";
import { renderStepCommand } from "../../components/host/render";
import { ADMIN_EMAIL, E2E_DIR, REPO_DIR, RunOptions, RunResult, Runner, Scenario } from "./lib";

const BUILD = path.join(E2E_DIR, "docker29", "build.sh");
const SANDBOX = path.join(E2E_DIR, "docker29", "sandbox.sh");
const PROJECT_DIR = process.env.E2E_PROJECT_DIR ?? REPO_DIR;
const DOCKER_VERSION = "29.8.1";
const DATA_ROOT = "/data/docker";
const PAYLOAD_MIB = 8;
const SENTRY_VERSION = "26.8.0";
const DATA_DIR = "/data";
const SENTRY_DIR = `${DATA_DIR}/self-hosted`;
const STATE_DIR = `${DATA_DIR}/sentry-deploy`;
// The mirrors, on the sandbox's loopback: one registry serves the prefix mirrors of the three
// registries 26.8.0 pulls from (/v2/ghcr/..., /v2/hub/..., /v2/gitlab/...; the README's
// example) and Docker Hub's registry-mirrors (/v2/library/...).
const REGISTRY = "127.0.0.1:5000";
// docker0's address: the first /24 of the program's default sentry:dockerAddressPool 10.250.0.0/16.
const DOCKER_BRIDGE = "10.250.0.1";
const GIT_PORT = 9418;
const APT_PORT = 8080;
const APT_REPO = path.join(E2E_DIR, "docker29", "apt-repo.sh");
const MIRRORS = {
    selfHostedRepo: `git://127.0.0.1:${GIT_PORT}/self-hosted.git`,
    dockerHub: [`http://${REGISTRY}`],
    registries: { "ghcr.io": `${REGISTRY}/ghcr`, "docker.io": `${REGISTRY}/hub`, "registry.gitlab.com": `${REGISTRY}/gitlab` },
    // tinyproxy in the sandbox, on Docker's bridge address: the image builds' containers run on
    // that bridge, where a loopback proxy would be the container itself (the loader refuses one).
    buildProxy: `http://${DOCKER_BRIDGE}:3128`,
    // apt-repo.sh's repository, served on the sandbox's loopback (the script appends /<os>).
    dockerApt: `http://127.0.0.1:${APT_PORT}/linux`,
};
// The compose command install.sh runs (install/dc-detect-version.sh), with every profile.
const COMPOSE = "docker compose --ansi never --env-file .env --env-file .env.custom --profile feature-complete";
// What the root file system may grow by, outside /var/log (the daemons' logs: the journal on a
// real host), /etc (the configuration install-docker.sh writes on purpose: daemon.json,
// containerd's config.toml, unit drop-ins; the step's env file), /usr/local/lib/sentry-deploy
// (the step's script and lib.sh, kept on the host on purpose) and /tmp (the image tarball, the
// step's command). Measured with
// containerd's root on /data: 12 KiB, the three empty directories /opt/containerd/{,bin,lib}
// that containerd's "opt" plugin creates at every start; nothing else.
const ROOT_ALLOWANCE_KIB = 64;

/** The program's step inputs for a host with sentry:mirrors, from a stack's settings as the loader reads them. */
function mirroredStepEnvironments(): Record<StepName, Record<string, string>> {
    const values: Record<string, string> = {
        "aws:region": "cn-northwest-1",
        "sentry:adminPassword": "E2e-docker29-password-0123",
        "sentry:adminEmail": ADMIN_EMAIL,
        "sentry:profile": "errors-only",
        "sentry:sentryVersion": SENTRY_VERSION,
        "sentry:instanceType": "c6i.xlarge",
        "sentry:webCidrs": JSON.stringify(["100.64.10.0/24"]),
        "sentry:adminSshCidrs": JSON.stringify(["100.64.10.7/32"]),
        "sentry:mirrors": JSON.stringify(MIRRORS),
    };
    const config = parseConfig({ values, isSecret: (k) => k === "sentry:adminPassword" }, "staging");
    return stepEnvironments({ storage: { dataDir: DATA_DIR }, sentry: config.sentry, publicUrl: "http://10.0.0.5:9000", sshUser: "ubuntu", sshPublicKeys: [] });
}

/** A step's command as the program renders it, with the scripts of the project under test. */
function stepCommand(step: StepName, env: Record<string, string>): string {
    const script = (f: string) => fs.readFileSync(path.join(PROJECT_DIR, "components", "host", "scripts", f), "utf8");
    return renderStepCommand(step, script(`${step}.sh`), env, script("lib.sh"));
}

/** A sandbox host (docker29/sandbox.sh) in a temporary folder, with the program's steps to run in it. */
class Sandbox {
    readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-docker29-"));
    readonly runner = new Runner(path.join(this.tmp, "logs"));
    readonly dir = path.join(this.tmp, "sandbox");
    readonly root = path.join(this.dir, "root");
    readonly envs = mirroredStepEnvironments();
    private started = false;

    async start(build: string, packages: "with-docker" | "without-docker"): Promise<void> {
        await this.runner.run("sandbox-start", "bash", [SANDBOX, "start", this.dir, build, packages], { timeoutMs: 15 * 60_000 });
        this.started = true;
    }

    /** Runs a shell script as root inside the sandbox. */
    exec(label: string, script: string, opts: RunOptions = {}): Promise<RunResult> {
        return this.runner.run(`sandbox-${label}`, "bash", [SANDBOX, "exec", this.dir, "/bin/bash", "-ec", script], { timeoutMs: 5 * 60_000, ...opts });
    }

    /** Runs a rendered step in the sandbox as the host would (its command text from a file, not an argument). */
    runStep(step: StepName, opts: RunOptions = {}): Promise<RunResult> {
        fs.writeFileSync(path.join(this.root, "tmp", `step-${step}.sh`), stepCommand(step, this.envs[step]), { mode: 0o600 });
        return this.exec(step, `bash /tmp/step-${step}.sh`, opts);
    }

    /** Stops the sandbox; removes the folder unless the scenario failed or E2E_KEEP=1. */
    async stop(failed: boolean): Promise<void> {
        if (this.started) {
            await this.runner.run("sandbox-stop", "bash", [SANDBOX, "stop", this.dir], { allowFail: true });
        }
        if (failed || process.env.E2E_KEEP === "1") {
            console.warn(`e2e: kept ${this.tmp} (logs/, sandbox/root, sandbox/data.img)`);
        } else {
            fs.rmSync(this.tmp, { recursive: true, force: true });
        }
    }
}

/** KiB used below `dir` on its own file system (`du -skx`), 0 when absent. */
function duKib(dir: string, exclude: string[] = []): number {
    if (!fs.existsSync(dir)) {
        return 0;
    }
    const out = execFileSync("du", ["-skx", ...exclude.map((e) => `--exclude=${e}`), dir], { encoding: "utf8" });
    return Number(out.split(/\s/)[0]);
}

describe(`Docker Engine ${DOCKER_VERSION} (containerd image store): every byte on the data volume`, () => {
    const sb = new Sandbox();
    const { runner, root } = sb;
    const scenario = new Scenario();
    // Root file system paths that do not count (see ROOT_ALLOWANCE_KIB), relative to the root.
    const notCounted = ["./var/log", "./etc", "./usr/local/lib/sentry-deploy", "./tmp"];
    const rootKib = () => duKib(root, notCounted.map((p) => path.join(root, p)));
    let rootBefore = 0;
    /** sandbox.sh's cached Debian bookworm root (apt, deb.debian.org over http): the stand-in for debian:bookworm-slim. */
    let debianRootfs = "";
    const sandbox = (label: string, script: string, opts: RunOptions = {}) => sb.exec(label, script, opts);
    const info = async (format: string): Promise<string> => (await sandbox("docker-info", `docker info --format '${format}'`)).stdout.trim();
    const { envs } = sb;
    const runStep = (step: StepName, opts: RunOptions = {}) => sb.runStep(step, opts);
    /** The registry's access log (Apache combined format) from line `from` on: "METHOD path" per request. */
    const registryRequests = (from = 0): string[] =>
        fs
            .readFileSync(path.join(root, "var/log/registry.log"), "utf8")
            .split("\n")
            .map((l) => / - - \[[^\]]+\] "(\S+ \S+) HTTP/.exec(l)?.[1])
            .filter((r): r is string => r !== undefined)
            .slice(from);

    beforeAll(async () => {
        const t0 = Date.now();
        const build = (await runner.run("build", "bash", [BUILD], { timeoutMs: 45 * 60_000 })).stdout.trim();
        const registryBuild = (await runner.run("build-registry", "bash", [BUILD, "registry"], { timeoutMs: 30 * 60_000 })).stdout.trim();
        const selfHosted = (await runner.run("self-hosted", "bash", [path.join(E2E_DIR, "self-hosted.sh")], { timeoutMs: 10 * 60_000 })).stdout.trim();
        debianRootfs = (await runner.run("rootfs", "bash", [SANDBOX, "rootfs"], { timeoutMs: 15 * 60_000 })).stdout.trim();
        const t1 = Date.now();
        await sb.start(build, "with-docker");
        const t2 = Date.now();
        // The mirrors' programs and data (test equipment: a company's mirror, not the host's software).
        fs.copyFileSync(path.join(registryBuild, "bin", "registry"), path.join(root, "usr/local/bin/registry"));
        fs.chmodSync(path.join(root, "usr/local/bin/registry"), 0o755);
        fs.mkdirSync(path.join(root, "etc/distribution"));
        fs.writeFileSync(
            path.join(root, "etc/distribution/config.yml"),
            ["version: 0.1", "log:", "  level: info", "storage:", "  filesystem:", "    rootdirectory: /tmp/registry", "http:", `  addr: ${REGISTRY}`, ""].join("\n"),
        );
        await runner.run("git-mirror", "git", ["clone", "-q", "--bare", selfHosted, path.join(root, "srv/mirror/self-hosted.git")]);
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

    afterAll(() => sb.stop(scenario.failed));

    scenario.step(`install-docker.sh finds Docker ${DOCKER_VERSION} and Compose as installed, configures and starts them, and its own check passes`, async () => {
        const t = Date.now();
        expect(envs["install-docker"]).toMatchObject({ DOCKER_DATA_ROOT: DATA_ROOT, DOCKER_REGISTRY_MIRRORS: MIRRORS.dockerHub.join(" ") });
        const r = await runStep("install-docker");
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
        expect(d["registry-mirrors"]).toEqual(MIRRORS.dockerHub);
        expect(await info("{{json .RegistryConfig.Mirrors}}")).toBe(JSON.stringify(MIRRORS.dockerHub.map((m) => `${m}/`)));
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

    // ---- sentry:mirrors on Docker 29 (issue 13): the sandbox reaches its loopback and nothing else.

    scenario.step("the mirrors run on the sandbox's loopback (a git daemon, a registry); nothing else is reachable", async () => {
        await sandbox("mirrors-start", [
            `nohup git daemon --reuseaddr --export-all --verbose --base-path=/srv/mirror --listen=127.0.0.1 --port=${GIT_PORT} /srv/mirror </dev/null >/var/log/git-mirror.log 2>&1 &`,
            "nohup registry serve /etc/distribution/config.yml </dev/null >/var/log/registry.log 2>&1 &",
            `for i in $(seq 100); do curl -sf http://${REGISTRY}/v2/ >/dev/null && git ls-remote -q ${MIRRORS.selfHostedRepo} ${SENTRY_VERSION} >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`,
        ].join("\n"));
        // No default route (only loopback and Docker's own bridges): Docker Hub, ghcr.io and GitHub
        // cannot be reached (a check that could not fail would prove nothing: each attempt must
        // fail, by name and by address).
        const probe = await sandbox(
            "egress-probe",
            "ip route show; ip -4 route show default | grep -q . && echo has-default-route || echo no-default-route; for u in https://registry-1.docker.io/v2/ https://ghcr.io/v2/ https://github.com/ http://192.0.2.1/; do curl -s --max-time 5 -o /dev/null \"$u\" && echo \"reached $u\" || echo \"unreachable $u\"; done",
        );
        expect(probe.stdout).toContain("no-default-route");
        expect(probe.stdout.split("\n").filter((l) => / dev /.test(l) && !/ dev (docker0|br-[0-9a-f]+) /.test(l))).toEqual([]);
        expect(probe.stdout).not.toContain("reached");
        expect(probe.stdout.match(/unreachable/g)).toHaveLength(4);
    });

    /** The checkout's .env.custom as configure-sentry.sh wrote it. */
    let custom = "";

    scenario.step(`checkout-self-hosted and configure-sentry, rendered with sentry:mirrors, check out ${SENTRY_VERSION} from the git mirror and name its images from the registry`, async () => {
        expect(envs["checkout-self-hosted"].SENTRY_REPO_URL).toBe(MIRRORS.selfHostedRepo);
        expect(envs["configure-sentry"].SENTRY_IMAGE_MIRRORS).toBe(`docker.io=${REGISTRY}/hub ghcr.io=${REGISTRY}/ghcr registry.gitlab.com=${REGISTRY}/gitlab`);
        await runStep("checkout-self-hosted");
        const configured = await runStep("configure-sentry");
        expect(configured.stdout + configured.stderr).not.toContain("no mirror for");
        expect(fs.readFileSync(path.join(root, "var/log/git-mirror.log"), "utf8")).toMatch(/Request upload-pack for '\/self-hosted\.git'/);
        const head = await sandbox("checkout", `cd ${SENTRY_DIR} && git -c safe.directory='*' describe --tags --exact-match && git -c safe.directory='*' remote get-url origin`);
        expect(head.stdout.trim().split("\n")).toEqual([SENTRY_VERSION, MIRRORS.selfHostedRepo]);
        // /data is mounted in the sandbox's own mount namespace: read it from inside.
        custom = (await sandbox("env-custom", `cat ${SENTRY_DIR}/.env.custom`)).stdout;
        expect(custom).toContain(`\nSENTRY_IMAGE=${REGISTRY}/ghcr/getsentry/sentry:${SENTRY_VERSION}\n`);
    });

    /** Every image the checkout's services run or build from, as real Compose resolves them (name -> services). */
    const images = new Map<string, string[]>();
    /** The images services build from (their *IMAGE build arguments), pulled by the build itself. */
    const buildBases = new Set<string>();
    /** The image the installer's build of clickhouse makes. */
    let clickhouseImage = "";

    scenario.step("real Compose with the 26.8.0 compose file, .env, .env.custom and the override names every image from the registry mirror", async () => {
        const out = (await sandbox("compose-config", `cd ${SENTRY_DIR} && ${COMPOSE} config --format json`)).stdout;
        const services = (JSON.parse(out) as { services: Record<string, { image?: string; build?: { args?: Record<string, string> } }> }).services;
        const add = (ref: string, service: string) => images.set(ref, [...(images.get(ref) ?? []), service]);
        for (const [name, svc] of Object.entries(services)) {
            if (name === "clickhouse") clickhouseImage = svc.image ?? "";
            if (svc.build) {
                // Built here; what it is built from is a build argument (SENTRY_IMAGE, BASE_IMAGE),
                // a local image when it names one of the checkout's own (sentry-self-hosted-*).
                for (const [arg, ref] of Object.entries(svc.build.args ?? {})) {
                    if (/IMAGE$/.test(arg) && !/^sentry-self-hosted-/.test(ref)) {
                        add(ref, `${name} (build ${arg})`);
                        buildBases.add(ref);
                    }
                }
            } else if (svc.image) {
                add(svc.image, name);
            }
        }
        const list = [...images].map(([ref, by]) => `${ref}  <- ${by.join(", ")}`).join("\n");
        console.log(`docker29: ${images.size} images from ${Object.keys(services).length} services:\n${list}`);
        const unmirrored = [...images.keys()].filter((ref) => !ref.startsWith(`${REGISTRY}/`));
        expect(unmirrored, `images not named from the mirror:\n${list}`).toEqual([]);
        // What 26.8.0 runs from each registry: Sentry's own images from ghcr.io, the rest from Docker Hub.
        expect(images.has(`${REGISTRY}/ghcr/getsentry/sentry:${SENTRY_VERSION}`)).toBe(true);
        expect(images.has(`${REGISTRY}/ghcr/getsentry/relay:${SENTRY_VERSION}`)).toBe(true);
        expect([...images.keys()].some((ref) => ref.startsWith(`${REGISTRY}/hub/library/nginx:`))).toBe(true);
        expect(images.has(`${REGISTRY}/gitlab/egos-tech/smtp`)).toBe(true);
        expect([...buildBases].some((ref) => ref.startsWith(`${REGISTRY}/hub/altinity/clickhouse-server:`))).toBe(true);
        expect(images.size).toBeGreaterThanOrEqual(12);
    });

    scenario.step("upstream's own install/update-docker-images.sh pulls every one of them from the registry, and the installer's build of clickhouse takes its base from it", async () => {
        // The stand-in image under every mirrored name (its content is not the real image's). A
        // reference pinned by digest (seaweedfs: tag@sha256:...) names the real image's content,
        // which the stand-in cannot have: the installer's pull of it fails here (it ignores pull
        // failures), and it is pulled once more by its mirrored name and tag alone.
        const unpinned = (ref: string) => ref.replace(/@sha256:[0-9a-f]{64}$/, "");
        const tagged = (ref: string) => (/:[^/]+$/.test(ref) ? ref : `${ref}:latest`);
        const refs = [...new Set([...images.keys()].map((ref) => tagged(unpinned(ref))))];
        const pinned = [...images.keys()].filter((ref) => unpinned(ref) !== ref).map(unpinned);
        await sandbox("mirror-push", refs.map((ref) => `docker tag sentry-e2e/docker29:local ${ref}\ndocker push -q ${ref} >/dev/null`).join("\n"));
        await sandbox("mirror-rmi", `docker rmi ${refs.join(" ")} >/dev/null`);
        const listImages = async (label: string) => (await sandbox(label, "docker image ls --format '{{.Repository}}:{{.Tag}}'")).stdout.split("\n");
        expect((await listImages("images-before")).filter((l) => refs.includes(l))).toEqual([]);
        const from = registryRequests().length;
        const t = Date.now();
        // What install.sh does, from the checkout's own files: _lib.sh reads .env.custom, then
        // .env for what it leaves unset; dc-detect-version.sh defines $dc and $dcb;
        // update-docker-images.sh runs `$dc pull` and `docker pull` of each *_IMAGE; then
        // build-docker-images.sh's `$dcb <service>` for clickhouse, whose Dockerfile is
        // `FROM ${BASE_IMAGE}` alone (web's pip-installs from GitHub, which the stand-in cannot).
        const installer = await sandbox("installer-pulls", [
            `cd ${SENTRY_DIR}`,
            "source install/_lib.sh",
            "source install/dc-detect-version.sh",
            "source install/update-docker-images.sh",
            "$dcb --progress plain clickhouse",
            ...pinned.map((ref) => `docker pull -q ${ref} >/dev/null`),
        ].join("\n"), { timeoutMs: 10 * 60_000 });
        console.log(`docker29: the installer's pulls of ${refs.length} images and its clickhouse build through the mirror took ${((Date.now() - t) / 1000).toFixed(1)} s`);
        const requests = registryRequests(from);
        const asked = new Set(
            requests
                .map((r) => /^(?:GET|HEAD) \/v2\/(.+)\/manifests\/([^/?]+)/.exec(r))
                .filter((m): m is RegExpExecArray => m !== null && !m[2].startsWith("sha256:"))
                .map((m) => `${REGISTRY}/${m[1]}:${m[2]}`),
        );
        expect(refs.filter((ref) => !asked.has(ref)), `images the registry was not asked for:\n${requests.join("\n")}\n${installer.stdout}`).toEqual([]);
        // Every image a service runs, and each *_IMAGE of .env.custom, is now an image here; a
        // base only a build uses (clickhouse's) is in BuildKit's cache, not in the image list.
        const present = await listImages("images-after");
        const envImages = new Set([...custom.matchAll(/^[A-Z_]+_IMAGE=(\S+)$/gm)].map((m) => m[1]));
        const run = refs.filter((ref) => envImages.has(ref) || !buildBases.has(ref));
        expect(run.length).toBe(refs.length - 1);
        expect(run.filter((ref) => !present.includes(ref)), `mirrored images missing after the pulls:\n${installer.stdout}${installer.stderr}`).toEqual([]);
        expect(clickhouseImage).toMatch(/-self-hosted-local$/);
        expect(present).toContain(tagged(clickhouseImage));
        expect(installer.stdout + installer.stderr).toMatch(/load metadata for 127\.0\.0\.1:5000\/hub\/altinity\/clickhouse-server:25\.3\.6\.10034\.altinitystable/);
    });

    scenario.step("install.sh's own builds on Docker 29: a FROM already tagged locally contacts no registry; a Docker Hub FROM goes to registry-mirrors", async () => {
        // install-sentry.sh pulls the images install.sh uses without compose from the prefix
        // mirror and tags them with the name install.sh uses (26.8.0's jq/Dockerfile: FROM
        // debian:bookworm-slim). BuildKit then takes the local image: the registry sees nothing.
        const jqFrom = (await sandbox("jq-from", `sed -n -E 's/^FROM[[:space:]]+([^[:space:]]+)[[:space:]]*$/\\1/p' ${SENTRY_DIR}/jq/Dockerfile`)).stdout.trim();
        expect(jqFrom).toBe("debian:bookworm-slim");
        const prefixed = `${REGISTRY}/hub/library/${jqFrom}`;
        const hubMirrored = `${REGISTRY}/library/${jqFrom}`;
        await sandbox("jq-base-push", [prefixed, hubMirrored, `${REGISTRY}/library/busybox:latest`].map((ref) => `docker tag sentry-e2e/docker29:local ${ref} && docker push -q ${ref} >/dev/null && docker rmi ${ref} >/dev/null`).join("\n"));
        // A build of jq/Dockerfile's FROM line (its apt-get install jq needs Debian's archive: buildProxy).
        await sandbox("jq-dir", `mkdir -p /tmp/jq-from && head -n 1 ${SENTRY_DIR}/jq/Dockerfile > /tmp/jq-from/Dockerfile && printf 'COPY Dockerfile /from\\n' >> /tmp/jq-from/Dockerfile`);
        await sandbox("jq-pull-tag", `docker pull -q ${prefixed} >/dev/null && docker tag ${prefixed} ${jqFrom}`);
        let from = registryRequests().length;
        await sandbox("jq-build-local", "docker buildx version && docker build -q -t sentry-e2e/jq-from /tmp/jq-from >/dev/null");
        expect(registryRequests(from), "BuildKit asked a registry for an image it had locally").toEqual([]);
        // Without the local tag, BuildKit resolves docker.io/library/debian through daemon.json's
        // registry-mirrors, as the engine's own pulls do (busybox: install.sh's requirement checks).
        await sandbox("jq-untag", `docker rmi ${jqFrom} ${prefixed} sentry-e2e/jq-from >/dev/null && docker builder prune -af >/dev/null`);
        from = registryRequests().length;
        await sandbox("jq-build-hub", "docker build -q -t sentry-e2e/jq-from /tmp/jq-from >/dev/null && docker pull -q busybox >/dev/null");
        const hub = registryRequests(from);
        expect(hub).toContainEqual(expect.stringMatching(new RegExp(`^(HEAD|GET) /v2/library/debian/manifests/bookworm-slim\\?ns=docker\\.io$`)));
        expect(hub).toContainEqual(expect.stringMatching(/^(HEAD|GET) \/v2\/library\/busybox\/manifests\/latest\?ns=docker\.io$/));
        // A Docker Hub name the mirror does not hold fails: there is no other way out.
        const missing = await sandbox("hub-missing", "docker pull -q library/hello-world:latest", { allowFail: true });
        expect(missing.code).not.toBe(0);
        expect(registryRequests(from)).toContainEqual(expect.stringMatching(/^(HEAD|GET) \/v2\/library\/hello-world\/manifests\/latest\?ns=docker\.io$/));
    });

    scenario.step("the real install-sentry.sh runs the real install.sh with sentry:mirrors.buildProxy: its installer images come from the mirror and its first image build's downloads go to the proxy", async () => {
        // The proxy: tinyproxy (Debian's), on every address of the sandbox, with no way out either.
        const bridge = await sandbox("docker0", "ip -4 -o addr show docker0");
        expect(bridge.stdout).toContain(` ${DOCKER_BRIDGE}/24 `);
        fs.writeFileSync(
            path.join(root, "etc/tinyproxy/sentry-e2e.conf"),
            ["User nobody", "Group nogroup", "Port 3128", "Timeout 20", 'LogFile "/var/log/tinyproxy/sentry-e2e.log"', "LogLevel Info", "MaxClients 20", "Allow 127.0.0.1", "Allow 10.250.0.0/16", ""].join("\n"),
        );
        await sandbox("proxy-start", [
            "install -d -o nobody -g nogroup /var/log/tinyproxy",
            "nohup tinyproxy -d -c /etc/tinyproxy/sentry-e2e.conf </dev/null >/var/log/tinyproxy/stdout.log 2>&1 &",
            `for i in $(seq 50); do curl -s -o /dev/null --max-time 2 http://${DOCKER_BRIDGE}:3128/ && exit 0; sleep 0.1; done; exit 1`,
        ].join("\n"));
        // What the installer uses outside compose, under the prefix mirror's names: busybox (its
        // requirement checks) and debian:bookworm-slim (jq/Dockerfile's FROM), whose stand-in here
        // is a Debian bookworm root with apt, so the jq build's RUN really runs apt-get.
        fs.copyFileSync(debianRootfs, path.join(root, "tmp/debian-rootfs.tar.gz"));
        await sandbox("installer-images-push", [
            `docker import /tmp/debian-rootfs.tar.gz ${REGISTRY}/hub/library/debian:bookworm-slim >/dev/null`,
            `docker push -q ${REGISTRY}/hub/library/debian:bookworm-slim >/dev/null`,
            `docker tag sentry-e2e/docker29:local ${REGISTRY}/hub/library/busybox:latest`,
            `docker push -q ${REGISTRY}/hub/library/busybox:latest >/dev/null`,
            `docker rmi ${REGISTRY}/hub/library/debian:bookworm-slim ${REGISTRY}/hub/library/busybox:latest >/dev/null`,
            "rm /tmp/debian-rootfs.tar.gz",
        ].join("\n"), { timeoutMs: 10 * 60_000 });
        const from = registryRequests().length;
        expect(envs["install-sentry"]).toMatchObject({ SENTRY_BUILD_PROXY: MIRRORS.buildProxy, SENTRY_IMAGE_MIRRORS: envs["configure-sentry"].SENTRY_IMAGE_MIRRORS });
        const t = Date.now();
        const r = await runStep("install-sentry", { allowFail: true, timeoutMs: 10 * 60_000 });
        const output = r.stdout + r.stderr;
        const log = (await sandbox("install-log", `cat ${STATE_DIR}/install-${SENTRY_VERSION}.log`)).stdout;
        const proxyLog = fs.readFileSync(path.join(root, "var/log/tinyproxy/sentry-e2e.log"), "utf8");
        console.log(`docker29: install-sentry.sh ${((Date.now() - t) / 1000).toFixed(1)} s, exit ${r.code}\n${output}\n--- proxy log\n${proxyLog}`);
        // install-sentry.sh pulled both from the mirror and gave them install.sh's names.
        const asked = registryRequests(from);
        for (const repo of ["hub/library/busybox", "hub/library/debian"]) {
            expect(asked, repo).toContainEqual(expect.stringMatching(new RegExp(`^(HEAD|GET) /v2/${repo}/manifests/(latest|bookworm-slim)$`)));
        }
        expect(output).toContain(`pulling debian:bookworm-slim from the mirror as ${REGISTRY}/hub/library/debian:bookworm-slim`);
        expect(output).toContain(`install.sh's image builds go through the proxy ${MIRRORS.buildProxy}`);
        // install.sh's first build (install/error-handling.sh: the jq image) ran apt-get, which
        // asked the proxy for Debian's index. The proxy cannot reach Debian either, so the build
        // and install.sh fail there; the proof is that the request went to the proxy.
        expect(log).toMatch(/apt-get update/);
        expect(log).toContain(`[IP: ${DOCKER_BRIDGE} 3128]`);
        expect(proxyLog).toMatch(/Request \(file descriptor \d+\): GET http:\/\/deb\.debian\.org\/debian\/dists\/bookworm\/InRelease/);
        expect(r.code).not.toBe(0);
        expect(output).toMatch(/install\.sh failed \(exit \d+\)/);
    });
});

describe(`Docker Engine ${DOCKER_VERSION} installed by install-docker.sh from a mirror of Docker's apt repository, with no route out`, () => {
    const sb = new Sandbox();
    const scenario = new Scenario();
    const mirrorLog = () => fs.readFileSync(path.join(sb.root, "var/log/apt-mirror.log"), "utf8");

    beforeAll(async () => {
        const build = (await sb.runner.run("build", "bash", [BUILD], { timeoutMs: 45 * 60_000 })).stdout.trim();
        await sb.runner.run("apt-tools", "bash", [
            "-c",
            "command -v dpkg-scanpackages >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev >/dev/null; }; }",
        ], { timeoutMs: 10 * 60_000 });
        await sb.start(build, "without-docker");
        // The mirror: apt-repo.sh's signed repository of the five packages, served by Python's
        // http.server (a stand-in for the mirror's web server; its access log is the record).
        await sb.runner.run("apt-repo", "bash", [APT_REPO, build, path.join(sb.root, "srv/apt-mirror")], { timeoutMs: 10 * 60_000 });
        await sb.exec("apt-mirror-start", [
            `nohup python3 -m http.server ${APT_PORT} --bind 127.0.0.1 --directory /srv/apt-mirror </dev/null >/var/log/apt-mirror.log 2>&1 &`,
            `for i in $(seq 50); do curl -sf -o /dev/null ${MIRRORS.dockerApt}/debian/gpg && exit 0; sleep 0.1; done; exit 1`,
        ].join("\n"));
    }, 60 * 60_000);

    afterAll(() => sb.stop(scenario.failed));

    scenario.step("the host has no Docker, and no route out", async () => {
        const r = await sb.exec("before", "command -v docker containerd dockerd || echo none; ip -4 route show default | grep -q . && echo has-default-route || echo no-default-route");
        expect(r.stdout.trim().split("\n")).toEqual(["none", "no-default-route"]);
    });

    scenario.step("the rendered install-docker step installs the five packages from the mirror, verified with the mirror's key, and Docker 29 runs", async () => {
        expect(sb.envs["install-docker"]).toMatchObject({ DOCKER_APT_REPO_URL: MIRRORS.dockerApt });
        expect(sb.envs["install-docker"].DOCKER_APT_KEY_URL).toBeUndefined();
        const t = Date.now();
        const r = await sb.runStep("install-docker", { timeoutMs: 10 * 60_000 });
        console.log(`docker29 apt: install-docker.sh ${((Date.now() - t) / 1000).toFixed(1)} s\n${r.stdout}${r.stderr}`);
        expect(r.stdout).toContain("installing docker-ce and docker-compose-plugin from Docker's apt repository (debian bookworm, amd64)");
        expect(r.stdout).toContain(`Docker Engine ${DOCKER_VERSION}`);
        // apt wrote Docker's source with the mirror and the key it fetched from the mirror
        // (DOCKER_APT_KEY_URL unset: <repo>/<os>/gpg, as Docker's own layout has it).
        const source = (await sb.exec("docker-list", "cat /etc/apt/sources.list.d/docker.list")).stdout.trim();
        expect(source).toBe(`deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] ${MIRRORS.dockerApt}/debian bookworm stable`);
        const key = await sb.exec("key", "cmp /etc/apt/keyrings/docker.asc /srv/apt-mirror/linux/debian/gpg && echo same-key");
        expect(key.stdout).toContain("same-key");
        const packages = (await sb.exec("dpkg", "dpkg-query -W -f '${Package} ${Version} ${Status}\\n' docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin")).stdout;
        for (const p of ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]) {
            expect(packages).toMatch(new RegExp(`^${p.replace(/\./g, "\\.")} \\S+~bookworm install ok installed$`, "m"));
        }
        // Every package came from the mirror: its log has the key, the signed index and each .deb.
        const served = mirrorLog();
        for (const f of ["/linux/debian/gpg", "/linux/debian/dists/bookworm/InRelease", "/linux/debian/dists/bookworm/stable/binary-amd64/Packages"]) {
            expect(served).toContain(`"GET ${f}`);
        }
        expect(served.match(/"GET \/linux\/debian\/pool\/stable\/amd64\/[a-z.-]+_[0-9.]+_amd64\.deb HTTP/g)).toHaveLength(5);
        // The packages' own containerd config.toml (a conffile) did not replace the one
        // install-docker.sh wrote before installing them: containerd's root is on /data.
        const apt = (await sb.exec("apt-log", "cat /var/log/sentry-install-docker.log")).stdout;
        expect(apt).toContain("Keeping old config file as default");
        expect((await sb.exec("containerd-root", "containerd config dump | grep '^root = '")).stdout.trim()).toBe("root = '/data/containerd'");
        const info = await sb.exec("info", "docker info --format '{{.ServerVersion}} {{.DockerRootDir}}' && docker compose version --short && docker buildx version");
        expect(info.stdout).toMatch(new RegExp(`^${DOCKER_VERSION.replace(/\./g, "\\.")} ${DATA_ROOT}\n`));
        // Debian's own archive (the sandbox's sources.list) was unreachable and apt went on
        // without it; sentry:mirrors.ubuntuApt rewrites Ubuntu's archive, not Debian's.
        expect(apt).toMatch(/Temporary failure resolving 'deb\.debian\.org'|Could not resolve 'deb\.debian\.org'/);
    });

    scenario.step("a second run installs nothing and downloads nothing", async () => {
        const before = mirrorLog().length;
        const r = await sb.runStep("install-docker");
        expect(r.stdout).toMatch(new RegExp(`docker ${DOCKER_VERSION.replace(/\./g, "\\.")} and compose \\S+ already installed`));
        expect(mirrorLog().slice(before)).toBe("");
    });
});
