// The host side of the front door: the Caddyfile renderer, what configure-sentry and test-mail
// receive for each tls mode and mail setting, and how SentryProvisioner carries the SMTP
// password (stdin only, secret, re-running what depends on it).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { hostTlsMode, SentryProvisioner, SentryProvisionerArgs, SentrySettings, stepEnvironments, STEPS, TLS_SERVER_IMAGE, TLS_SERVER_UPSTREAM } from "../../components/host/provisioner";
import { parseStepEnv, readScript, renderCaddyfile } from "../../components/host/render";

const LE = "https://acme-v02.api.letsencrypt.org/directory";
const settings: SentrySettings = {
    profile: "errors-only",
    version: "26.8.0",
    repoUrl: "https://example.com/self-hosted.git",
    csrfTrustedOrigins: [],
    webPort: 9000,
    retentionDays: 90,
    adminEmail: "ops@example.com",
    allowRegistration: false,
    behindTlsProxy: false,
    eventsPerMinuteLimit: 0,
    redisMaxMemory: "1gb",
    swapSizeGb: 0,
    dockerAddressPool: "10.250.0.0/16",
    checkUpgradePath: false,
};
const acme: SentrySettings = { ...settings, tls: "acme", domain: "sentry.example.com", acme: { caUrl: LE, email: "ops@example.com" } };
const mail = { host: "email-smtp.eu-central-1.amazonaws.com", port: 587, username: "AKIAEXAMPLE", security: "starttls" as const, from: "Sentry <sentry@example.com>" };
const envs = (s: SentrySettings, smtpPassword = false) =>
    stepEnvironments({ storage: { dataDir: "/data" }, sentry: s, publicUrl: s.domain ? `https://${s.domain}` : "http://203.0.113.10:9000", sshUser: "ubuntu", sshPublicKeys: [], smtpPassword });

describe("renderCaddyfile", () => {
    it("renders one site for the domain, proxied to upstream's nginx, with the CA, the contact and HTTP/3 off", () => {
        expect(renderCaddyfile({ domain: "sentry.example.com", caUrl: LE, email: "ops@example.com", upstream: "nginx:80" })).toBe(
            [
                "# Written by configure-sentry.sh from the deployment's settings (sentry:tls acme); edits are overwritten.",
                "{",
                "\temail ops@example.com",
                `\tacme_ca ${LE}`,
                "\tservers {",
                "\t\tprotocols h1 h2",
                "\t}",
                "}",
                "",
                "sentry.example.com {",
                "\treverse_proxy nginx:80",
                "}",
                "",
            ].join("\n"),
        );
        expect(renderCaddyfile({ domain: "s.example.com", caUrl: LE, email: "a@example.com", upstream: "nginx:80", renewInterval: "20s" })).toContain("\n\trenew_interval 20s\n");
    });

    it.each([
        [{ domain: "Sentry.Example.com" }, 'domain "Sentry.Example.com" is not a lowercase domain name'],
        [{ domain: "sentry" }, 'domain "sentry" is not a lowercase domain name'],
        [{ domain: "sentry.example.com {\n}" }, "is not a lowercase domain name"],
        [{ caUrl: "http://ca.example.com/dir" }, "must be an https:// URL"],
        [{ email: "ops" }, 'ACME account email "ops"'],
        [{ renewInterval: "soon" }, 'renew interval "soon"'],
    ])("refuses %j", (change, message) => {
        expect(() => renderCaddyfile({ domain: "sentry.example.com", caUrl: LE, email: "ops@example.com", upstream: "nginx:80", ...change })).toThrow(message);
    });
});

