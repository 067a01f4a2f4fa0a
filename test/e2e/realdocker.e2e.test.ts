// The host steps against the real things: a test host booted with systemd as PID 1
// (host.sh boot), Debian's Docker Engine (docker.io 20.10) and the real Compose v2 plugin in it,
// a loop device as its data disk, and the real getsentry/self-hosted tree at 26.7.2, upgraded
// to 26.8.0. The program's rendered step commands (tools/planner.ts, as in scripts.e2e.test.ts)
// run over real SSH. Only the container images are stand-ins (images/build.sh; README.md says
// where they take over), and the pre-upgrade EBS snapshot, which is a copy of the data disk's
// image taken while Sentry is stopped (what a snapshot of the volume would hold). Checks marked HARDENING name the point of the issue "Hardening: what the real
// upstream, a real Docker and a new user's mistakes reveal" they prove: each failed against the
// scripts before that point's fix (test/e2e/README.md quotes how) and passes with it.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { StepName } from "../../components/host/provisioner";
import { DATA_DIR, SENTRY_DIR, STATE_DIR } from "../scripts/harness";
import { ADMIN_EMAIL, bootTestHost, Host, renderSteps, RunResult, Runner, Scenario, Step, stopTestHost, URL_1 } from "./lib";

/** Installed first, then upgraded from. */
const FROM = "26.7.2";
/** The version of the upgrade and of every check after it. */
const VERSION = "26.8.0";
/**
 * Upstream's healthcheck intervals for this host (E2E_HEALTHCHECK_INTERVAL, default 2s; `upstream`
 * keeps .env's 30s and 60s). Docker 20.10 waits one interval before a container's first check, so
 * every `up --wait` and every `depends_on: service_healthy` waits at least that long; a
 * shorter one is set the way an operator would, in lines of .env.custom outside the managed block
 * (which configure-sentry.sh keeps). The downtime figures printed say which was in force.
 */
const HEALTHCHECK_INTERVAL = process.env.E2E_HEALTHCHECK_INTERVAL ?? "2s";
if (HEALTHCHECK_INTERVAL !== "upstream" && !/^\d+s$/.test(HEALTHCHECK_INTERVAL)) {
    throw new Error(`E2E_HEALTHCHECK_INTERVAL='${HEALTHCHECK_INTERVAL}' must be seconds like 2s, or upstream`);
}
const INTERVALS = HEALTHCHECK_INTERVAL === "upstream" ? "upstream's healthcheck intervals (30 s, 60 s)" : `healthcheck intervals of ${HEALTHCHECK_INTERVAL} (.env.custom)`;
/** The dead-man's switch the heartbeat pings: a listener inside the host (heartbeatReceiver). */
const PING_URL = "http://127.0.0.1:8999/ping";
const COMPOSE = `cd ${SENTRY_DIR} && docker compose --env-file .env --env-file .env.custom`;

