// The price table (tools/prices.ts) itself: every figure names its source from the header's list,
// regions built from a base inherit only what they should, and no figure is zero or negative.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PRICES, region } from "../../tools/prices";

const source = fs.readFileSync(path.resolve(__dirname, "../../tools/prices.ts"), "utf8");

describe("tools/prices.ts", () => {
    it("tags every figure with sources that the header lists", () => {
        const header = new Set([...source.matchAll(/^\/\/ {3}\[([a-z0-9-]+)\]/gm)].map((m) => m[1]));
        expect(header.size).toBeGreaterThan(5);
        const table = source.slice(source.indexOf("const COMMERCIAL"), source.indexOf("export const HOURS_PER_MONTH"));
        const figures = table.split("\n").filter((l) => /^\s+"?[\w.-]+"?: \d/.test(l));
        expect(figures.length).toBeGreaterThan(40);
        for (const line of figures) {
            const tags = [...line.matchAll(/\[([a-z0-9-]+)\]/g)].map((m) => m[1]);
            expect(tags, `no source tag: ${line.trim()}`).not.toEqual([]);
            for (const tag of tags) {
                expect(header.has(tag), `tag [${tag}] is not in the header's source list: ${line.trim()}`).toBe(true);
            }
        }
    });

    it("gives every region its currency, and the China regions none of the commercial regions' USD figures", () => {
        for (const [name, p] of Object.entries(PRICES)) {
            expect(p.currency, name).toBe(name.startsWith("cn-") ? "CNY" : "USD");
            for (const [key, value] of Object.entries(p)) {
                const values = key === "ec2Hourly" ? Object.values(value as Record<string, number>) : [value];
                for (const v of values.filter((x) => typeof x === "number")) {
                    expect(Number.isFinite(v) && v > 0, `${name}.${key} = ${v}`).toBe(true);
                }
            }
        }
        for (const china of ["cn-north-1", "cn-northwest-1"]) {
            expect(Object.keys(PRICES[china]).sort()).toEqual(["alarmHighResolutionMonth", "alarmMonth", "currency", "ec2Hourly"]);
        }
        expect(PRICES["cn-northwest-1"].ec2Hourly).toEqual({});
    });

    it("builds a region from its base: figures copied unless overridden, undefined drops one, ec2Hourly replaced", () => {
        const base = PRICES["us-east-1"];
        const derived = region(base, { gp3GbMonth: 0.1, logsIngestGb: undefined, ec2Hourly: { "m7i.xlarge": 0.3 } });
        expect(derived.gp3GbMonth).toBe(0.1);
        expect(derived.snapshotGbMonth).toBe(base.snapshotGbMonth);
        expect("logsIngestGb" in derived).toBe(false);
        expect(derived.ec2Hourly).toEqual({ "m7i.xlarge": 0.3 });
        expect(base.ec2Hourly["m7i.xlarge"]).not.toBe(0.3); // the base is not changed
        expect(region(base, {}).ec2Hourly).toEqual(base.ec2Hourly);
        expect("logsIngestGb" in PRICES["ap-southeast-1"]).toBe(false);
    });
});
