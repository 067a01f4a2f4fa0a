// The remote command chain: order, inputs, and what re-runs on which change.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { hostLayout, RERUN_AFTER, StepName, stepEnvironments, STEPS } from "../../components/host/provisioner";
import { parseStepEnv, readScript, SCRIPTS_DIR } from "../../components/host/render";
import { HARD_STOPS, KNOWN_BAD_VERSIONS } from "../../components/versions";
import { Plan, PlanResource, planStack, readStackConfig } from "../../tools/planner";
import { byName } from "./helpers";

/** The committed staging template (placeholders allowed by each plan below), its password stored as a secret. */
const base = { ...readStackConfig("staging"), "sentry:adminPassword": { secure: "v1:pw-for-tests-only" } };

function step(plan: Plan, s: StepName, prefix = "sentry-staging-provision"): PlanResource {
    return byName(plan, `${prefix}-${s}`);
}

/** The steps whose command, triggers, stdin or connection differ between two plans: what `pulumi up` would re-run. */
function rerunSteps(a: Plan, b: Plan): StepName[] {
    const key = (r: PlanResource) => JSON.stringify([r.inputs.create, r.inputs.triggers, r.inputs.stdin, r.inputs.connection]);
    return STEPS.filter((s) => key(step(a, s)) !== key(step(b, s)));
}

/** A step's connection, from a plan made with revealSecrets. */
function connectionOf(r: PlanResource): Record<string, unknown> {
    return (r.inputs.connection as Record<string, Record<string, unknown>>)["[secret]"];
}

/** The env file a step's command writes on the host. */
function envFileOf(r: PlanResource): Record<string, string> {
    return parseStepEnv(String(r.inputs.create));
}

