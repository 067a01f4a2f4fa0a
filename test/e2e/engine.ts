// What the suites that run the real Pulumi engine share: the toolchain (toolchain.sh's bin
// dir, or a clear failure when plugins were promised but are missing), the engine's isolated
// environment, and a scratch copy of the program to run it on.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { E2E_DIR, REPO_DIR, tail } from "./lib";

/** A pulumi command is killed after this long (a step or hook fails after the same: vitest.config.ts). */
export const COMMAND_TIMEOUT = 10 * 60_000;

/**
 * The bin dir of toolchain.sh and what it could not get: run.sh ran it already
 * (E2E_TOOLCHAIN_BIN), else it runs here. With E2E_REQUIRE_ENGINE=1 (run.sh sets it when
 * plugins were supplied, as in CI from ../shared/pulumi-plugins) a missing piece throws, so the
 * suite's file fails instead of being skipped.
 */
export function engineToolchain(): { BIN: string; MISSING: string } {
    const fromRunSh = process.env.E2E_TOOLCHAIN_BIN;
    let bin: string;
    let missing: string;
    if (fromRunSh) {
        // toolchain.sh writes <bin>/MISSING exactly when it exits 3.
        bin = fromRunSh;
        const file = path.join(fromRunSh, "MISSING");
        missing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    } else {
        const run = spawnSync("bash", [path.join(E2E_DIR, "toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        bin = run.stdout.trim().split("\n").pop() ?? "";
        missing = run.status === 0 ? "" : fs.existsSync(path.join(bin, "MISSING")) ? fs.readFileSync(path.join(bin, "MISSING"), "utf8") : `toolchain.sh exited ${run.status}:\n${tail(run.stderr, 20)}`;
    }
    if (missing && process.env.E2E_REQUIRE_ENGINE === "1") {
        throw new Error(`E2E_REQUIRE_ENGINE=1 but the engine end-to-end run lacks plugins:\n${missing}\n(toolchain.sh: ${bin})`);
    }
    if (missing) {
        console.warn(`\nBLOCKED: the engine end-to-end run needs plugins that cannot be had here:\n${missing}\n(toolchain.sh: ${bin})\n`);
    }
    return { BIN: bin, MISSING: missing };
}

/** The engine's environment: everything under `tmp`, no plugin downloads, no ambient plugins. */
export function engineEnv(tmp: string, bin: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        PULUMI_HOME: path.join(tmp, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-not-secret-passphrase",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        // Enables --event-log (the engine's JSON event stream), which the steps assert on.
        PULUMI_DEBUG_COMMANDS: "true",
        NO_COLOR: "1",
    };
}

/** The program as committed, copied to `dest` without its stack files, tests or git (so a test's stack file never lands in the repository). */
export function copyProject(dest: string): void {
    const source = process.env.E2E_PROJECT_DIR ?? REPO_DIR;
    fs.mkdirSync(dest);
    for (const entry of fs.readdirSync(source)) {
        if (!["node_modules", ".git", "test", "bin"].includes(entry) && !/^Pulumi\..+\.yaml$/.test(entry)) {
            fs.cpSync(path.join(source, entry), path.join(dest, entry), { recursive: true });
        }
    }
    fs.symlinkSync(path.join(REPO_DIR, "node_modules"), path.join(dest, "node_modules"));
}

export function readCommandVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(REPO_DIR, "node_modules/@pulumi/command/package.json"), "utf8")) as { version: string }).version;
}
