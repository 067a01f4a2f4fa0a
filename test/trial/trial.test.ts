// The trial tool: names, TTLs, the trial's config, and the exact Pulumi commands it issues.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    createTrial,
    destroyTrial,
    Env,
    extendTrial,
    isoUtc,
    main,
    MAX_TRIAL_NAME,
    parseArgs,
    parseTtl,
    PulumiRunner,
    reapTrials,
    RunOptions,
    secureKeys,
    selectExpired,
    trialConfig,
    trialNameProblem,
} from "../../tools/trial-lib";

const ROOT = path.resolve(__dirname, "..", "..");
const NOW = new Date("2026-11-24T12:00:00Z");

interface Call {
    args: string[];
    stdin?: string;
}

/** Records every call; answers from `responses` (keyed by the joined args' prefix). */
function fakeRunner(responses: Record<string, string | number> = {}, onCall?: (args: string[]) => void): PulumiRunner & { calls: Call[] } {
    const calls: Call[] = [];
    return {
        calls,
        async run(args: string[], options: RunOptions = {}) {
            calls.push({ args, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
            onCall?.(args);
            const joined = args.join(" ");
            const key = Object.keys(responses)
                .filter((k) => joined.startsWith(k))
                .sort((a, b) => b.length - a.length)[0];
            const answer = key === undefined ? "" : responses[key];
            return typeof answer === "number" ? { code: answer, stdout: "" } : { code: 0, stdout: answer };
        },
    };
}

let dir: string;
let lines: string[];
const env = (runner: PulumiRunner, extra: Partial<Env> = {}): Env => ({ runner, dir, log: (l) => lines.push(l), now: () => NOW, ...extra });

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "trial-"));
    lines = [];
    const staging = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    // The real staging file, plus what a deployed staging also has: an encrypted secret.
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `encryptionsalt: v1:abc:def\n${staging}  sentry:adminPassword:\n    secure: v1:AAAA:BBBB\n`);
});

afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("trial names", () => {
    it("accepts short lowercase names", () => {
        for (const ok of ["demo", "pr-123", "anna-test", "x1", "a".repeat(MAX_TRIAL_NAME)]) {
            expect(trialNameProblem(ok), ok).toBeUndefined();
        }
    });
    it("refuses the long-lived stacks and names that look like them", () => {
        for (const bad of ["staging", "prod", "production", "prod-copy", "staging-2"]) {
            expect(trialNameProblem(bad), bad).toMatch(/reserved/);
        }
    });
    it("refuses names AWS limits or Pulumi would choke on", () => {
        expect(trialNameProblem("a".repeat(MAX_TRIAL_NAME + 1))).toMatch(/2 to 20 characters/);
        for (const bad of ["Demo", "1demo", "demo-", "de--mo", "de_mo", "de.mo", "x", "demo test"]) {
            expect(trialNameProblem(bad), bad).toBeDefined();
        }
    });
});

describe("time to live", () => {
    it("parses minutes, hours, days and weeks", () => {
        expect(parseTtl("72h")).toBe(72 * 3_600_000);
        expect(parseTtl("3d")).toBe(3 * 86_400_000);
        expect(parseTtl("90m")).toBe(90 * 60_000);
        expect(parseTtl("1w")).toBe(7 * 86_400_000);
    });
    it("refuses nonsense, less than an hour and more than two weeks", () => {
        expect(() => parseTtl("soon")).toThrow(/number and a unit/);
        expect(() => parseTtl("30m")).toThrow(/between 1h and 14d/);
        expect(() => parseTtl("15d")).toThrow(/between 1h and 14d/);
    });
    it("writes expiry times the way sentry:expiresAt accepts them", () => {
        expect(isoUtc(new Date("2026-11-27T12:00:00.123Z"))).toBe("2026-11-27T12:00:00Z");
    });
});

