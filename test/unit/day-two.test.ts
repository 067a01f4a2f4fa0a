// Day two under Pulumi mocks: the alarm set per stack and placement, the pre-upgrade snapshot's
// place in the plan (after Sentry stopped, before the new version is checked out), restores from
// a snapshot, and the settings behind them.
import { describe, expect, it } from "vitest";
import { alarmSpecs, metricsNamespace } from "../../components/aws/alarms";
import { parseStepEnv } from "../../components/host/render";
import { Plan, planStack, readStackConfig } from "../../tools/planner";
import { byName } from "./helpers";
import { blockingViolations, checkPlan } from "../../policy/rules";

const PASSWORD = "day-two-test-password-0123456";
const base = (stack: string, overrides: Record<string, unknown> = {}) => ({
    config: { ...readStackConfig(stack), ...overrides },
    secrets: { "sentry:adminPassword": PASSWORD },
    allowPlaceholders: true,
});
const ofType = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type);
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("alarms", () => {
    it("prod: seven heartbeat alarms and the recover alarm, all notifying the stack's encrypted topic, which emails the on-call", async () => {
        const plan = await planStack("prod", base("prod"));
        const topic = byName(plan, "sentry-prod-alarms");
        expect(String(topic.inputs.kmsMasterKeyId)).toMatch(/^arn:aws:kms:eu-central-1:123456789012:key\//);
        const sub = byName(plan, "sentry-prod-alarms-email-0");
        expect(sub.inputs).toMatchObject({ protocol: "email", endpoint: "sentry-oncall@example.com" });
        const alarms = ofType(plan, ALARM);
        expect(alarms.map((a) => a.name).sort()).toEqual(
            ["recover", "alarm-unhealthy", "alarm-heartbeat", "alarm-data-disk-warning", "alarm-data-disk-critical", "alarm-root-disk-warning", "alarm-root-disk-critical", "alarm-memory"].map((a) => `sentry-prod-${a}`).sort(),
        );
        const topicArn = String((alarms.find((a) => a.name === "sentry-prod-alarm-unhealthy")!.inputs.alarmActions as string[])[0]);
        expect(topicArn).toMatch(/^arn:aws:sns:eu-central-1:123456789012:sentry-prod-alarms-/);
        for (const a of alarms) {
            expect(a.inputs.alarmActions, a.name).toContain(topicArn);
            expect(a.inputs.okActions, a.name).toEqual([topicArn]);
        }
        for (const a of alarms.filter((x) => x.name !== "sentry-prod-recover")) {
            expect(a.inputs.namespace, a.name).toBe("SentryDeploy/sentry-prod");
        }
        // A silent host: only the heartbeat alarm counts missing data as breaching.
        expect(alarms.filter((a) => a.inputs.treatMissingData === "breaching").map((a) => a.name)).toEqual(["sentry-prod-alarm-heartbeat"]);
        expect(byName(plan, "sentry-prod-alarm-heartbeat").dependsOn).toContain("sentry-prod-provision-install-heartbeat");
        expect(byName(plan, "sentry-prod-alarm-data-disk-warning").inputs).toMatchObject({ threshold: 80, comparisonOperator: "GreaterThanOrEqualToThreshold", metricName: "DataDiskUsedPercent" });
        expect(byName(plan, "sentry-prod-alarm-root-disk-critical").inputs).toMatchObject({ threshold: 90, metricName: "RootDiskUsedPercent" });
        expect(byName(plan, "sentry-prod-alarm-unhealthy").inputs).toMatchObject({ evaluationPeriods: 5, period: 60, threshold: 1, comparisonOperator: "LessThanThreshold" });
    });

    it("the key lets CloudWatch alarms of this account use it (the AWS managed alias/aws/sns would not)", async () => {
        const plan = await planStack("staging", base("staging"));
        const policy = JSON.parse(String(byName(plan, "sentry-staging-alarms-key").inputs.policy));
        const cw = policy.Statement.find((s: { Sid: string }) => s.Sid === "CloudWatchAlarmsPublish");
        expect(cw).toMatchObject({ Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } });
        expect(byName(plan, "sentry-staging-alarms-key").inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 7 });
        // Staging lists no addresses: a topic without subscribers.
        expect(ofType(plan, "aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
    });

    it("thresholds, addresses and a topic of your own come from the settings", async () => {
        const plan = await planStack(
            "staging",
            base("staging", {
                "sentry:alarmEmails": ["a@example.com", "b@example.com"],
                "sentry:alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:oncall",
                "sentry:alarmDiskWarningPercent": 70,
                "sentry:alarmDiskCriticalPercent": 85,
                "sentry:alarmUnhealthyMinutes": 3,
                "sentry:alarmHeartbeatMinutes": 10,
                "sentry:alarmMemoryPercent": 90,
            }),
        );
        expect(ofType(plan, "aws:sns/topicSubscription:TopicSubscription").map((s) => s.inputs.endpoint)).toEqual(["a@example.com", "b@example.com"]);
        expect(byName(plan, "sentry-staging-alarm-data-disk-warning").inputs.threshold).toBe(70);
        expect(byName(plan, "sentry-staging-alarm-data-disk-critical").inputs.threshold).toBe(85);
        expect(byName(plan, "sentry-staging-alarm-unhealthy").inputs.evaluationPeriods).toBe(3);
        expect(byName(plan, "sentry-staging-alarm-heartbeat").inputs.evaluationPeriods).toBe(10);
        expect(byName(plan, "sentry-staging-alarm-memory").inputs.threshold).toBe(90);
        expect(byName(plan, "sentry-staging-alarm-memory").inputs.alarmActions).toContain("arn:aws:sns:eu-central-1:123456789012:oncall");
        expect(byName(plan, "sentry-staging-recover").inputs.alarmActions).toContain("arn:aws:sns:eu-central-1:123456789012:oncall");
        // The host pings are withheld at the same thresholds the critical alarms use.
        const env = parseStepEnv(String(byName(plan, "sentry-staging-provision-install-heartbeat").inputs.create));
        expect(env).toMatchObject({ METRICS_NAMESPACE: "SentryDeploy/sentry-staging", AWS_REGION: "eu-central-1", DISK_CRITICAL_PERCENT: "85", MEMORY_CRITICAL_PERCENT: "90" });
    });

    it("refuses thresholds out of order and a topic in another region, naming the fix", async () => {
        await expect(planStack("staging", base("staging", { "sentry:alarmDiskWarningPercent": 90, "sentry:alarmDiskCriticalPercent": 85 }))).rejects.toThrow(
            "sentry:alarmDiskCriticalPercent = 85: must be above alarmDiskWarningPercent (90), or the warning never comes first. Fix: pulumi config set sentry:alarmDiskCriticalPercent 99",
        );
        await expect(planStack("staging", base("staging", { "sentry:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:oncall" }))).rejects.toThrow(
            "sentry:alarmTopicArn = arn:aws:sns:us-east-1:123456789012:oncall: is in us-east-1 (aws), but CloudWatch alarms notify topics of their own region only (eu-central-1)",
        );
    });

    it("the host role may put metrics into the stack's own namespace only", async () => {
        const plan = await planStack("prod", base("prod"));
        const policy = JSON.parse(String(byName(plan, "sentry-prod-metrics").inputs.policy));
        expect(policy.Statement).toEqual([
            { Sid: "HeartbeatIntoOwnNamespace", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": metricsNamespace("sentry", "prod") } } },
        ]);
    });

    it("your own server: no AWS alarms; the heartbeat pings sentry:heartbeatUrl, which travels as a secret on stdin only", async () => {
        const url = "https://hc-ping.example.org/5f3c-private-check";
        const plan = await planStack("own", {
            config: {
                "sentry:placement": "existing",
                "sentry:adminEmail": "admin@example.com",
                "sentry:existingHost": { address: "sentry.internal.example.com" },
            },
            secrets: { "sentry:adminPassword": PASSWORD, "sentry:existingHostPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", "sentry:heartbeatUrl": url },
            allowPlaceholders: true,
            revealSecrets: true,
        });
        expect(plan.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
        const step = byName(plan, "sentry-own-install-heartbeat");
        expect(step.inputs.stdin).toEqual({ "[secret]": url });
        expect(JSON.stringify(step.inputs.create)).not.toContain("private-check");
        const env = parseStepEnv(String((step.inputs.create as { "[secret]"?: string })["[secret]"] ?? step.inputs.create));
        expect(env).not.toHaveProperty("METRICS_NAMESPACE");
        expect(env).toMatchObject({ HEALTH_URL: "http://127.0.0.1:9000/_health/", DATA_DIR: "/data", DISK_CRITICAL_PERCENT: "90" });
    });

    it("the alarm descriptions say what to do first", () => {
        for (const spec of alarmSpecs("prod", { emails: [], unhealthyMinutes: 5, heartbeatMinutes: 5, diskWarningPercent: 80, diskCriticalPercent: 90, memoryPercent: 95 })) {
            expect(spec.description, spec.part).toMatch(/First: /);
        }
    });
});

describe("pre-upgrade snapshot", () => {
    it("is taken after Sentry stopped and before the new version is checked out", async () => {
        const plan = await planStack("prod", base("prod"));
        const snap = byName(plan, "sentry-prod-pre-upgrade");
        expect(snap.dependsOn).toContain("sentry-prod-provision-stop-for-upgrade");
        expect(snap.dependsOn).not.toContain("sentry-prod-provision-checkout-self-hosted");
        expect(byName(plan, "sentry-prod-provision-checkout-self-hosted").dependsOn).toEqual(expect.arrayContaining(["sentry-prod-provision-stop-for-upgrade", "sentry-prod-pre-upgrade"]));
        expect(snap.inputs.volumeId).toBe(byName(plan, "sentry-prod-data").inputs.volumeId ?? plan.outputs.dataVolumeId);
        expect(snap.retainOnDelete).toBe(true);
    });

    it("is replaced by a new one when sentryVersion changes (and only then), tagged with both versions", async () => {
        const prev = { previousOutputs: { sentryVersion: "26.7.2" } };
        const before = await planStack("prod", { ...base("prod", { "sentry:sentryVersion": "26.7.2" }), mocks: prev });
        const after = await planStack("prod", { ...base("prod"), mocks: prev });
        const config = await planStack("prod", { ...base("prod", { "sentry:sentryVersion": "26.7.2", "sentry:retentionDays": 30 }), mocks: prev });
        const d = (p: Plan) => byName(p, "sentry-prod-pre-upgrade").inputs.description;
        expect(d(after)).not.toEqual(d(before));
        expect(d(config)).toEqual(d(before));
        expect(byName(after, "sentry-prod-pre-upgrade").inputs.tags).toMatchObject({ SentryPreUpgrade: "prod", SentryFromVersion: "26.7.2", SentryToVersion: "26.8.0" });
    });

    it("prunes on the host after the health check, keeping the newest sentry:preUpgradeSnapshotsKept", async () => {
        const plan = await planStack("prod", base("prod", { "sentry:preUpgradeSnapshotsKept": 5 }));
        const prune = byName(plan, "sentry-prod-prune-snapshots");
        expect(prune.dependsOn).toEqual(expect.arrayContaining(["sentry-prod-pre-upgrade", "sentry-prod-provision-install-heartbeat"]));
        expect(parseStepEnv(String(prune.inputs.create))).toEqual({ STACK_NAME: "prod", KEEP: "5", AWS_REGION: "eu-central-1" });
        const policy = JSON.parse(String(byName(plan, "sentry-prod-prune-snapshots-policy").inputs.policy));
        expect(policy.Statement[1]).toMatchObject({ Action: "ec2:DeleteSnapshot", Condition: { StringEquals: { "aws:ResourceTag/SentryPreUpgrade": "prod" } } });
    });

    it("can be turned off: no snapshot, no pruning, checkout right after the stop", async () => {
        const plan = await planStack("staging", base("staging", { "sentry:preUpgradeSnapshots": false }));
        expect(plan.resources.filter((r) => r.name.includes("pre-upgrade") || r.name.includes("prune"))).toEqual([]);
        const deps = byName(plan, "sentry-staging-provision-checkout-self-hosted").dependsOn;
        expect(deps).toContain("sentry-staging-provision-stop-for-upgrade");
        expect(deps.filter((d) => d.includes("pre-upgrade"))).toEqual([]);
    });

    it("in a non-protected stack is not retained: a destroy leaves nothing billed", async () => {
        const plan = await planStack("staging", base("staging"));
        expect(byName(plan, "sentry-staging-pre-upgrade").retainOnDelete).toBe(false);
    });
});

describe("restore from a snapshot", () => {
    it("sentry:dataSnapshotId creates the data volume from it", async () => {
        const plan = await planStack("staging", base("staging", { "sentry:dataSnapshotId": "snap-0123456789abcdef0" }));
        expect(byName(plan, "sentry-staging-data").inputs).toMatchObject({ snapshotId: "snap-0123456789abcdef0", encrypted: true });
        const without = await planStack("staging", base("staging"));
        expect(byName(without, "sentry-staging-data").inputs).not.toHaveProperty("snapshotId");
    });

    it("refuses what is not a snapshot id", async () => {
        await expect(planStack("staging", base("staging", { "sentry:dataSnapshotId": "vol-0123456789abcdef0" }))).rejects.toThrow("sentry:dataSnapshotId = vol-0123456789abcdef0: is not an EBS snapshot id");
    });
});

describe("policy on the real plan", () => {
    it("prod as committed passes; without a subscriber or without pre-upgrade snapshots it is blocked", async () => {
        const rules = (p: Plan) => blockingViolations(checkPlan(p)).map((v) => v.rule);
        expect(rules(await planStack("prod", base("prod")))).toEqual([]);
        expect(rules(await planStack("prod", base("prod", { "sentry:alarmEmails": [] })))).toEqual(["production-alarms-subscribed"]);
        expect(rules(await planStack("prod", base("prod", { "sentry:alarmEmails": [], "sentry:alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:pager" })))).toEqual([]);
        expect(rules(await planStack("prod", base("prod", { "sentry:preUpgradeSnapshots": false })))).toEqual(["production-pre-upgrade-snapshots"]);
    });
});

describe("reboots and patches", () => {
    it("passes sentry:rebootWindow to configure-updates, and nothing without it", async () => {
        const withWindow = await planStack("prod", base("prod", { "sentry:rebootWindow": "04:30" }));
        expect(parseStepEnv(String(byName(withWindow, "sentry-prod-provision-configure-updates").inputs.create))).toEqual({ REBOOT_WINDOW: "04:30" });
        const without = await planStack("prod", base("prod"));
        expect(parseStepEnv(String(byName(without, "sentry-prod-provision-configure-updates").inputs.create))).toEqual({});
        await expect(planStack("prod", base("prod", { "sentry:rebootWindow": "4:30" }))).rejects.toThrow("sentry:rebootWindow = 4:30: must be a time HH:MM");
    });
});
