/**
 * Slow ramps and the clean fortnight (issue 26, "baselines that cannot be walked up").
 *
 *   npm run bench:drift
 *
 * Replays, with the shipped defaults (services/replay.ts, as `agentwatch replay` does):
 * - simulate's clean fortnight (50 agents, 14 days, seed 11, as test/detection-quality.test.ts):
 *   the incidents it raises, and how many of them are drift findings (expected: none);
 * - five agents on flat traffic for three days, then ramped from 1x to 10x, 2x, 1x (left as it
 *   was), 3x and 5x over 12 hours, each held for 12 hours more (`agentwatch simulate --flat
 *   --ramp 10,2,1,3,5 --days 4`): when the first drift finding on each came, in hours into the
 *   ramp (expected: the 10x ramp before it ends, nothing on 2x and 1x), and what token_spike
 *   alone raised on it (the short window follows the ramp);
 * - the same ramps on office-hours traffic (a week of learning, the ramps from 13:00 UTC on the
 *   second Monday, held to Tuesday's end), for what a ramp on a seasonal agent looks like.
 * Exits 1 when an expectation fails.
 */
import { createDetectors } from "../detectors/index.ts";
import { routeByType } from "../services/detector/runner.ts";
import { Replayer } from "../services/replay.ts";
import { parseConfig } from "../services/runtime/config.ts";
import { type SimulationOptions, simulate } from "../services/simulate.ts";

// biome-ignore lint/suspicious/noExplicitAny: the detectors' states, read for their CUSUMs
type Json = any;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse("2026-11-02T00:00:00Z"); // a Monday
const DRIFT = [
  "token_drift",
  "tool_drift",
  "error_drift",
  "latency_drift",
  "auth_failure_drift",
  "injection_drift",
];

const config = parseConfig(
  { auth: { tokens: [{ name: "bench", role: "admin", token: "bench-token-0123456789" }] } },
  {},
);
const failures: string[] = [];

