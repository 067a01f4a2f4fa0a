// The rules on the program's real offline plan (tools/planner.ts), as
// `npm run plan -- --stack <name> --check-policies` runs them.
import { describe, expect, it } from "vitest";
import { blockingViolations, checkPlan, formatViolations } from "../../policy/rules";
import { planStack, readStackConfig } from "../../tools/planner";

const PASSWORD = "policy-test-password-0123456789";

function plan(stack: string, overrides: Record<string, unknown> = {}) {
    return planStack(stack, { config: { ...readStackConfig(stack), "sentry:adminPassword": PASSWORD, ...overrides }, allowPlaceholders: true });
}

describe("the committed stacks comply", () => {
    for (const stack of ["staging", "prod"]) {
        it(`${stack}: no violation, not even advisory`, async () => {
            expect(formatViolations(checkPlan(await plan(stack)))).toBe("");
        });
    }
});

describe("a stack config that breaks a rule fails the offline check", () => {
    it("staging's web port opened to the internet", async () => {
        const v = blockingViolations(checkPlan(await plan("staging", { "sentry:webCidrs": ["0.0.0.0/0"] })));
        expect(v.map((x) => `${x.rule} ${x.resource}`)).toEqual(["public-ingress-web-only sentry-staging-web-0"]);
    });
    it("prod's web port may be public (prod is in publicWebStacks)", async () => {
        expect(checkPlan(await plan("prod", { "sentry:webCidrs": ["0.0.0.0/0", "::/0"] }))).toEqual([]);
    });
    it("prod without protection", async () => {
        const v = blockingViolations(checkPlan(await plan("prod", { "sentry:protect": false })));
        expect(new Set(v.map((x) => x.resource))).toEqual(new Set(["sentry-prod-host", "sentry-prod-data", "sentry-prod-eip"]));
        expect(v.map((x) => x.message)).toContain("the data volume is not retained on delete (retainOnDelete: true) in production");
    });
    it("SSH from anywhere and feature-complete on 8 GiB are already refused by the program's own validation", async () => {
        await expect(plan("staging", { "sentry:adminSshCidrs": ["0.0.0.0/0"] })).rejects.toThrow(/opens SSH to the whole internet/);
        await expect(plan("prod", { "sentry:instanceType": "c7i.xlarge" })).rejects.toThrow(/feature-complete profile needs at least 4 vCPUs and 16 GiB/);
    });
});
