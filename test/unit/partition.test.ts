// AWS partitions: the same program in a commercial region, in AWS China and in GovCloud. Every
// ARN is written in the region's partition, trust policies name the principals the provider
// gives for it, the Ubuntu image comes from Canonical's account there (the mock AWS finds no
// image for any other owner, as AWS would), and the plan passes the policy pack.
import { describe, expect, it } from "vitest";
import { canonicalOwnerProblem, managedPolicyArn, partitionOfRegion, recoverActionArn } from "../../components/aws/partition";
import { blockingViolations, checkPlan } from "../../policy/rules";
import { planStack, readStackConfig } from "../../tools/planner";

const REGIONS = [
    { region: "eu-central-1", partition: "aws" },
    { region: "cn-northwest-1", partition: "aws-cn" },
    { region: "cn-north-1", partition: "aws-cn" },
    { region: "us-gov-west-1", partition: "aws-us-gov" },
];

function planIn(region: string) {
    return planStack("prod", {
        // In China the template's load balancer needs the ICP filing, and SES is not offered there.
        config: { ...readStackConfig("prod"), "aws:region": region, ...(region.startsWith("cn-") ? { "sentry:icpFiled": true, "sentry:mail": "none" } : {}) },
        secrets: { "sentry:adminPassword": "partition-test-password-0123" },
        // The committed template's documentation addresses are not what this test is about.
        allowPlaceholders: true,
    });
}

describe("the program in every partition", () => {
    for (const { region, partition } of REGIONS) {
        it(`${region}: ARNs in ${partition}, the partition's principals and image publisher, policies pass`, async () => {
            const plan = await planIn(region);
            const text = JSON.stringify(plan.resources);
            const arns = text.match(/arn:[a-z-]+:/g) ?? [];
            expect(arns.length).toBeGreaterThan(0);
            expect(new Set(arns)).toEqual(new Set([`arn:${partition}:`]));

            const byName = (name: string) => plan.resources.find((r) => r.name === name);
            expect(byName("sentry-prod-ssm")?.inputs.policyArn).toBe(managedPolicyArn(partition, "AmazonSSMManagedInstanceCore"));
            expect(byName("sentry-prod-snapshots-policy")?.inputs.policyArn).toBe(managedPolicyArn(partition, "service-role/AWSDataLifecycleManagerServiceRole"));
            // Recover the instance, and tell the stack's alarm topic (in the same partition and region).
            const recover = byName("sentry-prod-recover")?.inputs.alarmActions as string[];
            expect(recover[0]).toBe(recoverActionArn(partition, region));
            expect(recover.slice(1)).toEqual([expect.stringMatching(new RegExp(`^arn:${partition}:sns:${region}:123456789012:sentry-prod-alarms-`))]);
            const keyPolicy = JSON.parse(String(byName("sentry-prod-alarms-key")?.inputs.policy));
            expect(keyPolicy.Statement[0].Principal.AWS).toBe(`arn:${partition}:iam::123456789012:root`);
            expect(keyPolicy.Statement[1].Principal.Service).toBe("cloudwatch.amazonaws.com");
            const prune = JSON.parse(String(byName("sentry-prod-prune-snapshots-policy")?.inputs.policy));
            expect(prune.Statement[1].Resource).toBe(`arn:${partition}:ec2:${region}::snapshot/*`);
            const trusted = (name: string) => JSON.parse(String(byName(name)?.inputs.assumeRolePolicy)).Statement[0].Principal.Service;
            // What the AWS provider's service principal data source answers in every partition here.
            expect(trusted("sentry-prod-role")).toBe("ec2.amazonaws.com");
            expect(trusted("sentry-prod-snapshots-role")).toBe("dlm.amazonaws.com");
            expect(trusted("sentry-prod-flow-logs-role")).toBe("vpc-flow-logs.amazonaws.com");
            // The instance got an image: the look-up asked the partition's Canonical account.
            expect(byName("sentry-prod-host")?.inputs.ami).toMatch(/^ami-/);

            expect(blockingViolations(checkPlan(plan))).toEqual([]);
        });
    }
});

describe("partition facts", () => {
    it("a region's partition follows its name", () => {
        expect(REGIONS.map((r) => partitionOfRegion(r.region))).toEqual(REGIONS.map((r) => r.partition));
    });
    it("a partition without a known Ubuntu publisher asks for sentry:amiId", () => {
        expect(canonicalOwnerProblem("aws-iso")).toMatch(/set sentry:amiId/);
        expect(canonicalOwnerProblem("aws-cn")).toBeUndefined();
    });
});

describe("what AWS China does differently", () => {
    const china = (overrides: Record<string, unknown>) =>
        planStack("prod", {
            config: { ...readStackConfig("prod"), "aws:region": "cn-northwest-1", "sentry:mail": "none", ...overrides },
            secrets: { "sentry:adminPassword": "partition-test-password-0123" },
            allowPlaceholders: true,
        });

    it("refuses web port 8080 until the domain has an ICP filing, and says how to go on", async () => {
        await expect(china({ "sentry:webPort": 8080 })).rejects.toThrow(
            /sentry:webPort = 8080: AWS China keeps ports 80, 443, 8080 closed until the domain has an ICP filing \(cn-northwest-1\)\. Fix: pulumi config set sentry:webPort 9000, or once the filing is through: pulumi config set sentry:icpFiled true/,
        );
    });

    it("plans port 8080 once sentry:icpFiled is true, and 8080 anywhere outside China", async () => {
        // Behind a proxy of your own, so the host's web port is what faces the internet.
        const filed = await china({ "sentry:webPort": 8080, "sentry:icpFiled": true, "sentry:tls": "proxy" });
        expect(filed.resources.find((r) => r.name === "sentry-prod-web-0")?.inputs.fromPort).toBe(8080);
        const frankfurt = await planStack("prod", {
            config: { ...readStackConfig("prod"), "sentry:webPort": 8080, "sentry:tls": "proxy" },
            secrets: { "sentry:adminPassword": "partition-test-password-0123" },
            allowPlaceholders: true,
        });
        expect(frankfurt.resources.find((r) => r.name === "sentry-prod-web-0")?.inputs.fromPort).toBe(8080);
    });
});
