// The pull-request review for forks: the fork's run has no secrets and no write permission and
// only writes text; the job that can write to the pull request never runs the pull request's code.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const dir = path.resolve(__dirname, "../../.github/workflows");
type Step = { uses?: string; run?: string; env?: Record<string, string> };
type Job = { if?: string; permissions?: Record<string, string>; steps?: Step[] };
const workflow = (file: string) => parse(fs.readFileSync(path.join(dir, file), "utf8")) as { on: Record<string, unknown>; permissions: unknown; jobs: Record<string, Job> };

describe("the offline review of a pull request", () => {
    it("is made for every pull request, forks included, with a read-only token and no secrets", () => {
        const wf = workflow("pull-request.yml");
        const review = wf.jobs.review;
        expect(review.if).toBeUndefined();
        expect(review.permissions).toEqual({ contents: "read" });
        const text = JSON.stringify(review);
        expect(text).not.toContain("secrets.");
        const plan = review.steps!.find((s) => s.run?.includes("npm run -s plan"))!;
        expect(plan.run).toContain('--base "$BASE_SHA" --cost');
        expect(plan.env!.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
        expect(review.steps!.some((s) => s.uses?.startsWith("actions/upload-artifact@"))).toBe(true);
    });

    it("is posted by a workflow_run job that never checks out or runs the pull request's code", () => {
        const wf = workflow("plan-review-comment.yml");
        expect(Object.keys(wf.on)).toEqual(["workflow_run"]);
        expect(wf.permissions).toEqual({});
        const job = wf.jobs.comment;
        expect(job.permissions).toEqual({ actions: "read", "pull-requests": "write" });
        for (const step of job.steps!) {
            expect(step.uses).toBeUndefined();
            expect(step.run).not.toMatch(/\b(npm|npx|node|tsx|git checkout|git clone|bash review|source|\. review)\b/);
        }
        // The number in the artifact is only trusted when that pull request's head is the run's commit.
        expect(job.steps!.map((s) => s.run).join("\n")).toContain('if [[ "$pr_head" != "$HEAD_SHA" ]]');
    });

    it("pins every action to a commit", () => {
        for (const file of ["pull-request.yml", "plan-review-comment.yml"]) {
            for (const job of Object.values(workflow(file).jobs)) {
                for (const step of job.steps ?? []) {
                    if (step.uses && !step.uses.startsWith("./")) {
                        expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
                    }
                }
            }
        }
    });
});

describe("AWS credentials in the workflows", () => {
    it("ask GitHub for a token whose audience is the partition's STS (sts.amazonaws.com.cn in AWS China), in every job that assumes a role", () => {
        const steps = fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".yml"))
            .flatMap((f) => Object.values(workflow(f).jobs).flatMap((j) => (j.steps ?? []).map((s) => ({ f, s: s as Step & { with?: Record<string, string> } }))))
            .filter(({ s }) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        expect(steps.map(({ f }) => f).sort()).toEqual(["deploy-stack.yml", "pull-request.yml", "trial-reaper.yml"]);
        for (const { f, s } of steps) {
            // The audience follows the same region the step assumes the role in.
            expect(s.with?.["aws-region"], f).toBe("${{ vars.AWS_REGION || 'eu-central-1' }}");
            expect(s.with?.audience, f).toBe("${{ startsWith(vars.AWS_REGION, 'cn-') && 'sts.amazonaws.com.cn' || 'sts.amazonaws.com' }}");
        }
    });
});
