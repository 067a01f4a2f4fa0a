// `npm run trial -- create <name> --from prod --with-data`: the trial's data volume comes from
// prod's latest snapshot, found by its tags through an injected look-up (a fake here: no AWS),
// and the trial's plan (offline, under mocks) is a disposable copy that mails and pages nobody.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseStepEnv } from "../../components/host/render";
import { checkPlan, formatViolations } from "../../policy/rules";
import { DescribedSnapshot, pickLatest, SnapshotFinder } from "../../tools/snapshotFinder";
import { planStack, readStackConfig } from "../../tools/planner";
import { createTrial, Env, main, PulumiRunner, trialConfigWithData } from "../../tools/trial-lib";

const ROOT = path.resolve(__dirname, "..", "..");
const NOW = new Date("2026-11-24T12:00:00Z");
const EXPIRES = "2026-11-27T12:00:00Z";

const DAILY: DescribedSnapshot = { SnapshotId: "snap-0d000000000000001", StartTime: "2026-11-24T03:00:00.000Z", State: "completed", VolumeSize: 200, Tags: [{ Key: "SentryData", Value: "prod" }] };
const PRE: DescribedSnapshot = {
    SnapshotId: "snap-0e000000000000002",
    StartTime: "2026-11-20T10:00:00.000Z",
    State: "completed",
    VolumeSize: 200,
    Tags: [
        { Key: "SentryPreUpgrade", Value: "prod" },
        { Key: "SentryFromVersion", Value: "26.7.2" },
        { Key: "SentryToVersion", Value: "26.8.0" },
    ],
};
const PENDING: DescribedSnapshot = { ...DAILY, SnapshotId: "snap-0f000000000000003", StartTime: "2026-11-24T11:00:00.000Z", State: "pending" };

function fakeFinder(snapshots: DescribedSnapshot[]): SnapshotFinder & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        async list(stack, region) {
            asked.push(`${stack} ${region}`);
            return snapshots;
        },
    };
}

let dir: string;
let lines: string[];
const calls: string[][] = [];
const runner: PulumiRunner = {
    async run(args) {
        calls.push(args);
        return { code: 0, stdout: "" };
    },
};
const env = (extra: Partial<Env> = {}): Env => ({ runner, dir, log: (l) => lines.push(l), now: () => NOW, ...extra });

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "trial-data-"));
    lines = [];
    calls.length = 0;
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), `encryptionsalt: v1:abc:def\n${fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")}`);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("which snapshot", () => {
    it("takes the newest completed one, pre-upgrade or daily, and knows a pre-upgrade one's data version", () => {
        expect(pickLatest([PRE, DAILY, PENDING])).toEqual({ id: DAILY.SnapshotId, startTime: DAILY.StartTime, kind: "daily", sizeGb: 200 });
        expect(pickLatest([PRE, PENDING])).toEqual({ id: PRE.SnapshotId, startTime: PRE.StartTime, kind: "pre-upgrade", sizeGb: 200, dataVersion: "26.7.2" });
        expect(pickLatest([PENDING])).toBeUndefined();
    });
});

describe("create --from prod --with-data", () => {
    it("writes a trial on prod's latest snapshot: mail and alarms off, no protection, its own URL", async () => {
        const finder = fakeFinder([PRE, DAILY]);
        await createTrial(env({ snapshots: finder }), "rehearsal", { source: "prod", withData: true });
        expect(finder.asked).toEqual(["prod eu-central-1"]);
        const written = parseYaml(fs.readFileSync(path.join(dir, "Pulumi.rehearsal.yaml"), "utf8")) as { config: Record<string, unknown> };
        const c = written.config;
        expect(c["sentry:dataSnapshotId"]).toBe(DAILY.SnapshotId);
        expect(c["sentry:environment"]).toBe("trial");
        expect(c["sentry:protect"]).toBe(false);
        expect(c["sentry:expiresAt"]).toBe(EXPIRES);
        expect(c["sentry:alarmEmails"]).toBeUndefined();
        expect(c["sentry:publicUrl"]).toBeUndefined();
        expect(c["sentry:snapshotRetentionDays"]).toBe(0);
        expect(c["sentry:dataVolumeSizeGb"]).toBe(200);
        expect(calls.map((a) => a.join(" "))).toContain("stack tag set sentry:data-from snap-0d000000000000001 --stack rehearsal --non-interactive");
        expect(lines.join("\n")).toMatch(/a copy of prod's data: its users, password hashes, DSN keys and events\. Mail is off/);
    });

    it("installs the version a pre-upgrade snapshot's data is at, and grows the volume to the snapshot's size", () => {
        const c = trialConfigWithData({ ...readStackConfig("prod"), "sentry:dataVolumeSizeGb": 100, "sentry:alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:pager" }, EXPIRES, pickLatest([PRE])!);
        expect(c["sentry:sentryVersion"]).toBe("26.7.2");
        expect(c["sentry:dataVolumeSizeGb"]).toBe(200);
        expect(c["sentry:alarmTopicArn"]).toBeUndefined();
    });

    it("says what to do when there is no snapshot yet, before creating anything", async () => {
        await expect(createTrial(env({ snapshots: fakeFinder([PENDING]) }), "rehearsal", { source: "prod", withData: true })).rejects.toThrow(/no completed snapshot of prod's data volume in eu-central-1/);
        expect(calls).toEqual([]);
        expect(fs.existsSync(path.join(dir, "Pulumi.rehearsal.yaml"))).toBe(false);
    });

    it("is on the command line", async () => {
        const code = await main(["create", "rehearsal", "--from", "prod", "--with-data"], env({ snapshots: fakeFinder([DAILY]) }));
        expect(code).toBe(0);
        expect(fs.existsSync(path.join(dir, "Pulumi.rehearsal.yaml"))).toBe(true);
        expect(await main(["extend", "rehearsal", "--with-data"], env())).toBe(2);
    });

    it("plans as a disposable trial: names and tags of its own, nothing protected or retained, no subscriber, the volume from the snapshot", async () => {
        const config = trialConfigWithData(readStackConfig("prod"), EXPIRES, pickLatest([DAILY])!);
        const plan = await planStack("rehearsal", { config, secrets: { "sentry:adminPassword": "trial-test-password-0123456789" }, allowPlaceholders: true });
        for (const r of plan.resources) {
            expect(r.name, r.type).toMatch(/^sentry-rehearsal(-|$)/);
            expect(r.protect || r.retainOnDelete, r.name).toBe(false);
            const tags = r.inputs.tags as Record<string, string> | undefined;
            if (tags) {
                expect(tags).toMatchObject({ Stack: "rehearsal", Environment: "trial", ExpiresAt: EXPIRES });
            }
        }
        const volume = plan.resources.find((r) => r.name === "sentry-rehearsal-data")!;
        expect(volume.inputs).toMatchObject({ snapshotId: DAILY.SnapshotId, size: 200, encrypted: true });
        expect(plan.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
        expect(plan.resources.filter((r) => r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy")).toEqual([]);
        // Mail off: no SMTP host reaches the host's configuration.
        const configure = plan.resources.find((r) => r.name === "sentry-rehearsal-provision-configure-sentry")!;
        expect(parseStepEnv(String(configure.inputs.create))).not.toHaveProperty("SENTRY_MAIL_HOST");
        expect(plan.outputs.sentryUrl).toMatch(/^http:\/\/203\.0\.113\.\d+:9000$/);
        expect(formatViolations(checkPlan(plan))).toBe("");
    });
});
