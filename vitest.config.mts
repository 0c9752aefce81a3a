import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the Helm CLI once (chart rendering tests).
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Synth is CPU-bound; two workers match the CI machine.
    maxWorkers: 2,
  },
});
