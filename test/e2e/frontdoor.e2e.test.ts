// The front door on a booted host (host.sh boot: systemd, Debian's Docker Engine, the real
// Compose plugin, the real self-hosted 26.8.0): sentry:tls acme for real against a local ACME
// CA, and the mail step against a local SMTP server.
//
// Real: Caddy 2.11.9 (the TLS server, built from the Go module proxy by acme/build.sh, in a
// local image: no registry is reachable), Pebble 2.10.3 (Let's Encrypt's test CA, same build) as
// the ACME CA on the host, HTTP-01/TLS-ALPN-01 validation through the ports the compose override
// publishes, upstream's nginx.conf (derived), compose merging the managed override, the SMTP
// dialogue (test-mail.sh's probe, Python's smtplib) with test/fixtures/smtp-server.py on the host.
// Stand-ins: the Sentry images (images/build.sh; the web stand-in's `sentry exec` gives the
// probe a `sentry.options` read from the config.yml and password file the container sees), and
// the SMTP server itself (a small one, not a provider). Pebble's CA certificate is trusted by the
// local Caddy image (SSL_CERT_FILE), as a private CA's would be; Let's Encrypt needs nothing.
//
// How the commands are made: the program's config loader does not read sentry:tls/mail on this
// branch (that is the AWS-side branch's work), so the base commands come from the plan
// (renderSteps, as realdocker.e2e.test.ts) and configure-sentry and test-mail are rendered with
// the provisioner's own pure functions (stepEnvironments + renderStepCommand) for the acme and
// SMTP settings, on top of the plan's inputs for everything else.
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { SentrySettings, StepName, stepEnvironments } from "../../components/host/provisioner";
import { parseStepEnv, readScript, renderStepCommand } from "../../components/host/render";
import { DATA_DIR, FIXTURES_DIR, SENTRY_DIR } from "../scripts/harness";
import { ADMIN_EMAIL, bootTestHost, E2E_DIR, Host, hostFilesContaining, ProcessSampler, renderSteps, RunResult, Runner, Scenario, sleep, Step, stopTestHost, URL_1 } from "./lib";

const VERSION = "26.8.0";
const DOMAIN = "sentry-e2e.example.test";
const COMPOSE = `cd ${SENTRY_DIR} && docker compose --env-file .env --env-file .env.custom`;
const ACME_DIR = "/usr/local/lib/sentry-e2e/acme";
const CADDY_IMAGE = "sentry-e2e/caddy:2.11.9";
const MAIL_USER = "e2e-mailer";
const MAIL_PORT = 2525;
/** Pebble's certificate lifetime here: short, so a renewal happens within the test. */
const CERT_LIFETIME_S = 90;