describe("provisioning chain", () => {
    it("runs every step in order, each after the one before, the first after the address and volume are attached", async () => {
        const plan = await planStack("staging", { allowPlaceholders: true, config: base });
        expect(step(plan, "wait-for-host").dependsOn).toEqual(expect.arrayContaining(["sentry-staging-eip-assoc", "sentry-staging-data-attachment"]));
        for (let i = 1; i < STEPS.length; i++) {
            expect(step(plan, STEPS[i]).dependsOn, STEPS[i]).toContain(`sentry-staging-provision-${STEPS[i - 1]}`);
        }
        // Every step is a checked-in script.
        for (const s of STEPS) {
            expect(fs.existsSync(path.join(SCRIPTS_DIR, `${s}.sh`)), s).toBe(true);
            expect(String(step(plan, s).inputs.create)).toContain(`/usr/local/lib/sentry-deploy/${s}.sh`);
        }
    });

    it("connects as ubuntu to the Elastic IP with the generated key, dialing patiently only for the first step", async () => {
        const plan = await planStack("staging", { allowPlaceholders: true, config: base, revealSecrets: true });
        const eip = String(plan.outputs.publicIp);
        expect(connectionOf(step(plan, "wait-for-host"))).toMatchObject({ host: eip, user: "ubuntu", port: 22, dialErrorLimit: 120, privateKey: expect.stringContaining("OPENSSH PRIVATE KEY") });
        expect(connectionOf(step(plan, "configure-sentry")).dialErrorLimit).toBe(10);
    });

    it("renders the configuration the CSRF fix and closed sign-up need", async () => {
        const plan = await planStack("staging", { allowPlaceholders: true, config: { ...base, "sentry:csrfTrustedOrigins": ["https://sentry.internal.example.com"] } });
        const env = envFileOf(step(plan, "configure-sentry"));
        expect(env).toEqual({
            SENTRY_DIR: "/data/self-hosted",
            SENTRY_URL: String(plan.outputs.sentryUrl),
            SENTRY_CSRF_TRUSTED_ORIGINS: "https://sentry.internal.example.com",
            SENTRY_PROFILE: "errors-only",
            SENTRY_BIND: "9000",
            SENTRY_RETENTION_DAYS: "30",
            SENTRY_ADMIN_EMAIL: "sentry-admin@example.com",
            SENTRY_ALLOW_REGISTRATION: "false",
            SENTRY_TLS: "none",
            SENTRY_SYSTEM_RATE_LIMIT: "3000",
            SENTRY_REDIS_MAXMEMORY: "1gb",
        });
        expect(envFileOf(step(plan, "prepare-data"))).toEqual({ DATA_DIR: "/data", DATA_VOLUME_ID: expect.stringMatching(/^vol-[0-9a-f]{17}$/), DATA_VOLUME_SIZE_GB: "60", SWAP_SIZE_GB: "8" });
        expect(envFileOf(step(plan, "install-docker"))).toMatchObject({ DOCKER_DATA_ROOT: "/data/docker", CONTAINERD_ROOT: "/data/containerd", DOCKER_ADDRESS_POOL_BASE: "10.250.0.0/16" });
        expect(envFileOf(step(plan, "install-sentry"))).toEqual({ SENTRY_DIR: "/data/self-hosted", SENTRY_STATE_DIR: "/data/sentry-deploy", SENTRY_VERSION: "26.8.0", SENTRY_PROFILE: "errors-only" });
        expect(envFileOf(step(plan, "create-admin"))).toEqual({ SENTRY_DIR: "/data/self-hosted", SENTRY_ADMIN_EMAIL: "sentry-admin@example.com" });
    });

    it("re-runs nothing when nothing changed", async () => {
        expect(rerunSteps(await planStack("staging", { allowPlaceholders: true, config: base }), await planStack("staging", { allowPlaceholders: true, config: base }))).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, StepName[]]>([
        ["the public URL", { "sentry:publicUrl": "https://sentry.example.com" }, ["configure-sentry", "start-sentry", "check-health"]],
        ["registration", { "sentry:allowRegistration": true }, ["configure-sentry", "start-sentry", "check-health"]],
        ["the event rate limit", { "sentry:eventsPerMinuteLimit": 100 }, ["configure-sentry", "start-sentry", "check-health"]],
        ["the admin email", { "sentry:adminEmail": "ops@example.com" }, ["configure-sentry", "start-sentry", "create-admin", "check-health"]],
        // configure-sentry re-derives what it writes from the new checkout (the Redis command of the override).
        ["the version", { "sentry:sentryVersion": "26.7.2" }, ["stop-for-upgrade", "checkout-self-hosted", "configure-sentry", "install-sentry", "start-sentry", "check-health"]],
        ["the profile", { "sentry:profile": "feature-complete", "sentry:instanceType": "m7i.xlarge" }, ["prepare-data", "configure-sentry", "install-sentry", "start-sentry", "check-health"]],
        ["the data volume size (the filesystem grows)", { "sentry:dataVolumeSizeGb": 80 }, ["prepare-data"]],
        ["extra SSH keys", { "sentry:sshPublicKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHumanKey alice@laptop"] }, ["authorize-ssh-keys"]],
    ])("changing %s re-runs exactly the steps it affects", async (_label, change, expected) => {
        const before = await planStack("staging", { allowPlaceholders: true, config: base });
        const after = await planStack("staging", { allowPlaceholders: true, config: { ...base, ...change } });
        expect(rerunSteps(before, after)).toEqual(expected);
    });

    it("runs every step again on a replaced instance, even though the Elastic IP stays the same", async () => {
        const plan = await planStack("staging", { allowPlaceholders: true, config: base });
        for (const s of STEPS) {
            expect((step(plan, s).inputs.triggers as string[])[0], s).toBe(plan.outputs.instanceId);
        }
        // Your own server has no instance id: its address is its identity.
        const own = await planStack("own", { allowPlaceholders: true, config: { ...base, "sentry:placement": "existing", "sentry:existingHost": { address: "10.0.0.5" }, "sentry:existingHostPrivateKey": { secure: "v1:k" } } });
        expect(own.resources.filter((r) => r.type === "command:remote:Command" && r.inputs.triggers !== undefined).map((r) => r.name).sort()).toEqual([
            "sentry-own-check-health",
            "sentry-own-configure-sentry",
            "sentry-own-start-sentry",
        ]);
    });

    it("never re-runs the installer for a configuration change", () => {
        expect(RERUN_AFTER["install-sentry"]).toBeUndefined();
        expect(RERUN_AFTER["start-sentry"]).toEqual(["configure-sentry", "install-sentry"]);
    });

    it("re-derives the configuration from every new checkout, before the installer runs with it", async () => {
        expect(RERUN_AFTER["configure-sentry"]).toEqual(["checkout-self-hosted"]);
        const plan = await planStack("staging", { allowPlaceholders: true, config: base });
        expect(step(plan, "configure-sentry").dependsOn).toContain("sentry-staging-provision-checkout-self-hosted");
        expect(step(plan, "install-sentry").dependsOn).toContain("sentry-staging-provision-configure-sentry");
    });
});

