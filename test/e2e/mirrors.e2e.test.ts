// Mirrors with egress blocked: the test host's network namespace lets out nothing but its own
// loopback (where the mirrors run) and the SSH replies to the machine running the test; every
// other outgoing packet is rejected by iptables and counted. The program's ten rendered steps,
// with sentry:mirrors pointing at the mirrors inside the host, then run over real SSH as in
// scripts.e2e.test.ts, and the reject counter must stay at zero while the mirror's own log shows
// it served the checkout.
//
// Real here: the git mirror (`git daemon`, smart protocol, so the script's shallow clone works),
// git, bash, the scripts, SSH, iptables in the host's namespace. Stand-ins (scripts.e2e's): Docker
// and self-hosted's install.sh (test/fixtures), so image pulls and the installer's own downloads
// are recorded, not made: what this run proves for images is that the mirrored names are what the
// checkout's .env.custom, compose override and daemon.json carry. Docker's apt repository is
// not contacted because the stand-in Docker is already installed. The real pulls through a real
// registry, the real apt install from a mirror of Docker's repository and the build proxy with
// the real installer run on a real Docker 29 in docker29.e2e.test.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { STEPS, StepName } from "../../components/host/provisioner";
import { DATA_DIR, SENTRY_DIR, STATE_DIR } from "../scripts/harness";
import { ADMIN_EMAIL, Host, ProcessSampler, RECORD, renderSteps, Runner, Scenario, Step, startTestHost, stopTestHost, URL_1 } from "./lib";

const CHAIN = "SENTRY_E2E_EGRESS";
const GIT_PORT = 9418;
const MIRRORS = {
    selfHostedRepo: `git://127.0.0.1:${GIT_PORT}/self-hosted.git`,
    dockerHub: ["http://127.0.0.1:5001"],
    registries: { "ghcr.io": "127.0.0.1:5000/ghcr", "docker.io": "127.0.0.1:5000/hub" },
};

