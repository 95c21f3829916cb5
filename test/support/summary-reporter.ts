import { writeSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, "tests: N passed, N failed[, N skipped]", as the very last output of
 * the run (after vitest's own summary), so that tools reading the last line know what ran.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A failed hook (beforeAll) fails its file without failing a test: count the file.
      const testsFailed = [...mod.children.allTests()].some((t) => t.result().state === "failed");
      if (mod.state() === "failed" && !testsFailed) failed++;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : "";
    const line = `\ntests: ${passed} passed, ${failed} failed${tail}\n`;
    process.once("exit", () => writeSync(1, line));
  }
}
