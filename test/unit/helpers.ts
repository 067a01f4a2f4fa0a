// Helpers shared by the unit tests.
import { spawn } from "child_process";
import { Plan, PlanResource } from "../../tools/planner";

/** The plan's resource with this name; throws when there is none. */
export function byName(plan: Plan, name: string): PlanResource {
    const r = plan.resources.find((x) => x.name === name);
    if (!r) {
        throw new Error(`no resource ${name} in plan for ${plan.stack}`);
    }
    return r;
}

export interface ProcessResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs a command to its end without blocking the test worker (spawnSync would keep vitest's
 * worker from answering its runner for the whole run of a slow CLI test file).
 */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 90_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}
