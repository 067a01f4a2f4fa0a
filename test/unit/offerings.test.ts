// Instance type offerings: not every type runs in every availability zone (or region). The
// program asks EC2 at preview, puts its own network in a zone that offers the type, and refuses
// a zone that does not, naming the type and where it is offered, before anything is created.
import { describe, expect, it } from "vitest";
import { planStack, readStackConfig } from "../../tools/planner";

function plan(offerings: Record<string, string[]>, overrides: Record<string, unknown> = {}) {
    return planStack("staging", {
        config: { ...readStackConfig("staging"), ...overrides },
        secrets: { "sentry:adminPassword": "offerings-test-password-0123" },
        allowPlaceholders: true,
        mocks: { offerings },
    });
}

describe("the host goes where its instance type is offered", () => {
    it("without sentry:availabilityZone the network, host and data volume go to the first zone that offers the type", async () => {
        const p = await plan({ "c7i.xlarge": ["eu-central-1b", "eu-central-1c"] });
        const byName = (name: string) => p.resources.find((r) => r.name === name);
        expect(byName("sentry-staging-subnet")?.inputs.availabilityZone).toBe("eu-central-1b");
        expect(byName("sentry-staging-data")?.inputs.availabilityZone).toBe("eu-central-1b");
        expect(byName("sentry-staging-host")?.inputs.instanceType).toBe("c7i.xlarge");
    });

    it("a chosen zone that does not offer the type is refused at preview, naming where it is offered", async () => {
        await expect(plan({ "c7i.xlarge": ["eu-central-1b"] }, { "sentry:availabilityZone": "eu-central-1a" })).rejects.toThrow(
            /sentry:instanceType = c7i\.xlarge: not offered in availability zone eu-central-1a \(it is offered in eu-central-1b\)\. Fix:/,
        );
    });

    it("a type offered nowhere in the region is refused at preview", async () => {
        await expect(plan({ "c7i.xlarge": [] })).rejects.toThrow(/c7i\.xlarge: not offered in availability zone .* \(it is offered in no zone of eu-central-1\)/);
    });
});
