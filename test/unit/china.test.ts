// AWS China as a first-class deployment: the committed example stack file
// (examples/Pulumi.cn-northwest-1.yaml) plans offline in both China regions and, with its region
// changed, in GovCloud; every ARN is in the region's partition, the Ubuntu image comes from
// Canonical's account there (the mock AWS answers no other owner, as AWS does), the trust
// policies name what the provider's service principal data source answers, the policy pack
// passes, and the host steps carry the mirrors.
import * as path from "path";
import { describe, expect, it } from "vitest";
import { managedPolicyArn, partitionOfRegion } from "../../components/aws/partition";
import { blockingViolations, checkPlan } from "../../policy/rules";
import { planStack } from "../../tools/planner";
import { readStackFileAt } from "../../tools/stackFile";
import { parseStepEnv } from "../../components/host/render";
import { byName, runProcess } from "./helpers";

const root = path.resolve(__dirname, "../..");
const EXAMPLE = path.join(root, "examples", "Pulumi.cn-northwest-1.yaml");
const example = (): Record<string, unknown> => ({ ...(readStackFileAt(EXAMPLE).config ?? {}) });
const secrets = { "sentry:adminPassword": "china-test-password-0123" };
/** The example moved to `region`: its imported certificate is imported there (ACM certificates are regional). */
const inRegion = (config: Record<string, unknown>, region: string): Record<string, unknown> => ({
    ...config,
    "aws:region": region,
    "sentry:certificateArn": String(config["sentry:certificateArn"]).replace(/^arn:[a-z-]+:acm:[a-z0-9-]+:/, `arn:${partitionOfRegion(region)}:acm:${region}:`),
});

const REGIONS: { region: string; partition: string }[] = [
    { region: "cn-northwest-1", partition: "aws-cn" },
    { region: "cn-north-1", partition: "aws-cn" },
    { region: "us-gov-west-1", partition: "aws-us-gov" },
];

describe("examples/Pulumi.cn-northwest-1.yaml", { timeout: 60_000 }, () => {
    it("is refused as committed, for its placeholders (documentation networks and domains)", async () => {
        const err = await planStack("cnprod", { config: example(), secrets }).catch((e: Error) => e);
        expect(String(err)).toContain("sentry:mirrors.selfHostedRepo = https://git.example.com/mirrors/self-hosted.git: uses example.com");
        expect(String(err)).toContain("sentry:adminSshCidrs = 198.51.100.7/32: is a documentation address");
    });

    for (const { region, partition } of REGIONS) {
        it(`plans in ${region}: only arn:${partition}:, the partition's image and principals, policies pass`, async () => {
            const plan = await planStack("cnprod", { config: inRegion(example(), region), secrets, allowPlaceholders: true });
            const text = JSON.stringify(plan.resources);
            expect(text).not.toContain("arn:aws:");
            expect(new Set(text.match(/arn:[a-z-]+:/g))).toEqual(new Set([`arn:${partition}:`]));
            expect(byName(plan, "sentry-cnprod-ssm").inputs.policyArn).toBe(managedPolicyArn(partition, "AmazonSSMManagedInstanceCore"));
            // The mock AWS has an image only under Canonical's account of the partition.
            expect(byName(plan, "sentry-cnprod-host").inputs.ami).toMatch(/^ami-/);
            expect(byName(plan, "sentry-cnprod-host").inputs.instanceType).toBe("m6i.xlarge");
            const principal = (name: string) => JSON.parse(String(byName(plan, name).inputs.assumeRolePolicy)).Statement[0].Principal.Service;
            // IAM in aws-cn accepts the standard ec2/dlm/vpc-flow-logs principals; the provider's
            // data source gives .amazonaws.com.cn only for codedeploy, elasticmapreduce and logs.
            expect([principal("sentry-cnprod-role"), principal("sentry-cnprod-snapshots-role"), principal("sentry-cnprod-flow-logs-role")]).toEqual([
                "ec2.amazonaws.com",
                "dlm.amazonaws.com",
                "vpc-flow-logs.amazonaws.com",
            ]);
            expect(blockingViolations(checkPlan(plan))).toEqual([]);

            // The mirrors reach the steps that download.
            const env = (step: string) => parseStepEnv(String(byName(plan, `sentry-cnprod-provision-${step}`).inputs.create));
            expect(env("checkout-self-hosted").SENTRY_REPO_URL).toBe("https://git.example.com/mirrors/self-hosted.git");
            expect(env("install-docker")).toMatchObject({ UBUNTU_APT_MIRROR: "https://mirrors.tuna.tsinghua.edu.cn/ubuntu", DOCKER_APT_REPO_URL: "https://mirrors.aliyun.com/docker-ce/linux" });
            expect(env("configure-sentry").SENTRY_IMAGE_MIRRORS).toBe("docker.io=docker.m.daocloud.io ghcr.io=ghcr.m.daocloud.io registry.gitlab.com=gitlab.m.daocloud.io");
        });
    }

    it("defaults to instance types both China regions offer, and keeps the 7th generation elsewhere", async () => {
        const { "sentry:instanceType": _set, ...unset } = example();
        for (const [region, type] of [
            ["cn-north-1", "m6i.xlarge"],
            ["eu-central-1", "m7i.xlarge"],
        ]) {
            const plan = await planStack("cnprod", { config: inRegion(unset, region), secrets, allowPlaceholders: true });
            expect(byName(plan, "sentry-cnprod-host").inputs.instanceType, region).toBe(type);
        }
        const errorsOnly = await planStack("cnprod", { config: { ...unset, "sentry:profile": "errors-only", "sentry:dataVolumeSizeGb": 60, "sentry:swapSizeGb": 8, "sentry:redisMaxMemory": "1gb" }, secrets, allowPlaceholders: true });
        expect(byName(errorsOnly, "sentry-cnprod-host").inputs.instanceType).toBe("c6i.xlarge");
    });

    it("places its network in a zone that offers the type, and refuses a zone that does not, at preview", async () => {
        const mocks = { offerings: { "m6i.xlarge": ["cn-northwest-1b"] } };
        const plan = await planStack("cnprod", { config: example(), secrets, allowPlaceholders: true, mocks });
        expect(byName(plan, "sentry-cnprod-subnet").inputs.availabilityZone).toBe("cn-northwest-1b");
        const err = await planStack("cnprod", { config: { ...example(), "sentry:availabilityZone": "cn-northwest-1a" }, secrets, allowPlaceholders: true, mocks }).then(
            () => new Error("planned"),
            (e: Error) => e,
        );
        expect(err.message).toMatch(/sentry:instanceType = m6i\.xlarge: not offered in availability zone cn-northwest-1a \(it is offered in cn-northwest-1b\)/);
    });

    it("passes `npm run plan -- --stack-file ... --check-policies` as a reviewer runs it", async () => {
        const r = await runProcess(path.join(root, "node_modules", ".bin", "tsx"), ["tools/plan.ts", "--stack", "cnprod", "--stack-file", EXAMPLE, "--check-policies", "--allow-placeholders"], { cwd: root, timeoutMs: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toContain("Policies: no mandatory violations in stack cnprod.");
        expect(r.stdout).toContain('SENTRY_IMAGE_MIRRORS="docker.io=docker.m.daocloud.io ghcr.io=ghcr.m.daocloud.io registry.gitlab.com=gitlab.m.daocloud.io"');
        expect(r.stdout).not.toContain("arn:aws:");
    });
});
