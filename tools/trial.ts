// npm run trial -- create <name> [--ttl 72h] [--from staging] [--with-data] [--up]
// npm run trial -- extend <name> --ttl 48h
// npm run trial -- destroy <name>
// npm run trial -- reap [--now <ISO 8601 UTC>] [--dry-run]
// npm run trial -- --help
// Short-lived copies of staging under their own stack name; see README.md.
import * as path from "path";
import { awsCliSnapshotFinder } from "./snapshotFinder";
import { cliRunner, main } from "./trial-lib";

const dir = path.resolve(__dirname, "..");
main(process.argv.slice(2), {
    runner: cliRunner(dir, process.env.PULUMI_BINARY || "pulumi"),
    dir,
    log: (line) => console.log(line),
    error: (line) => console.error(line),
    now: () => new Date(),
    summaryFile: process.env.GITHUB_STEP_SUMMARY || undefined,
    snapshots: awsCliSnapshotFinder,
}).then((code) => {
    process.exitCode = code;
});
