// sentry:projects under Pulumi mocks (tools/mocks.ts stands in for Sentry's API and for the
// token the host step prints): the teams, projects, keys and limits a stack file yields, the
// explicit provider and its token, secret DSN outputs, and nothing of it without projects.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../config";
import { perMinute, resolveRateLimits, rewriteDsn } from "../../components/sentryApi/limits";
import { API_TOKEN_SCOPES } from "../../components/sentryApi/projects";
import { apiTokenEnvironment, tokenFromStdout } from "../../components/host/provisioner";
import { parseStepEnv } from "../../components/host/render";
import { Plan, planStack, readStackConfig } from "../../tools/planner";
import { engineConfig } from "../../tools/stackFile";
import { byName } from "./helpers";

const PASSWORD = "Tr0ub4dor&3-is-not-a-password";
const PROJECTS = [
    { name: "checkout-api", team: "backend", platform: "node", rateLimit: { count: 600, window: "minute" } },
    { name: "billing-worker", team: "backend", platform: "python" },
    { name: "shop-web", team: "web", platform: "javascript-react" },
];

function plan(stack: string, overrides: Record<string, unknown> = {}, reveal = false): Promise<Plan> {
    return planStack(stack, {
        config: { ...readStackConfig(stack), "sentry:projects": PROJECTS, ...overrides },
        secrets: { "sentry:adminPassword": PASSWORD },
        allowPlaceholders: true,
        revealSecrets: reveal,
    });
}

/** parseConfig over the staging template with extra keys; the problems, if it refuses. */
function problemsWith(extra: Record<string, unknown>, secretKeys: string[] = []): string[] {
    const { values, secretKeys: secrets } = engineConfig({ ...readStackConfig("staging"), ...extra }, "[secret]");
    values["sentry:adminPassword"] = PASSWORD;
    const secret = new Set([...secrets, ...secretKeys, "sentry:adminPassword"]);
    try {
        parseConfig({ values, isSecret: (k) => secret.has(k) }, "staging", "sentry", { allowPlaceholders: true });
        return [];
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
}

const ofType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);

