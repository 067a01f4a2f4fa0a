// Pure functions that turn typed settings into the text the host receives. Tests read
// these directly; the components only wire their results into remote commands.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const SCRIPTS_DIR = path.join(__dirname, "scripts");
/** Where each step's script and its (non-secret) inputs are kept on the host, for re-runs by hand. */
const HOST_SCRIPT_DIR = "/usr/local/lib/sentry-deploy";
const HOST_ENV_DIR = "/etc/sentry-deploy";

export function readScript(file: string): string {
    return fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
}

/** Single-quotes a value for bash; safe for any content. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** KEY='value' lines, sorted so the text (and so the command) is stable. */
export function renderEnvFile(env: Record<string, string>): string {
    return Object.keys(env)
        .sort()
        .map((k) => {
            if (!/^[A-Z][A-Z0-9_]*$/.test(k)) {
                throw new Error(`environment variable name ${k} is not a plain upper-case identifier`);
            }
            return `${k}=${shellQuote(env[k])}\n`;
        })
        .join("");
}

/** The shell text, run as root on the host, that runs a step's script with its env file's inputs exported. */
function runStepScript(step: string): string {
    return `set -a; . ${HOST_ENV_DIR}/${step}.env; set +a; exec ${HOST_SCRIPT_DIR}/${step}.sh`;
}

const SCRIPT_EOF = "SENTRY_DEPLOY_SCRIPT_EOF";
const ENV_EOF = "SENTRY_DEPLOY_ENV_EOF";

/**
 * The command a remote step runs. Inputs reach the script in a root-only env file written
 * through a quoted heredoc, not as SSH environment requests (stock sshd drops those unless
 * AcceptEnv allows them) and not on a command line. The command's own stdin is passed through
 * to the script untouched, which is how a secret travels. The script and env file stay on the
 * host so an operator can re-run the step by hand (see `manualRunCommand`). `lib` is the
 * text of lib.sh, the helpers every script sources from its own directory; each step writes
 * it beside its script, so a step never depends on an earlier one having shipped it. `extra`
 * names further scripts (file name -> text) the step writes beside its own.
 */
export function renderStepCommand(step: string, script: string, env: Record<string, string>, lib: string, extra: Record<string, string> = {}): string {
    const envText = renderEnvFile(env);
    if (script.includes(SCRIPT_EOF) || lib.includes(SCRIPT_EOF) || envText.includes(ENV_EOF) || Object.values(extra).some((t) => t.includes(SCRIPT_EOF))) {
        throw new Error(`step ${step}: its text contains a heredoc terminator`);
    }
    const scriptPath = `${HOST_SCRIPT_DIR}/${step}.sh`;
    const libPath = `${HOST_SCRIPT_DIR}/lib.sh`;
    const envPath = `${HOST_ENV_DIR}/${step}.env`;
    const withoutFinalNewline = (text: string) => (text.endsWith("\n") ? text.slice(0, -1) : text);
    return [
        "set -euo pipefail",
        `if [ "$(id -u)" -eq 0 ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi`,
        `as_root install -d -m 0755 ${HOST_SCRIPT_DIR}`,
        `as_root install -d -m 0700 ${HOST_ENV_DIR}`,
        `as_root tee ${libPath} >/dev/null <<'${SCRIPT_EOF}'`,
        withoutFinalNewline(lib),
        SCRIPT_EOF,
        `as_root chmod 0644 ${libPath}`,
        // Further scripts the step installs beside its own (e.g. the heartbeat a timer runs).
        ...Object.keys(extra)
            .sort()
            .flatMap((file) => {
                if (!/^[a-z][a-z0-9-]*\.sh$/.test(file)) {
                    throw new Error(`step ${step}: extra script name ${file} is not a plain <name>.sh`);
                }
                return [`as_root tee ${HOST_SCRIPT_DIR}/${file} >/dev/null <<'${SCRIPT_EOF}'`, withoutFinalNewline(extra[file]), SCRIPT_EOF, `as_root chmod 0755 ${HOST_SCRIPT_DIR}/${file}`];
            }),
        `as_root tee ${scriptPath} >/dev/null <<'${SCRIPT_EOF}'`,
        withoutFinalNewline(script),
        SCRIPT_EOF,
        `as_root chmod 0755 ${scriptPath}`,
        `as_root tee ${envPath} >/dev/null <<'${ENV_EOF}'`,
        withoutFinalNewline(envText),
        ENV_EOF,
        `as_root chmod 0600 ${envPath}`,
        `as_root bash -c ${shellQuote(runStepScript(step))}`,
        "",
    ].join("\n");
}

