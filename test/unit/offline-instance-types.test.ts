// The offline plan (the required pull-request check) on instance types outside the built-in
// table: a legitimate scale-up plans, with a placeholder the plan names, never an error
// about some other property.
import { describe, expect, it } from "vitest";
import { blockingViolations, checkPlan } from "../../policy/rules";
import { planStack, readStackConfig } from "../../tools/planner";
import { byName } from "./helpers";

const PASSWORD = "instance-type-test-password-0123";

function plan(stack: string, overrides: Record<string, unknown>) {
    return planStack(stack, { config: { ...readStackConfig(stack), ...overrides }, secrets: { "sentry:adminPassword": PASSWORD }, allowPlaceholders: true });
}

describe("the offline plan and instance types it has no facts for", () => {
    it("plans staging on m5.2xlarge and prod on m7i.4xlarge, with nothing mandatory to say", async () => {
        for (const [stack, type] of [["staging", "m5.2xlarge"], ["prod", "m7i.4xlarge"]]) {
            const p = await plan(stack, { "sentry:instanceType": type });
            const host = byName(p, `sentry-${stack}-host`);
            expect(host.inputs.instanceType).toBe(type);
            expect(host.inputs.ami).toBe("ami-0f1e2d3c4b5a69788"); // the mocks' amd64 Ubuntu image
            expect(blockingViolations(checkPlan(p))).toEqual([]);
        }
    });

    it("picks the arm64 image for a Graviton type the table does not list", async () => {
        const p = await plan("staging", { "sentry:instanceType": "m8g.xlarge" });
        expect(byName(p, "sentry-staging-host").inputs.ami).toBe("ami-0a1b2c3d4e5f60718");
    });

    it("refuses a malformed type naming sentry:instanceType", async () => {
        await expect(plan("staging", { "sentry:instanceType": "M5.2XLARGE" })).rejects.toThrow(/sentry:instanceType = M5\.2XLARGE: is not an EC2 instance type name/);
    });
});
