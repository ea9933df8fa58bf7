import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { agentSilent } from "./agent-silent.ts";
import { errorRate } from "./error-rate.ts";
import { latency } from "./latency.ts";

const T0 = Date.parse("2026-11-16T08:00:00Z"); // Monday morning
const MIN = 60_000;
let seq = 0;
function ev(type: string, at: number, extra: Record<string, unknown> = {}) {
  seq += 1;
  return {
    event: { id: `e${seq}`, time: new Date(at).toISOString(), type, agent_id: "bot", ...extra } as AgentEvent,
    time: at,
  };
}

describe("error_rate", () => {
  const detector = errorRate({ minErrors: 10, robustZ: 6, entityTtlMs: 7 * 86_400_000, severity: "warning" });

  it("flags a burst of errors far above the agent's usual, once per window", () => {
    const state = detector.initialState();
    const quiet = [];
    for (let m = 0; m < 120; m += 1) {
      if (m % 3 === 0)
        quiet.push(...detector.update(state, ev("error", T0 + m * MIN, { error: { code: "E_TIMEOUT" } })));
    }
    expect(quiet).toEqual([]);
    const start = T0 + 121 * MIN;
    const burst = [];
    for (let i = 0; i < 30; i += 1) {
      burst.push(
        ...detector.update(
          state,
          i % 2
            ? ev("error", start + i * 1000, { error: { code: "E_UPSTREAM" } })
            : ev("tool_result", start + i * 1000, { status: "error", tool: { name: "search" } }),
        ),
      );
    }
    expect(burst).toHaveLength(1);
    expect(burst[0]).toMatchObject({
      detector: "error_rate",
      key: "errors",
      observed: { errors_in_5_min: 10 },
    });
  });

  it("ignores successful tool results and needs warm-up", () => {
    const state = detector.initialState();
    const found = [];
    for (let i = 0; i < 50; i += 1) found.push(...detector.update(state, ev("error", T0 + i * 1000)));
    for (let i = 0; i < 50; i += 1)
      found.push(
        ...detector.update(state, ev("tool_result", T0 + i * 1000, { status: "ok", tool: { name: "x" } })),
      );
    expect(found).toEqual([]);
  });
});

describe("latency", () => {
  const detector = latency({
    minMs: 2000,
    minSamples: 10,
    robustZ: 6,
    minRatio: 2,
    entityTtlMs: 7 * 86_400_000,
    severity: "warning",
  });

  it("flags a window whose median latency is far above usual, not one slow answer", () => {
    const state = detector.initialState();
    const normal = [];
    for (let s = 0; s < 2 * 3600; s += 20) {
      normal.push(
        ...detector.update(
          state,
          ev("response", T0 + s * 1000, { text: "ok", latency_ms: 800 + (s % 7) * 50 }),
        ),
      );
    }
    normal.push(
      ...detector.update(state, ev("response", T0 + 7201 * 1000, { text: "slow", latency_ms: 30_000 })),
    );
    expect(normal).toEqual([]);
    const start = T0 + 7500 * 1000;
    const slow = [];
    for (let i = 0; i < 20; i += 1)
      slow.push(
        ...detector.update(state, ev("response", start + i * 1000, { text: "ok", latency_ms: 6000 })),
      );
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ key: "latency", observed: { median_latency_ms: 6000, responses: 10 } });
    expect((slow[0]!.baseline as { median_latency_ms: number }).median_latency_ms).toBeLessThan(1200);
  });
});

describe("agent_silent", () => {
  const detector = agentSilent({
    silenceMs: 15 * MIN,
    steadyForMs: 60 * MIN,
    entityTtlMs: 30 * 86_400_000,
    severity: "warning",
  });
  const DAY = 86_400_000;
  const WEEK_START = Date.parse("2026-11-02T00:00:00Z"); // a Monday

  /** An agent busy every weekday 08:00-18:00 UTC (an event a minute), quiet otherwise, for `days` days. */
  function officeHours(state: ReturnType<typeof detector.initialState>, days: number, skew = 0) {
    const findings = [];
    for (let d = 0; d < days; d += 1) {
      const day = WEEK_START + d * DAY;
      const weekday = new Date(day).getUTCDay();
      if (weekday !== 0 && weekday !== 6) {
        for (let m = 8 * 60; m < 18 * 60; m += 1) {
          const arrived = day + m * MIN;
          detector.update(state, { ...ev("prompt", arrived + skew, { text: "hi" }), received: arrived });
        }
      }
      for (let h = 0; h < 24; h += 1)
        findings.push(...(detector.tick?.(state, day + h * 3_600_000 + 30 * MIN) ?? []));
    }
    return findings;
  }

  it("stays quiet in the first week and after office hours, and reports a stop mid-morning, once", () => {
    const state = detector.initialState();
    expect(officeHours(state, 14)).toEqual([]);
    // Monday of week 3: busy from 08:00, silent from 10:00.
    const monday = WEEK_START + 14 * DAY;
    for (let m = 8 * 60; m < 10 * 60; m += 1)
      detector.update(state, ev("prompt", monday + m * MIN, { text: "hi" }));
    const last = monday + (10 * 60 - 1) * MIN;
    expect(detector.tick?.(state, last + 10 * MIN)).toEqual([]);
    const silent = detector.tick?.(state, last + 30 * MIN) ?? [];
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatchObject({ detector: "agent_silent", key: "silence" });
    expect((silent[0]!.observed as { last_event_at: string }).last_event_at).toBe(
      new Date(last).toISOString(),
    );
    expect(detector.tick?.(state, last + 60 * MIN)).toEqual([]);
  });

  it("judges by arrival time, so an agent with a skewed clock is not silent", () => {
    const state = detector.initialState();
    expect(officeHours(state, 14, -60 * MIN)).toEqual([]);
  });

  it("does not report agents that were never steady", () => {
    const state = detector.initialState();
    for (let m = 0; m < 14 * 24 * 60; m += 45)
      detector.update(state, ev("prompt", WEEK_START + m * MIN, { text: "hi" }));
    expect(detector.tick?.(state, WEEK_START + 14 * DAY + 60 * MIN)).toEqual([]);
  });
});