describe("sentry:projects in a stack file", () => {
    it("yields one team per named team, a project and a rate-limited key per project, all on the explicit provider", async () => {
        const p = await plan("staging");
        const teams = ofType(p, "sentry:index/sentryTeam:SentryTeam");
        expect(teams.map((t) => [t.name, t.inputs.slug, t.inputs.organization])).toEqual([
            ["sentry-staging-projects-team-backend", "backend", "sentry"],
            ["sentry-staging-projects-team-web", "web", "sentry"],
        ]);
        const projects = ofType(p, "sentry:index/sentryProject:SentryProject");
        expect(projects.map((r) => [r.inputs.slug, r.inputs.platform, r.inputs.teams])).toEqual([
            ["billing-worker", "python", ["backend"]],
            ["checkout-api", "node", ["backend"]],
            ["shop-web", "javascript-react", ["web"]],
        ]);
        // staging: eventsPerMinuteLimit 3000; checkout-api takes 600, the other two share 2400.
        const keys = ofType(p, "sentry:index/sentryKey:SentryKey");
        expect(keys.map((k) => [k.inputs.project, k.inputs.rateLimitCount, k.inputs.rateLimitWindow, k.inputs.name])).toEqual([
            ["billing-worker", 1200, 60, "pulumi"],
            ["checkout-api", 600, 60, "pulumi"],
            ["shop-web", 1200, 60, "pulumi"],
        ]);
        for (const r of [...teams, ...projects, ...keys]) {
            expect(r.provider, r.name).toBe("sentry-staging-projects-provider");
            expect(r.parent).toBe("sentry-staging-projects");
        }
        for (const k of keys) expect(k.secretOutputs).toEqual(expect.arrayContaining(["dsnPublic", "dsnSecret"]));
    });

    it("points the provider at this stack's Sentry with the host-made token, once the token step (after the health check) ran", async () => {
        const p = await plan("staging", {}, true);
        const [provider] = ofType(p, "pulumi:providers:sentry");
        expect(provider.name).toBe("sentry-staging-projects-provider");
        const ip = p.outputs.publicIp as string;
        expect(provider.inputs.baseUrl).toBe(`http://${ip}:9000/api/`);
        const token = (provider.inputs.token as Record<string, string>)["[secret]"];
        expect(token).toMatch(/^sntryu_[0-9a-f]{64}$/);
        expect(provider.dependsOn).toContain("sentry-staging-provision-create-api-token");

        const step = byName(p, "sentry-staging-provision-create-api-token");
        expect(step.dependsOn).toContain("sentry-staging-provision-check-health");
        expect(step.inputs.logging).toBe("none");
        expect(step.secretOutputs).toEqual(expect.arrayContaining(["stderr", "stdout"]));
        expect(step.inputs.triggers).toEqual([0, expect.stringMatching(/^i-/)]);
        const create = (step.inputs.create as Record<string, string>)["[secret]"] ?? (step.inputs.create as string);
        expect(parseStepEnv(create)).toEqual({
            SENTRY_DIR: "/data/self-hosted",
            SENTRY_ADMIN_EMAIL: "sentry-admin@example.com",
            SENTRY_API_TOKEN_NAME: "pulumi-sentry-api",
            SENTRY_API_TOKEN_SCOPES: API_TOKEN_SCOPES.join(" "),
        });
        expect(create).not.toMatch(/sntryu_[0-9a-f]{64}/);
    });

    it("exports each project's DSN as a secret map, on this stack's own Sentry: staging's and prod's never mix", async () => {
        const hidden = await plan("staging");
        expect(hidden.outputs.projectDsns).toBe("[secret]");
        const [staging, prod] = await Promise.all([plan("staging", {}, true), plan("prod", {}, true)]);
        const dsnsOf = (p: Plan) => (p.outputs.projectDsns as Record<string, Record<string, string>>)["[secret]"];
        for (const p of [staging, prod]) {
            const dsns = dsnsOf(p);
            expect(Object.keys(dsns).sort()).toEqual(["billing-worker", "checkout-api", "shop-web"]);
            for (const dsn of Object.values(dsns)) {
                // On the stack's own Sentry, as users reach it: staging on its address and
                // port, prod on its domain through the load balancer.
                const sentry = new URL(p.outputs.sentryUrl as string);
                expect(`${new URL(dsn).protocol}//${new URL(dsn).host}`).toBe(sentry.origin);
                expect(dsn).toMatch(/^https?:\/\/[0-9a-f]{32}@[^/]+\/\d+$/);
            }
        }
        expect(staging.outputs.publicIp).not.toBe(prod.outputs.publicIp);
        for (const name of Object.keys(dsnsOf(staging))) expect(dsnsOf(staging)[name]).not.toBe(dsnsOf(prod)[name]);
    });

    it("raising sentry:apiTokenRotation is what re-runs the token step", async () => {
        const p = await plan("staging", { "sentry:apiTokenRotation": 3 });
        expect(byName(p, "sentry-staging-provision-create-api-token").inputs.triggers).toEqual([3, expect.stringMatching(/^i-/)]);
    });

    it("derives prod's defaults from its own limit (20000/min) and converts hourly limits to Sentry's 3600 s window", async () => {
        const p = await plan("prod", { "sentry:projects": [{ name: "batch", team: "data", platform: "python", rateLimit: { count: 60000, window: "hour" } }, ...PROJECTS.slice(1)] });
        const keys = ofType(p, "sentry:index/sentryKey:SentryKey").map((k) => [k.inputs.project, k.inputs.rateLimitCount, k.inputs.rateLimitWindow]);
        // 60000/hour = 1000/min; the others share the remaining 19000.
        expect(keys).toEqual([
            ["batch", 60000, 3600],
            ["billing-worker", 9500, 60],
            ["shop-web", 9500, 60],
        ]);
    });
});

describe("without sentry:projects", () => {
    it("there is no provider, no token step and no Sentry API resource, and no token is needed", async () => {
        const p = await planStack("staging", { config: readStackConfig("staging"), secrets: { "sentry:adminPassword": PASSWORD }, allowPlaceholders: true });
        expect(p.resources.filter((r) => r.type.startsWith("pulumi:providers:sentry") || r.type.startsWith("sentry:index/") || r.name.endsWith("create-api-token"))).toEqual([]);
        expect(p.outputs.projectDsns).toBeUndefined();
        expect(problemsWith({})).toEqual([]);
    });
});

