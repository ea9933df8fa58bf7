import { existsSync, readFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/** A stop past this is reported (issue 27: Docker gives 10 s before SIGKILL). */
const SLOW_STOP_MS = 5000;

/** Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI tooling reads. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failedHere += 1;
        else skipped += 1;
      }
      // A file that failed outside its tests (a failing beforeAll, an import error) leaves its tests
      // skipped: it still counts as a failure.
      if (module.state() === "failed" && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    reportStops();
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

/** The slowest SIGTERM-to-exit of the agentwatch processes the tests stopped, and any past 5 s. */
function reportStops(): void {
  const file = process.env.AW_TEST_STOP_TIMES;
  if (!file || !existsSync(file)) return;
  const stops = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { ms: number; code: number | null; test: string; waited?: string[] })
    .sort((a, b) => b.ms - a.ms);
  const slowest = stops[0];
  if (!slowest) return;
  const slow = stops.filter((s) => s.ms > SLOW_STOP_MS);
  process.stdout.write(
    `\nagentwatch stops: ${stops.length}, slowest ${slowest.ms} ms (${slowest.test}, exit ${slowest.code}); ${slow.length} over ${SLOW_STOP_MS} ms\n`,
  );
  for (const s of slow) process.stdout.write(`  slow stop: ${s.ms} ms in ${s.test} (exit ${s.code})\n`);
  // Every unclean stop, with what it waited for (its log lines).
  for (const s of stops.filter((s) => s.code !== 0 && (s.waited?.length ?? 0) > 0)) {
    process.stdout.write(
      `  unclean stop in ${s.test}:\n${(s.waited ?? []).map((l) => `    ${l.slice(0, 600)}`).join("\n")}\n`,
    );
  }
}