describe("mirrors with every other egress blocked", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-mirrors-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const scenario = new Scenario();
    let host: Host;
    let sampler: ProcessSampler;

    /** iptables in the host's network namespace, from this machine (the host has none of its own). */
    const ipt = (label: string, ...args: string[]) => runner.run(`iptables-${label}`, "ip", ["netns", "exec", host.info.ns, "iptables", ...args]);
    /** Packets the namespace tried to send anywhere but to its mirrors (the REJECT rule's counter). */
    const rejected = async (): Promise<number> => {
        const out = (await ipt("count", "-L", CHAIN, "-v", "-n", "-x")).stdout;
        const line = out.split("\n").find((l) => /\bREJECT\b/.test(l));
        if (!line) throw new Error(`no REJECT rule in ${CHAIN}:\n${out}`);
        return Number(line.trim().split(/\s+/)[0]);
    };

    beforeAll(async () => {
        // iptables runs on this machine, in the host's namespace (as host.sh installs debootstrap).
        await runner.run("iptables-install", "bash", [
            "-c",
            "command -v iptables >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null; }; }",
        ]);
        ({ host, sampler } = await startTestHost(runner, path.join(tmp, "host")));
    }, 5 * 60_000);

    // host.sh stop ends every process of the host, the git mirror included, and removes its namespace.
    afterAll(() => stopTestHost(host, sampler, tmp, scenario.failed, "(logs/ has every command's output, host/ the host)"), 60_000);

    const step = (name: string, fn: () => Promise<void>) => scenario.step(name, fn);

    step("a git mirror of the self-hosted repository runs inside the host", async () => {
        await host.exec(
            "mirror-start",
            [
                "set -euo pipefail",
                "cd /", // host.sh exec keeps this machine's working directory, which the chroot does not have
                "rm -rf /srv/mirror && mkdir -p /srv/mirror",
                "git clone -q --bare /srv/git/self-hosted.git /srv/mirror/self-hosted.git",
                `nohup git daemon --reuseaddr --export-all --verbose --base-path=/srv/mirror --listen=127.0.0.1 --port=${GIT_PORT} /srv/mirror >/var/log/git-mirror.log 2>&1 &`,
                `for i in $(seq 50); do git ls-remote -q git://127.0.0.1:${GIT_PORT}/self-hosted.git 26.8.0 >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1`,
            ].join("\n"),
        );
        expect(host.read("/var/log/git-mirror.log")).toMatch(/upload-pack|Request/);
    });

    step("egress is blocked: only loopback and SSH replies leave the namespace, and an attempt is counted", async () => {
        await ipt("new", "-N", CHAIN);
        await ipt("hook", "-A", "OUTPUT", "-j", CHAIN);
        await ipt("lo", "-A", CHAIN, "-o", "lo", "-j", "ACCEPT");
        await ipt("ssh", "-A", CHAIN, "-p", "tcp", "--sport", String(host.info.port), "-j", "ACCEPT");
        await ipt("reject", "-A", CHAIN, "-j", "REJECT");
        // The host's namespace has only its /30 to this machine: without a default route an
        // attempt to reach anywhere else would fail before netfilter and never be counted. With
        // one, every such attempt goes through OUTPUT and is rejected and counted.
        await runner.run("default-route", "bash", [
            "-c",
            `dev=$(ip -n ${host.info.ns} -o -4 addr show | awk '$2 != "lo" { print $2; exit }'); ip -n ${host.info.ns} route replace default dev "$dev"`,
        ]);
        // The block works (a check that could not fail would prove nothing): a documentation
        // address and GitHub (by name: DNS to the resolver outside) fail, and are counted.
        const probe = await host.exec(
            "probe",
            "cd /; curl -s --max-time 5 -o /dev/null http://192.0.2.1/ ; echo curl=$?; timeout 10 git ls-remote https://github.com/getsentry/self-hosted.git >/dev/null 2>&1; echo git=$?",
        );
        expect(probe.stdout).toMatch(/curl=(7|28)/);
        expect(probe.stdout).not.toContain("git=0\n");
        expect(await rejected()).toBeGreaterThan(0);
        await ipt("zero", "-Z", CHAIN);
        expect(await rejected()).toBe(0);
    });

    const rendered: Partial<Record<StepName, Step>> = {};

    step("the ten steps with sentry:mirrors provision the host without one packet to anywhere else", async () => {
        const steps = await renderSteps(host, {
            "sentry:adminEmail": ADMIN_EMAIL,
            "sentry:adminPassword": "E2e-mirrors-password-0123",
            "sentry:profile": "errors-only",
            "sentry:publicUrl": URL_1,
            "sentry:sentryVersion": "26.8.0",
            "sentry:swapSizeGb": "0",
            "sentry:mirrors": MIRRORS,
        });
        Object.assign(rendered, steps);
        for (const s of STEPS) {
            await host.ssh(`mirrors-${s}`, steps[s].create, { input: steps[s].stdin ?? "", timeoutMs: 5 * 60_000 });
        }
        expect(await rejected(), "packets rejected while the steps ran (something bypassed the mirrors)").toBe(0);
        expect(host.read(`${STATE_DIR}/installed-version`).trim()).toBe("26.8.0");
        expect(host.lines(`${RECORD}/sentry-users`)).toEqual([ADMIN_EMAIL]);
    });

    step("the checkout came from the mirror, and the mirrored image names are what the host will pull", async () => {
        expect(host.read("/var/log/git-mirror.log")).toMatch(/Request upload-pack for '\/self-hosted\.git'/);
        const origin = await host.exec("origin", `cd / && git -c safe.directory='*' -C ${SENTRY_DIR} remote get-url origin`);
        expect(origin.stdout.trim()).toBe(MIRRORS.selfHostedRepo);
        const custom = host.read(`${SENTRY_DIR}/.env.custom`);
        expect(custom).toContain("\nSENTRY_IMAGE=127.0.0.1:5000/ghcr/getsentry/sentry:26.8.0\n");
        expect(custom).toContain("\nRELAY_IMAGE=127.0.0.1:5000/ghcr/getsentry/relay:26.8.0\n");
        const override = host.read(`${SENTRY_DIR}/docker-compose.override.yml`);
        expect(override).toContain('image: "127.0.0.1:5000/hub/valkey/valkey:8.1-alpine"');
        expect(override).toContain('image: "127.0.0.1:5000/hub/library/nginx:1-alpine"');
        expect(JSON.parse(host.read("/etc/docker/daemon.json"))["registry-mirrors"]).toEqual(MIRRORS.dockerHub);
        expect(JSON.parse(host.read("/etc/docker/daemon.json"))["data-root"]).toBe(`${DATA_DIR}/docker`);
    });
});
