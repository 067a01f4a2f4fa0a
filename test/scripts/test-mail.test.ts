// test-mail.sh against a real SMTP dialogue: the probe it hands to `sentry exec` runs with
// python3 (the docker stand-in's STANDIN_SENTRY_PYTHONPATH; a stand-in `sentry.options` reads
// the config.yml configure-sentry.sh wrote and the password file) and talks SMTP to
// test/fixtures/smtp-server.py, a small SMTP server standing in for a mail provider.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR, SENTRY_DIR, copySelfHosted, makeSandbox, onPath, removeSandboxes, runScript, type Sandbox } from "./harness";

const servers: ChildProcess[] = [];
afterAll(() => {
    for (const s of servers) s.kill();
    removeSandboxes();
});

const PASSWORD = "Mail-pw-8d41c2b9";
const USER = "sentry-mailer";

async function smtpServer(sb: Sandbox, ...extra: string[]): Promise<{ port: string; outdir: string }> {
    const portFile = path.join(sb.scratch, `smtp-port-${servers.length}`);
    const outdir = path.join(sb.scratch, `smtp-${servers.length}`);
    const child = spawn("python3", [path.join(FIXTURES_DIR, "smtp-server.py"), "--port-file", portFile, "--outdir", outdir, ...extra], { stdio: "ignore" });
    servers.push(child);
    for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
    return { port: fs.readFileSync(portFile, "utf8"), outdir };
}

/** A configured checkout (configure-sentry.sh with these mail settings) and test-mail.sh's environment. */
function configured(sb: Sandbox, mail: Record<string, string>, password?: string): Record<string, string> {
    copySelfHosted(sb);
    const env = { SENTRY_DIR, SENTRY_URL: "http://203.0.113.10:9000", SENTRY_PROFILE: "errors-only", SENTRY_ADMIN_EMAIL: "ops@example.com", ...mail };
    const r = runScript(sb, "configure-sentry.sh", { ...env, SENTRY_SMTP_PASSWORD_STDIN: String(password !== undefined) }, { input: password === undefined ? "" : `${password}\n` });
    expect(r.status, r.output).toBe(0);
    return {
        SENTRY_DIR,
        SENTRY_ADMIN_EMAIL: "ops@example.com",
        ...mail,
        STANDIN_SENTRY_PYTHONPATH: path.join(FIXTURES_DIR, "sentry-stub"),
        STANDIN_SENTRY_CONFIG_YML: sb.host(`${SENTRY_DIR}/sentry/config.yml`),
        STANDIN_SENTRY_PASSWORD_FILE: sb.host(`${SENTRY_DIR}/sentry-deploy-secrets/smtp-password`),
        SMTP_TIMEOUT_SECONDS: "5",
    };
}
const mailTo = (port: string, extra: Record<string, string> = {}) => ({
    SENTRY_SMTP_HOST: "127.0.0.1",
    SENTRY_SMTP_PORT: port,
    SENTRY_SMTP_SECURITY: "none",
    SENTRY_SMTP_USERNAME: USER,
    SENTRY_MAIL_FROM: "Sentry <sentry@example.com>",
    ...extra,
});

