// configure-sentry.sh's front door and mail: the TLS server on the host (SENTRY_TLS=acme), the
// mail.* settings and the SMTP password that arrives on stdin. Real bash against the self-hosted
// fixture (and the real 26.8.0 compose file where the bundle is there).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { TLS_SERVER_IMAGE, TLS_SERVER_UPSTREAM } from "../../components/host/provisioner";
import { renderCaddyfile } from "../../components/host/render";
import { SELF_HOSTED_BUNDLE, SCRIPTS_DIR, SENTRY_DIR, copySelfHosted, makeSandbox, onPath, removeSandboxes, runScript, upstreamTree, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const base = { SENTRY_DIR, SENTRY_URL: "http://203.0.113.10:9000", SENTRY_PROFILE: "errors-only", SENTRY_ADMIN_EMAIL: "ops@example.com" };
const CADDYFILE = renderCaddyfile({ domain: "sentry.example.com", caUrl: "https://acme-v02.api.letsencrypt.org/directory", email: "ops@example.com", upstream: TLS_SERVER_UPSTREAM });
const ACME = {
    ...base,
    SENTRY_URL: "https://sentry.example.com",
    SENTRY_TLS: "acme",
    SENTRY_DOMAIN: "sentry.example.com",
    SENTRY_BIND: "127.0.0.1:9000",
    SENTRY_CADDYFILE: CADDYFILE,
    SENTRY_TLS_DATA_DIR: "/data/tls",
};
const SMTP = { SENTRY_SMTP_HOST: "smtp.example.com", SENTRY_SMTP_PORT: "587", SENTRY_SMTP_SECURITY: "starttls", SENTRY_SMTP_USERNAME: "sentry-mailer", SENTRY_MAIL_FROM: "Sentry <sentry@example.com>" };
const PASSWORD = "Smtp-pw-3f9c1e7a-with spaces & 'quotes'";

type Service = { image?: string; ports?: string[]; volumes?: { source: string; target: string; read_only?: boolean }[]; command?: string[]; environment?: Record<string, string>; depends_on?: string[] };
const checkout = (): Sandbox => {
    const sb = makeSandbox();
    copySelfHosted(sb);
    return sb;
};
const file = (sb: Sandbox, p: string) => sb.read(`${SENTRY_DIR}/${p}`);
const override = (sb: Sandbox) => (parseYaml(file(sb, "docker-compose.override.yml")) as { services: Record<string, Service> }).services;
// Sentry loads config.yml with PyYAML's safe_load, where a repeated key takes the last value:
// the managed block comes last and wins over upstream's own `mail.host: 'smtp'`.
const config = (sb: Sandbox) => parseYaml(file(sb, "sentry/config.yml"), { uniqueKeys: false }) as Record<string, unknown>;
const managedBlock = (text: string) => text.slice(text.indexOf("# BEGIN configure-sentry.sh"));
const mode = (sb: Sandbox, p: string) => fs.statSync(sb.host(p)).mode & 0o777;
/** Every file under a directory of the sandbox, relative paths. */
function walk(dir: string, rel = ""): string[] {
    return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

describe("configure-sentry.sh with the TLS server on the host (SENTRY_TLS=acme)", () => {
    it("adds the TLS server to the managed override: the pinned image, ports 80 and 443, the Caddyfile and the data volume", () => {
        const sb = checkout();
        const r = runScript(sb, "configure-sentry.sh", ACME);
        expect(r.status, r.output).toBe(0);
        const tls = override(sb)["tls-server"];
        expect(tls).toEqual({
            image: TLS_SERVER_IMAGE,
            restart: "unless-stopped",
            command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
            environment: { XDG_DATA_HOME: "/data", XDG_CONFIG_HOME: "/config" },
            ports: ["80:80/tcp", "443:443/tcp"],
            depends_on: ["nginx"],
            volumes: [
                { type: "bind", read_only: true, source: "./tls-server.Caddyfile", target: "/etc/caddy/Caddyfile" },
                { type: "bind", source: "/data/tls/data", target: "/data" },
                { type: "bind", source: "/data/tls/config", target: "/config" },
            ],
        });
        // The Caddyfile is the rendered one, byte for byte.
        expect(file(sb, "tls-server.Caddyfile")).toBe(CADDYFILE);
        for (const d of ["/data/tls", "/data/tls/data", "/data/tls/config"]) expect(mode(sb, d), d).toBe(0o700);
        expect(r.stdout).toContain("the ACME CA must reach this host on port 80 (HTTP-01) or 443 (TLS-ALPN-01)");
    });

    it("puts nginx behind it on loopback with the scheme passed on, secure cookies and the https origin for CSRF", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", { ...ACME, SENTRY_CSRF_TRUSTED_ORIGINS: "https://sentry.internal.example.com" }).status).toBe(0);
        expect(file(sb, ".env.custom")).toContain("\nSENTRY_BIND=127.0.0.1:9000\n");
        expect(override(sb).nginx).toEqual({ volumes: [{ type: "bind", read_only: true, source: "./nginx.behind-tls-proxy.conf", target: "/etc/nginx/nginx.conf" }] });
        expect(file(sb, "nginx.behind-tls-proxy.conf")).toContain("proxy_set_header X-Forwarded-Proto $sentry_deploy_forwarded_proto;");
        const py = file(sb, "sentry/sentry.conf.py");
        expect(py).toContain('\nCSRF_TRUSTED_ORIGINS = ["https://sentry.example.com", "https://sentry.internal.example.com"]\n');
        for (const line of ['SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")', "SESSION_COOKIE_SECURE = True", "CSRF_COOKIE_SECURE = True"]) expect(py).toContain(`\n${line}\n`);
        expect(config(sb)["system.url-prefix"]).toBe("https://sentry.example.com");
    });

    it("is byte-identical on a second run and leaves the certificates alone", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", ACME).status).toBe(0);
        // What Caddy keeps after obtaining a certificate.
        sb.write("/data/tls/data/caddy/certificates/acme/sentry.example.com/sentry.example.com.crt", "CERT");
        const before = walk(sb.root).map((f) => [f, fs.readFileSync(path.join(sb.root, f), "utf8"), fs.statSync(path.join(sb.root, f)).mtimeMs]);
        const r = runScript(sb, "configure-sentry.sh", ACME);
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain("no changes");
        expect(walk(sb.root).map((f) => [f, fs.readFileSync(path.join(sb.root, f), "utf8"), fs.statSync(path.join(sb.root, f)).mtimeMs])).toEqual(before);
    });

    it("switching back to plain HTTP takes the TLS server away and keeps the certificates", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", { ...ACME, SENTRY_REDIS_MAXMEMORY: "1gb" }).status).toBe(0);
        sb.write("/data/tls/data/caddy/certificates/x.crt", "CERT");
        const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "1gb" });
        expect(r.status, r.output).toBe(0);
        expect(Object.keys(override(sb))).toEqual(["redis"]);
        expect(sb.exists(`${SENTRY_DIR}/tls-server.Caddyfile`)).toBe(false);
        expect(sb.read("/data/tls/data/caddy/certificates/x.crt")).toBe("CERT");
        expect(file(sb, ".env.custom")).toContain("\nSENTRY_BIND=9000\n");
    });

    it("the older SENTRY_BEHIND_TLS_PROXY=true is SENTRY_TLS=proxy: no TLS server, the same nginx derivation", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_URL: "https://sentry.example.com", SENTRY_TLS: "proxy" }).status).toBe(0);
        const a = [file(sb, "docker-compose.override.yml"), file(sb, "sentry/sentry.conf.py")];
        const other = checkout();
        expect(runScript(other, "configure-sentry.sh", { ...base, SENTRY_URL: "https://sentry.example.com", SENTRY_BEHIND_TLS_PROXY: "true" }).status).toBe(0);
        expect([file(other, "docker-compose.override.yml"), file(other, "sentry/sentry.conf.py")]).toEqual(a);
        expect(Object.keys(override(sb))).toEqual(["nginx"]);
    });

    it.each<[string, Record<string, string>, string]>([
        ["no domain", { SENTRY_DOMAIN: "" }, "SENTRY_TLS=acme needs SENTRY_DOMAIN"],
        ["a URL other than the domain", { SENTRY_URL: "https://other.example.com" }, "set SENTRY_URL=https://sentry.example.com"],
        ["nginx on every address", { SENTRY_BIND: "9000" }, "set SENTRY_BIND=127.0.0.1:<port>"],
        ["no Caddyfile", { SENTRY_CADDYFILE: "" }, "SENTRY_TLS=acme needs SENTRY_CADDYFILE"],
        ["a Caddyfile for another domain", { SENTRY_CADDYFILE: CADDYFILE.replace("sentry.example.com {", "other.example.com {") }, "no site block for SENTRY_DOMAIN='sentry.example.com'"],
        ["no data directory", { SENTRY_TLS_DATA_DIR: "" }, "SENTRY_TLS_DATA_DIR is required"],
        ["a bad image", { SENTRY_TLS_IMAGE: "Caddy latest" }, "SENTRY_TLS_IMAGE='Caddy latest'"],
        ["alb on the host", { SENTRY_TLS: "alb" }, "on the host that is SENTRY_TLS=proxy"],
        ["none with a proxy", { SENTRY_TLS: "none", SENTRY_BEHIND_TLS_PROXY: "true" }, "SENTRY_TLS=none contradicts SENTRY_BEHIND_TLS_PROXY=true"],
    ])("refuses %s before writing anything", (_name, extra, message) => {
        const sb = checkout();
        const r = runScript(sb, "configure-sentry.sh", { ...ACME, ...extra });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
        expect(sb.exists(`${SENTRY_DIR}/tls-server.Caddyfile`)).toBe(false);
    });
});

