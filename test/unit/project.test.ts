// The project file as the real engine reads it: mocks never see Pulumi.yaml, so these checks
// stand in for the engine's own config validation.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackConfig } from "../../tools/planner";

const root = path.resolve(__dirname, "../..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config: Record<string, { type?: string; default?: unknown; secret?: boolean }>;
};

describe("Pulumi.yaml", () => {
    it("requires only what every stack must set: the engine treats a declared key without a default as required", () => {
        const required = Object.entries(project.config)
            .filter(([, spec]) => spec.default === undefined)
            .map(([key]) => key)
            .sort();
        expect(required).toEqual(["sentry:adminEmail", "sentry:adminPassword"]);
        expect(project.config["sentry:adminPassword"].secret).toBe(true);
    });

    it("declares defaults of the declared type", () => {
        const typeOf = (v: unknown) => (Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
        for (const [key, spec] of Object.entries(project.config)) {
            if (spec.default !== undefined) {
                expect(typeOf(spec.default), key).toBe(spec.type);
            }
        }
    });

    it.each(["staging", "prod"])("the %s stack sets every required key but the secret, and only keys of this project or aws", (stack) => {
        const config = readStackConfig(stack);
        expect(config["sentry:adminEmail"]).toBeDefined();
        for (const key of Object.keys(config)) {
            expect(key).toMatch(new RegExp(`^(${project.name}|aws):`));
        }
    });
});
