// Finding production's latest data snapshot for `npm run trial -- create <name> --from prod
// --with-data`. The pure part (which snapshot, which version its data is at) is tested; the
// look-up itself is the AWS CLI of the person running the tool (their credentials, prod's
// region), injected into the trial tool so its tests run offline.
import { spawn } from "child_process";
import { FROM_VERSION_TAG, PRE_UPGRADE_TAG } from "../components/aws/snapshots";

/** A snapshot as `aws ec2 describe-snapshots --output json` describes it (the fields read here). */
export interface DescribedSnapshot {
    SnapshotId: string;
    StartTime: string;
    State: string;
    VolumeSize: number;
    Description?: string;
    Tags?: { Key: string; Value: string }[];
}

export interface FoundSnapshot {
    id: string;
    startTime: string;
    /** "pre-upgrade": taken with Sentry stopped before an upgrade; "daily": DLM's, of the running volume. */
    kind: "pre-upgrade" | "daily";
    sizeGb: number;
    /** The self-hosted version the data is at, when the snapshot says (a pre-upgrade one's from-version). */
    dataVersion?: string;
}

export interface SnapshotFinder {
    /** The snapshots of `stack`'s data volume in `region`: pre-upgrade (tag SentryPreUpgrade) and DLM's (tag SentryData, copied from the volume). */
    list(stack: string, region: string): Promise<DescribedSnapshot[]>;
}

/** The newest completed snapshot of the list, or undefined. */
export function pickLatest(snapshots: readonly DescribedSnapshot[]): FoundSnapshot | undefined {
    const done = snapshots.filter((s) => s.State === "completed").sort((a, b) => Date.parse(b.StartTime) - Date.parse(a.StartTime));
    const s = done[0];
    if (!s) {
        return undefined;
    }
    const tags = Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value]));
    const preUpgrade = tags[PRE_UPGRADE_TAG] !== undefined;
    const from = tags[FROM_VERSION_TAG];
    return {
        id: s.SnapshotId,
        startTime: s.StartTime,
        kind: preUpgrade ? "pre-upgrade" : "daily",
        sizeGb: s.VolumeSize,
        ...(preUpgrade && from && from !== "none" ? { dataVersion: from } : {}),
    };
}

function awsJson(args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.env.AWS_CLI || "aws", args, { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("error", (e) => reject(new Error(`could not run the AWS CLI: ${e.message}. Install it and sign in (aws sts get-caller-identity)`)));
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out || "{}")) : reject(new Error(`aws ${args.slice(0, 2).join(" ")} failed with exit code ${code}`))));
    });
}

/** The real look-up: two describe-snapshots calls through the AWS CLI, one per tag. */
export const awsCliSnapshotFinder: SnapshotFinder = {
    async list(stack, region) {
        const found: DescribedSnapshot[] = [];
        for (const tag of [PRE_UPGRADE_TAG, "SentryData"]) {
            const out = (await awsJson(["ec2", "describe-snapshots", "--region", region, "--owner-ids", "self", "--filters", `Name=tag:${tag},Values=${stack}`, "--output", "json"])) as { Snapshots?: DescribedSnapshot[] };
            found.push(...(out.Snapshots ?? []));
        }
        return found;
    },
};