describe("what the host receives per tls mode", () => {
    it("acme: the TLS server's Caddyfile, image and data directory; nginx on loopback; https", () => {
        const e = envs(acme)["configure-sentry"];
        expect(e).toMatchObject({
            SENTRY_TLS: "acme",
            SENTRY_URL: "https://sentry.example.com",
            SENTRY_BIND: "127.0.0.1:9000",
            SENTRY_DOMAIN: "sentry.example.com",
            SENTRY_TLS_IMAGE: TLS_SERVER_IMAGE,
            SENTRY_TLS_DATA_DIR: "/data/tls",
            SENTRY_CADDYFILE: renderCaddyfile({ domain: "sentry.example.com", caUrl: LE, email: "ops@example.com", upstream: TLS_SERVER_UPSTREAM }),
        });
        expect(envs({ ...acme, acme: { caUrl: LE, email: "ops@example.com", image: "registry.example.com/caddy:2.11.9" } })["configure-sentry"].SENTRY_TLS_IMAGE).toBe("registry.example.com/caddy:2.11.9");
        // Health is checked on nginx's loopback port, behind the TLS server.
        expect(envs(acme)["check-health"].HEALTH_URL).toBe("http://127.0.0.1:9000/_health/");
    });

    it.each<[Partial<SentrySettings>, string]>([
        [{ tls: "alb" }, "proxy"],
        [{ tls: "proxy" }, "proxy"],
        [{ tls: "none" }, "none"],
        [{ behindTlsProxy: true }, "proxy"],
        [{}, "none"],
    ])("%j terminates TLS as %s on the host, with no TLS server of its own", (change, mode) => {
        const e = envs({ ...settings, ...change })["configure-sentry"];
        expect(hostTlsMode({ ...settings, ...change })).toBe(mode);
        expect(e.SENTRY_TLS).toBe(mode);
        expect(e.SENTRY_BIND).toBe("9000");
        expect(e.SENTRY_CADDYFILE).toBeUndefined();
    });

    it("the script's default image is the program's", () => {
        expect(readScript("configure-sentry.sh")).toContain(`SENTRY_TLS_IMAGE="\${SENTRY_TLS_IMAGE:-${TLS_SERVER_IMAGE}}"`);
    });
});

describe("what the host receives for mail", () => {
    it("configure-sentry and test-mail get the SMTP settings, never the password; the password flag says it comes on stdin", () => {
        const e = envs({ ...settings, mail }, true);
        const smtp = { SENTRY_SMTP_HOST: mail.host, SENTRY_SMTP_PORT: "587", SENTRY_SMTP_SECURITY: "starttls", SENTRY_SMTP_USERNAME: "AKIAEXAMPLE" };
        expect(e["configure-sentry"]).toMatchObject({ ...smtp, SENTRY_MAIL_FROM: mail.from, SENTRY_SMTP_PASSWORD_STDIN: "true" });
        expect(e["test-mail"]).toEqual({ SENTRY_DIR: "/data/self-hosted", SENTRY_ADMIN_EMAIL: "ops@example.com", ...smtp, SENTRY_MAIL_FROM: mail.from });
    });

    it("without mail, test-mail has nothing but the checkout (it says there is nothing to test)", () => {
        expect(envs(settings)["test-mail"]).toEqual({ SENTRY_DIR: "/data/self-hosted" });
        expect(envs(settings)["configure-sentry"].SENTRY_SMTP_HOST).toBeUndefined();
    });

    it("test-mail runs last, once Sentry is healthy", () => {
        expect(STEPS[STEPS.length - 1]).toBe("test-mail");
        expect(STEPS.indexOf("check-health")).toBeLessThan(STEPS.indexOf("test-mail"));
    });
});

// ---------------------------------------------------------------- the component under mocks
const registered = new Map<string, Record<string, unknown>>();
beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                registered.set(a.name, a.inputs as Record<string, unknown>);
                return { id: `${a.name}-id`, state: { ...a.inputs, stdout: "", stderr: "" } };
            },
            call: (a) => a.inputs,
        },
        "sentry",
        "unit",
        false,
    );
});

/** Creates a provisioner and waits for every step's inputs; returns them as the mocks see them (secrets wrapped) and its URL. */
async function provision(name: string, args: Partial<SentryProvisionerArgs>): Promise<{ inputs: Record<string, Record<string, unknown>>; url: string }> {
    const p = new SentryProvisioner(name, {
        connection: { host: "203.0.113.10", port: 22, user: "ubuntu", privateKey: "key" },
        storage: { dataDir: "/data" },
        sentry: settings,
        adminPassword: "admin-pw",
        sshPublicKeys: [],
        ...args,
    });
    const ids = await Promise.all(STEPS.map((s) => new Promise((resolve) => p.steps[s].id.apply(resolve))));
    expect(ids).toHaveLength(STEPS.length);
    const url = await new Promise<string>((resolve) => p.url.apply(resolve));
    return { inputs: Object.fromEntries(STEPS.map((s) => [s, registered.get(`${name}-${s}`) ?? {}])), url };
}

