import * as path from "path";
import { defineConfig } from "vitest/config";

// `npm run test:e2e` (test/e2e/run.sh): the end-to-end run against a real SSH test host.
// Kept apart from the unit config so `npm test` never starts hosts or engines.
export default defineConfig({
    test: {
        root: path.resolve(__dirname),
        include: ["**/*.e2e.test.ts"],
        testTimeout: 10 * 60_000,
        hookTimeout: 10 * 60_000,
        fileParallelism: false,
        // Steps of one file run in order and share one host and one stack.
        sequence: { concurrent: false },
        reporters: ["verbose"],
    },
});
