// The @pulumi/policy adapter: the same rules, fed from the engine's arguments.
import type { PolicyResource as EngineResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { parseUrn, toPolicies } from "../../policy/pack";
import { PolicyPlan, RULES } from "../../policy/rules";
import { find, stackPlan } from "./fixtures";

const policies = toPolicies(RULES);

function urnOf(stack: string, type: string, name: string): string {
    return `urn:pulumi:${stack}::sentry::sentry:aws:SentryHost$${type}::${name}`;
}

function resourceArgs(stack: string, type: string, name: string, props: Record<string, unknown>, protect = false, config: object = {}): ResourceValidationArgs {
    return {
        type,
        name,
        props,
        urn: urnOf(stack, type, name),
        opts: { protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: () => {
            throw new Error("not applicable");
        },
    };
}

async function runResource(policyName: string, args: ResourceValidationArgs): Promise<string[]> {
    const policy = policies.find((p) => p.name === policyName) as ResourceValidationPolicy;
    const messages: string[] = [];
    const validate = policy.validateResource;
    for (const v of Array.isArray(validate) ? validate : [validate!]) {
        await v(args, (m) => messages.push(m));
    }
    return messages;
}

/** The engine's view of a whole plan, as a stack policy gets it. */
function stackArgs(plan: PolicyPlan, config: object = {}): StackValidationArgs {
    const resources: EngineResource[] = plan.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        urn: urnOf(plan.stack, r.type, r.name),
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: () => {
            throw new Error("not applicable");
        },
    };
}

async function runStack(policyName: string, args: StackValidationArgs): Promise<[string, string | undefined][]> {
    const policy = policies.find((p) => p.name === policyName) as StackValidationPolicy;
    const reports: [string, string | undefined][] = [];
    await policy.validateStack(args, (m, urn) => reports.push([m, urn]));
    return reports;
}

describe("policy pack adapter", () => {
    it("maps every rule to one policy with its level and remediation, stack rules to stack policies", () => {
        expect(policies.map((p) => p.name)).toEqual(RULES.map((r) => r.name));
        for (const rule of RULES) {
            const p = policies.find((x) => x.name === rule.name)!;
            expect(p.enforcementLevel).toBe(rule.enforcementLevel);
            expect(p.remediationSteps).toBe(rule.remediation);
            expect("validateStack" in p).toBe(rule.scope === "stack");
        }
    });

    it("gives the settings schema to exactly the rules that use the settings: the web rule and production HTTPS", () => {
        expect(RULES.filter((r) => r.usesSettings).map((r) => r.name)).toEqual(["public-ingress-web-only", "production-https"]);
        expect(policies.filter((p) => p.configSchema !== undefined).map((p) => p.name)).toEqual(["public-ingress-web-only", "production-https"]);
    });

    it("parses stack and project from the URN", () => {
        expect(parseUrn("urn:pulumi:demo-1::sentry::sentry:aws:SentryHost$aws:ec2/eip:Eip::sentry-demo-1-eip")).toEqual({
            stack: "demo-1",
            project: "sentry",
            type: "aws:ec2/eip:Eip",
            name: "sentry-demo-1-eip",
        });
        expect(() => parseUrn("sentry-prod-eip")).toThrow(/not a Pulumi URN/);
    });

    it("reports an unprotected production instance from the engine's options", async () => {
        const host = find(stackPlan("prod"), "host");
        expect(await runResource("production-protected", resourceArgs("prod", host.type, host.name, host.inputs, true))).toEqual([]);
        expect(await runResource("production-protected", resourceArgs("prod", host.type, host.name, host.inputs, false))).toEqual([
            "the instance is not protected (protect: true) in production",
        ]);
    });

    it("takes the stack name from the URN for the naming rule", async () => {
        const vpc = find(stackPlan("staging"), "vpc");
        expect(await runResource("names-carry-own-stack", resourceArgs("staging", vpc.type, vpc.name, vpc.inputs))).toEqual([]);
        const messages = await runResource("names-carry-own-stack", resourceArgs("demo", vpc.type, vpc.name, vpc.inputs));
        expect(messages[0]).toMatch(/does not start with "sentry-demo"/);
    });

    it("reads publicWebStacks from --policy-pack-config, defaulting to policy/settings.ts", async () => {
        const plan = stackPlan("staging", { webCidrs: ["0.0.0.0/0"] });
        expect(await runStack("public-ingress-web-only", stackArgs(plan))).toHaveLength(1);
        expect(await runStack("public-ingress-web-only", stackArgs(plan, { publicWebStacks: ["staging"] }))).toEqual([]);
    });

    it("judges the ingress rules of one security group together, reporting against the first one's URN", async () => {
        const reports = await runStack("no-public-admin-ingress", stackArgs(stackPlan("staging", { sshCidrs: ["0.0.0.0/1", "128.0.0.0/1"] })));
        const type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
        expect(reports).toEqual([[expect.stringMatching(/^sentry-staging-ssh-0: 0\.0\.0\.0\/1 .* and 128\.0\.0\.0\/1 .* together may reach port 22/), urnOf("staging", type, "sentry-staging-ssh-0")]]);
    });

    it("judges the other rules of a group when one rule's source is unknown during preview", async () => {
        const args = stackArgs(stackPlan("staging", { sshCidrs: ["0.0.0.0/1", "128.0.0.0/1", "198.51.100.9/32"] }));
        const pending = args.resources.find((r) => r.name === "sentry-staging-ssh-2")!;
        pending.props = new Proxy(pending.props, {
            get(target, key) {
                if (key === "cidrIpv4") {
                    throw Object.assign(new Error("unknown"), { unknownTypeSentinel: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
                }
                return Reflect.get(target, key);
            },
        });
        expect((await runStack("no-public-admin-ingress", args)).map(([m]) => m)).toEqual([expect.stringMatching(/^sentry-staging-ssh-0: .* together may reach port 22/)]);
    });

    it("runs stack rules over every resource and reports against the offending URN", async () => {
        const plan = stackPlan("staging");
        const reports = await runStack("vpc-flow-logs", stackArgs({ ...plan, resources: plan.resources.filter((r) => r.type !== "aws:ec2/flowLog:FlowLog") }));
        expect(reports).toEqual([
            ["sentry-staging-vpc: the VPC has no flow log (no aws.ec2.FlowLog with a vpcId in this stack)", urnOf("staging", "aws:ec2/vpc:Vpc", "sentry-staging-vpc")],
        ]);
    });

    it("treats a value unknown during preview as set where only presence matters", async () => {
        const host = find(stackPlan("staging"), "host");
        const props = new Proxy(host.inputs, {
            get(target, key) {
                if (key === "iamInstanceProfile") {
                    throw Object.assign(new Error("unknown"), { unknownTypeSentinel: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
                }
                return Reflect.get(target, key);
            },
        });
        expect(await runResource("ec2-ssm-managed", resourceArgs("staging", host.type, host.name, props))).toEqual([]);
    });
});