describe("upgrade path at preview", () => {
    it("refuses a jump over a hard stop before any command runs", async () => {
        await expect(planStack("staging", { allowPlaceholders: true, config: base, mocks: { previousOutputs: { sentryVersion: "25.1.0" } } })).rejects.toThrow(
            "sentry:sentryVersion = 26.8.0: upgrading self-hosted from 25.1.0 to 26.8.0 skips the hard stops 25.5.1, 26.5.0, 26.5.1, 26.7.0",
        );
    });

    it("refuses a downgrade", async () => {
        await expect(planStack("staging", { allowPlaceholders: true, config: { ...base, "sentry:sentryVersion": "26.7.2" }, mocks: { previousOutputs: { sentryVersion: "26.8.0" } } })).rejects.toThrow(
            "downgrading self-hosted from 26.8.0 to 26.7.2",
        );
    });

    it("allows the next release and can be turned off", async () => {
        await expect(planStack("staging", { allowPlaceholders: true, config: base, mocks: { previousOutputs: { sentryVersion: "26.7.2" } } })).resolves.toBeDefined();
        await expect(
            planStack("staging", { allowPlaceholders: true, config: { ...base, "sentry:checkUpgradePath": false }, mocks: { previousOutputs: { sentryVersion: "25.1.0" } } }),
        ).resolves.toBeDefined();
    });

    it("passes the same hard stops to the host, and the script's own defaults agree for runs by hand", () => {
        const env = stepEnvironments({
            storage: { dataDir: "/data" },
            sentry: {
                profile: "errors-only",
                version: "26.8.0",
                repoUrl: "https://example.com/self-hosted.git",
                csrfTrustedOrigins: [],
                webPort: 9000,
                retentionDays: 90,
                adminEmail: "a@example.com",
                allowRegistration: false,
                behindTlsProxy: false,
                eventsPerMinuteLimit: 0,
                redisMaxMemory: "1gb",
                swapSizeGb: 0,
                dockerAddressPool: "10.250.0.0/16",
                checkUpgradePath: true,
            },
            publicUrl: "http://x",
            sshUser: "ubuntu",
            sshPublicKeys: [],
        })["checkout-self-hosted"];
        expect(env.SENTRY_HARD_STOPS).toBe(HARD_STOPS.join(" "));
        expect(env.SENTRY_KNOWN_BAD_VERSIONS).toBe(KNOWN_BAD_VERSIONS.join(" "));
        const script = readScript("checkout-self-hosted.sh");
        expect(script).toContain(`SENTRY_HARD_STOPS="\${SENTRY_HARD_STOPS:-${HARD_STOPS.join(" ")}}"`);
        expect(script).toContain(`SENTRY_KNOWN_BAD_VERSIONS="\${SENTRY_KNOWN_BAD_VERSIONS:-${KNOWN_BAD_VERSIONS.join(" ")}}"`);
    });
});

describe("your own server", () => {
    const own = {
        "sentry:placement": "existing",
        "sentry:existingHost": { address: "10.0.0.5", port: 2222, user: "deploy", dataDir: "/srv/sentry", dataDevice: "/dev/vdb" },
        "sentry:adminEmail": "admin@acme-corp.io",
    };
    const secrets = { "sentry:adminPassword": "pw-for-tests-only", "sentry:existingHostPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----" };

    it("runs the same steps against the server, with no AWS resource", async () => {
        const plan = await planStack("own", { config: own, secrets, revealSecrets: true });
        expect(plan.resources.filter((r) => r.type.startsWith("aws:") || r.type.startsWith("tls:"))).toEqual([]);
        expect(plan.resources.filter((r) => r.type === "command:remote:Command").map((r) => r.name)).toEqual(
            [...STEPS].map((s) => `sentry-own-${s}`).sort((a, b) => a.localeCompare(b)),
        );
        const first = step(plan, "wait-for-host", "sentry-own");
        expect(connectionOf(first)).toMatchObject({ host: "10.0.0.5", port: 2222, user: "deploy", privateKey: expect.stringContaining("fake") });
        expect(envFileOf(step(plan, "prepare-data", "sentry-own"))).toEqual({ DATA_DIR: "/srv/sentry", DATA_DEVICE: "/dev/vdb", SWAP_SIZE_GB: "16" });
        expect(envFileOf(step(plan, "configure-sentry", "sentry-own")).SENTRY_URL).toBe("http://10.0.0.5:9000");
        expect(JSON.stringify(await planStack("own", { config: own, secrets }))).not.toContain("fake");
        expect(hostLayout("/srv/sentry").sentryDir).toBe("/srv/sentry/self-hosted");
    });
});
