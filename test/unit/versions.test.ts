import { describe, expect, it } from "vitest";
import { compareVersions, upgradePathProblem, versionPolicyProblem } from "../../components/versions";

describe("self-hosted upgrade path", () => {
    it("orders calendar versions numerically", () => {
        expect(compareVersions("26.10.0", "26.9.1")).toBeGreaterThan(0);
        expect(compareVersions("25.5.1", "25.5.1")).toBe(0);
        expect(compareVersions("24.8.0", "25.1.0")).toBeLessThan(0);
    });

    it("allows staying put and upgrades that cross no hard stop", () => {
        expect(upgradePathProblem("26.8.0", "26.8.0")).toBeUndefined();
        expect(upgradePathProblem("26.7.0", "26.8.0")).toBeUndefined();
        expect(upgradePathProblem("26.7.2", "26.8.0")).toBeUndefined();
        // Landing exactly on a hard stop is the point of hard stops.
        expect(upgradePathProblem("26.5.0", "26.5.1")).toBeUndefined();
    });

    it("names every hard stop to go through, in order", () => {
        expect(upgradePathProblem("24.1.0", "26.8.0")).toBe(
            "upgrading self-hosted from 24.1.0 to 26.8.0 skips the hard stops 24.8.0, 25.5.1, 26.5.0, 26.5.1, 26.7.0; " +
                "upgrade one step at a time: 24.1.0 -> 24.8.0 -> 25.5.1 -> 26.5.0 -> 26.5.1 -> 26.7.0 -> 26.8.0 (set sentry:sentryVersion to 24.8.0, pulumi up, and continue)",
        );
        expect(upgradePathProblem("26.6.0", "26.8.0")).toContain("skips the hard stop 26.7.0;");
    });

    it("refuses downgrades and known-bad releases", () => {
        expect(upgradePathProblem("26.8.0", "26.7.2")).toContain("downgrading self-hosted from 26.8.0 to 26.7.2 is not supported");
        expect(upgradePathProblem("26.2.0", "26.3.0")).toContain("26.3.0 is a known-bad self-hosted release");
        expect(versionPolicyProblem("25.12.0")).toBeDefined();
        expect(versionPolicyProblem("26.8.0")).toBeUndefined();
    });
});
