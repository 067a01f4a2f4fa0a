// End-to-end: a new user's stack file full of common mistakes meets the real Pulumi engine.
// `pulumi preview` must refuse it before any resource exists, listing every problem at once
// with the key, the value and the fix. Mocks cannot show this: the engine decides which keys
// are secrets, how config reaches the program and what a failing program prints.
// Run with `npm run test:e2e` (as root). See test/e2e/README.md.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_TIMEOUT, copyProject, engineEnv, engineToolchain } from "./engine";
import { RunOptions, RunResult, Runner } from "./lib";

const { BIN, MISSING } = engineToolchain();
const STACK = "newuser";

/** Each mistake, the key the message must name, and a word of the fix it must give. */
const MISTAKES: { what: string; key: string; fix: RegExp }[] = [
    { what: "a typo in a key's case", key: "sentry:dataVolumeSizeGB", fix: /sentry:dataVolumeSizeGb/ },
    { what: "a misspelt key", key: "sentry:instancetype", fix: /sentry:instanceType/ },
    { what: "a password committed in plain text", key: "sentry:adminPassword", fix: /pulumi config set --secret sentry:adminPassword/ },
    { what: "SSH opened to the internet in two halves", key: "sentry:adminSshCidrs", fix: /0\.0\.0\.0\/1|128\.0\.0\.0\/1/ },
    { what: "the template's documentation network left in", key: "sentry:webCidrs", fix: /198\.51\.100\.0\/24/ },
    { what: "the template's example.com address left in", key: "sentry:adminEmail", fix: /example\.com/ },
    { what: "a flow-log retention CloudWatch refuses", key: "sentry:flowLogRetentionDays", fix: /45/ },
    { what: "an availability zone of another region", key: "sentry:availabilityZone", fix: /us-east-1a/ },
    { what: "a TLS proxy in front of an http URL", key: "sentry:publicUrl", fix: /sentry:publicUrl https:\/\/.*sentry:tls none/ },
];

const STACK_CONFIG = `config:
  aws:region: eu-central-1
  sentry:profile: errors-only
  sentry:instancetype: c7i.xlarge
  sentry:dataVolumeSizeGB: 500
  sentry:adminEmail: ops@example.com
  sentry:adminPassword: hunter2
  sentry:webCidrs:
    - 198.51.100.0/24
  sentry:adminSshCidrs:
    - 0.0.0.0/1
    - 128.0.0.0/1
  sentry:flowLogRetentionDays: 45
  sentry:availabilityZone: us-east-1a
  sentry:behindTlsProxy: true
  sentry:publicUrl: http://sentry.acme-corp.dev:9000
`;

describe.skipIf(MISSING !== "")("a new user's mistakes are refused at `pulumi preview`", () => {
    const tmp = MISSING ? os.tmpdir() : fs.mkdtempSync(path.join(os.tmpdir(), "sentry-e2e-preview-"));
    const runner = new Runner(path.join(tmp, "logs"));
    const project = path.join(tmp, "project");
    const env = engineEnv(tmp, BIN);
    const pulumi = (label: string, args: string[], opts: RunOptions = {}): Promise<RunResult> =>
        runner.run(`pulumi-${label}`, path.join(BIN, "pulumi"), [...args, "--non-interactive"], { cwd: project, env, timeoutMs: COMMAND_TIMEOUT, ...opts });
    let preview: RunResult;
    let failed = false;

    beforeAll(async () => {
        copyProject(project);
        fs.mkdirSync(path.join(tmp, "state"));
        await pulumi("stack-init", ["stack", "init", STACK]);
        // Keep what `stack init` wrote (the passphrase's salt) and add the user's config.
        const file = path.join(project, `Pulumi.${STACK}.yaml`);
        const salt = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("encryptionsalt:")) : [];
        fs.writeFileSync(file, [...salt, STACK_CONFIG].join("\n"));
        preview = await pulumi("preview", ["preview", "--stack", STACK], { allowFail: true });
    });

    afterAll(() => {
        if (failed || process.env.E2E_KEEP === "1") {
            console.warn(`e2e: kept ${tmp}`);
        } else {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    const check = (name: string, fn: () => void | Promise<void>) =>
        it(name, async () => {
            try {
                await fn();
            } catch (err) {
                failed = true;
                throw err;
            }
        });

    check("the preview fails, before any resource exists", async () => {
        expect(preview.code).not.toBe(0);
        const exported = JSON.parse((await pulumi("export", ["stack", "export", "--stack", STACK])).stdout) as { deployment: { resources?: unknown[] } };
        expect(exported.deployment.resources ?? []).toHaveLength(0);
    });

    check("one message lists every mistake, each with its key, its value and a fix", () => {
        const output = preview.stdout + preview.stderr;
        const problems = output.split("\n").filter((l) => /^\s*- sentry:|^\s*- aws:/.test(l));
        for (const m of MISTAKES) {
            const line = problems.find((l) => l.includes(`${m.key} =`));
            expect(line, `${m.what}: no problem line names ${m.key}\n${output}`).toBeDefined();
            expect(line, `${m.what}: ${m.key}'s line gives no fix`).toMatch(/Fix:/);
            expect(line, `${m.what}: ${m.key}'s line lacks ${m.fix}`).toMatch(m.fix);
        }
    });

    check("and no stack trace: the user reads the list, not the program's internals", () => {
        expect(preview.stdout + preview.stderr).not.toMatch(/^\s+at .+\(.+\.(ts|js):\d+:\d+\)$/m);
    });
});