function replay(options: SimulationOptions, settings = config) {
  const started = performance.now();
  const replayer = new Replayer(settings);
  for (const event of simulate(options)) replayer.push(event);
  const result = replayer.finish();
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

// 1. The clean fortnight: its incidents, and how close each drift finding came (the largest CUSUM
// any entity reached, against the evidence that raises a finding).
const CLEAN: SimulationOptions = {
  agents: 50,
  usersPerAgent: 20,
  days: 14,
  start: START,
  seed: 11,
  attacks: [],
};
{
  const detectors = createDetectors(config.detectors);
  const states = detectors.map((d) => d.initialState());
  const routes = routeByType(detectors);
  const state = (name: string) => states[detectors.findIndex((d) => d.name === name)] as Json;
  const peaks = new Map<string, number>();
  const peak = (label: string, track: { cusum: number } | undefined) => {
    if (track && track.cusum > (peaks.get(label) ?? 0)) peaks.set(label, track.cusum);
  };
  const sample = () => {
    for (const kind of ["agent", "user", "key"])
      for (const e of Object.values(state("token_spike").entities[kind] ?? {}) as Json[])
        peak(`token_drift ${kind}s`, e.drift);
    for (const e of Object.values(state("error_rate").agents) as Json[]) peak("error_drift", e.drift);
    for (const e of Object.values(state("latency").agents) as Json[]) peak("latency_drift", e.drift);
    for (const e of Object.values(state("auth_failure_rate").agents) as Json[])
      peak("auth_failure_drift", e.drift);
    for (const [key, e] of Object.entries(state("injection").counters) as [string, Json][])
      peak(`injection_drift ${key.includes("|user:") ? "users" : "agents"}`, e.drift);
    for (const e of Object.values(state("tool_shift").agents) as Json[]) peak("tool_drift", e.mix);
  };
  let hour = 0;
  for (const event of simulate(CLEAN)) {
    const time = Date.parse(event.time);
    if (time - hour >= HOUR) {
      sample();
      hour = time - (time % HOUR);
    }
    const observed = { event, time, received: time };
    for (const d of routes.get(event.type) ?? []) d.update(states[detectors.indexOf(d)], observed);
  }
  sample();
  const evidence = (name: string) =>
    (config.detectors as Json)[name.split(" ")[0] as string].evidence as number;
  const labels = [
    "token_drift agents",
    "token_drift users",
    "token_drift keys",
    "tool_drift",
    "error_drift",
    "latency_drift",
    "auth_failure_drift",
    "injection_drift agents",
    "injection_drift users",
  ];
  console.log(
    `clean fortnight, the largest CUSUM any entity reached (of the evidence that raises a finding): ${labels
      .map((l) => `${l} ${(peaks.get(l) ?? 0).toFixed(2)} of ${evidence(l)}`)
      .join(", ")}`,
  );
}
{
  const result = replay(CLEAN);
  const drift = result.incidents.filter((i) => i.detectors.some((d) => DRIFT.includes(d)));
  console.log(
    `clean fortnight (50 agents, 14 days, seed 11): ${result.events.toLocaleString("en")} events in ${result.seconds.toFixed(1)} s, ` +
      `${result.incidents.length} incident${result.incidents.length === 1 ? "" : "s"} in all ` +
      `(${result.incidents.map((i) => `${i.detector} on ${i.agent_id} at ${i.first_finding_at}`).join("; ") || "none"}), ` +
      `false drift incidents: ${drift.length}`,
  );
  for (const i of drift)
    console.log(`  ${i.detector} on ${i.agent_id} (${i.key}) at ${i.first_finding_at}: ${i.title}`);
  if (drift.length > 0)
    failures.push(`the clean fortnight raised ${drift.length} drift incidents (expected none)`);
}

// 2. Slow ramps after three flat days; 3. the same on office-hours traffic.
const RAMP_HOURS = 12;
const FACTORS = [10, 2, 1, 3, 5];
for (const [label, options] of [
  [
    "flat traffic, 3 days, then the ramps from 00:00 UTC",
    {
      agents: FACTORS.length,
      usersPerAgent: 20,
      days: 4,
      start: START,
      seed: 3,
      attacks: [],
      flat: true,
      ramp: { factors: FACTORS, at: 3 * DAY, hours: RAMP_HOURS },
    },
  ],
  [
    "office-hours traffic, a week, then the ramps from 13:00 UTC on Monday (08:00 for agent-000, UTC-5)",
    {
      agents: FACTORS.length,
      usersPerAgent: 20,
      days: 9,
      start: START,
      seed: 3,
      attacks: [],
      ramp: { factors: FACTORS, at: 7 * DAY + 13 * HOUR, hours: RAMP_HOURS },
    },
  ],
] as [string, SimulationOptions][]) {
  const rampAt = START + (options.ramp?.at ?? 0);
  const result = replay(options);
  console.log(`${label} (${result.events.toLocaleString("en")} events):`);
  // agent i has UTC offset [-5, 0, 1, ...] in office hours; on flat traffic every hour is alike.
  FACTORS.forEach((factor, i) => {
    const agent = `agent-${String(i).padStart(3, "0")}`;
    const mine = result.incidents.filter((x) => x.agent_id === agent);
    const drift = mine
      .filter((x) => x.detectors.some((d) => DRIFT.includes(d)))
      .sort((a, b) => Date.parse(a.first_finding_at) - Date.parse(b.first_finding_at));
    const first = drift[0];
    const hours = first ? (Date.parse(first.first_finding_at) - rampAt) / HOUR : undefined;
    const spikes = mine.filter(
      (x) => x.detector === "token_spike" && Date.parse(x.first_finding_at) >= rampAt,
    );
    const others = mine.filter((x) => !x.detectors.some((d) => DRIFT.includes(d)));
    console.log(
      `  ramp to ${factor}x over ${RAMP_HOURS} h on ${agent}: ${
        first
          ? `first drift finding ${hours?.toFixed(1)} h into the ramp (${first.detector}, ${first.key}: ${first.title}); ${drift.length} drift incident${drift.length === 1 ? "" : "s"} (${[...new Set(drift.map((d) => `${d.detector} ${d.key}`))].join(", ")})`
          : "no drift finding"
      }; token_spike: ${spikes.length} incident${spikes.length === 1 ? "" : "s"} during the ramp; other incidents: ${others.length}`,
    );
    if (factor >= 10 && (hours === undefined || hours < 0 || hours > RAMP_HOURS))
      failures.push(`${label}: the ramp to ${factor}x raised no drift finding before it ended`);
    if (factor <= 2 && drift.length > 0)
      failures.push(
        `${label}: the ramp to ${factor}x raised ${drift.length} drift incidents (expected none)`,
      );
    if (factor <= 2 && drift.some((d) => Date.parse(d.first_finding_at) < rampAt))
      failures.push(`${label}: a drift finding before any ramp on ${agent}`);
  });
}

for (const failure of failures) console.error(`FAIL ${failure}`);
if (failures.length > 0) process.exitCode = 1;
