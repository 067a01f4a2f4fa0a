// `npm run plan` as reviewers and CI run it: a real process, its output and its exit code.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SMTP_PASSWORD_STEPS } from "../../components/host/provisioner";
import { readStackConfig } from "../../tools/planner";
import { runProcess, testTempDir } from "./helpers";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

const plan = (...args: string[]) => runProcess(tsx, ["tools/plan.ts", ...args], { cwd: root });
const npm = (...args: string[]) => runProcess("npm", args, { cwd: root });

/** A line of a JavaScript stack trace ("    at main (/.../plan.ts:12:3)"). */
const STACK_FRAME = /^\s+at .*:\d+:\d+\)?$/m;

/** A stack file as a pull request might propose it: a committed stack's (staging's unless named), with some values changed. */
function proposedStackFile(changes: Record<string, unknown>, stack = "staging"): string {
    const file = path.join(testTempDir("plan-cli-"), "Pulumi.proposed.yaml");
    fs.writeFileSync(file, stringify({ config: { ...readStackConfig(stack), ...changes } }));
    return file;
}

// Each test runs whole plans in child processes: seconds each, more on a busy machine.
describe("npm run plan", { timeout: 120_000 }, () => {
    it("prints the staging plan as JSON in the documented shape, secrets hidden", async () => {
        const r = await plan("--stack", "staging", "--json", "--allow-placeholders");
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as { stack: string; resources: Record<string, unknown>[] };
        expect(out.stack).toBe("staging");
        expect(out.resources.length).toBeGreaterThan(30);
        for (const res of out.resources) {
            // ignoreChanges only where the program sets it (the instance's AMI).
            expect(Object.keys(res).filter((k) => k !== "ignoreChanges").sort()).toEqual(["dependsOn", "inputs", "name", "protect", "retainOnDelete", "type"]);
        }
        const admin = out.resources.find((x) => x.name === "sentry-staging-provision-create-admin") as { inputs: Record<string, unknown> };
        expect(admin.inputs.stdin).toBe("[secret]");
    });

    it("writes the whole JSON plan into a pipe, even when the reader is slow", async () => {
        // The prod plan is larger than a pipe's buffer; exiting before stdout drained cut it off.
        const r = await runProcess("bash", ["-c", `set -o pipefail; "${tsx}" tools/plan.ts --stack prod --json --allow-placeholders | { sleep 1; cat; }`], { cwd: root });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.length).toBeGreaterThan(65_536);
        expect((JSON.parse(r.stdout) as { stack: string }).stack).toBe("prod");
    });

    it("passes the policy check for the committed stacks", async () => {
        for (const stack of ["staging", "prod"]) {
            const r = await plan("--stack", stack, "--check-policies", "--allow-placeholders");
            expect(r.status, r.stderr).toBe(0);
            expect(r.stderr).toContain(`Policies: no mandatory violations in stack ${stack}.`);
        }
    });

    it("fails the policy check when a stack file opens the web port of a non-public stack to the internet", async () => {
        const r = await plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:webCidrs": ["0.0.0.0/0"] }), "--check-policies", "--allow-placeholders");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/mandatory\s+\S+\s+sentry-staging-web-0 \(aws:vpc\/securityGroupIngressRule:SecurityGroupIngressRule\): /);
    });

    it("fails, naming the key and the fix, when a stack file opens SSH to the internet", async () => {
        const r = await plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:adminSshCidrs": ["0.0.0.0/0"] }), "--check-policies", "--allow-placeholders");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('sentry:adminSshCidrs = ["0.0.0.0/0"]: "0.0.0.0/0" opens SSH to the whole internet');
    });

    it("fails when a stack file asks feature-complete of the 8 GiB type", async () => {
        const r = await plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:profile": "feature-complete" }), "--check-policies", "--allow-placeholders");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("instance type c7i.xlarge has 4 vCPUs and 8 GiB, but the feature-complete profile needs at least 4 vCPUs and 16 GiB");
    });

    it("fails the policy check when a stack file splits staging's web port into 0.0.0.0/1 and 128.0.0.0/1", async () => {
        const file = proposedStackFile({ "sentry:webCidrs": ["0.0.0.0/1", "128.0.0.0/1"] });
        const r = await plan("--stack", "staging", "--stack-file", file, "--check-policies", "--allow-placeholders");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/public-ingress-web-only\s+sentry-staging-web-0 .*: 0\.0\.0\.0\/1 \(sentry-staging-web-0\) and 128\.0\.0\.0\/1 \(sentry-staging-web-1\) together may reach web port 9000/);
    });

    it("plans a well-formed instance type outside the built-in table, saying AWS checks its size at preview", async () => {
        const r = await plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:instanceType": "m5.2xlarge" }), "--check-policies", "--allow-placeholders");
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("    instanceType: m5.2xlarge\n");
        expect(r.stdout).toMatch(/Notes:\n {2}- sentry-staging-host: instance type m5\.2xlarge is not in the offline catalogue .*placeholder size.*AWS checks the real size against the Sentry profile at `pulumi preview`/);
        // Only the advisory rule speaks: the PR check passes.
        expect(r.stderr).toMatch(/advisory\s+instance-type-known\s+sentry-staging-host/);
        expect(r.stderr).toContain("Policies: no mandatory violations in stack staging.");
    });

    it("refuses a malformed instance type, naming sentry:instanceType", async () => {
        const r = await plan("--stack", "staging", "--stack-file", proposedStackFile({ "sentry:instanceType": "m5 2xlarge" }), "--allow-placeholders");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("sentry:instanceType = m5 2xlarge: is not an EC2 instance type name. Fix: pulumi config set sentry:instanceType");
        expect(r.stderr).not.toMatch(STACK_FRAME);
    });

    it("prints its help with --help", async () => {
        const r = await plan("--help");
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^usage: npm run -s plan -- --stack <name>/);
        for (const flag of ["--stack-file <file>", "--json", "--out <file>", "--check-policies", "--allow-placeholders", "-h, --help"]) {
            expect(r.stdout).toContain(flag);
        }
    });

    it.each([
        [[], "missing --stack <name>"],
        [["--stak", "staging"], "Unknown option '--stak'"],
        [["--stack"], "Option '-s, --stack <value>' argument missing"],
        [["--stack", "staging", "prod"], "Unexpected argument 'prod'"],
        [["--stack", "nosuch"], 'unknown stack "nosuch": there is no Pulumi.nosuch.yaml (stacks here: prod, staging)'],
        [["--stack", "staging", "--stack-file", "/nonexistent/Pulumi.x.yaml"], "--stack-file /nonexistent/Pulumi.x.yaml: no such file"],
    ])("refuses %j with the usage and no stack trace", async (args, message) => {
        const r = await plan(...args);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(`plan: ${message}`);
        expect(r.stderr).toContain("usage: npm run -s plan -- --stack <name>");
        expect(r.stderr).not.toMatch(STACK_FRAME);
        expect(r.stdout).toBe("");
    });

    it("prints pure JSON through npm run -s, and writes it to --out through plain npm run", async () => {
        const silent = await npm("run", "-s", "plan", "--", "--stack", "staging", "--json", "--allow-placeholders");
        expect(silent.status, silent.stderr).toBe(0);
        expect((JSON.parse(silent.stdout) as { stack: string }).stack).toBe("staging");

        const out = path.join(testTempDir("plan-out-"), "plan.json");
        const loud = await npm("run", "plan", "--", "--stack", "staging", "--json", "--out", out, "--allow-placeholders");
        expect(loud.status, loud.stderr).toBe(0);
        expect(loud.stdout).not.toContain('"resources"'); // npm's own header only
        expect((JSON.parse(fs.readFileSync(out, "utf8")) as { stack: string; notes: string[] }).notes).toEqual([]);
        expect(loud.stderr).toContain(`wrote the JSON plan of stack staging to ${out}`);
    });
    it("diffs two stack files whose SMTP password differs: [secret] on both sides, and the steps a new value re-runs, in run order", async () => {
        // Two stack files as a reviewer has them: the target branch's, saved as a plan, and the
        // pull request's, whose `secure:` ciphertext of sentry:smtpPassword is new.
        const mail = { "sentry:mail": "smtp", "sentry:smtp": { host: "smtp.mail.example.net", port: 587, username: "sentry", security: "starttls" } };
        const oldCipher = "v1:T2xkU210cENpcGhlcnRleHRBQUFB";
        const newCipher = "v1:TmV3U210cENpcGhlcnRleHRCQkJC";
        const baseFile = proposedStackFile({ ...mail, "sentry:smtpPassword": { secure: oldCipher } }, "prod");
        const headFile = proposedStackFile({ ...mail, "sentry:smtpPassword": { secure: newCipher } }, "prod");
        const saved = path.join(testTempDir("plan-base-"), "base.json");
        const b = await plan("--stack", "prod", "--stack-file", baseFile, "--json", "--out", saved, "--allow-placeholders");
        expect(b.status, b.stderr).toBe(0);

        const r = await plan("--stack", "prod", "--stack-file", headFile, "--base", saved, "--allow-placeholders");
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("~  sentry:smtpPassword: [secret] -> [secret] (encrypted value changed in the stack file");
        // The resources read the same offline; the steps the password reaches are listed, in run order.
        expect(r.stdout).toContain("0 to create, 0 to update, 0 to replace, 0 to delete");
        const steps = r.stdout.slice(r.stdout.indexOf("Host steps that run on deploy"));
        const listed = steps.split("\n").filter((l) => /^ {2}\d+\. /.test(l)).map((l) => l.trim().split(/\s+/));
        expect(listed.map((l) => l[1])).toEqual([...SMTP_PASSWORD_STEPS]);
        const order = listed.map((l) => Number.parseInt(l[0], 10));
        expect(order).toEqual([...order].sort((x, y) => x - y));
        expect(steps).toContain("only if the value of sentry:smtpPassword is new");
        // Neither ciphertext reaches the output, nor the file the base was saved to.
        for (const out of [r.stdout, r.stderr, fs.readFileSync(saved, "utf8")]) {
            expect(out).not.toContain(oldCipher.slice(3));
            expect(out).not.toContain(newCipher.slice(3));
        }

        // The same stack file on both sides: no secret change at all.
        const same = await plan("--stack", "prod", "--stack-file", baseFile, "--base", saved, "--allow-placeholders");
        expect(same.status, same.stderr).toBe(0);
        expect(same.stdout).not.toContain("Secret settings");
    });
});