/** The inputs a rendered step command writes to its env file: the inverse of renderEnvFile. */
export function parseStepEnv(command: string): Record<string, string> {
    const body = new RegExp(`<<'${ENV_EOF}'\\n([\\s\\S]*?)\\n?${ENV_EOF}$`, "m").exec(command)?.[1] ?? "";
    // KEY='value' entries; a quoted value may span lines and holds quotes as '\''.
    const entry = /([A-Z][A-Z0-9_]*)='((?:[^']|'\\'')*)'(?:\n|$)/y;
    const env: Record<string, string> = {};
    while (entry.lastIndex < body.length) {
        const start = entry.lastIndex;
        const match = entry.exec(body);
        if (!match) {
            throw new Error(`not an env file written by renderEnvFile, at: ${body.slice(start, start + 40)}`);
        }
        env[match[1]] = match[2].replace(/'\\''/g, "'");
    }
    return env;
}

/** What the README tells an operator to run on the host to repeat a step by hand. */
export function manualRunCommand(step: string): string {
    return `sudo bash -c '${runStepScript(step)}'`;
}

/** A short, stable digest used as a `triggers` entry ("re-run when that step re-ran"). */
export function digest(...parts: string[]): string {
    const h = crypto.createHash("sha256");
    for (const p of parts) {
        h.update(p);
        h.update("\0");
    }
    return h.digest("hex").slice(0, 16);
}

/** What the TLS server on the host (sentry:tls acme) is told. */
export interface CaddyfileInputs {
    /** The name users type; Caddy obtains its certificate and redirects http:// to https://. */
    domain: string;
    /** The ACME directory URL (Let's Encrypt's by default). */
    caUrl: string;
    /** The ACME account's contact address (expiry notices). */
    email: string;
    /** Where Caddy sends the requests: upstream's nginx on the compose network. */
    upstream: string;
    /**
     * How often Caddy looks for certificates to renew (Caddy's default: 10m). Only for CAs that
     * issue short-lived certificates (the end-to-end test's Pebble); unset for Let's Encrypt.
     */
    renewInterval?: string;
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The Caddyfile of the TLS server (sentry:tls acme): one site, the domain, proxied to
 * upstream's nginx, which passes the scheme on to Sentry (configure-sentry.sh's derived
 * nginx.conf). Caddy's automatic HTTPS obtains and renews the certificate (HTTP-01 on
 * port 80 or TLS-ALPN-01 on 443, so the CA must reach one of them) and answers every http://
 * request with a permanent redirect to https://. HTTP/3 is off: it needs UDP 443, which the
 * firewall rules do not open.
 */
export function renderCaddyfile(i: CaddyfileInputs): string {
    if (!DOMAIN_RE.test(i.domain)) {
        throw new Error(`domain "${i.domain}" is not a lowercase domain name like sentry.example.com`);
    }
    if (!/^https:\/\/[^\s{}"]+$/.test(i.caUrl)) {
        throw new Error(`ACME CA URL "${i.caUrl}" must be an https:// URL, e.g. https://acme-v02.api.letsencrypt.org/directory`);
    }
    if (!/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/.test(i.email)) {
        throw new Error(`ACME account email "${i.email}" is not an address like ops@example.com`);
    }
    if (!/^[a-z0-9.-]+:[0-9]{1,5}$/.test(i.upstream)) {
        throw new Error(`upstream "${i.upstream}" must be host:port, e.g. nginx:80`);
    }
    if (i.renewInterval !== undefined && !/^[1-9][0-9]*(s|m|h)$/.test(i.renewInterval)) {
        throw new Error(`renew interval "${i.renewInterval}" must be a duration like 30s, 10m or 1h`);
    }
    return [
        "# Written by configure-sentry.sh from the deployment's settings (sentry:tls acme); edits are overwritten.",
        "{",
        `\temail ${i.email}`,
        `\tacme_ca ${i.caUrl}`,
        ...(i.renewInterval !== undefined ? [`\trenew_interval ${i.renewInterval}`] : []),
        "\tservers {",
        "\t\tprotocols h1 h2",
        "\t}",
        "}",
        "",
        `${i.domain} {`,
        `\treverse_proxy ${i.upstream}`,
        "}",
        "",
    ].join("\n");
}
