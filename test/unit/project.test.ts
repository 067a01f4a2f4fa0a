// The project file as the real engine reads it: mocks never see Pulumi.yaml, so these checks
// stand in for the engine's own config validation.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../config";
import { SETTING_KEYS } from "../../settings";
import { GENERATED, replaceBetween } from "../../tools/docs";
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
        // Not `secret: true`: the engine would refuse a plain-text password before the program
        // runs, alone; the loader refuses it among every other problem (test/e2e/preview.e2e.test.ts).
        expect(project.config["sentry:adminPassword"].secret).toBeUndefined();
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

describe("settings.ts, README.md and Pulumi.yaml cannot drift", () => {
    it.each(GENERATED.map((g) => [g.file, g] as const))("%s holds exactly what `npm run docs` generates from settings.ts", (file, g) => {
        const text = fs.readFileSync(path.join(root, file), "utf8");
        expect(replaceBetween(text, g.markers, g.render()), `${file} is stale: run npm run docs`).toBe(text);
    });

    it("README.md documents every setting, and Pulumi.yaml declares or lists every one", () => {
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const projectText = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        for (const key of SETTING_KEYS) {
            expect(readme, key).toContain(`| \`${key}\` |`);
            expect(project.config[`sentry:${key}`] !== undefined || projectText.includes(`#   sentry:${key}:`), key).toBe(true);
        }
    });

    it("the defaults the engine adds from Pulumi.yaml are what the loader assumes anyway", () => {
        const minimal = {
            "aws:region": "eu-central-1",
            "sentry:adminEmail": "admin@acme-corp.io",
            "sentry:adminPassword": "pw",
            "sentry:webCidrs": '["100.64.10.0/24"]',
            "sentry:adminSshCidrs": '["100.64.10.7/32"]',
        };
        const declared = Object.fromEntries(
            Object.entries(project.config)
                .filter(([, spec]) => spec.default !== undefined)
                .map(([k, spec]) => [k, String(spec.default)]),
        );
        const load = (values: Record<string, string>) => parseConfig({ values, isSecret: (k) => k === "sentry:adminPassword" }, "staging");
        const strip = (c: ReturnType<typeof load>) => ({ ...c, adminPassword: undefined });
        expect(strip(load({ ...declared, ...minimal }))).toEqual(strip(load(minimal)));
    });
});

