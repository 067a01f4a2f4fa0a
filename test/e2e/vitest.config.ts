import * as path from "path";
import { defineConfig } from "vitest/config";

// `npm run test:e2e` (test/e2e/run.sh): the end-to-end run against real SSH test hosts.
// Kept apart from the unit config so `npm test` never starts hosts or engines.
//
// Suites (files) run side by side, E2E_WORKERS at a time (default 2): each has its own host,
// network namespace, addresses, loop device and state, and most of their time is spent waiting
// (for upstream's healthcheck intervals, sshd, the engine), not computing. E2E_WORKERS=1 runs
// them one after the other, as before. The steps of one file always run in order and share
// one host and one stack.
const workers = Number(process.env.E2E_WORKERS ?? 2);
if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`E2E_WORKERS='${process.env.E2E_WORKERS}' must be a whole number of suites to run at once, e.g. 2 (1: one after the other)`);
}
export default defineConfig({
    test: {
        root: path.resolve(__dirname),
        include: ["**/*.e2e.test.ts"],
        testTimeout: 10 * 60_000,
        hookTimeout: 10 * 60_000,
        fileParallelism: workers > 1,
        maxWorkers: workers,
        minWorkers: 1,
        sequence: { concurrent: false },
        reporters: ["verbose"],
    },
});
