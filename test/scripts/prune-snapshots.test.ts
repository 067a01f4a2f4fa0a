// prune-snapshots.sh with real bash; aws is the recording stand-in (no AWS here).
import { afterAll, describe, expect, it } from "vitest";
import { callsOf, makeSandbox, removeSandboxes, runScript } from "./harness";

afterAll(removeSandboxes);

const env = { STACK_NAME: "prod", AWS_REGION: "eu-central-1" };
const FIVE = ["2026-01-05", "2026-03-02", "2026-05-04", "2026-07-06", "2026-09-07"].map((d, i) => `${d}T03:00:00.000Z\tsnap-0${i}aaaaaaaaaaaaaaaa`);

describe("prune-snapshots.sh", () => {
    it("keeps the newest three pre-upgrade snapshots of the stack and deletes the older ones, oldest first", () => {
        const sb = makeSandbox();
        // Written out of order: the rule is by start time, not by listing order.
        sb.writeRec("aws-snapshots", [FIVE[3], FIVE[0], FIVE[4], FIVE[1], FIVE[2]].join("\n") + "\n");
        const r = runScript(sb, "prune-snapshots.sh", env);
        expect(r.status, r.output).toBe(0);
        const aws = callsOf(sb, "aws");
        expect(aws[0]).toContain("ec2 describe-snapshots --region eu-central-1 --owner-ids self --filters Name=tag:SentryPreUpgrade,Values=prod");
        expect(aws.slice(1)).toEqual(["aws ec2 delete-snapshot --region eu-central-1 --snapshot-id snap-00aaaaaaaaaaaaaaaa", "aws ec2 delete-snapshot --region eu-central-1 --snapshot-id snap-01aaaaaaaaaaaaaaaa"]);
        expect(sb.recFile("aws-snapshots").trim().split("\n").sort()).toEqual(FIVE.slice(2));
    });

    it("deletes nothing with three or fewer, or in a dry run", () => {
        const sb = makeSandbox();
        sb.writeRec("aws-snapshots", FIVE.join("\n") + "\n");
        let r = runScript(sb, "prune-snapshots.sh", { ...env, KEEP: "5" });
        expect(r.stdout).toContain("keeping all");
        r = runScript(sb, "prune-snapshots.sh", { ...env, KEEP: "1", DRY_RUN: "1" });
        expect(r.status, r.output).toBe(0);
        expect(callsOf(sb, "aws").filter((c) => c.includes("delete-snapshot"))).toEqual([]);
        expect(r.stdout).toContain("would delete snap-03aaaaaaaaaaaaaaaa");
    });

    it("refuses KEEP=0 (it would delete the snapshot of the upgrade just made)", () => {
        const sb = makeSandbox();
        const r = runScript(sb, "prune-snapshots.sh", { ...env, KEEP: "0" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("KEEP='0' must be a whole number of at least 1");
    });
});
