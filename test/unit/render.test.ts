import { spawnSync } from "child_process";
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { manualRunCommand, parseStepEnv, readScript, renderEnvFile, renderStepCommand, shellQuote } from "../../components/host/render";
import { testTempDir } from "./helpers";

const LIB = readScript("lib.sh");

describe("rendering step commands", () => {
    it("quotes any value for bash", () => {
        const nasty = `a'b"c$(id)\`x\`\n;rm -rf /`;
        const out = spawnSync("bash", ["-c", `printf %s ${shellQuote(nasty)}`], { encoding: "utf8" });
        expect(out.stdout).toBe(nasty);
    });

    it("writes env files sorted, so the command text is stable", () => {
        expect(renderEnvFile({ B: "2", A: "it's" })).toBe(`A='it'\\''s'\nB='2'\n`);
        expect(() => renderEnvFile({ "bad-name": "x" })).toThrow(/not a plain upper-case identifier/);
    });

    it("runs the script beside lib.sh with its inputs from a root-only file, passes stdin through, and keeps all for manual re-runs", () => {
        const root = testTempDir("render-");
        const script = [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            "readonly SCRIPT=demo",
            '. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"',
            'log "greeting=$GREETING"',
            'log "stdin=$(cat)"',
            "",
        ].join("\n");
        // Run the rendered command for real, with the host directories redirected into a temp dir.
        const command = renderStepCommand("demo", script, { GREETING: "hello 'world'" }, LIB)
            .replaceAll("/usr/local/lib/sentry-deploy", `${root}/lib`)
            .replaceAll("/etc/sentry-deploy", `${root}/etc`);
        const out = spawnSync("bash", ["-c", command], { input: "s3cret-on-stdin", encoding: "utf8" });
        expect(out.stderr).toBe("");
        expect(out.status).toBe(0);
        expect(out.stdout).toBe("demo: greeting=hello 'world'\ndemo: stdin=s3cret-on-stdin\n");
        expect(fs.readFileSync(`${root}/lib/demo.sh`, "utf8")).toBe(script);
        // (lib.sh's header names the host directory, which the redirection above rewrote too)
        expect(fs.readFileSync(`${root}/lib/lib.sh`, "utf8")).toBe(LIB.replaceAll("/usr/local/lib/sentry-deploy", `${root}/lib`));
        expect(fs.statSync(`${root}/etc/demo.env`).mode & 0o777).toBe(0o600);
        expect(fs.statSync(`${root}/etc`).mode & 0o777).toBe(0o700);
        // The stdin secret is not written anywhere.
        for (const f of [`${root}/lib/demo.sh`, `${root}/etc/demo.env`]) {
            expect(fs.readFileSync(f, "utf8")).not.toContain("s3cret");
        }
    });

    it("reads the inputs back from a rendered command, whatever the values hold", () => {
        const env = { SSH_PUBLIC_KEYS: "ssh-ed25519 AAAA a@b\nssh-ed25519 BBBB c@d", QUOTED: "it's \"x\"", EMPTY: "" };
        expect(parseStepEnv(renderStepCommand("demo", "echo\n", env, LIB))).toEqual(env);
        expect(parseStepEnv(renderStepCommand("demo", "echo\n", {}, LIB))).toEqual({});
    });

    it("refuses a script or lib.sh that would end its own heredoc early", () => {
        expect(() => renderStepCommand("x", "echo\nSENTRY_DEPLOY_SCRIPT_EOF\n", {}, LIB)).toThrow(/heredoc terminator/);
        expect(() => renderStepCommand("x", "echo\n", {}, "log() { :; }\nSENTRY_DEPLOY_SCRIPT_EOF\n")).toThrow(/heredoc terminator/);
    });

    it("documents the same paths for manual re-runs", () => {
        expect(manualRunCommand("configure-sentry")).toBe(
            "sudo bash -c 'set -a; . /etc/sentry-deploy/configure-sentry.env; set +a; exec /usr/local/lib/sentry-deploy/configure-sentry.sh'",
        );
    });
});
