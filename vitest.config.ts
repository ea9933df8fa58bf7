import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Every stop of an agentwatch process the tests start is timed into this file (test/helpers/
// process.ts); the summary reporter prints the slowest.
process.env.AW_TEST_STOP_TIMES ??= join(mkdtempSync(join(tmpdir(), "agentwatch-stops-")), "stops.jsonl");

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "services/**/*.test.ts", "detectors/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes; two cores, so keep the parallelism modest.
    maxWorkers: 2,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
