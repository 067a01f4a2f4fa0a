// The reviewer's offline plan (tools/review.ts, tools/cost.ts): what a pull request's reader
// sees of a change, from plans of the real program under mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { STEPS } from "../../components/host/provisioner";
import { costChange, estimateCost, renderCost, renderCostChange } from "../../tools/cost";
import { Plan, planStack } from "../../tools/planner";
import { PRICES } from "../../tools/prices";
import { diffPlans, renderDiff, renderReview, reviewOf, show } from "../../tools/review";

const prod = (overrides: Record<string, unknown> = {}) => planStack("prod", { allowPlaceholders: true, overrides });

let base: Plan;
beforeAll(async () => {
    base = await prod();
});

describe("the plain plan", () => {
    it("shows every security group rule, IAM trust and policies, tags, and the host steps in run order", () => {
        const review = reviewOf(base);
        const text = renderReview(review);

        const sg = review.securityGroups.find((g) => g.name === "sentry-prod-sg")!;
        expect(sg.rules.map((r) => `${r.direction} ${r.protocol} ${r.ports} ${r.peer}`)).toEqual([
            "egress all protocols all ports 0.0.0.0/0",
            "ingress tcp port 22 198.51.100.7/32",
            "ingress tcp port 9000 security group sentry-prod-alb-sg",
        ]);
        expect(text).toContain('ingress tcp port 443 from 198.51.100.0/24  "HTTPS to Sentry"  (sentry-prod-alb-https-0)');
        expect(text).toContain('ingress tcp port 9000 from security group sentry-prod-alb-sg  "Sentry web from the load balancer only"  (sentry-prod-web-from-alb)');
        expect(text).toContain("no rules: allows no traffic in or out (the VPC's default group, locked down)");

        const host = review.iamRoles.find((r) => r.name === "sentry-prod-role")!;
        expect(host.trust).toEqual(["Allow sts:AssumeRole to Service ec2.amazonaws.com"]);
        expect(host.attachedPolicies).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        expect(host.instanceProfiles).toEqual(["sentry-prod-profile"]);
        const flow = review.iamRoles.find((r) => r.name === "sentry-prod-flow-logs-role")!;
        expect(flow.inlinePolicies[0].statements[0]).toBe(
            "Allow logs:CreateLogStream, logs:PutLogEvents, logs:DescribeLogStreams on <after-deploy: arn of sentry-prod-flow-logs>, <after-deploy: arn of sentry-prod-flow-logs>:*",
        );

        expect(text).toMatch(/\+ sentry-prod-data {2}\(aws:ebs\/volume:Volume\) {2}\[protected, retained on delete\]\n(?: {4}.*\n)*? {4}tags: .*SentryData=prod/);
        // The steps in the provisioner's order, not alphabetically, each with its script and inputs;
        // then the pruning of pre-upgrade snapshots, once the heartbeat is installed.
        expect(review.steps.map((s) => s.step)).toEqual([...STEPS, "prune-snapshots"]);
        const configure = review.steps.find((s) => s.step === "configure-sentry")!;
        expect(configure.files.map((f) => f.path)).toEqual([
            "/usr/local/lib/sentry-deploy/lib.sh",
            "/usr/local/lib/sentry-deploy/configure-sentry.sh",
            "/etc/sentry-deploy/configure-sentry.env",
        ]);
        expect(configure.env.SENTRY_RETENTION_DAYS).toBe("90");
        expect(text).toContain("----- /usr/local/lib/sentry-deploy/configure-sentry.sh  (written by configure-sentry)\n#!/usr/bin/env bash");
    });

    it("labels what only exists at deploy time, and never prints the mocks' made-up ids as real", () => {
        const text = renderReview(reviewOf(base));
        expect(text).toContain("vpcId: <after-deploy: id of sentry-prod-vpc>");
        expect(text).toContain("ami: <after-deploy: newest Ubuntu 24.04 x86_64 AMI (looked up at deploy)>");
        expect(text).toContain('DATA_VOLUME_ID="<after-deploy: id of sentry-prod-data>"');
        for (const made of Object.keys(base.placeholders ?? {}).filter((v) => v.length >= 12)) {
            expect(text).not.toContain(made);
        }
        expect(text).toMatch(/stdin: \[secret\]/);
    });
});

