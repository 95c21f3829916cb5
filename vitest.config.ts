import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic, no services) and `integration` (the real local stack, brought up
// by the global setup). `npm test` runs both; a service that cannot start fails the run, never skips.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Integration suites share one broker, one bucket and 2 cores: run test files one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
