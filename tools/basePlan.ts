// The base a review diff compares against: a plan saved with `npm run plan -- --json`, or the
// same stack evaluated at a git ref (e.g. origin/main).
//
// A ref is evaluated by ITS OWN planner, program and stack file: `git archive <ref>` unpacked
// into a fresh temporary directory, with this checkout's node_modules linked in, and
// `tsx tools/plan.ts --stack <s> --json` run there as a child process. Why this and not
// `git worktree add`: archive only reads the repository (no worktree entry, no lock, nothing
// to prune if the run is killed: the temporary directory is all there is, removed in
// `finally`), and it works on a shallow CI clone as long as the ref's commit is there. Why a
// child process: Pulumi's runtime and the program's modules are process-global, so the ref's
// code cannot be loaded beside this checkout's; the child also runs in parallel with this
// checkout's plan (two cores: the diff costs about one plan's wall time). No network: the
// ref's planner runs under the same mocks, with the dependencies already installed here.
// When the ref's package-lock.json differs from this checkout's, its plan is made with this
// checkout's dependencies: said in a note.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan } from "./planner";

export interface BaseResult {
    plan: Plan;
    /** How the base was made, for the diff's heading ("origin/main (3f2a1c9)"). */
    name: string;
    notes: string[];
}

function git(projectDir: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("git", args, { cwd: projectDir, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A saved JSON plan (what `--json` prints), checked to be one. */
export function readPlanFile(file: string): Plan {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Plan>;
    if (typeof parsed.stack !== "string" || !Array.isArray(parsed.resources)) {
        throw new Error(`${file} is not a plan written by \`npm run plan -- --json\` (no stack or resources)`);
    }
    return { outputs: {}, ...parsed } as Plan;
}

/** The commit a ref names, or undefined when it names none. */
export function resolveRef(projectDir: string, ref: string): string | undefined {
    const r = git(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Evaluates `stack` at `commit` with that commit's planner; resolves with its JSON plan. */
export async function planAtCommit(projectDir: string, commit: string, stack: string, options: { allowPlaceholders?: boolean } = {}): Promise<{ plan: Plan; notes: string[] }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-plan-base-"));
    try {
        const tar = path.join(dir, "..", `${path.basename(dir)}.tar`);
        const archive = git(projectDir, ["archive", "--format=tar", "-o", tar, commit]);
        if (archive.status !== 0) {
            throw new Error(`git archive ${commit} failed: ${archive.stderr.trim()}`);
        }
        const untar = spawnSync("tar", ["-xf", tar, "-C", dir], { encoding: "utf8" });
        fs.rmSync(tar, { force: true });
        if (untar.status !== 0) {
            throw new Error(`unpacking ${commit} failed: ${untar.stderr}`);
        }
        if (!fs.existsSync(path.join(dir, "tools", "plan.ts"))) {
            throw new Error(`commit ${commit.slice(0, 10)} has no offline planner (tools/plan.ts): pick a later base`);
        }
        if (!fs.existsSync(path.join(dir, `Pulumi.${stack}.yaml`))) {
            throw new Error(`commit ${commit.slice(0, 10)} has no Pulumi.${stack}.yaml: the stack is new in this change (compare against a saved plan instead)`);
        }
        // (A tree that committed a node_modules link of its own gets this checkout's instead.)
        fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
        fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"), "dir");
        const notes: string[] = [];
        const lock = (root: string) => (fs.existsSync(path.join(root, "package-lock.json")) ? fs.readFileSync(path.join(root, "package-lock.json"), "utf8") : "");
        if (lock(dir) !== lock(projectDir)) {
            notes.push(`the base ${commit.slice(0, 10)} locks other dependency versions than this checkout; its plan was made with this checkout's node_modules`);
        }
        const out = path.join(dir, ".base-plan.json");
        const args = [path.join(projectDir, "node_modules", ".bin", "tsx"), "tools/plan.ts", "--stack", stack, "--json", "--out", out, ...(options.allowPlaceholders ? ["--allow-placeholders"] : [])];
        const stderr = await new Promise<string>((resolve, reject) => {
            const child = spawn(args[0], args.slice(1), { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
            let err = "";
            child.stderr.on("data", (d: Buffer) => (err += d.toString()));
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve(err) : reject(new Error(`the plan of stack ${stack} at ${commit.slice(0, 10)} failed (exit ${code}):\n${err.trim()}`))));
        });
        notes.push(...stderr.split("\n").filter((l) => l.startsWith("note: ")).map((l) => `base: ${l.slice(6)}`));
        return { plan: readPlanFile(out), notes };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** `--base <value>`: a saved plan when the file exists, else a git ref. */
export async function loadBase(projectDir: string, value: string, stack: string, options: { allowPlaceholders?: boolean } = {}): Promise<BaseResult> {
    if (fs.existsSync(value) && fs.statSync(value).isFile()) {
        const plan = readPlanFile(value);
        if (plan.stack !== stack) {
            throw new Error(`--base ${value} is a plan of stack ${plan.stack}, not ${stack}`);
        }
        return { plan, name: value, notes: [] };
    }
    const commit = resolveRef(projectDir, value);
    if (!commit) {
        throw new Error(`--base ${value}: neither a file nor a git ref of this repository (e.g. origin/main; fetch it first in a shallow clone)`);
    }
    const { plan, notes } = await planAtCommit(projectDir, commit, stack, options);
    return { plan, name: `${value} (${commit.slice(0, 10)})`, notes };
}