describe("SentryProvisioner with mail and acme", () => {
    it("sends the SMTP password on configure-sentry's stdin only, and into no command", async () => {
        const { inputs } = await provision("mail1", { sentry: { ...settings, mail }, smtpPassword: pulumi.secret("Smtp-secret-1") });
        // A secret as the engine receives it (so it is encrypted in state).
        expect(inputs["configure-sentry"].stdin).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "Smtp-secret-1" });
        for (const s of STEPS) {
            if (s !== "configure-sentry") expect(JSON.stringify(inputs[s].stdin ?? ""), s).not.toContain("Smtp-secret-1");
            expect(String(inputs[s].create), s).not.toContain("Smtp-secret-1");
            expect(JSON.stringify(inputs[s].triggers ?? []), s).not.toContain("Smtp-secret-1");
        }
        expect(parseStepEnv(String(inputs["configure-sentry"].create)).SENTRY_SMTP_PASSWORD_STDIN).toBe("true");
    });

    it("a new password re-runs configure, start, health and the test message, and changes no command text", async () => {
        const a = (await provision("pw-a", { sentry: { ...settings, mail }, smtpPassword: "first" })).inputs;
        const b = (await provision("pw-b", { sentry: { ...settings, mail }, smtpPassword: "second" })).inputs;
        const changed = STEPS.filter((s) => JSON.stringify(a[s].triggers ?? []) !== JSON.stringify(b[s].triggers ?? []));
        expect(changed).toEqual(["configure-sentry", "start-sentry", "check-health", "test-mail"]);
        for (const s of STEPS) expect(a[s].create, s).toBe(b[s].create);
        // The same password again: nothing differs.
        const c = (await provision("pw-c", { sentry: { ...settings, mail }, smtpPassword: "first" })).inputs;
        expect(STEPS.filter((s) => JSON.stringify(a[s].triggers ?? []) !== JSON.stringify(c[s].triggers ?? []))).toEqual([]);
    });

    it("acme: the URL is https://<domain> and configure-sentry renders the TLS server", async () => {
        const { inputs, url } = await provision("acme1", { sentry: acme });
        expect(url).toBe("https://sentry.example.com");
        const env = parseStepEnv(String(inputs["configure-sentry"].create));
        expect(env.SENTRY_URL).toBe("https://sentry.example.com");
        expect(env.SENTRY_CADDYFILE).toContain("sentry.example.com {\n\treverse_proxy nginx:80\n}");
    });

    it.each<[string, Partial<SentryProvisionerArgs>, string]>([
        ["acme without a domain", { sentry: { ...settings, tls: "acme", acme: { caUrl: LE, email: "ops@example.com" } } }, 'tls "acme" needs a domain and the ACME CA settings'],
        ["acme with a bad CA URL", { sentry: { ...acme, acme: { caUrl: "ftp://ca", email: "ops@example.com" } } }, 'ACME CA URL "ftp://ca" must be an https:// URL'],
        ["acme with another public URL", { sentry: { ...acme, publicUrl: "https://other.example.com" } }, "leave publicUrl unset or set it to https://sentry.example.com"],
        ["a username without a password", { sentry: { ...settings, mail } }, 'mail username "AKIAEXAMPLE" is set but no SMTP password was given'],
        ["a password without mail", { smtpPassword: "x" }, "an SMTP password was given but no mail server"],
        ["a bad mail port", { sentry: { ...settings, mail: { ...mail, port: 0, username: undefined } } }, "mail port 0 is not a port"],
    ])("refuses %s before any command", (_name, args, message) => {
        expect(
            () =>
                new SentryProvisioner("bad", {
                    connection: { host: "203.0.113.10", port: 22, user: "ubuntu", privateKey: "key" },
                    storage: { dataDir: "/data" },
                    sentry: settings,
                    adminPassword: "admin-pw",
                    sshPublicKeys: [],
                    ...args,
                }),
        ).toThrow(message);
    });
});
