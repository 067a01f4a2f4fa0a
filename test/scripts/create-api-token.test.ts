// create-api-token.sh against the docker stand-in (test/fixtures/bin/docker), whose fake
// `sentry exec` keeps tokens in a file: what the script asks Sentry for, that stdout is the
// token alone, that every run replaces the earlier token, and that failures show no token.
// The python the script runs inside Sentry cannot run here (no Sentry); it is compiled with
// the machine's python3 to catch syntax errors, and its model calls are checked as text
// against getsentry/sentry 26.8.0's ApiToken (src/sentry/models/apitoken.py).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCRIPTS_DIR, SENTRY_COMPOSE, SENTRY_DIR, callsOf, copySelfHosted, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";
import { testTempDir } from "../unit/helpers";

afterAll(removeSandboxes);

const SCOPES = "org:read team:read team:write team:admin project:read project:write project:admin";
const base = { SENTRY_DIR, SENTRY_ADMIN_EMAIL: "ops@example.com", SENTRY_API_TOKEN_SCOPES: SCOPES };
const TOKEN = /^sntryu_[0-9a-f]{64}$/;

function running(withUser = true): Sandbox {
    const sb = makeSandbox();
    copySelfHosted(sb);
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    if (withUser) sb.writeRec("sentry-users", "ops@example.com\n");
    return sb;
}

function tokens(sb: Sandbox): string[][] {
    return sb.recFile("api-tokens").trim().split("\n").filter(Boolean).map((l) => l.split("\t"));
}

describe("create-api-token.sh", () => {
    it("prints exactly one line, the new token, and asks sentry exec in the web container for it", () => {
        const sb = running();
        const r = runScript(sb, "create-api-token.sh", base);
        expect(r.status, r.output).toBe(0);
        expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
        const token = r.stdout.trim();
        expect(token).toMatch(TOKEN);
        expect(tokens(sb)).toEqual([["ops@example.com", "pulumi-sentry-api", token]]);
        const [call] = callsOf(sb, "docker");
        expect(call.startsWith(`${SENTRY_COMPOSE} exec -T -e SENTRY_DEPLOY_EMAIL=ops@example.com -e SENTRY_DEPLOY_TOKEN_NAME=pulumi-sentry-api -e SENTRY_DEPLOY_TOKEN_SCOPES=${SCOPES} web sentry exec -c `)).toBe(true);
        expect(sb.recFile("compose.log")).toBe("exec\tCOMPOSE_PROFILES=errors-only\tenv-files=.env,.env.custom\n");
        // Messages only on stderr, never the token.
        expect(r.stderr).toContain("created (scopes:");
        expect(r.stderr).not.toContain(token);
    });

    it("replaces the earlier token on every run (rotation), keeping other names", () => {
        const sb = running();
        sb.writeRec("api-tokens", "ops@example.com\tci-uploads\tsntryu_keepme\n");
        const first = runScript(sb, "create-api-token.sh", base).stdout.trim();
        const second = runScript(sb, "create-api-token.sh", base);
        expect(second.status, second.output).toBe(0);
        expect(second.stdout.trim()).not.toBe(first);
        expect(tokens(sb)).toEqual([
            ["ops@example.com", "ci-uploads", "sntryu_keepme"],
            ["ops@example.com", "pulumi-sentry-api", second.stdout.trim()],
        ]);
    });

    it("keeps stdout to the token when Sentry prints warnings around it", () => {
        const sb = running();
        const r = runScript(sb, "create-api-token.sh", { ...base, STANDIN_SENTRY_EXEC_NOISE: "1" });
        expect(r.status, r.output).toBe(0);
        expect(r.stdout.trim()).toMatch(TOKEN);
        expect(r.stderr).toContain("DeprecationWarning: stand-in noise");
    });

    it("fails clearly, printing no token, when the superuser does not exist", () => {
        const sb = running(false);
        const r = runScript(sb, "create-api-token.sh", base);
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("no active superuser ops@example.com; create-admin.sh makes it");
    });

    it("fails when Sentry answers without a token", () => {
        const sb = running();
        const r = runScript(sb, "create-api-token.sh", { ...base, STANDIN_SENTRY_EXEC_NO_TOKEN: "1" });
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("printed no user auth token");
    });

    it("fails when web is not running", () => {
        const sb = running();
        const r = runScript(sb, "create-api-token.sh", { ...base, STANDIN_CREATEUSER_FAIL: "1" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("sentry exec failed");
        expect(r.stderr).toContain('service "web" is not running');
    });

    it.each([
        ["no scopes", { SENTRY_API_TOKEN_SCOPES: "" }, "SENTRY_API_TOKEN_SCOPES is required"],
        ["a made-up scope", { SENTRY_API_TOKEN_SCOPES: "org:read root:all" }, "'root:all' is not a Sentry scope"],
        ["a name with a space", { SENTRY_API_TOKEN_NAME: "my token" }, "SENTRY_API_TOKEN_NAME='my token'"],
        ["a malformed email", { SENTRY_ADMIN_EMAIL: "ops" }, "SENTRY_ADMIN_EMAIL='ops'"],
    ])("%s fails before calling docker", (_n, extra, message) => {
        const sb = running();
        const r = runScript(sb, "create-api-token.sh", { ...base, ...extra });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(callsOf(sb, "docker")).toEqual([]);
    });

    it("runs python that compiles and uses the 26.8.0 ApiToken model as its source says", () => {
        const sb = running();
        expect(runScript(sb, "create-api-token.sh", base).status).toBe(0);
        const code = sb.recFile("sentry-exec-code.log").split("\n----\n")[0];
        // A user auth token that does not expire (the model's default is now + 30 days).
        expect(code).toContain("token_type=AuthTokenType.USER");
        expect(code).toContain("expires_at=None");
        expect(code).toContain("token.plaintext_token");
        expect(code).toContain("is_superuser=True");
        const python = spawnSync("python3", ["--version"]);
        if (python.status === 0) {
            // As written, and as `sentry exec -c` runs it (src/sentry/runner/commands/exec.py
            // re-indents the body into a try block under its own header).
            const wrapped = `from sentry.runner import configure; configure()\ntry:\n    ${code.replace(/\n/g, "\n    ")}\nexcept Exception:\n    raise\n`;
            for (const text of [code, wrapped]) {
                const file = path.join(testTempDir("api-token-py-"), "snippet.py");
                fs.writeFileSync(file, text);
                const compiled = spawnSync("python3", ["-m", "py_compile", file], { encoding: "utf8" });
                expect(compiled.status, compiled.stderr).toBe(0);
            }
        }
    });

    it("never prints the token in the script's own text paths (stdout is the token alone)", () => {
        const code = fs.readFileSync(path.join(SCRIPTS_DIR, "create-api-token.sh"), "utf8");
        // The only write to stdout is the final printf of the token; log goes through note (stderr).
        const stdoutWrites = code.split("\n").filter((l) => /^\s*(printf '%s\\n' "\$token"|log )/.test(l));
        expect(stdoutWrites).toEqual(['printf \'%s\\n\' "$token"']);
    });
});