describe.skipIf(!onPath("python3"))("test-mail.sh", () => {
    it("sends the test message through Sentry's mail settings and reports the server's answer", async () => {
        const sb = makeSandbox();
        const smtp = await smtpServer(sb, "--user", USER, "--password", PASSWORD);
        const env = configured(sb, mailTo(smtp.port), PASSWORD);
        const r = runScript(sb, "test-mail.sh", env);
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain(`the SMTP server 127.0.0.1:${smtp.port} (none) accepted the test message to ops@example.com: 250 2.0.0 Ok: queued as TEST0001`);
        expect(r.stdout).toContain("LOGIN 235 2.7.0 Authentication successful");
        const message = fs.readFileSync(path.join(smtp.outdir, "1.eml"), "utf8");
        expect(message).toContain("X-Envelope-From: sentry@example.com\nX-Envelope-To: ops@example.com\n");
        expect(message).toMatch(/^Subject: Sentry test message$/m);
        expect(message).toMatch(/^From: Sentry <sentry@example.com>$/m);
        expect(r.output).not.toContain(PASSWORD);
        // The probe went in on stdin, the password not at all: it is read inside the container.
        expect(sb.recFile("docker-exec-stdin.log")).not.toContain(PASSWORD);
        expect(sb.calls().filter((c) => c.includes(PASSWORD))).toEqual([]);
        expect(sb.calls()).toContain("docker compose --ansi never --env-file .env --env-file .env.custom exec -T web sentry exec");
    });

    it.each<[string, string[], Record<string, string>, string | undefined, string]>([
        ["a wrong password", ["--user", USER, "--password", "other"], {}, PASSWORD, "refused the login of 'sentry-mailer' (535 5.7.8 Authentication credentials invalid): check the SMTP username and password (SENTRY_SMTP_USERNAME, sentry:smtp username, sentry:smtpPassword"],
        ["an unverified recipient", ["--reject-rcpt", "ops@example.com"], { SENTRY_SMTP_USERNAME: "" }, undefined, "refused the recipient ops@example.com (550 5.1.1 Recipient address rejected: not verified): check the admin address (SENTRY_ADMIN_EMAIL, sentry:adminEmail)"],
        ["a sender it does not own", ["--reject-sender", "sentry@example.com"], { SENTRY_SMTP_USERNAME: "" }, undefined, "refused the sender Sentry <sentry@example.com> (553 5.7.1 Sender address rejected: not owned by user): check the sender address"],
        ["no STARTTLS where starttls is set", [], { SENTRY_SMTP_USERNAME: "", SENTRY_SMTP_SECURITY: "starttls" }, undefined, "check the SMTP security setting (SENTRY_SMTP_SECURITY, sentry:smtp security"],
    ])("names the setting to check on %s", async (_name, serverArgs, extra, password, message) => {
        const sb = makeSandbox();
        const smtp = await smtpServer(sb, ...serverArgs);
        const env = configured(sb, mailTo(smtp.port, extra), password);
        const r = runScript(sb, "test-mail.sh", env);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(r.output).not.toContain(PASSWORD);
        expect(fs.existsSync(path.join(smtp.outdir, "1.eml"))).toBe(false);
    });

    it("names host and port when nothing answers there", async () => {
        const sb = makeSandbox();
        const smtp = await smtpServer(sb);
        servers[servers.length - 1].kill();
        await new Promise((r) => setTimeout(r, 200));
        const env = configured(sb, mailTo(smtp.port, { SENTRY_SMTP_USERNAME: "" }));
        const r = runScript(sb, "test-mail.sh", env);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`could not connect to the SMTP server 127.0.0.1:${smtp.port} (none) (ConnectionRefusedError`);
        expect(r.stderr).toContain("check the SMTP host and port (SENTRY_SMTP_HOST/SENTRY_SMTP_PORT, sentry:smtp host and port)");
    });

    it("says so when Sentry runs with other mail settings than this deploy's (a line outside the block, or web not recreated)", async () => {
        const sb = makeSandbox();
        const smtp = await smtpServer(sb);
        const env = configured(sb, mailTo(smtp.port, { SENTRY_SMTP_USERNAME: "" }));
        const r = runScript(sb, "test-mail.sh", { ...env, SENTRY_SMTP_PORT: "2525" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`Sentry's mail settings are not the ones this deploy set (mail.port ${smtp.port} 2525`);
    });

    it("with no SMTP server configured has nothing to test and says why", () => {
        const sb = makeSandbox();
        copySelfHosted(sb);
        const r = runScript(sb, "test-mail.sh", { SENTRY_DIR, SENTRY_ADMIN_EMAIL: "ops@example.com" });
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain("no SMTP server configured (sentry:mail none)");
        expect(sb.calls()).toEqual([]);
    });

    it("reports a web container that is not running as such", () => {
        const sb = makeSandbox();
        const env = configured(sb, mailTo("2525", { SENTRY_SMTP_USERNAME: "" }));
        const r = runScript(sb, "test-mail.sh", { ...env, STANDIN_SENTRY_PYTHONPATH: "", STANDIN_CREATEUSER_FAIL: "1" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("sentry exec in web failed (exit 1) before talking to the SMTP server; is Sentry running");
    });
});