describe("trial config", () => {
    it("copies staging's plain settings, drops secrets, and marks the stack as an expiring trial", () => {
        const staging = { "aws:region": "eu-central-1", "sentry:profile": "errors-only", "sentry:environment": "staging", "sentry:adminPassword": { secure: "v1:x" }, "sentry:webCidrs": ["198.51.100.0/24"], "sentry:publicUrl": "https://sentry-staging.example.com" };
        expect(trialConfig(staging, "2026-11-27T12:00:00Z")).toEqual({
            "aws:region": "eu-central-1",
            "sentry:profile": "errors-only",
            "sentry:environment": "trial",
            "sentry:protect": false,
            "sentry:expiresAt": "2026-11-27T12:00:00Z",
            "sentry:webCidrs": ["198.51.100.0/24"],
        });
        expect(secureKeys(staging)).toEqual(["sentry:adminPassword"]);
    });

    it("takes neither its source's domain, zone, certificate and TLS mode nor its dead-man's switch", () => {
        const staging = {
            "sentry:environment": "staging",
            "sentry:domain": "sentry-staging.your-company.com",
            "sentry:hostedZone": "your-company.com",
            "sentry:certificateArn": "arn:aws:acm:eu-central-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "sentry:tls": "alb",
            "sentry:heartbeatUrl": "https://hc-ping.com/staging-uuid",
            "sentry:alarmEmails": ["oncall@your-company.com"],
        };
        const trial = trialConfig(staging, "2026-11-27T12:00:00Z");
        // A second record and certificate for staging's name would take staging's own over; a
        // trial pinging staging's switch would hide staging's outage.
        for (const key of ["sentry:domain", "sentry:hostedZone", "sentry:certificateArn", "sentry:tls", "sentry:heartbeatUrl"]) {
            expect(trial, key).not.toHaveProperty([key]);
        }
        expect(trial["sentry:alarmEmails"]).toEqual(["oncall@your-company.com"]);
    });
});

