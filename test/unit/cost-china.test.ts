// The cost estimate of the China example stack (examples/Pulumi.cn-northwest-1.yaml): priced in CNY
// with the ¥ label wherever the price table (tools/prices.ts) has a China figure, and "unknown",
// never 0 and never a dollar figure, wherever it has none.
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { partitionOfRegion } from "../../components/aws/partition";
import { costChange, estimateCost, money, renderCost, renderCostChange } from "../../tools/cost";
import { Plan, planStack } from "../../tools/planner";
import { HOURS_PER_MONTH, PRICES, region } from "../../tools/prices";
import { readStackFileAt } from "../../tools/stackFile";

const root = path.resolve(__dirname, "../..");
const example = (): Record<string, unknown> => ({ ...(readStackFileAt(path.join(root, "examples", "Pulumi.cn-northwest-1.yaml")).config ?? {}) });
const secrets = { "sentry:adminPassword": "china-test-password-0123" };
/** The example moved to `to` (its imported certificate with it: ACM certificates are regional). */
const movedTo = (to: string): Record<string, unknown> => {
    const config = example();
    const arn = String(config["sentry:certificateArn"]).replace(/^arn:[a-z-]+:acm:[a-z0-9-]+:/, `arn:${partitionOfRegion(to)}:acm:${to}:`);
    return { ...config, "aws:region": to, "sentry:certificateArn": arn };
};
const plan = (config: Record<string, unknown>) => planStack("cnprod", { config, secrets, allowPlaceholders: true });

let ningxia: Plan;
let beijing: Plan;
beforeAll(async () => {
    [ningxia, beijing] = await Promise.all([plan(example()), plan(movedTo("cn-north-1"))]);
}, 120_000);

const line = (c: ReturnType<typeof estimateCost>, name: string) => c.lines.find((l) => l.resource === name)!;

describe("the China example stack's cost", () => {
    it("is in CNY: the alarms the table prices in ¥, and never a dollar amount", () => {
        expect(ningxia.region).toBe("cn-northwest-1");
        const c = estimateCost(ningxia);
        expect(c.currency).toBe("CNY");
        const alarms = c.lines.filter((l) => l.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.length).toBeGreaterThan(0);
        const alarmMonth = PRICES["cn-northwest-1"].alarmMonth!;
        for (const a of alarms) {
            expect(a).toMatchObject({ currency: "CNY", monthly: alarmMonth, detail: `standard alarm ¥${alarmMonth}/month` });
        }
        const text = renderCost(c);
        expect(text.split("\n")[0]).toBe(`Estimated monthly cost of stack cnprod in cn-northwest-1 (CNY, list prices of ${c.pricesAsOf}, tools/prices.ts):`);
        expect(text).toContain(`${money(alarmMonth, "CNY").padStart(10)}  sentry-cnprod-recover  (aws:cloudwatch/metricAlarm:MetricAlarm)`);
        expect(text).not.toContain("$");
        expect(text).toContain(`total unknown: ${money(alarmMonth * alarms.length, "CNY")} a month for the priced items, plus ${c.unknownCount} items of unknown price`);
    });

    it("shows what the table lacks for Ningxia (the instance type, gp3, snapshots, IPv4, the ALB) as unknown, not as zero", () => {
        const c = estimateCost(ningxia);
        expect(PRICES["cn-northwest-1"].ec2Hourly["m6i.xlarge"]).toBeUndefined();
        expect(line(c, "sentry-cnprod-host")).toMatchObject({ monthly: null, detail: "no on-demand price for m6i.xlarge in the table for this region" });
        expect(line(c, "sentry-cnprod-data")).toMatchObject({ monthly: null, detail: "gp3 price not in the table for this region" });
        for (const name of ["sentry-cnprod-snapshots", "sentry-cnprod-pre-upgrade", "sentry-cnprod-eip", "sentry-cnprod-alb", "sentry-cnprod-flow-logs"]) {
            expect(line(c, name).monthly).toBeNull();
        }
        // The commercial regions' USD figures are not inherited by China.
        expect(PRICES["cn-northwest-1"].publicIpv4Hourly).toBeUndefined();
        expect(renderCost(c)).toMatch(/ {5}unknown {2}sentry-cnprod-host {2}\(aws:ec2\/instance:Instance\)/);
    });

    it("prints Beijing's m6i.xlarge rate in ¥, and keeps the instance unknown while its root volume's price is", () => {
        const c = estimateCost(beijing);
        const hourly = PRICES["cn-north-1"].ec2Hourly["m6i.xlarge"];
        expect(hourly).toBeGreaterThan(0);
        expect(line(c, "sentry-cnprod-host")).toMatchObject({
            monthly: null,
            currency: "CNY",
            detail: `m6i.xlarge ¥${hourly}/h (${money(hourly * HOURS_PER_MONTH, "CNY")} a month), but the root volume's price is unknown (gp3 price not in the table for this region)`,
        });
    });

    it("prices the instance and the volumes in ¥ once the table has China's gp3 figure", () => {
        // A table with a gp3 figure for Beijing (the test's own number, not a price): the same
        // estimators then price the instance with its root volume and the data volume in CNY.
        const gp3 = 0.5;
        const table = { ...PRICES, "cn-north-1": region(PRICES["cn-north-1"], { gp3GbMonth: gp3 }) };
        const c = estimateCost(beijing, table);
        const host = beijing.resources.find((r) => r.name === "sentry-cnprod-host")!;
        const rootGb = (host.inputs.rootBlockDevice as { volumeSize: number }).volumeSize;
        const dataGb = beijing.resources.find((r) => r.name === "sentry-cnprod-data")!.inputs.size as number;
        const hourly = PRICES["cn-north-1"].ec2Hourly["m6i.xlarge"];
        expect(line(c, "sentry-cnprod-host").monthly).toBeCloseTo(hourly * HOURS_PER_MONTH + rootGb * gp3, 6);
        expect(line(c, "sentry-cnprod-host").detail).toBe(`m6i.xlarge ¥${hourly}/h x ${HOURS_PER_MONTH} h + root gp3 ${rootGb} GB x ¥${gp3}/GB-month`);
        expect(line(c, "sentry-cnprod-data")).toMatchObject({ monthly: dataGb * gp3, detail: `gp3 ${dataGb} GB x ¥${gp3}/GB-month` });
        const text = renderCost(c);
        expect(text).toContain(`${money(dataGb * gp3, "CNY").padStart(10)}  sentry-cnprod-data  (aws:ebs/volume:Volume)`);
        expect(text).not.toContain("$");
    });

    it("never adds up CNY and USD: a change between them has no delta and says why", async () => {
        const usd = await plan(movedTo("us-east-1"));
        const change = costChange(estimateCost(usd), estimateCost(beijing));
        expect(change.delta).toBeNull();
        expect(renderCostChange(change).split("\n")[0]).toMatch(/^Cost change of stack cnprod: \$\d+\.\d\d -> ¥\d+\.\d\d a month, change unknown \(the prices are in USD before and CNY after\)$/);
    }, 60_000);
});
