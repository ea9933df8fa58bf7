import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { newTool, type ToolUsageState, toolShift } from "./tool-usage.ts";

const T0 = Date.parse("2026-11-16T00:00:00Z");
const HOUR = 3_600_000;
const options = {
  recentHalfLifeMs: 10 * 60_000,
  baselineHalfLifeMs: 7 * 24 * HOUR,
  minRecent: 20,
  minBaseline: 200,
  divergence: 0.3,
  cooldownMs: HOUR,
  warmupMs: 24 * HOUR,
  entityTtlMs: 7 * 24 * HOUR,
  shiftSeverity: "warning" as const,
  newToolSeverity: "warning" as const,
};

let seq = 0;
const call = (tool: string, at: number) => {
  seq += 1;
  return {
    event: {
      id: `c${seq}`,
      time: new Date(at).toISOString(),
      type: "tool_call",
      agent_id: "bot",
      tool: { name: tool },
    } as AgentEvent,
    time: at,
  };
};

/** A support bot's usual mix: search 60%, lookup_order 30%, send_reply 10%, one call a minute. */
function usual(
  detectors: { update: (s: ToolUsageState, e: ReturnType<typeof call>) => unknown[] }[],
  states: ToolUsageState[],
  from: number,
  minutes: number,
) {
  const mix = [
    "search",
    "search",
    "search",
    "search",
    "search",
    "search",
    "lookup_order",
    "lookup_order",
    "lookup_order",
    "send_reply",
  ];
  const found: unknown[] = [];
  for (let m = 0; m < minutes; m += 1) {
    const event = call(mix[m % mix.length] as string, from + m * 60_000);
    detectors.forEach((d, i) => {
      found.push(...d.update(states[i] as ToolUsageState, event));
    });
  }
  return found;
}

describe("tool_shift", () => {
  const detector = toolShift(options);

  it("stays quiet on the usual mix and flags a hijacked agent's new mix, once per cooldown", () => {
    const state = detector.initialState();
    expect(usual([detector], [state], T0, 2 * 24 * 60)).toEqual([]);
    const start = T0 + 2 * 24 * HOUR;
    const hijacked = [];
    for (let i = 0; i < 60; i += 1) {
      hijacked.push(...detector.update(state, call(i % 2 ? "shell_exec" : "http_post", start + i * 20_000)));
    }
    expect(hijacked).toHaveLength(1);
    expect(hijacked[0]).toMatchObject({ detector: "tool_shift", key: "tools", severity: "warning" });
    expect(hijacked[0]?.score).toBeGreaterThanOrEqual(0.3);
    // The usual mix no longer learns the hijack's calls as they come (it learns an hour at a time,
    // bounded): the shift shows while the new tools are still a minority of the recent calls.
    expect(hijacked[0]?.summary).toMatch(/now [^;]*(http_post|shell_exec)/);
  });

  it("does not judge before warm-up or with too few recent calls", () => {
    const state = detector.initialState();
    // Plenty of calls but all within the first hours: not warmed up.
    const early = [];
    for (let i = 0; i < 400; i += 1)
      early.push(...detector.update(state, call(i < 300 ? "search" : "shell_exec", T0 + i * 10_000)));
    expect(early).toEqual([]);
  });
});

describe("new_tool", () => {
  const detector = newTool(options);

  it("reports a never-seen tool once after warm-up, and not during it", () => {
    const state = detector.initialState();
    expect(usual([detector], [state], T0, 2 * 24 * 60)).toEqual([]);
    const first = detector.update(state, call("delete_database", T0 + 3 * 24 * HOUR));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      key: "tool:delete_database",
      observed: { tool: "delete_database" },
      baseline: { known_tools: 3 },
      labels: { tool: "delete_database" },
    });
    expect(detector.update(state, call("delete_database", T0 + 3 * 24 * HOUR + 1000))).toEqual([]);
  });

  it("learns tools during warm-up without reporting them", () => {
    const state = detector.initialState();
    const early = ["a", "b", "c"].flatMap((tool, i) => detector.update(state, call(tool, T0 + i)));
    expect(early).toEqual([]);
    expect(state.agents.bot?.known).toEqual(["a", "b", "c"]);
  });
});