describe("the difference against a base", () => {
    it("shows a change of instance type as an update in place, with its cost change", async () => {
        const head = await prod({ "sentry:instanceType": "m7i.2xlarge" });
        const d = diffPlans(base, head);
        const host = d.resources.find((r) => r.name === "sentry-prod-host")!;
        expect(host.kind).toBe("update");
        expect(host.changes).toEqual([{ path: "instanceType", old: "m7i.xlarge", new: "m7i.2xlarge", replaces: false }]);
        expect(d.protectedDeletions).toEqual([]);
        expect(d.resources.filter((r) => r.kind !== "update")).toEqual([]);
        expect(renderDiff(d)).toContain("~  sentry-prod-host  (aws:ec2/instance:Instance)  [protected]\n     instanceType: m7i.xlarge -> m7i.2xlarge\n");

        const change = costChange(estimateCost(base), estimateCost(head));
        const p = PRICES["eu-central-1"].ec2Hourly;
        expect(change.delta).toBeCloseTo((p["m7i.2xlarge"] - p["m7i.xlarge"]) * 730, 6);
        expect(change.lines.map((l) => l.resource)).toEqual(["sentry-prod-host"]);
        expect(renderCostChange(change)).toMatch(/^Cost change of stack prod: \$\d+\.\d\d -> \$\d+\.\d\d a month, \+\$176\.(29|30)\n {2}sentry-prod-host: \$\d+\.\d\d -> \$\d+\.\d\d {2}\(\+\$176\.(29|30)\)/);
    });

    it("shows a change of subnet as a replacement, and the protected host it takes with it first", async () => {
        const head = await prod({ "sentry:subnetCidr": "10.43.7.0/24" });
        const d = diffPlans(base, head);
        const subnet = d.resources.find((r) => r.name === "sentry-prod-subnet")!;
        expect(subnet.kind).toBe("replace");
        expect(subnet.changes).toEqual([{ path: "cidrBlock", old: "10.43.0.0/24", new: "10.43.7.0/24", replaces: true }]);
        // The instance names the subnet: a new subnet id replaces it (subnetId forces replacement).
        const host = d.resources.find((r) => r.name === "sentry-prod-host")!;
        expect(host.kind).toBe("replace");
        expect(host.changes.find((c) => c.path === "subnetId")).toMatchObject({ replaces: true, atDeploy: "sentry-prod-subnet is replaced: its new value" });
        expect(d.protectedDeletions.map((p) => p.name)).toEqual(["sentry-prod-host"]);
        const text = renderDiff(d);
        expect(text.indexOf("!! PROTECTED RESOURCES THIS CHANGE WOULD DELETE")).toBeLessThan(text.indexOf("Resources (in the order"));
        expect(text).toContain("+- sentry-prod-subnet  (aws:ec2/subnet:Subnet)  REPLACE because of cidrBlock\n     cidrBlock: 10.43.0.0/24 -> 10.43.7.0/24 (forces replacement)");
        // Every step runs again on the new host, in run order.
        expect(d.steps.map((s) => s.step)).toEqual([...STEPS, "prune-snapshots"]);
    });

    it("calls out a protected resource that the change removes, before anything else", () => {
        const head: Plan = { ...base, resources: base.resources.filter((r) => r.name !== "sentry-prod-data" && r.name !== "sentry-prod-data-attachment") };
        const d = diffPlans(base, head);
        expect(d.protectedDeletions).toEqual([{ name: "sentry-prod-data", type: "aws:ebs/volume:Volume", kind: "delete", retained: true }]);
        const text = renderDiff(d);
        const lines = text.split("\n");
        expect(lines[2]).toBe("!! PROTECTED RESOURCES THIS CHANGE WOULD DELETE:");
        expect(lines[3]).toMatch(/^!! {3}sentry-prod-data \(aws:ebs\/volume:Volume\) would be deleted; it is retained on delete/);
        expect(text).toContain("-  sentry-prod-data  (aws:ebs/volume:Volume)  [protected]");
    });

    it("re-runs configure, start and health check, with the env file's diff, when a Sentry setting changes", async () => {
        const head = await prod({ "sentry:retentionDays": 60 });
        const d = diffPlans(base, head);
        expect(d.steps.map((s) => s.step)).toEqual(["configure-sentry", "start-sentry", "check-health"]);
        expect(d.steps[0].env?.patch).toContain("-SENTRY_RETENTION_DAYS='90'\n+SENTRY_RETENTION_DAYS='60'\n");
        // Only the step whose revision changed is named, though start-sentry follows install-sentry
        // too; prod's mail (SES) puts the SMTP password's digest after the revisions, which must
        // not shift which trigger is which step's revision.
        expect(d.steps[1].reasons).toEqual(["an earlier step it follows re-runs (configure-sentry)"]);
        expect(d.steps[2].reasons).toEqual(["an earlier step it follows re-runs (start-sentry)"]);
        const text = renderDiff(d);
        expect(text).toMatch(/\n {5}triggers\[1\] \(the revision of configure-sentry\): [0-9a-f]{16} -> [0-9a-f]{16} \(forces replacement\)\n/);
        expect(text).not.toContain("the revision of install-sentry");
        const start = reviewOf(head).steps.find((x) => x.step === "start-sentry")!;
        expect(renderReview(reviewOf(head))).toContain(`runs again when these change: ${show(start.triggers[0])}, the revision of configure-sentry (${start.triggers[1] as string}), the revision of install-sentry (${start.triggers[2] as string}), ${show(start.triggers[3])}`);
        // No AWS resource changes for a Sentry setting.
        expect(d.resources.filter((r) => !r.type.startsWith("command:"))).toEqual([]);
    });

    it("shows nothing to do when nothing changed", () => {
        const d = diffPlans(base, base);
        expect(d.resources).toEqual([]);
        expect(d.steps).toEqual([]);
        expect(renderDiff(d)).toContain("No resource changes.");
    });
});