describe("the loader", () => {
    it("refuses @pulumiverse/sentry's sentry:token with a message saying why, secret or not", () => {
        const [plain] = problemsWith({ "sentry:token": "sntryu_abc" });
        expect(plain).toContain("sentry:token = sntryu_abc: is the setting of @pulumiverse/sentry's default provider");
        expect(plain).toContain("Fix: pulumi config rm sentry:token");
        const [secret] = problemsWith({ "sentry:token": "sntryu_abc" }, ["sentry:token"]);
        expect(secret).toContain("sentry:token = [secret]");
        expect(secret).not.toContain("sntryu_abc");
        expect(problemsWith({ "sentry:baseUrl": "https://sentry.example.com/api/" })[0]).toContain("this program points its own provider at sentry:publicUrl");
    });

    it("names a problem deep in the list by its path", () => {
        const problems = problemsWith({
            "sentry:projects": [
                { name: "Checkout API", team: "backend", platform: "node" },
                { name: "ok", team: "backend", platform: "node", rateLimit: { count: 10, window: "day" } },
                { name: "ok2", team: "backend", platform: "node", ratelimit: { count: 10, window: "minute" } },
                { name: "ok3", platform: "node" },
            ],
        });
        expect(problems).toEqual([
            expect.stringContaining('sentry:projects[0].name = Checkout API: must be a Sentry slug'),
            expect.stringMatching(/^sentry:projects\[1\]\.rateLimit\.window = day: .*minute.*hour/),
            expect.stringContaining("sentry:projects[2].ratelimit = "),
            expect.stringContaining("sentry:projects[3].team = (unset): is required"),
        ]);
        expect(problems[2]).toContain("rename it to rateLimit");
    });

    it("refuses a key limit above the install's limit, and limits that add up to more than it", () => {
        const [above] = problemsWith({ "sentry:projects": [{ name: "a", team: "t", platform: "node", rateLimit: { count: 5000, window: "minute" } }] });
        expect(above).toContain("sentry:projects[0].rateLimit.count = 5000: 5000 per minute is more than sentry:eventsPerMinuteLimit (3000 per minute)");
        expect(above).toContain("lower it to at most 3000");
        const [sum] = problemsWith({
            "sentry:projects": [
                { name: "a", team: "t", platform: "node", rateLimit: { count: 2000, window: "minute" } },
                { name: "b", team: "t", platform: "node", rateLimit: { count: 2000, window: "minute" } },
            ],
        });
        expect(sum).toContain("the keys' limits add up to more than sentry:eventsPerMinuteLimit");
        expect(problemsWith({ "sentry:projects": [PROJECTS[0], PROJECTS[0]] })[0]).toContain("sentry:projects[1].name = checkout-api: is already the name of project [0]");
    });

    it("without eventsPerMinuteLimit, shares the planning capacity of the host's vCPUs and says so", () => {
        const { projects } = resolveRateLimits(PROJECTS.slice(1) as never, 4000, "x");
        expect(projects.map((p) => p.rateLimit)).toEqual([
            { count: 2000, window: "minute" },
            { count: 2000, window: "minute" },
        ]);
        // c7i.xlarge (staging's type): 4 vCPUs x 1000.
        const [tooMuch] = problemsWith({ "sentry:eventsPerMinuteLimit": 0, "sentry:projects": [{ name: "a", team: "t", platform: "node", rateLimit: { count: 4001, window: "minute" } }] });
        expect(tooMuch).toContain("the planning figure for a 4 vCPU host (1000 per vCPU; set sentry:eventsPerMinuteLimit to choose it) (4000 per minute)");
    });
});

describe("limits.ts", () => {
    it("keeps the sum of all keys' limits within the capacity", () => {
        const { projects } = resolveRateLimits(
            [
                { name: "a", team: "t", platform: "node", rateLimit: { count: 6000, window: "hour" } },
                { name: "b", team: "t", platform: "node" },
                { name: "c", team: "t", platform: "node" },
            ],
            1000,
            "cap",
        );
        const sum = projects.reduce((s, p) => s + perMinute(p.rateLimit), 0);
        expect(sum).toBeLessThanOrEqual(1000);
        expect(projects.map((p) => p.derived)).toEqual([false, true, true]);
    });

    it("rewrites a DSN to the edge's origin, keeping key and project id", () => {
        expect(rewriteDsn("https://abc123@sentry.example.com/42", "http://app-host.internal:3000")).toBe("http://abc123@app-host.internal:3000/42");
        expect(rewriteDsn("https://abc123@sentry.example.com/prefix/42", "http://10.0.0.5:3000")).toBe("http://abc123@10.0.0.5:3000/42");
        expect(() => rewriteDsn("https://sentry.example.com/42", "http://x:3000")).toThrow("not a Sentry DSN");
    });

    it("reads the token only from a stdout that holds a user auth token, never echoing it", () => {
        const token = `sntryu_${"a".repeat(64)}`;
        expect(tokenFromStdout(`${token}\n`)).toBe(token);
        expect(() => tokenFromStdout("Traceback: sntryu_leak")).toThrow(/printed no Sentry user auth token \(22 characters on stdout, not shown\)/);
        expect(apiTokenEnvironment("/data", "ops@example.com", { name: "n", scopes: ["org:read"], rotation: 0 }).SENTRY_DIR).toBe("/data/self-hosted");
    });
});
