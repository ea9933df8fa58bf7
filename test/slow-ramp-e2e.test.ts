/**
 * Issue 26, "baselines that cannot be walked up", through the real process: `agentwatch simulate
 * --post` sends four days of two agents' traffic with their own event times to `agentwatch start`
 * (embedded backends, shipped detector settings): three flat days, then agent-000's tokens ramp
 * from 1x to 10x over 12 hours and agent-001's to 2x, both held 12 hours more. The 10x ramp raises
 * a token_drift incident before the ramp ends; the 2x ramp raises no drift finding at all.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { bearer, TOKENS } from "./helpers/tokens.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/agentwatch.js");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DRIFT = /^(token|tool|error|latency|auth_failure|injection)_drift$/;

/** Runs the CLI to its end; its exit code and what it wrote to stderr. */
function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.once("exit", (code) => done({ code, stderr }));
  });
}

describe("a slow ramp through the real process", () => {
  let aw: AgentwatchProcess;
  // Four days ending now, to the minute: the ramps start at the last day's start.
  const start = Math.floor((Date.now() - 4 * DAY) / 60_000) * 60_000;
  const rampAt = start + 3 * DAY;
  let posted = 0;

  beforeAll(async () => {
    aw = await startAgentwatch();
    const run = await cli([
      "simulate",
      ...["--agents", "2", "--users", "20", "--days", "4", "--seed", "3", "--attacks", "none"],
      ...["--flat", "--ramp", "10,2", "--start", new Date(start).toISOString()],
      ...["--post", aw.url, "--token", TOKENS.admin],
    ]);
    expect(run.stderr).toMatch(/posted \d+ events to .*: \d+ accepted, 0 duplicates, 0 rejected/);
    expect(run.code).toBe(0);
    posted = Number(/: (\d+) accepted/.exec(run.stderr)?.[1]);
    // Every accepted event has been through the detectors.
    await eventually(async () => {
      const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
      const judged = Number(/^agentwatch_detector_events_total (\d+)/m.exec(text)?.[1] ?? 0);
      return judged >= posted ? true : undefined;
    }, 120_000);
  }, 300_000);
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const incidents = async (agent: string): Promise<Json[]> =>
    (await (await aw.fetch(`/v1/incidents?agent_id=${agent}`, { headers: bearer(TOKENS.viewer) })).json())
      .incidents;

  it("raises token_drift on the ramp to 10x before the ramp ends, naming the reference, the level and since when", async () => {
    expect(posted).toBeGreaterThan(40_000);
    const drift = await eventually(async () => {
      const found = (await incidents("agent-000")).filter((i) => i.detector === "token_drift");
      return found.length > 0 ? found : undefined;
    });
    const first = drift
      .flatMap((i: Json) => i.findings)
      .sort((a: Json, b: Json) => Date.parse(a.time) - Date.parse(b.time))[0];
    const hoursIn = (Date.parse(first.time) - rampAt) / HOUR;
    console.log(
      `10x ramp: token_drift ${hoursIn.toFixed(1)} h into the 12 h ramp, on ${drift.length} entities (${drift.map((i: Json) => i.title).join("; ")}): ${first.summary}`,
    );
    expect(hoursIn).toBeGreaterThan(0);
    expect(hoursIn).toBeLessThan(12);
    expect(first.observed).toMatchObject({ metric: "tokens" });
    expect(Date.parse(first.observed.since)).toBeGreaterThanOrEqual(rampAt);
    expect(first.observed.level).toBeGreaterThan(3 * first.baseline.reference);
    expect(first.baseline.reference_is).toMatch(/EWMA over days of the \d\d:00 UTC hour/);
    // token_spike's short window followed the ramp: it saw no spike.
    expect((await incidents("agent-000")).filter((i) => i.detector === "token_spike")).toEqual([]);
  });

  it("raises no drift finding on the ramp to 2x", async () => {
    const found = (await incidents("agent-001")).filter((i) =>
      (i.detectors ?? [i.detector]).some((d: string) => DRIFT.test(d)),
    );
    expect(found).toEqual([]);
  });
});