describe("create", () => {
    it("inits the stack, writes its config, sets a fresh password on stdin and tags it", async () => {
        const runner = fakeRunner({}, (args) => {
            if (args[0] === "stack" && args[1] === "init") {
                // What `pulumi stack init` writes for a passphrase secrets provider.
                fs.writeFileSync(path.join(dir, "Pulumi.demo.yaml"), "encryptionsalt: v1:new:salt\n");
            }
        });
        const { expiresAt } = await createTrial(env(runner), "demo", { ttl: "72h" });
        expect(expiresAt).toBe("2026-11-27T12:00:00Z");
        expect(runner.calls.map((c) => c.args.join(" "))).toEqual([
            "stack init demo --no-select --non-interactive",
            "config set --secret sentry:adminPassword --stack demo --non-interactive",
            "stack tag set sentry:environment trial --stack demo --non-interactive",
            "stack tag set sentry:expires-at 2026-11-27T12:00:00Z --stack demo --non-interactive",
            "stack tag set sentry:created-from staging --stack demo --non-interactive",
        ]);
        const password = runner.calls[1].stdin!;
        expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(runner.calls.every((c) => !c.args.includes(password))).toBe(true);
        expect(lines.join("\n")).not.toContain(password);

        const text = fs.readFileSync(path.join(dir, "Pulumi.demo.yaml"), "utf8");
        expect(text).toContain('sentry:expiresAt: "2026-11-27T12:00:00Z"');
        const written = parseYaml(text) as { encryptionsalt: string; config: Record<string, unknown> };
        expect(written.encryptionsalt).toBe("v1:new:salt");
        expect(written.config["sentry:environment"]).toBe("trial");
        expect(written.config["sentry:expiresAt"]).toBe("2026-11-27T12:00:00Z");
        expect(written.config["sentry:protect"]).toBe(false);
        expect(written.config["sentry:profile"]).toBe("errors-only");
        expect(written.config["sentry:adminPassword"]).toBeUndefined();
        expect(lines.join("\n")).toMatch(/next: pulumi up --stack demo --policy-pack policy/);
    });

    it("reuses staging's secrets provider, and deploys with the policy pack when asked", async () => {
        const file = path.join(dir, "Pulumi.staging.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("encryptionsalt: v1:abc:def\n", "secretsprovider: awskms://alias/sentry-pulumi?region=eu-central-1\nencryptedkey: AQICAH\n"));
        const runner = fakeRunner();
        await createTrial(env(runner), "pr-42", { ttl: "1d", up: true });
        expect(runner.calls[0].args).toEqual(["stack", "init", "pr-42", "--no-select", "--non-interactive", "--secrets-provider", "awskms://alias/sentry-pulumi?region=eu-central-1"]);
        expect(runner.calls[runner.calls.length - 1].args).toEqual(["up", "--yes", "--non-interactive", "--stack", "pr-42", "--policy-pack", "policy"]);
        const written = fs.readFileSync(path.join(dir, "Pulumi.pr-42.yaml"), "utf8");
        expect(written).not.toContain("AQICAH"); // staging's data key is staging's own
    });

    it("refuses bad names and existing stack files before calling Pulumi", async () => {
        const runner = fakeRunner();
        await expect(createTrial(env(runner), "prod")).rejects.toThrow(/reserved/);
        fs.writeFileSync(path.join(dir, "Pulumi.demo.yaml"), "config: {}\n");
        await expect(createTrial(env(runner), "demo")).rejects.toThrow(/already exists/);
        expect(runner.calls).toEqual([]);
    });

    it("stops at the first failing Pulumi command", async () => {
        const runner = fakeRunner({ "stack init": 255 });
        await expect(createTrial(env(runner), "demo")).rejects.toThrow(/pulumi stack init demo .* failed with exit code 255/);
        expect(runner.calls.length).toBe(1);
    });
});

describe("destroy", () => {
    it("refuses prod with the deliberate way to do it", async () => {
        const runner = fakeRunner();
        const err = await destroyTrial(env(runner), "prod").catch((e: Error) => e);
        expect(String(err)).toMatch(/refusing to destroy "prod"/);
        expect(String(err)).toMatch(/pulumi state unprotect --all --yes --stack prod/);
        expect(String(err)).toMatch(/--no-disable-api-termination/);
        expect(runner.calls).toEqual([]);
    });
    it("refuses staging and stacks not created as trials", async () => {
        const runner = fakeRunner({ "stack tag ls": JSON.stringify({ "sentry:environment": "staging" }) });
        await expect(destroyTrial(env(runner), "staging")).rejects.toThrow(/reserved/);
        await expect(destroyTrial(env(runner), "longlived")).rejects.toThrow(/not tagged sentry:environment=trial/);
        expect(runner.calls.map((c) => c.args[0])).toEqual(["stack"]);
    });
    it("destroys a trial and removes its stack and config file", async () => {
        const runner = fakeRunner({ "stack tag ls": JSON.stringify({ "sentry:environment": "trial", "sentry:expires-at": "2026-11-27T12:00:00Z" }) });
        await destroyTrial(env(runner), "demo");
        expect(runner.calls.map((c) => c.args.join(" "))).toEqual([
            "stack tag ls --json --stack demo --non-interactive",
            "destroy --yes --non-interactive --remove --stack demo",
        ]);
    });
});

describe("extend", () => {
    it("moves the stack tag and the config's expiry", async () => {
        const runner = fakeRunner({ "stack tag ls": JSON.stringify({ "sentry:environment": "trial" }) });
        expect(await extendTrial(env(runner), "demo", "48h")).toBe("2026-11-26T12:00:00Z");
        expect(runner.calls.slice(1).map((c) => c.args.join(" "))).toEqual([
            "stack tag set sentry:expires-at 2026-11-26T12:00:00Z --stack demo --non-interactive",
            "config set sentry:expiresAt 2026-11-26T12:00:00Z --stack demo --non-interactive",
        ]);
    });
});

describe("reaper", () => {
    const trial = (expires?: string) => ({ "sentry:environment": "trial", ...(expires ? { "sentry:expires-at": expires } : {}) });

    it("selects trial stacks whose time has passed, never long-lived ones", () => {
        const s = selectExpired(
            [
                { name: "old", tags: trial("2026-11-24T11:59:59Z") },
                { name: "organization/sentry/exact", tags: trial("2026-11-24T12:00:00Z") },
                { name: "new", tags: trial("2026-11-24T12:00:01Z") },
                { name: "prod", tags: trial("2020-01-01T00:00:00Z") },
                { name: "untimed", tags: trial() },
                { name: "garbled", tags: trial("tomorrow") },
                { name: "staging", tags: { "sentry:environment": "staging" } },
            ],
            NOW,
        );
        expect(s.expired.map((e) => e.name)).toEqual(["old", "organization/sentry/exact"]);
        expect(s.live.map((e) => e.name)).toEqual(["new"]);
        expect(s.skipped.map((e) => e.name)).toEqual(["prod", "untimed", "garbled"]);
    });

    it("lists trial stacks, destroys the expired ones, reports what it removed", async () => {
        const summary = path.join(dir, "summary.md");
        const runner = fakeRunner({
            "stack ls": JSON.stringify([{ name: "old" }, { name: "new" }, { name: "broken" }]),
            "stack tag ls --json --stack old": JSON.stringify(trial("2026-11-20T00:00:00Z")),
            "stack tag ls --json --stack new": JSON.stringify(trial("2026-11-30T00:00:00Z")),
            "stack tag ls --json --stack broken": JSON.stringify(trial("2026-11-21T00:00:00Z")),
            "destroy --yes --non-interactive --remove --stack broken": 255,
        });
        const result = await reapTrials(env(runner, { summaryFile: summary }));
        expect(runner.calls.map((c) => c.args.join(" "))).toEqual([
            "stack ls --json --tag sentry:environment=trial --non-interactive",
            "stack tag ls --json --stack old --non-interactive",
            "stack tag ls --json --stack new --non-interactive",
            "stack tag ls --json --stack broken --non-interactive",
            "destroy --yes --non-interactive --remove --stack old",
            "destroy --yes --non-interactive --remove --stack broken",
        ]);
        expect(result.removed).toEqual(["old"]);
        expect(result.failed.map((f) => f.name)).toEqual(["broken"]);
        const report = fs.readFileSync(summary, "utf8");
        expect(report).toContain("Removed 1 expired trial stack(s):\n- old (expired 2026-11-20T00:00:00Z)");
        expect(report).toContain("Failed to remove 1:\n- broken: pulumi destroy");
        expect(report).toContain("Still running:\n- new (expires 2026-11-30T00:00:00Z)");
    });

    it("destroys nothing on a dry run, and --now moves the clock", async () => {
        const runner = fakeRunner({ "stack ls": JSON.stringify([{ name: "new" }]), "stack tag ls": JSON.stringify(trial("2026-11-30T00:00:00Z")) });
        const code = await main(["reap", "--now", "2026-12-01T00:00:00Z", "--dry-run"], env(runner));
        expect(code).toBe(0);
        expect(runner.calls.some((c) => c.args[0] === "destroy")).toBe(false);
        expect(lines.join("\n")).toContain("Would remove 1 expired trial stack(s):\n- new (expired 2026-11-30T00:00:00Z)");
    });
});

describe("command line", () => {
    it("parses commands and flags with util.parseArgs", () => {
        expect(parseArgs(["create", "demo", "--ttl", "3d", "--up"])).toEqual({ command: "create", name: "demo", ttl: "3d", up: true, withData: false, dryRun: false, help: false });
        expect(parseArgs(["reap", "--dry-run", "--now=2026-12-01T00:00:00Z"])).toMatchObject({ command: "reap", dryRun: true, now: "2026-12-01T00:00:00Z" });
        expect(() => parseArgs(["create", "demo", "--ttl"])).toThrow(/Option '--ttl <value>' argument missing/);
        expect(() => parseArgs(["create", "demo", "--force"])).toThrow(/Unknown option '--force'/);
        expect(() => parseArgs(["destroy", "demo", "--up"])).toThrow(/destroy does not take --up/);
    });
    it("exits 1 with a message on a refusal, 2 with the usage on a usage error", async () => {
        const runner = fakeRunner();
        expect(await main(["destroy", "prod"], env(runner))).toBe(1);
        expect(lines[0]).toMatch(/^error: refusing to destroy "prod"/);
        expect(await main(["frobnicate"], env(runner))).toBe(2);
        expect(lines[1]).toMatch(/^error: unknown command "frobnicate"\nusage: npm run trial -- create/);
        expect(runner.calls).toEqual([]);
    });
});
