// `npm run trial` as a person runs it: a real process, what it prints and its exit status,
// for help and for every kind of user error. PULUMI_BINARY names a file that does not exist,
// so a test also shows that no usage error gets as far as calling Pulumi.
import * as path from "path";
import { describe, expect, it } from "vitest";
import { runProcess } from "../unit/helpers";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const NO_PULUMI = "/nonexistent/bin/pulumi";

const trial = (args: string[], env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BINARY: NO_PULUMI }) => runProcess(tsx, ["tools/trial.ts", ...args], { cwd: root, env });

/** A line of a JavaScript stack trace ("    at main (/.../trial-lib.ts:12:3)"). */
const STACK_FRAME = /^\s+at .*:\d+:\d+\)?$/m;

describe("npm run trial", { timeout: 60_000 }, () => {
    it("prints its help with --help, for the tool and for a command", async () => {
        for (const args of [["--help"], ["create", "--help"], ["-h"]]) {
            const r = await trial(args);
            expect(r.status, args.join(" ")).toBe(0);
            for (const command of ["create <name>", "extend <name>", "destroy <name>", "reap"]) {
                expect(r.stdout).toContain(`npm run trial -- ${command}`);
            }
            expect(r.stdout).toContain("PULUMI_BINARY");
        }
    });

    it.each([
        [[], "missing command"],
        [["frobnicate"], 'unknown command "frobnicate"'],
        [["create"], "create needs a trial name"],
        [["create", "demo", "--ttl"], "Option '--ttl <value>' argument missing"],
        [["create", "demo", "--ttl", "soon"], "--ttl soon: use a number and a unit"],
        [["create", "demo", "--ttl", "30d"], "--ttl 30d: a trial lives between 1h and 14d"],
        [["extend", "demo", "--ttl", "20m"], "--ttl 20m: a trial lives between 1h and 14d"],
        [["extend", "demo", "--force"], "Unknown option '--force'"],
        [["destroy", "demo", "--ttl", "3d"], "destroy does not take --ttl"],
        [["destroy", "demo", "other"], 'unexpected argument "other" for destroy'],
        [["reap", "--now", "tomorrow"], "--now tomorrow: use ISO 8601 UTC"],
    ])("refuses %j with the usage, exit 2, no stack trace, before calling Pulumi", async (args, message) => {
        const r = await trial(args);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(`error: ${message}`);
        expect(r.stderr).toContain("usage: npm run trial -- create <name>");
        expect(r.stderr).not.toMatch(STACK_FRAME);
        expect(r.stderr).not.toContain("could not run the Pulumi CLI");
    });

    it("says how to get the Pulumi CLI when it is missing, without a stack trace", async () => {
        const named = await trial(["reap", "--dry-run"]);
        expect(named.status).toBe(1);
        expect(named.stderr).toContain(`error: could not run the Pulumi CLI "${NO_PULUMI}": spawn ${NO_PULUMI} ENOENT. Install it (https://www.pulumi.com/docs/install/)`);
        expect(named.stderr).not.toMatch(STACK_FRAME);

        // Nothing called pulumi on PATH (only node's own directory and the system's).
        const env = { ...process.env, PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter), PULUMI_BINARY: "" };
        const onPath = await trial(["destroy", "demo"], env);
        expect(onPath.status).toBe(1);
        expect(onPath.stderr).toContain('error: could not run the Pulumi CLI "pulumi": spawn pulumi ENOENT');
        expect(onPath.stderr).not.toMatch(STACK_FRAME);
    });
});
