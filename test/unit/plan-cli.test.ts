// `npm run plan` as reviewers and CI run it: a real process, its output and its exit code.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readStackConfig } from "../../tools/planner";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

function plan(...args: string[]) {
    const r = spawnSync(tsx, ["tools/plan.ts", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stack file as a pull request might propose it: staging's, with some values changed. */
function proposedStackFile(changes: Record<string, unknown>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-")), "Pulumi.proposed.yaml");
    fs.writeFileSync(file, stringify({ config: { ...readStackConfig("staging"), ...changes } }));
    return file;
}

describe("npm run plan", () => {
    it("prints the staging plan as JSON in the documented shape, secrets hidden", () => {
        const r = plan("--stack", "staging", "--json");
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as { stack: string; resources: Record<string, unknown>[] };
        expect(out.stack).toBe("staging");
        expect(out.resources.length).toBeGreaterThan(30);
        for (const res of out.resources) {
            expect(Object.keys(res).sort()).toEqual(["dependsOn", "inputs", "name", "protect", "retainOnDelete", "type"]);
        }
        const admin = out.resources.find((x) => x.name === "sentry-staging-provision-create-admin") as { inputs: Record<string, unknown> };
        expect(admin.inputs.stdin).toBe("[secret]");
    });

    it("writes the whole JSON plan into a pipe, even when the reader is slow", () => {
        // The prod plan is larger than a pipe's buffer; exiting before stdout drained cut it off.
        const r = spawnSync("bash", ["-c", `set -o pipefail; "${tsx}" tools/plan.ts --stack prod --json | { sleep 1; cat; }`], {
            cwd: root,
            encoding: "utf8",
            timeout: 60_000,
        });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.length).toBeGreaterThan(65_536);
        expect((JSON.parse(r.stdout) as { stack: string }).stack).toBe("prod");
    });

    it("passes the policy check for the committed stacks", () => {
        for (const stack of ["staging", "prod"]) {
            const r = plan("--stack", stack, "--check-policies");
            expect(r.status, r.stderr).toBe(0);
            expect(r.stderr).toContain(`Policies: no mandatory violations in stack ${stack}.`);
        }
    });

    it("fails the policy check when a stack file opens the web port of a non-public stack to the internet", () => {
        const r = plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:webCidrs": ["0.0.0.0/0"] }), "--check-policies");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/mandatory\s+\S+\s+sentry-staging-web-0 \(aws:vpc\/securityGroupIngressRule:SecurityGroupIngressRule\): /);
    });

    it("fails, naming the key and the fix, when a stack file opens SSH to the internet", () => {
        const r = plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:adminSshCidrs": ["0.0.0.0/0"] }), "--check-policies");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('sentry:adminSshCidrs = ["0.0.0.0/0"]: "0.0.0.0/0" opens SSH to the whole internet');
    });

    it("fails when a stack file asks feature-complete of the 8 GiB type", () => {
        const r = plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:profile": "feature-complete" }), "--check-policies");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("instance type c7i.xlarge has 4 vCPUs and 8 GiB, but the feature-complete profile needs at least 4 vCPUs and 16 GiB");
    });

    it("explains its usage", () => {
        const r = plan();
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("missing --stack <name>");
    });
});