describe("the cost estimate", () => {
    it("prices the committed prod stack line by line from the table", () => {
        const c = estimateCost(base);
        const p = PRICES["eu-central-1"];
        const line = (name: string) => c.lines.find((l) => l.resource === name)!;
        const rootGb = (base.resources.find((r) => r.name === "sentry-prod-host")!.inputs.rootBlockDevice as { volumeSize: number }).volumeSize;
        expect(line("sentry-prod-host").monthly).toBeCloseTo(p.ec2Hourly["m7i.xlarge"] * 730 + rootGb * p.gp3GbMonth!, 6);
        expect(line("sentry-prod-data").monthly).toBeCloseTo(200 * p.gp3GbMonth!, 6);
        expect(line("sentry-prod-eip").monthly).toBeCloseTo(0.005 * 730, 6);
        expect(line("sentry-prod-recover").monthly).toBe(p.alarmMonth);
        expect(line("sentry-prod-snapshots").assumption).toContain("14 kept");
        expect(line("sentry-prod-flow-logs").monthly).toBeGreaterThan(0);
        expect(c.unknownCount).toBe(0);
        expect(c.knownTotal).toBeCloseTo(c.lines.reduce((s, l) => s + (l.monthly ?? 0), 0), 6);
    });

    it("shows a price missing from the table as unknown, never as zero", async () => {
        const head = await prod({ "sentry:instanceType": "m7g.xlarge" });
        const c = estimateCost(head);
        expect(PRICES["eu-central-1"].ec2Hourly["m7g.xlarge"]).toBeUndefined();
        const host = c.lines.find((l) => l.resource === "sentry-prod-host")!;
        expect(host.monthly).toBeNull();
        expect(host.detail).toBe("no on-demand price for m7g.xlarge in the table for this region");
        expect(c.unknownCount).toBe(1);
        const text = renderCost(c);
        expect(text).toMatch(/ {5}unknown {2}sentry-prod-host /);
        expect(text).toContain("plus 1 item of unknown price");
        // And the change against a priced base is unknown too, not a saving.
        expect(costChange(estimateCost(base), c).delta).toBeNull();
        expect(renderCostChange(costChange(estimateCost(base), c))).toContain("change unknown");

        const china = estimateCost({ ...head, region: "cn-northwest-1" });
        expect(china.currency).toBe("CNY");
        expect(china.lines.filter((l) => ["sentry-prod-host", "sentry-prod-data", "sentry-prod-eip"].includes(l.resource)).map((l) => l.monthly)).toEqual([null, null, null]);
    });

    it("says so when a resource type has no estimate, rather than counting it free", () => {
        const plan: Plan = { ...base, resources: [...base.resources, { type: "aws:rds/instance:Instance", name: "db", inputs: {}, protect: false, retainOnDelete: false, dependsOn: [] }] };
        const line = estimateCost(plan).lines.find((l) => l.resource === "db")!;
        expect(line.monthly).toBeNull();
        expect(line.detail).toContain("not in the cost estimate");
    });
});