describe("configure-sentry.sh mail settings", () => {
    it.each<[string, Record<string, string>, Record<string, unknown>]>([
        ["starttls", {}, { "mail.port": 587, "mail.use-tls": true, "mail.use-ssl": false }],
        ["tls (implicit TLS)", { SENTRY_SMTP_SECURITY: "tls", SENTRY_SMTP_PORT: "" }, { "mail.port": 465, "mail.use-tls": false, "mail.use-ssl": true }],
        ["none", { SENTRY_SMTP_SECURITY: "none", SENTRY_SMTP_PORT: "2525" }, { "mail.port": 2525, "mail.use-tls": false, "mail.use-ssl": false }],
    ])("writes mail.* in config.yml's managed block for security %s, never the password", (_name, extra, expected) => {
        const sb = checkout();
        const r = runScript(sb, "configure-sentry.sh", { ...base, ...SMTP, ...extra, SENTRY_SMTP_PASSWORD_STDIN: "true" }, { input: `${PASSWORD}\n` });
        expect(r.status, r.output).toBe(0);
        expect(config(sb)).toMatchObject({ "mail.backend": "smtp", "mail.host": "smtp.example.com", "mail.username": "sentry-mailer", "mail.from": "Sentry <sentry@example.com>", ...expected });
        // Upstream's own `mail.host: 'smtp'` stays above the block, which wins.
        expect(file(sb, "sentry/config.yml")).toContain("\nmail.host: 'smtp'\n");
        expect(file(sb, "sentry/config.yml")).not.toContain(PASSWORD);
        expect(config(sb)["mail.password"]).toBeUndefined();
        // PyYAML, which Sentry loads config.yml with, agrees.
        const py = spawnSync("python3", ["-c", "import yaml,sys,json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))['mail.host']))", sb.host(`${SENTRY_DIR}/sentry/config.yml`)], { encoding: "utf8" });
        if (py.status === 0) expect(JSON.parse(py.stdout)).toBe("smtp.example.com");
    });

    it("without an SMTP server keeps upstream's bundled smtp container and writes no mail.* of its own", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", base).status).toBe(0);
        expect(config(sb)["mail.host"]).toBe("smtp");
        expect(managedBlock(file(sb, "sentry/config.yml"))).not.toContain("mail.");
    });

    it("keeps the password from stdin in a root-only file, mounted only into web and taskworker, read by sentry.conf.py", () => {
        const sb = checkout();
        const r = runScript(sb, "configure-sentry.sh", { ...base, ...SMTP, SENTRY_SMTP_PASSWORD_STDIN: "true" }, { input: `${PASSWORD}\n` });
        expect(r.status, r.output).toBe(0);
        const secret = `${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`;
        expect(sb.read(secret)).toBe(`${PASSWORD}\n`);
        expect(mode(sb, secret)).toBe(0o400);
        expect(mode(sb, path.dirname(secret))).toBe(0o700);
        const mount = { type: "bind", read_only: true, source: "./sentry-deploy-secrets/smtp-password", target: "/run/secrets/sentry-deploy-smtp-password" };
        const services = override(sb);
        const mounting = Object.entries(services).filter(([, s]) => JSON.stringify(s.volumes ?? []).includes("smtp-password")).map(([n]) => n);
        expect(mounting).toEqual(["web", ...(file(sb, "docker-compose.yml").includes("\n  taskworker:") ? ["taskworker"] : [])]);
        expect(services.web).toEqual({ volumes: [mount] });
        // Nowhere else: no other file of the checkout or the host, not in the output.
        for (const f of walk(sb.root)) {
            if (f !== secret.slice(1)) expect(fs.readFileSync(path.join(sb.root, f), "utf8"), f).not.toContain(PASSWORD);
        }
        expect(r.output).not.toContain(PASSWORD);
        expect(file(sb, "sentry/sentry.conf.py")).toContain('with open("/run/secrets/sentry-deploy-smtp-password") as _sentry_deploy_f:');
    });

    it.skipIf(SELF_HOSTED_BUNDLE === undefined)("mounts the password into 26.8.0's web and taskworker only", () => {
        const sb = checkout();
        fs.copyFileSync(path.join(upstreamTree("26.8.0"), "docker-compose.yml"), sb.host(`${SENTRY_DIR}/docker-compose.yml`));
        const r = runScript(sb, "configure-sentry.sh", { ...base, ...SMTP, SENTRY_SMTP_PASSWORD_STDIN: "true" }, { input: `${PASSWORD}\n` });
        expect(r.status, r.output).toBe(0);
        expect(Object.keys(override(sb))).toEqual(["web", "taskworker"]);
    });

    it.skipIf(!onPath("python3"))("sentry.conf.py's lines give Sentry the password as mail.password, and nothing when the file is absent", () => {
        const sb = checkout();
        expect(runScript(sb, "configure-sentry.sh", { ...base, ...SMTP, SENTRY_SMTP_PASSWORD_STDIN: "true" }, { input: `${PASSWORD}\n` }).status).toBe(0);
        const py = file(sb, "sentry/sentry.conf.py");
        const block = py.slice(py.indexOf("# BEGIN configure-sentry.sh"), py.indexOf("# END configure-sentry.sh"));
        const run = (target: string) =>
            spawnSync(
                "python3",
                ["-c", "import builtins,sys,json\nreal=builtins.open\nbuiltins.open=lambda p,*a,**k: real(sys.argv[2] if p=='/run/secrets/sentry-deploy-smtp-password' else p,*a,**k)\nSENTRY_OPTIONS={}\nSENTRY_FEATURES={}\nexec(open(sys.argv[1]).read())\nprint(json.dumps(SENTRY_OPTIONS))", path.join(sb.scratch, "block.py"), target],
                { encoding: "utf8" },
            );
        fs.writeFileSync(path.join(sb.scratch, "block.py"), block);
        const withFile = run(sb.host(`${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`));
        expect(withFile.status, withFile.stderr).toBe(0);
        expect(JSON.parse(withFile.stdout)).toEqual({ "mail.from": "Sentry <sentry@example.com>", "mail.password": PASSWORD });
        const without = run(path.join(sb.scratch, "absent"));
        expect(JSON.parse(without.stdout)).toEqual({ "mail.from": "Sentry <sentry@example.com>" });
    });

    it.skipIf(!onPath("strace"))("the password is in no command line of any process the script starts", () => {
        const sb = checkout();
        const trace = path.join(sb.scratch, "trace");
        const r = spawnSync("strace", ["-f", "-s", "4096", "-e", "trace=execve", "-o", trace, "bash", path.join(SCRIPTS_DIR, "configure-sentry.sh")], {
            input: `${PASSWORD}\n`,
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST_ROOT: sb.root, ...base, ...SMTP, SENTRY_SMTP_PASSWORD_STDIN: "true" },
            encoding: "utf8",
        });
        expect(r.status, r.stderr).toBe(0);
        const execs = fs.readFileSync(trace, "utf8").split("\n").filter((l) => l.includes("execve("));
        expect(execs.length).toBeGreaterThan(10);
        expect(execs.filter((l) => l.includes(PASSWORD) || l.includes("Smtp-pw-3f9c1e7a"))).toEqual([]);
        expect(sb.read(`${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`)).toBe(`${PASSWORD}\n`);
    });

    it("a new password rewrites only the password file; the same one changes nothing; no password removes the file and its mounts", () => {
        const sb = checkout();
        const env = { ...base, ...SMTP, SENTRY_SMTP_PASSWORD_STDIN: "true" };
        expect(runScript(sb, "configure-sentry.sh", env, { input: `${PASSWORD}\n` }).status).toBe(0);
        let r = runScript(sb, "configure-sentry.sh", env, { input: `${PASSWORD}\n` });
        expect(r.stdout).toContain("no changes");
        r = runScript(sb, "configure-sentry.sh", env, { input: "rotated-password\n" });
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain("updated: sentry-deploy-secrets/smtp-password\n");
        expect(mode(sb, `${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`)).toBe(0o400);
        r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_SMTP_HOST: "smtp.example.com", SENTRY_SMTP_SECURITY: "none", SENTRY_MAIL_FROM: "sentry@example.com" });
        expect(r.status, r.output).toBe(0);
        expect(sb.exists(`${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`)).toBe(false);
        expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
        expect(file(sb, "sentry/sentry.conf.py")).not.toContain("mail.password");
    });

    it.each<[string, Record<string, string>, string, string]>([
        ["the password flag with empty stdin", { SENTRY_SMTP_PASSWORD_STDIN: "true" }, "", "there is no password on stdin"],
        ["a username without a password", { SENTRY_SMTP_PASSWORD_STDIN: "false" }, "", "SENTRY_SMTP_USERNAME='sentry-mailer' is set but no password comes on stdin"],
        ["an unknown security", { SENTRY_SMTP_SECURITY: "ssl", SENTRY_SMTP_PASSWORD_STDIN: "true" }, "pw\n", "SENTRY_SMTP_SECURITY='ssl'"],
        ["a bad port", { SENTRY_SMTP_PORT: "70000", SENTRY_SMTP_PASSWORD_STDIN: "true" }, "pw\n", "SENTRY_SMTP_PORT='70000'"],
        ["a password without a server", { SENTRY_SMTP_HOST: "", SENTRY_SMTP_PASSWORD_STDIN: "true" }, "pw\n", "without SENTRY_SMTP_HOST"],
    ])("refuses %s before writing anything", (_name, extra, input, message) => {
        const sb = checkout();
        const r = runScript(sb, "configure-sentry.sh", { ...base, ...SMTP, ...extra }, { input });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(sb.exists(`${SENTRY_DIR}/sentry/config.yml`)).toBe(false);
    });
});
