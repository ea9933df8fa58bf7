import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { messageRate } from "./message-rate.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const detector = messageRate({ maxPerHour: 60, severity: "warning" });

function prompt(i: number, at: number, user = "u1", origin?: string) {
  const event = {
    id: `p${i}`,
    time: new Date(at).toISOString(),
    type: "prompt",
    agent_id: "bot",
    user_id: user,
    session_id: "s1",
    text: "hi",
    ...(origin ? { origin } : {}),
  } as AgentEvent;
  return { event, time: at };
}

describe("message_rate", () => {
  it("alerts on the 61st message within an hour, once per hour", () => {
    const state = detector.initialState();
    const findings = Array.from({ length: 200 }, (_, i) => i).flatMap((i) =>
      detector.update(state, prompt(i, T0 + i * 10_000)),
    );
    // 6 a minute: the 61st message comes at 600 s; the next alert an hour later.
    expect(findings.map((f) => f.event_ids.at(-1))).toEqual(["p60"]);
    expect(findings[0]).toMatchObject({
      key: "user:u1",
      session_id: "s1",
      observed: { messages_last_hour: 61 },
      baseline: { max_per_hour: 60 },
      labels: { user_id: "u1" },
    });
    // The next alert is due an hour after the first (at 4,200 s).
    const later = Array.from({ length: 300 }, (_, i) => i + 200).flatMap((i) =>
      detector.update(state, prompt(i, T0 + i * 10_000)),
    );
    expect(later).toHaveLength(1);
  });

  it("does not alert for a steady human pace, other users or tool-fed prompts", () => {
    const state = detector.initialState();
    const steady = Array.from({ length: 300 }, (_, i) => i).flatMap((i) =>
      detector.update(state, prompt(i, T0 + i * 70_000)),
    );
    expect(steady).toEqual([]);
    const spread = Array.from({ length: 120 }, (_, i) => i).flatMap((i) =>
      detector.update(state, prompt(1000 + i, T0 + i * 1000, `user-${i % 3}`)),
    );
    expect(spread).toEqual([]);
    const tools = Array.from({ length: 100 }, (_, i) => i).flatMap((i) =>
      detector.update(state, prompt(2000 + i, T0 + i * 1000, "u9", "tool")),
    );
    expect(tools).toEqual([]);
  });

  it("forgets users idle for an hour", () => {
    const state = detector.initialState();
    detector.update(state, prompt(1, T0, "old"));
    detector.update(state, prompt(2, T0 + 2 * 3_600_000, "new"));
    detector.tick?.(state, T0 + 2 * 3_600_000);
    expect(Object.keys(state.users)).toEqual(["bot|user:new"]);
  });
});
