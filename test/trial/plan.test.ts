// A trial stack made by `npm run trial -- create` evaluated by the real offline plan: its
// names carry the trial's name, everything is tagged to expire, nothing is protected, and
// the policy pack has nothing to say.
import { describe, expect, it } from "vitest";
import { checkPlan, formatViolations } from "../../policy/rules";
import { planStack, readStackConfig } from "../../tools/planner";
import { trialConfig } from "../../tools/trial-lib";

const EXPIRES = "2026-11-27T12:00:00Z";

async function trialPlan(name: string) {
    const config = { ...trialConfig(readStackConfig("staging"), EXPIRES), "sentry:adminPassword": "trial-test-password-0123456789" };
    return planStack(name, { config, allowPlaceholders: true });
}

describe("a trial stack's offline plan", () => {
    // Each plan evaluates the whole program under mocks: build "demo" once, for every test that reads it.
    let demoPlan: ReturnType<typeof trialPlan> | undefined;
    const demo = () => (demoPlan ??= trialPlan("demo"));

    it("names every resource and every Name tag after the trial", async () => {
        const plan = await demo();
        expect(plan.resources.length).toBeGreaterThan(20);
        for (const r of plan.resources) {
            expect(r.name, r.type).toMatch(/^sentry-demo(-|$)/);
            const tags = r.inputs.tags as Record<string, string> | undefined;
            if (tags) {
                expect(tags.Name, r.name).toBe(r.name);
                expect(tags.Stack).toBe("demo");
            }
        }
        const staging = await planStack("staging", { config: { ...readStackConfig("staging"), "sentry:adminPassword": "x".repeat(24) }, allowPlaceholders: true });
        const stagingNames = new Set(staging.resources.map((r) => r.name));
        expect(plan.resources.filter((r) => stagingNames.has(r.name))).toEqual([]);
    });

    it("tags every AWS resource that takes tags as a trial that expires", async () => {
        const plan = await demo();
        const tagged = plan.resources.filter((r) => r.inputs.tags);
        expect(tagged.length).toBeGreaterThan(15);
        for (const r of tagged) {
            expect((r.inputs.tags as Record<string, string>).Environment, r.name).toBe("trial");
            expect((r.inputs.tags as Record<string, string>).ExpiresAt, r.name).toBe(EXPIRES);
        }
    });

    it("protects and retains nothing, so destroy leaves nothing billed", async () => {
        const plan = await demo();
        expect(plan.resources.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name)).toEqual([]);
        const host = plan.resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
        expect(host.inputs.disableApiTermination).not.toBe(true);
    });

    it("passes every policy", async () => {
        expect(formatViolations(checkPlan(await trialPlan("pr-42")))).toBe("");
    });
});
