import { defineConfig } from "vitest/config";

// `npm test`: everything that runs in seconds without servers. The end-to-end run against a
// real SSH host has its own config (test/e2e) and command (`npm run test:e2e`).
export default defineConfig({
    test: {
        include: ["test/unit/**/*.test.ts", "test/scripts/**/*.test.ts", "test/policy/**/*.test.ts", "test/trial/**/*.test.ts"],
        // Evaluating the program under mocks takes ~0.5 s; leave room on a busy CI machine.
        testTimeout: 30_000,
    },
});