describe("a booted host: real Docker, real Compose, the real self-hosted", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-realdocker-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const password = `E2e-${crypto.randomBytes(12).toString("hex")}`;
    let host: Host;
    let repoUrl = "";
    let dataDevice = "";
    const scenario = new Scenario();
    const step = (name: string, fn: () => Promise<void>) => scenario.step(name, fn);
    const check = (name: string, fn: () => Promise<void>) => scenario.check(name, fn);

    const rendered = new Map<string, Promise<Record<StepName, Step>>>();
    /** The program's steps for this host (cached per input): the profile, version and config on top of the base. */
    const render = (profile: "errors-only" | "feature-complete", version = VERSION, extra: Record<string, unknown> = {}) => {
        const key = JSON.stringify([profile, version, dataDevice, extra]);
        if (!rendered.has(key)) {
            rendered.set(
                key,
                renderSteps(
                    host,
                    {
                        "sentry:adminPassword": password,
                        "sentry:adminEmail": ADMIN_EMAIL,
                        "sentry:publicUrl": URL_1,
                        "sentry:profile": profile,
                        "sentry:sentryVersion": version,
                        "sentry:mirrors": { selfHostedRepo: repoUrl },
                        "sentry:swapSizeGb": "0",
                        "sentry:heartbeatUrl": PING_URL,
                        ...extra,
                    },
                    { dataDevice },
                ),
            );
        }
        return rendered.get(key) as Promise<Record<StepName, Step>>;
    };
    const renderTls = () => render("errors-only", VERSION, { "sentry:publicUrl": "https://sentry-e2e.example.test", "sentry:behindTlsProxy": true });
    const ssh = (label: string, s: Step, allowFail = false): Promise<RunResult> => host.ssh(label, s.create, { input: s.stdin ?? "", allowFail, timeoutMs: 20 * 60_000 });
    const runSteps = async (label: string, steps: Record<StepName, Step>, which: readonly StepName[]) => {
        for (const s of which) {
            await ssh(`${label}-${s}`, steps[s]);
        }
    };
    const sh = async (label: string, snippet: string) => (await host.exec(label, snippet)).stdout.trim();
    const lines = (text: string) => text.split("\n").filter((l) => l !== "").sort();
    /** Bytes of files under `dir` on its own file system only (du -sxb), 0 when it does not exist. */
    const du = async (dir: string) => Number((await sh(`du-${dir}`, `if [ -e ${dir} ]; then du -sxb ${dir} | cut -f1; else echo 0; fi`)) || 0);
    const profileServices = () => sh("config-services", `${COMPOSE} config --services`).then(lines);
    const runningServices = () => sh("ps-services", `${COMPOSE} ps --status running --format '{{.Service}}'`).then(lines);
    /** Compose services of every container of the project that is up (any profile, `docker ps`). */
    const upContainers = () => sh("docker-ps", `docker ps --filter label=com.docker.compose.project=sentry-self-hosted --format '{{.Label "com.docker.compose.service"}}'`).then(lines);

    /** Requests the dead-man's switch (the e2e-ping listener) has answered so far. */
    const pings = async () => Number(await sh("pings", `journalctl -u e2e-ping -o cat --no-pager | grep -c '"GET /ping ' || true`));
    /** One heartbeat run by systemd now (the timer's service, started by hand); its summary line. */
    const heartbeatNow = async (label: string) => {
        // A timer run already in flight may have measured before the change under test, and
        // `systemctl start` of a running oneshot only waits for it: wait until no run is in
        // flight, then start one of our own and take its line. reset-failed clears systemd's
        // start limit (5 starts in 10 s), which these back-to-back runs would otherwise hit.
        await sh(`${label}-settle`, "for i in $(seq 1 120); do case $(systemctl show -p ActiveState --value sentry-heartbeat.service) in activating | deactivating) sleep 0.5 ;; *) break ;; esac; done");
        const since = Number(await sh(`${label}-since`, "sleep 1; date +%s"));
        await sh(`${label}-run`, "systemctl reset-failed sentry-heartbeat.service; systemctl start sentry-heartbeat.service || true");
        return (await waitForHeartbeat(since, /healthy=/, 30)).text;
    };
    /** The first heartbeat line logged at or after `since` (epoch s) that matches `re`, with its time. */
    const waitForHeartbeat = async (since: number, re: RegExp, timeoutS: number): Promise<{ at: number; text: string }> => {
        for (let waited = 0; waited <= timeoutS; waited += 2) {
            const out = await sh("heartbeat-journal", `journalctl -u sentry-heartbeat.service -o short-unix --no-pager --since @${since} | grep 'heartbeat: healthy=' || true`);
            for (const l of out.split("\n").filter((x) => x !== "")) {
                const [at] = l.split(" ");
                if (Number(at) >= since && re.test(l)) {
                    return { at: Math.floor(Number(at)), text: l };
                }
            }
            await new Promise((r) => setTimeout(r, 2000));
        }
        throw new Error(`no heartbeat matching ${re} within ${timeoutS} s of ${since}: ${await sh("heartbeat-tail", "journalctl -u sentry-heartbeat.service -n 20 --no-pager")}`);
    };
    /**
     * Polls Sentry's /_health/ through nginx every 0.2 s inside the host until stop(), which
     * gives the longest stretch without an answer of 200 (s) and the number of samples.
     */
    const pollHealth = () => {
        const poll = host.exec("poll", "rm -f /tmp/stop-poll; for i in $(seq 1 20000); do [ -e /tmp/stop-poll ] && break; echo \"$(date +%s.%N) $(curl -s -o /dev/null -m 1 -w '%{http_code}' http://127.0.0.1:9000/_health/)\"; sleep 0.2; done > /tmp/poll.log", { timeoutMs: 60 * 60_000 });
        return {
            stop: async () => {
                await host.exec("stop-poll", "touch /tmp/stop-poll");
                await poll;
                const samples = lines(await sh("poll-log", "cat /tmp/poll.log")).map((l) => l.split(" ")).map(([t, code]) => ({ t: Number(t), ok: code === "200" })).sort((a, b) => a.t - b.t);
                let seconds = 0;
                let since: number | undefined;
                for (const x of samples) {
                    if (!x.ok && since === undefined) since = x.t;
                    if (x.ok && since !== undefined) {
                        seconds = Math.max(seconds, x.t - since);
                        since = undefined;
                    }
                }
                return { seconds, samples: samples.length };
            },
        };
    };
    /** The pre-upgrade snapshot's stand-in: a copy of the data disk's image. */
    const snapshotImage = path.join(tmp, "pre-upgrade-snapshot.img");
    let installLogMtime = "";

    beforeAll(async () => {
        ({ host, repoUrl } = await bootTestHost(runner, path.join(tmp, "host")));
        dataDevice = host.info.dataLoop ?? "";
    }, 10 * 60_000);

    afterAll(() => stopTestHost(host, undefined, tmp, scenario.failed), 120_000);

    step("the host runs systemd as PID 1; docker.io is installed and not started; Compose is the v2 plugin", async () => {
        expect(await sh("pid1", "cat /proc/1/comm")).toBe("systemd");
        expect(await sh("system-running", "systemctl is-system-running --wait || true")).toMatch(/^(running|degraded)$/);
        expect(await sh("docker-active", "systemctl is-active docker || true")).toBe("inactive");
        expect(await sh("docker-version", "docker --version")).toMatch(/^Docker version 20\.10\./);
        expect(await sh("compose-version", "docker compose version --short")).toBe("2.40.3");
        expect(await sh("no-docker-state", "ls -d /var/lib/docker /var/lib/containerd /etc/docker/daemon.json 2>/dev/null || true")).toBe("");
        expect(dataDevice).toMatch(/^\/dev\/loop\d+$/);
    });

    step("prepare-data formats the data disk and mounts it at /data, in fstab by UUID with nofail", async () => {
        const steps = await render("errors-only");
        await runSteps("data", steps, ["wait-for-host", "authorize-ssh-keys", "prepare-data"]);
        expect(await sh("findmnt-data", `findmnt -n -o SOURCE,FSTYPE ${DATA_DIR}`)).toBe(`${dataDevice} ext4`);
        const uuid = await sh("uuid", `blkid -c /dev/null -s UUID -o value ${dataDevice}`);
        expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
        expect(await sh("fstab", `grep -v '^#' /etc/fstab | grep ' ${DATA_DIR} '`)).toMatch(new RegExp(`^UUID=${uuid}\\s+${DATA_DIR}\\s+ext4\\s+\\S*nofail`));
    });

    step("install-docker: Docker starts for the first time with daemon.json in force (docker info)", async () => {
        const steps = await render("errors-only");
        await runSteps("docker", steps, ["install-docker"]);
        expect(await sh("docker-root", "docker info --format '{{.DockerRootDir}}'")).toBe(`${DATA_DIR}/docker`);
        expect(await sh("docker-root-mount", `findmnt -n -o SOURCE -T ${DATA_DIR}/docker`)).toBe(dataDevice);
        expect(await sh("docker-enabled", "systemctl is-enabled docker")).toBe("enabled");
    });

    step("the stand-in images are built in the host under the names of upstream's compose file and .env", async () => {
        await host.exec("build-images", `/usr/local/lib/sentry-e2e/images/build.sh /var/lib/sentry-e2e/image-base.tar /srv/git/self-hosted.git ${FROM} ${VERSION}`, { timeoutMs: 10 * 60_000 });
        for (const v of [FROM, VERSION]) {
            expect(await sh(`sentry-image-${v}`, `docker image inspect --format '{{.Id}}' ghcr.io/getsentry/sentry:${v}`)).toMatch(/^sha256:/);
        }
    });

    check("images land on the data volume; nothing under /var/lib/docker or /var/lib/containerd on the root file system", async () => {
        // The base image alone is a few hundred MB: it must be on the data disk.
        const base = Number(await sh("base-size", "docker image inspect --format '{{.Size}}' sentry-e2e/base:latest"));
        expect(await du(`${DATA_DIR}/docker`)).toBeGreaterThan(base * 0.9);
        expect(await du("/var/lib/docker")).toBe(0);
        // HARDENING 1 (containerd root): containerd kept its own root at /var/lib/containerd on
        // the root disk until install-docker.sh moved it to the data volume.
        expect(await sh("containerd-root", "ls -A /var/lib/containerd 2>/dev/null | tr '\\n' ' '"), "containerd state on the root disk").toBe("");
    });

    step(`checkout-self-hosted and configure-sentry give the real ${FROM} tree with the project's files`, async () => {
        const steps = await render("errors-only", FROM);
        await runSteps("checkout", steps, ["stop-for-upgrade", "checkout-self-hosted", "configure-sentry"]);
        if (HEALTHCHECK_INTERVAL !== "upstream") {
            await sh("healthcheck-interval", `printf '%s\n' '# e2e: shorter healthcheck intervals (upstream .env: 30s, 60s)' HEALTHCHECK_INTERVAL=${HEALTHCHECK_INTERVAL} HEALTHCHECK_FILE_INTERVAL=${HEALTHCHECK_INTERVAL} >> ${SENTRY_DIR}/.env.custom`);
            await runSteps("reconfigure", steps, ["configure-sentry"]);
            expect(await sh("interval-kept", `grep -c '^HEALTHCHECK_INTERVAL=${HEALTHCHECK_INTERVAL}$' ${SENTRY_DIR}/.env.custom`), "configure-sentry keeps an operator's lines outside its block").toBe("1");
        }
        expect(await sh("describe", `git -C ${SENTRY_DIR} describe --tags --exact-match`)).toBe(FROM);
        expect(await sh("profile", `grep '^COMPOSE_PROFILES=' ${SENTRY_DIR}/.env.custom`)).toBe("COMPOSE_PROFILES=errors-only");
    });

    step(`install-sentry runs the real install.sh of ${FROM} (errors-only: this machine has 2 CPUs)`, async () => {
        const steps = await render("errors-only", FROM);
        await runSteps("install", steps, ["install-sentry"]);
        expect(await sh("installed", `cat ${STATE_DIR}/installed-version`)).toBe(FROM);
    });

    step("start-sentry brings up exactly the errors-only services of upstream's compose file with the project's override", async () => {
        const steps = await render("errors-only", FROM);
        await runSteps("start", steps, ["start-sentry"]);
        const wanted = await profileServices();
        expect(wanted).toContain("web");
        expect(wanted).not.toContain("snuba-transactions-consumer");
        expect(await runningServices()).toEqual(wanted);
    });

    check("volumes land on the data volume", async () => {
        const mounts = lines(await sh("volumes", "docker volume ls -q | xargs -r docker volume inspect --format '{{.Mountpoint}}'"));
        expect(mounts.length).toBeGreaterThan(0);
        for (const m of mounts) {
            expect(m.startsWith(`${DATA_DIR}/docker/volumes/`), m).toBe(true);
        }
    });

    step("create-admin and check-health pass through upstream's nginx configuration", async () => {
        const steps = await render("errors-only", FROM);
        await runSteps("health", steps, ["create-admin", "check-health"]);
        expect(await sh("nginx-conf", `${COMPOSE} exec -T nginx nginx -T 2>/dev/null | grep -c 'server web:9000'`)).toBe("1");
        expect(await sh("nginx-log", `${COMPOSE} logs nginx 2>&1 | grep -c 'GET /_health/' || true`)).not.toBe("0");
    });

    step("install-heartbeat: a systemd timer; the heartbeat pings the dead-man's switch while Sentry is healthy", async () => {
        // The dead-man's switch: a listener in the host that answers GET /ping and logs each request.
        await sh("ping-receiver", "mkdir -p /srv/e2e-ping && touch /srv/e2e-ping/ping && systemd-run --quiet --unit=e2e-ping python3 -m http.server 8999 --bind 127.0.0.1 --directory /srv/e2e-ping && for i in $(seq 1 50); do curl -sf -o /dev/null http://127.0.0.1:8999/ping && break; sleep 0.1; done");
        const before = await pings();
        const steps = await render("errors-only", FROM);
        const run = await ssh("heartbeat", steps["install-heartbeat"]);
        expect(run.stdout + run.stderr).toMatch(/healthy=1 data=\d+% root=\d+% mem=\d+% swap=0% ping=sent/);
        expect(await pings()).toBeGreaterThan(before);
        expect(await sh("timer", "systemctl is-active sentry-heartbeat.timer")).toBe("active");
        // The URL is a credential: root-only on the host, never in the unit or the env file.
        expect(await sh("url-file", "stat -c '%a %U' /etc/sentry-deploy/heartbeat-url")).toBe("600 root");
        expect(await sh("url-elsewhere", "grep -rl 127.0.0.1:8999 /etc/systemd/system /etc/sentry-deploy/*.env || true")).toBe("");
    });

    check("with web stopped, the next timer run reports Sentry unhealthy and withholds the ping; started again, it is healthy", async () => {
        await sh("stop-web", `${COMPOSE} stop web`);
        const stoppedAt = Number(await sh("now", "date +%s"));
        const pingsAtStop = await pings();
        // The timer's own run (every 60 s, AccuracySec 5, curl's 10 s limit), not one started by hand.
        const line = await waitForHeartbeat(stoppedAt, /healthy=0/, 120);
        expect(line.at - stoppedAt, `heartbeat after ${line.at - stoppedAt} s: ${line.text}`).toBeLessThanOrEqual(60 + 5 + 10 + 5);
        // nginx answers 502 without web, or nothing at all (000) while it restarts: both are down.
        expect(line.text).toMatch(/problems: Sentry unhealthy \(HTTP (502|000)\b.* ping=withheld$/);
        expect(await pings(), "no ping while Sentry is down").toBe(pingsAtStop);
        console.log(`e2e: web stopped; the heartbeat timer reported Sentry unhealthy ${line.at - stoppedAt} s later`);

        await sh("start-web", `${COMPOSE} start web && for i in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:9000/_health/ && break; sleep 1; done`);
        const again = await heartbeatNow("healthy-again");
        expect(again).toMatch(/healthy=1 .*ping=sent/);
        expect(await pings()).toBeGreaterThan(pingsAtStop);
    });

    check("a data disk filled past 90 % is reported and withholds the ping; freed, the ping returns", async () => {
        // Fill the data disk to 93 % of what df counts (fallocate: no data written to the image).
        await sh("fill", `read -r used avail < <(df -Pk ${DATA_DIR} | awk 'NR == 2 { print $3, $4 }'); fallocate -l "$(( (used + avail) * 93 / 100 - used ))K" ${DATA_DIR}/e2e-fill`);
        try {
            const full = await heartbeatNow("disk-full");
            expect(full).toMatch(/healthy=1 data=(9[1-9]|100)% .*problems: data disk (9[1-9]|100)% >= 90% ping=withheld$/);
        } finally {
            await sh("unfill", `rm -f ${DATA_DIR}/e2e-fill`);
        }
        expect(await heartbeatNow("disk-freed")).toMatch(/healthy=1 .*ping=sent/);
    });

    step(`an upgrade ${FROM} -> ${VERSION}: Sentry stops, the data disk is copied (the snapshot), then the new version installs and starts`, async () => {
        const steps = await render("errors-only", VERSION);
        // What only the old version's Sentry wrote: a file in its Postgres volume.
        await sh("mark-old", `echo ${FROM} > "$(docker volume inspect sentry-postgres --format '{{.Mountpoint}}')/e2e-written-by"`);
        installLogMtime = await sh("install-log-mtime", `stat -c %Y ${STATE_DIR}/install-${FROM}.log`);
        const poll = pollHealth();
        const t = [Date.now()];
        await runSteps("upgrade-stop", steps, ["stop-for-upgrade"]);
        t.push(Date.now());
        // The snapshot must see a stopped Sentry: nothing of the project runs, the marker is down.
        expect(await upContainers(), "containers running when the snapshot is taken").toEqual([]);
        expect(await sh("maintenance", `cat ${STATE_DIR}/maintenance-until`)).toMatch(/^\d+$/);
        expect(await heartbeatNow("maintenance")).toMatch(/healthy=0 .*maintenance=until-/);
        // Stand-in for the EBS snapshot: a copy of the disk image, as consistent as Sentry left it.
        await sh("sync", "sync");
        await runner.run("snapshot-copy", "cp", ["--sparse=always", host.info.dataImage as string, snapshotImage]);
        t.push(Date.now());
        await runSteps("upgrade-checkout", steps, ["checkout-self-hosted", "configure-sentry"]);
        t.push(Date.now());
        const install = await ssh("upgrade-install", steps["install-sentry"]);
        expect(install.stdout + install.stderr).toContain(`upgrading from ${FROM}`);
        t.push(Date.now());
        await runSteps("upgrade-start", steps, ["start-sentry", "check-health"]);
        t.push(Date.now());
        const down = await poll.stop();
        const phase = (i: number) => ((t[i + 1] - t[i]) / 1000).toFixed(0);
        console.log(
            `e2e: the upgrade ${FROM} -> ${VERSION} kept /_health/ through nginx down for ${down.seconds.toFixed(1)} s (${INTERVALS}; ${down.samples} samples): ` +
                `stop ${phase(0)} s, disk copy (the snapshot's stand-in) ${phase(1)} s, checkout and configure ${phase(2)} s, install.sh ${phase(3)} s, start and health ${phase(4)} s`,
        );

        expect(await sh("describe-upgraded", `git -C ${SENTRY_DIR} describe --tags --exact-match`)).toBe(VERSION);
        expect(await sh("installed-upgraded", `cat ${STATE_DIR}/installed-version`)).toBe(VERSION);
        expect(await runningServices()).toEqual(await profileServices());
        // The first healthy heartbeat ends the maintenance window.
        expect(await heartbeatNow("after-upgrade")).toMatch(/healthy=1 .*ping=sent/);
        expect(await sh("maintenance-over", `ls ${STATE_DIR}/maintenance-until 2>/dev/null || true`)).toBe("");
        await sh("mark-new", `echo ${VERSION} > "$(docker volume inspect sentry-postgres --format '{{.Mountpoint}}')/e2e-written-by"`);
    });

    check("behind a TLS proxy the proxy's scheme reaches Sentry through upstream's nginx; the change recreates only web and nginx", async () => {
        // What Sentry sees when the proxy says https: upstream's nginx.conf passes on its own
        // $scheme, always http here.
        const seen = (proto?: string) =>
            sh(`proto-${proto ?? "none"}`, `curl -s -o /dev/null -D - ${proto ? `-H 'X-Forwarded-Proto: ${proto}' ` : ""}http://127.0.0.1:9000/ | tr -d '\r' | sed -n 's/^X-E2E-Forwarded-Proto: //Ip'`);
        expect(await seen("https"), "upstream's nginx.conf as it is").toBe("http");
        const ids = () => sh("ids", `docker ps --filter label=com.docker.compose.project=sentry-self-hosted --format '{{.Label "com.docker.compose.service"}} {{.ID}}'`).then((t) => new Map(lines(t).map((l) => l.split(" ") as [string, string])));
        const before = await ids();

        // Poll Sentry's health through nginx while the configuration changes (HARDENING 6:
        // the figure goes to the README; it is printed, not asserted).
        const poll = pollHealth();
        const tls = await renderTls();
        await runSteps("tls", tls, ["configure-sentry", "start-sentry", "check-health"]);
        const down = await poll.stop();
        console.log(`e2e: a config.yml/sentry.conf.py change (behindTlsProxy) kept /_health/ through nginx down for ${down.seconds.toFixed(1)} s (stand-in web; ${INTERVALS}; ${down.samples} samples)`);

        expect(await seen("https"), "the derived nginx.conf").toBe("https");
        expect(await seen(), "no proxy header: nginx's own scheme").toBe("http");
        // HARDENING 6: only what reads the changed files was recreated.
        const after = await ids();
        const recreated = [...after.keys()].filter((svc) => before.get(svc) !== after.get(svc)).sort();
        expect(recreated).toContain("web");
        expect(recreated).toContain("nginx");
        for (const svc of ["kafka", "clickhouse", "postgres", "redis", "relay", "snuba-api"]) {
            expect(recreated, `${svc} must keep running through a configuration change`).not.toContain(svc);
        }
    });

    step("a switch to feature-complete starts its services", async () => {
        const steps = await render("feature-complete");
        await runSteps("fc", steps, ["configure-sentry", "start-sentry", "check-health"]);
        const wanted = await profileServices();
        expect(wanted).toContain("snuba-transactions-consumer");
        expect(await runningServices()).toEqual(wanted);
    });

    step("feature-complete -> errors-only: start-sentry runs", async () => {
        const steps = await render("errors-only");
        await runSteps("eo", steps, ["configure-sentry", "start-sentry", "check-health"]);
    });

    check("after the switch to errors-only none of feature-complete's other containers runs", async () => {
        // HARDENING 4 (profile switch): Compose does not count services of an inactive profile
        // as orphans; start-sentry.sh stops and removes them.
        expect(await upContainers()).toEqual(await profileServices());
    });

    step("a reboot brings Sentry's containers back on the data volume", async () => {
        const before = await upContainers();
        await host.reboot("reboot");
        await sh("wait-docker", "for i in $(seq 1 120); do systemctl is-active -q docker && break; sleep 1; done; systemctl is-active docker");
        expect(await sh("findmnt-after", `findmnt -n -o SOURCE ${DATA_DIR}`)).toBe(dataDevice);
        expect(await sh("docker-root-after", "docker info --format '{{.DockerRootDir}}'")).toBe(`${DATA_DIR}/docker`);
        await sh("wait-containers", `for i in $(seq 1 60); do [ "$(docker ps -q | wc -l)" -ge ${before.length} ] && break; sleep 1; done`);
        expect(await upContainers()).toEqual(before);
        const steps = await render("errors-only");
        await runSteps("after-reboot", steps, ["check-health"]);
    });

    step(`a rollback: the host boots from the pre-upgrade snapshot and the ${FROM} steps bring Sentry back without reinstalling`, async () => {
        await host.reboot("restore", { dataImage: snapshotImage });
        dataDevice = host.info.dataLoop ?? "";
        expect(await sh("findmnt-restored", `findmnt -n -o SOURCE ${DATA_DIR}`)).toBe(dataDevice);
        const steps = await render("errors-only", FROM);
        const out: string[] = [];
        for (const s of ["prepare-data", "install-docker", "stop-for-upgrade", "checkout-self-hosted", "configure-sentry", "install-sentry", "start-sentry", "create-admin", "check-health"] as const) {
            const r = await ssh(`restore-${s}`, steps[s]);
            out.push(r.stdout + r.stderr);
        }
        const text = out.join("\n");
        expect(text, "prepare-data must not format a restored volume").not.toMatch(/creating \w+ filesystem/);
        expect(text).toMatch(new RegExp(`found an existing Sentry installation on ${DATA_DIR}`));
        expect(text).toMatch(new RegExp(`Sentry ${FROM.replace(/\./g, "\\.")} \\(errors-only\\) is already installed; not re-running install.sh`));
        // install.sh did not run again: its log is the one of the first install.
        expect(await sh("restored-install-log", `stat -c %Y ${STATE_DIR}/install-${FROM}.log`)).toBe(installLogMtime);
        expect(await sh("restored-describe", `git -C ${SENTRY_DIR} describe --tags --exact-match`)).toBe(FROM);
        expect(await sh("restored-installed", `cat ${STATE_DIR}/installed-version`)).toBe(FROM);
        // The data is the old version's, as it was when Sentry stopped for the upgrade.
        expect(await sh("restored-data", `cat "$(docker volume inspect sentry-postgres --format '{{.Mountpoint}}')/e2e-written-by"`)).toBe(FROM);
        expect(await runningServices()).toEqual(await profileServices());
    });

    check("with the data disk missing at boot, Docker does not start and nothing is written to /data on the root disk", async () => {
        await host.reboot("nodisk", { withoutDataDisk: true });
        expect(await sh("findmnt-nodisk", `findmnt -n -o SOURCE ${DATA_DIR} || true`)).toBe("");
        await sh("settle", "systemctl is-system-running --wait >/dev/null 2>&1 || true");
        // HARDENING 2 (RequiresMountsFor): without install-docker.sh's drop-ins nothing orders
        // docker.service (or containerd) after the data mount, and Docker starts on the empty
        // mount point and creates /data/docker on the root file system.
        expect(await sh("docker-nodisk", "systemctl is-active docker || true"), "docker.service without the data disk").not.toBe("active");
        expect(await sh("data-empty", `ls -A ${DATA_DIR}`), "/data on the root disk").toBe("");
    });
});