describe("the front door on a booted host: HTTPS from an ACME CA, mail through Sentry", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-frontdoor-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const password = `E2e-${crypto.randomBytes(12).toString("hex")}`;
    const smtpPassword = `Smtp-${crypto.randomBytes(12).toString("hex")}`;
    let host: Host;
    let repoUrl = "";
    let dataDevice = "";
    let sampler: ProcessSampler | undefined;
    const scenario = new Scenario();
    const step = (name: string, fn: () => Promise<void>) => scenario.step(name, fn);
    const check = (name: string, fn: () => Promise<void>) => scenario.check(name, fn);
    const sh = async (label: string, snippet: string) => (await host.exec(label, snippet)).stdout.trim();
    const lines = (text: string) => text.split("\n").filter((l) => l !== "").sort();
    const ssh = (label: string, s: Step, allowFail = false): Promise<RunResult> => host.ssh(label, s.create, { input: s.stdin ?? "", allowFail, timeoutMs: 20 * 60_000 });

    let base: Promise<Record<StepName, Step>> | undefined;
    const baseSteps = () =>
        (base ??= renderSteps(
            host,
            {
                "sentry:adminPassword": password,
                "sentry:adminEmail": ADMIN_EMAIL,
                "sentry:publicUrl": URL_1,
                "sentry:profile": "errors-only",
                "sentry:sentryVersion": VERSION,
                "sentry:selfHostedRepoUrl": repoUrl,
                "sentry:swapSizeGb": "0",
            },
            { dataDevice },
        ));
    /** The plan's steps with configure-sentry and test-mail for tls acme and the SMTP server, as the provisioner renders them. */
    const frontDoorSteps = async (): Promise<Record<StepName, Step>> => {
        const steps = { ...(await baseSteps()) };
        const cfg = parseStepEnv(steps["configure-sentry"].create);
        const settings: SentrySettings = {
            profile: "errors-only",
            version: VERSION,
            repoUrl,
            csrfTrustedOrigins: [],
            webPort: 9000,
            retentionDays: Number(cfg.SENTRY_RETENTION_DAYS),
            adminEmail: ADMIN_EMAIL,
            allowRegistration: false,
            behindTlsProxy: false,
            eventsPerMinuteLimit: Number(cfg.SENTRY_SYSTEM_RATE_LIMIT),
            redisMaxMemory: cfg.SENTRY_REDIS_MAXMEMORY ?? "",
            swapSizeGb: 0,
            dockerAddressPool: "10.250.0.0/16",
            checkUpgradePath: false,
            tls: "acme",
            domain: DOMAIN,
            acme: { caUrl: `https://${host.info.addr}:14000/dir`, email: ADMIN_EMAIL, image: CADDY_IMAGE, renewInterval: "10s" },
            mail: { host: host.info.addr, port: MAIL_PORT, username: MAIL_USER, security: "none", from: "Sentry <sentry@example.test>" },
        };
        const envs = stepEnvironments({ storage: { dataDir: DATA_DIR, device: dataDevice }, sentry: settings, publicUrl: `https://${DOMAIN}`, sshUser: host.info.user, sshPublicKeys: [], smtpPassword: true });
        const lib = readScript("lib.sh");
        steps["configure-sentry"] = { create: renderStepCommand("configure-sentry", readScript("configure-sentry.sh"), { ...cfg, ...envs["configure-sentry"] }, lib), stdin: smtpPassword };
        steps["test-mail"] = { create: renderStepCommand("test-mail", readScript("test-mail.sh"), envs["test-mail"], lib) };
        return steps;
    };
    const runSteps = async (label: string, steps: Record<StepName, Step>, which: readonly StepName[]) => {
        for (const s of which) await ssh(`${label}-${s}`, steps[s]);
    };
    const curl = (label: string, args: string) => sh(label, `curl -s --max-time 20 --resolve ${DOMAIN}:443:127.0.0.1 --resolve ${DOMAIN}:80:127.0.0.1 --cacert ${ACME_DIR}/pebble-root.pem ${args}`);
    const certFile = () => sh("cert-file", `ls ${DATA_DIR}/tls/data/caddy/certificates/*/${DOMAIN}/${DOMAIN}.crt 2>/dev/null | head -n 1`);
    const containers = () =>
        sh("containers", `docker ps --filter label=com.docker.compose.project=sentry-self-hosted --format '{{.ID}}' | xargs -r docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.Id}} {{.State.StartedAt}} {{.RestartCount}}'`).then(lines);

    beforeAll(async () => {
        ({ host, repoUrl } = await bootTestHost(runner, path.join(tmp, "host")));
        dataDevice = host.info.dataLoop ?? "";
        sampler = new ProcessSampler(host);
        sampler.start();
    }, 10 * 60_000);

    afterAll(() => stopTestHost(host, sampler, tmp, scenario.failed), 120_000);

    step("the data disk, Docker and the stand-in images", async () => {
        await runSteps("base", await baseSteps(), ["wait-for-host", "authorize-ssh-keys", "prepare-data", "install-docker"]);
        await host.exec("build-images", `/usr/local/lib/sentry-e2e/images/build.sh /var/lib/sentry-e2e/image-base.tar /srv/git/self-hosted.git ${VERSION}`, { timeoutMs: 10 * 60_000 });
    });

    step("Caddy and Pebble from the Go module proxy: a local Caddy image, Pebble as the CA on the host", async () => {
        const built = (await runner.run("acme-build", path.join(E2E_DIR, "acme", "build.sh"), [], { timeoutMs: 30 * 60_000 })).stdout.trim();
        const dir = path.join(host.info.root, ACME_DIR.slice(1));
        fs.mkdirSync(dir, { recursive: true });
        for (const b of ["caddy", "pebble"]) fs.copyFileSync(path.join(built, "bin", b), path.join(dir, b));
        fs.chmodSync(path.join(dir, "caddy"), 0o755);
        fs.chmodSync(path.join(dir, "pebble"), 0o755);
        const minica = path.join(built, "share", "pebble-test", "certs");
        fs.copyFileSync(path.join(minica, "pebble.minica.pem"), path.join(dir, "minica.pem"));
        // Pebble's listener certificate for the address Caddy dials, signed by Pebble's test minica.
        const ossl = (args: string[]) => {
            const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
            if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
        };
        fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=IP:${host.info.addr}\nextendedKeyUsage=serverAuth\n`);
        ossl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "listener.key", "-subj", "/CN=pebble-e2e", "-out", "listener.csr"]);
        ossl(["x509", "-req", "-in", "listener.csr", "-CA", path.join(minica, "pebble.minica.pem"), "-CAkey", path.join(minica, "pebble.minica.key.pem"), "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "listener.pem"]);
        fs.writeFileSync(
            path.join(dir, "pebble.json"),
            JSON.stringify({
                pebble: {
                    listenAddress: "0.0.0.0:14000",
                    managementListenAddress: "127.0.0.1:15000",
                    certificate: `${ACME_DIR}/listener.pem`,
                    privateKey: `${ACME_DIR}/listener.key`,
                    httpPort: 80,
                    tlsPort: 443,
                    ocspResponderURL: "",
                    externalAccountBindingRequired: false,
                    retryAfter: { authz: 1, order: 1 },
                    keyAlgorithm: "ecdsa",
                    profiles: { default: { description: "short-lived for the e2e renewal", validityPeriod: CERT_LIFETIME_S } },
                },
            }),
        );
        fs.writeFileSync(
            path.join(dir, "Dockerfile"),
            ["FROM sentry-e2e/base:latest", "COPY caddy /usr/bin/caddy", "COPY minica.pem /etc/sentry-e2e/ca.pem", "ENV SSL_CERT_FILE=/etc/sentry-e2e/ca.pem", 'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]', ""].join("\n"),
        );
        await host.exec("caddy-image", `cd ${ACME_DIR} && docker build -q -t ${CADDY_IMAGE} -f Dockerfile . >/dev/null && docker run --rm ${CADDY_IMAGE} caddy version`);
        // The domain resolves to the host for the CA's validation (as its DNS record would).
        await host.exec("hosts", `echo '${host.info.addr} ${DOMAIN}' >> /etc/hosts`);
        // Daemons of the test as transient systemd units of the booted host (stopped with it).
        await host.exec("pebble", `systemd-run --unit=e2e-pebble --working-directory=${ACME_DIR} --setenv=PEBBLE_VA_NOSLEEP=1 --setenv=PEBBLE_WFE_NONCEREJECT=0 ${ACME_DIR}/pebble -config pebble.json && for i in $(seq 1 50); do curl -sk --max-time 2 https://127.0.0.1:15000/roots/0 -o /dev/null && break; sleep 0.2; done`);
        // The SMTP server, its password from a file (never on its command line).
        fs.copyFileSync(path.join(FIXTURES_DIR, "smtp-server.py"), path.join(dir, "smtp-server.py"));
        fs.writeFileSync(path.join(dir, "smtp-password"), `${smtpPassword}\n`, { mode: 0o600 });
        await host.exec(
            "smtp",
            `systemd-run --unit=e2e-smtp --working-directory=${ACME_DIR} python3 smtp-server.py --listen 0.0.0.0 --port ${MAIL_PORT} --port-file ${ACME_DIR}/smtp.port --outdir /var/lib/sentry-e2e/mail --user ${MAIL_USER} --password-file ${ACME_DIR}/smtp-password && for i in $(seq 1 50); do [ -s ${ACME_DIR}/smtp.port ] && break; sleep 0.2; done; cat ${ACME_DIR}/smtp.port`,
        );
    });

    step("checkout, configure (tls acme, SMTP password on stdin), the real install.sh and start", async () => {
        const steps = await frontDoorSteps();
        await runSteps("fd", steps, ["checkout-self-hosted", "configure-sentry", "install-sentry", "start-sentry", "create-admin", "check-health"]);
        const running = lines(await sh("ps", `${COMPOSE} ps --status running --format '{{.Service}}'`));
        expect(running).toContain("tls-server");
        expect(running).toContain("nginx");
    });

    check("the TLS server obtains a certificate from the ACME CA, on the data volume", async () => {
        let crt = "";
        for (let i = 0; i < 60 && !crt; i++) {
            crt = await certFile();
            if (!crt) await sleep(2000);
        }
        expect(crt, `no certificate; caddy: ${await sh("caddy-logs", `${COMPOSE} logs --tail 30 tls-server 2>&1`)}`).not.toBe("");
        expect(await sh("crt-mount", `findmnt -n -o SOURCE -T ${crt}`)).toBe(dataDevice);
        await sh("pebble-root", `curl -sk https://127.0.0.1:15000/roots/0 > ${ACME_DIR}/pebble-root.pem; curl -sk https://127.0.0.1:15000/intermediates/0 >> ${ACME_DIR}/pebble-root.pem`);
    });

    check("https:// reaches Sentry's /_health/ through upstream's nginx with the scheme intact; http:// redirects", async () => {
        expect(await curl("https-health", `https://${DOMAIN}/_health/`)).toBe("ok");
        const headers = await curl("https-root", `-o /dev/null -D - https://${DOMAIN}/ | tr -d '\\r'`);
        expect(headers).toMatch(/^X-E2E-Forwarded-Proto: https$/im);
        expect(await sh("nginx-log", `${COMPOSE} logs nginx 2>&1 | grep -c 'GET /_health/' || true`)).not.toBe("0");
        const redirect = await curl("http-redirect", `-o /dev/null -w '%{http_code} %{redirect_url}' http://${DOMAIN}/_health/`);
        expect(redirect).toBe(`308 https://${DOMAIN}/_health/`);
        // nginx answers on loopback only: not on the host's address.
        expect(await sh("nginx-bind", `ss -ltnH | awk '{print $4}' | grep ':9000$' | sort -u`)).toBe("127.0.0.1:9000");
        expect(await sh("nginx-outside", `curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://${host.info.addr}:9000/_health/ || true`)).toBe("000");
    });

    check("a renewal replaces the certificate and restarts nothing, not even the TLS server", async () => {
        const before = await containers();
        const crt = await certFile();
        const first = await sh("crt-1", `sha256sum ${crt} | cut -d' ' -f1`);
        let now = first;
        for (let i = 0; i < 90 && now === first; i++) {
            await sleep(2000);
            now = await sh("crt-n", `sha256sum ${crt} | cut -d' ' -f1`);
        }
        expect(now, `not renewed within 180 s; caddy: ${await sh("caddy-logs-2", `${COMPOSE} logs --tail 30 tls-server 2>&1`)}`).not.toBe(first);
        expect(await curl("https-after", `https://${DOMAIN}/_health/`)).toBe("ok");
        expect(await containers()).toEqual(before);
        // And the next deploy finds nothing to recreate: the stamped inputs did not change.
        const steps = await frontDoorSteps();
        const r = await ssh("start-after-renewal", steps["start-sentry"]);
        expect(r.stdout).not.toContain("recreating");
        expect(await containers()).toEqual(before);
    });

    check("the mail step's message reaches the SMTP server through Sentry's web container", async () => {
        const steps = await frontDoorSteps();
        const r = await ssh("test-mail", steps["test-mail"]);
        expect(r.stdout).toContain(`accepted the test message to ${ADMIN_EMAIL}: 250 2.0.0 Ok: queued as TEST0001`);
        const message = await sh("mail", "cat /var/lib/sentry-e2e/mail/1.eml");
        expect(message).toContain(`X-Envelope-To: ${ADMIN_EMAIL}`);
        expect(message).toMatch(/^Subject: Sentry test message$/m);
    });

    check("the SMTP password reached the host on stdin only: in the root-only file, mounted only where mail is sent", async () => {
        sampler?.stop();
        const steps = await frontDoorSteps();
        for (const s of Object.keys(steps) as StepName[]) expect(steps[s].create, s).not.toContain(smtpPassword);
        expect([...(sampler?.seen ?? [])].filter((c) => c.includes(smtpPassword))).toEqual([]);
        expect(sampler?.samples ?? 0).toBeGreaterThan(100);
        const secret = `${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`;
        // The root file system, read from outside (the copy the test's SMTP server reads is the
        // test's own); /data is the data disk, mounted inside the host only: searched there, the
        // pattern read from that copy so the password is on no command line.
        expect(hostFilesContaining(host, smtpPassword).filter((f) => f !== `${ACME_DIR}/smtp-password`)).toEqual([]);
        expect(lines(await sh("data-sweep", `grep -rlsF -f ${ACME_DIR}/smtp-password ${DATA_DIR} --exclude-dir=docker --exclude-dir=containerd || true`))).toEqual([secret]);
        expect(await sh("secret-mode", `stat -c '%a %U' ${secret} $(dirname ${secret})`)).toBe("400 root\n700 root");
        const mounts = lines(await sh("mounts", `docker ps -q | xargs docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}{{range .Mounts}}{{if eq .Destination "/run/secrets/sentry-deploy-smtp-password"}} mounted{{end}}{{end}}' | awk '$2 == "mounted" {print $1}'`));
        expect(mounts).toEqual(["taskworker", "web"]);
        expect(await sh("inspect-all", `docker ps -aq | xargs docker inspect | grep -c -F -f ${ACME_DIR}/smtp-password || true`)).toBe("0");
        for (const log of runner.logs()) expect(fs.readFileSync(log, "utf8"), log).not.toContain(smtpPassword);
    });
});
