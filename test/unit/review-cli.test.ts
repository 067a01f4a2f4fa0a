// `npm run plan -- --base <ref>` as a reviewer runs it: the base evaluated at a git ref by that
// ref's own planner. The repository is a temporary copy of this checkout's files with a
// commit of its own (never a commit in this repository), and this checkout's node_modules.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanDiff } from "../../tools/review";
import { runProcess } from "./helpers";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
let repo: string;

const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });

beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "review-cli-"));
    // This checkout's files as they are now (tracked and new, not ignored), so the test checks this code.
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const f of files) {
        if (fs.existsSync(path.join(root, f))) {
            fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
            fs.copyFileSync(path.join(root, f), path.join(repo, f));
        }
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(repo, "node_modules"), "dir");
    git("init", "-q", "-b", "main");
    fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "/node_modules\n");
    git("add", "-A");
    git("commit", "-qm", "base");
    // The change under review: one line more in configure-sentry.sh, not committed.
    fs.appendFileSync(path.join(repo, "components/host/scripts/configure-sentry.sh"), 'log "reviewed in a pull request"\n');
});

afterAll(() => {
    fs.rmSync(repo, { recursive: true, force: true });
});

describe("npm run plan -- --base <git ref>", { timeout: 180_000 }, () => {
    it("lists configure, start and health check, in that order, with the script's diff", async () => {
        const r = await runProcess(tsx, ["tools/plan.ts", "--stack", "staging", "--allow-placeholders", "--base", "HEAD", "--cost"], { cwd: repo, timeoutMs: 170_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^Changes to stack staging against HEAD \([0-9a-f]{10}\): 0 to create, 1 to update, 2 to replace, 0 to delete, \d+ unchanged\n/);
        const steps = /Host steps that run on deploy, in run order:\n([\s\S]*?)\n\n/.exec(r.stdout)?.[1] ?? "";
        expect(steps.split("\n").filter((l) => /^ {2}\d+\. /.test(l)).map((l) => l.trim().split(/\s+/)[1])).toEqual(["configure-sentry", "start-sentry", "check-health"]);
        expect(r.stdout).toContain("because /usr/local/lib/sentry-deploy/configure-sentry.sh changed");
        expect(r.stdout).toMatch(/# configure-sentry: \/usr\/local\/lib\/sentry-deploy\/configure-sentry\.sh\n--- a\/usr\/local\/lib\/sentry-deploy\/configure-sentry\.sh\tbase\n\+\+\+ b\/usr\/local\/lib\/sentry-deploy\/configure-sentry\.sh\tthis change\n@@ [^\n]+ @@\n(?: [^\n]*\n){1,3}\+log "reviewed in a pull request"\n/);
        expect(r.stdout).toContain("Cost change of stack staging:");
        expect(r.stdout).toMatch(/a month, \+\$0\.00\n/);
        // The base was planned in a temporary tree that is gone again; the repository has no new worktree.
        expect(git("worktree", "list").trim().split("\n")).toHaveLength(1);
        expect(git("status", "--porcelain").trim()).toBe("M components/host/scripts/configure-sentry.sh");
    });

    it("carries the diff in --json, and takes a saved plan as the base too", async () => {
        const saved = path.join(repo, "..", `${path.basename(repo)}-base.json`);
        git("stash", "-q");
        const b = await runProcess(tsx, ["tools/plan.ts", "--stack", "staging", "--allow-placeholders", "--json", "--out", saved], { cwd: repo });
        git("stash", "pop", "-q");
        expect(b.status, b.stderr).toBe(0);
        const r = await runProcess(tsx, ["tools/plan.ts", "--stack", "staging", "--allow-placeholders", "--json", "--base", saved], { cwd: repo });
        fs.rmSync(saved, { force: true });
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as { diff: PlanDiff; steps: { step: string }[] };
        expect(out.diff.steps.map((s) => s.step)).toEqual(["configure-sentry", "start-sentry", "check-health"]);
        expect(out.diff.steps[0].files[0].patch).toContain('+log "reviewed in a pull request"');
        expect(out.steps.map((s) => s.step)[0]).toBe("wait-for-host");
    });

    it("refuses a base that is neither a file nor a ref", async () => {
        const r = await runProcess(tsx, ["tools/plan.ts", "--stack", "staging", "--allow-placeholders", "--base", "no-such-ref"], { cwd: repo });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("--base no-such-ref: neither a file nor a git ref of this repository");
    });
});
