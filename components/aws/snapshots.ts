// Snapshots of the data volume beyond DLM's daily ones: the pre-upgrade snapshot, taken after
// Sentry was stopped for an upgrade and before the new version is checked out, and the rule
// that prunes old ones.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { snapshotsArn } from "./partition";

/** The tag that marks a stack's pre-upgrade snapshots (what pruning and `trial --with-data` look for). */
export const PRE_UPGRADE_TAG = "SentryPreUpgrade";
export const FROM_VERSION_TAG = "SentryFromVersion";
export const TO_VERSION_TAG = "SentryToVersion";

/**
 * Its description names the target version: a ForceNew field, so a new sentryVersion
 * replaces the snapshot resource (a new snapshot), and nothing else does.
 */
export function preUpgradeDescription(stack: string, toVersion: string): string {
    return `Sentry ${stack} data, Sentry stopped, before installing self-hosted ${toVersion}`;
}

export interface PreUpgradeSnapshotArgs {
    stack: string;
    volumeId: pulumi.Input<string>;
    toVersion: string;
    /** The version the stack ran before (its previous sentryVersion output), when known. */
    fromVersion?: pulumi.Input<string | undefined>;
    /** Keep every replaced snapshot in AWS (production); else only the latest exists. */
    retain: boolean;
    /** The step that stopped Sentry: the snapshot starts only after it. */
    after: pulumi.Resource;
}

export function createPreUpgradeSnapshot(
    n: (part: string) => string,
    tags: (part: string, extra?: Record<string, string>) => Record<string, string>,
    args: PreUpgradeSnapshotArgs,
    opts: pulumi.CustomResourceOptions,
): aws.ebs.Snapshot {
    const from = pulumi.output(args.fromVersion).apply((v) => (v && v !== args.toVersion ? v : "none"));
    return new aws.ebs.Snapshot(
        n("pre-upgrade"),
        {
            volumeId: args.volumeId,
            description: preUpgradeDescription(args.stack, args.toVersion),
            tags: from.apply((f) => tags("pre-upgrade", { [PRE_UPGRADE_TAG]: args.stack, [FROM_VERSION_TAG]: f, [TO_VERSION_TAG]: args.toVersion })),
        },
        {
            ...opts,
            dependsOn: [args.after],
            // Set at creation only: after the upgrade the previous version is the current one,
            // and the tag must keep saying where this snapshot came from.
            ignoreChanges: ["tags"],
            deleteBeforeReplace: false,
            ...(args.retain ? { retainOnDelete: true } : {}),
            // A first snapshot of a large volume takes long; later ones are incremental.
            customTimeouts: { create: "90m" },
        },
    );
}

/** The host role's permissions for pruning: list snapshots, delete only this stack's pre-upgrade ones. */
export function pruneSnapshotsPolicy(partition: string, region: string, stack: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListSnapshots", Effect: "Allow", Action: "ec2:DescribeSnapshots", Resource: "*" },
            {
                Sid: "DeleteOwnPreUpgradeSnapshots",
                Effect: "Allow",
                Action: "ec2:DeleteSnapshot",
                Resource: snapshotsArn(partition, region),
                Condition: { StringEquals: { [`aws:ResourceTag/${PRE_UPGRADE_TAG}`]: stack } },
            },
        ],
    });
}
