import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { smallBudget } from "../test/helpers/budgets.ts";
import { type TokenSpikeState, tokenSpike } from "./token-spike.ts";

const T0 = Date.parse("2026-11-16T00:00:00Z"); // a Monday, 00:00 UTC
const MIN = 60_000;
const options = {
  minTokensPerMinute: 2000,
  robustZ: 6,
  minRatio: 3,
  warmupMinutes: 30,
  entityTtlMs: 7 * 86_400_000,
  severity: "warning" as const,
};

let seq = 0;
function usage(at: number, tokens: number, extra: { user?: string; key?: string; agent?: string } = {}) {
  seq += 1;
  const event = {
    id: `u${seq}`,
    time: new Date(at).toISOString(),
    type: "llm_usage",
    agent_id: extra.agent ?? "bot",
    ...(extra.user ? { user_id: extra.user } : {}),
    usage: {
      provider: "openai",
      model: "gpt-4o",
      input_tokens: Math.floor(tokens * 0.8),
      output_tokens: tokens - Math.floor(tokens * 0.8),
      ...(extra.key ? { api_key_id: extra.key } : {}),
    },
  } as AgentEvent;
  return { event, time: at };
}

/** One event per minute for `minutes` minutes, tokens from `tokensAt(minute)`. */
function train(
  state: TokenSpikeState,
  from: number,
  minutes: number,
  tokensAt: (m: number) => number,
  extra = {},
) {
  const detector = tokenSpike(options);
  const findings = [];
  for (let m = 0; m < minutes; m += 1)
    findings.push(...detector.update(state, usage(from + m * MIN + 1000, tokensAt(m), extra)));
  return findings;
}

describe("token_spike", () => {
  const detector = tokenSpike(options);

  it("flags a stolen API key within the minute, once", () => {
    const state = detector.initialState();
    const normal = train(state, T0, 120, (m) => 3000 + (m % 7) * 200, { key: "key-123", user: "alice" });
    expect(normal).toEqual([]);
    const at = T0 + 121 * MIN;
    const findings = [0, 1, 2, 3, 4].flatMap((i) =>
      detector.update(state, usage(at + i * 1000, 8000, { key: "key-123", user: "mallory" })),
    );
    const byKey = findings.filter((f) => f.key === "key:key-123");
    expect(byKey).toHaveLength(1);
    expect(byKey[0]).toMatchObject({
      detector: "token_spike",
      labels: { api_key_id: "key-123" },
      observed: { tokens_per_minute: 16000 },
    });
    expect(
      (byKey[0]!.baseline as { expected_tokens_per_minute: number }).expected_tokens_per_minute,
    ).toBeGreaterThan(2900);
    expect(byKey[0]?.event_ids.length).toBeGreaterThan(0);
    // The agent-level view and the new user have no history of this: the agent alerts too.
    expect(findings.some((f) => f.key === "agent:bot")).toBe(true);
  });

  it("stays quiet on ordinary variation and before warm-up", () => {
    const state = detector.initialState();
    expect(train(state, T0, 20, () => 1000)).toEqual([]);
    // A burst during warm-up is not judged.
    expect(detector.update(state, usage(T0 + 20 * MIN + 1000, 50_000))).toEqual([]);
    const quiet = train(state, T0 + 21 * MIN, 300, (m) => 4000 + ((m * 37) % 11) * 300);
    expect(quiet).toEqual([]);
  });

  it("judges 3 a.m. against 3 a.m. for an agent with a daily rhythm", () => {
    const state = detector.initialState();
    // Office hours busy (15k/min), nights quiet (1k/min), one event per 10 min. The first week
    // teaches the hour-of-week profile (its first morning ramps may alert: nothing is known yet);
    // the second week must be silent.
    const week = (from: number) => {
      const found = [];
      for (let t = from; t < from + 7 * 86_400_000; t += 10 * MIN) {
        const hour = new Date(t).getUTCHours();
        found.push(...detector.update(state, usage(t, hour >= 9 && hour < 17 ? 15_000 : 1000)));
      }
      return found;
    };
    week(T0);
    week(T0 + 7 * 86_400_000);
    expect(week(T0 + 14 * 86_400_000)).toEqual([]);
    const nextMonday = T0 + 21 * 86_400_000;
    // 3 a.m. at office level: a spike for that hour.
    const night = detector.update(state, usage(nextMonday + 3 * 3_600_000 + 7 * MIN, 15_000));
    expect(night.map((f) => f.key)).toEqual(["agent:bot"]);
    expect(
      (night[0]!.baseline as { expected_tokens_per_minute: number }).expected_tokens_per_minute,
    ).toBeLessThan(2000);
    // 10 a.m. at the usual office level: fine.
    expect(detector.update(state, usage(nextMonday + 10 * 3_600_000, 15_000))).toEqual([]);
  });

  it("ignores small entities under the absolute floor", () => {
    const state = detector.initialState();
    train(state, T0, 60, () => 10, { user: "tiny" });
    expect(detector.update(state, usage(T0 + 61 * MIN, 1500, { user: "tiny" }))).toEqual([]);
  });

  it("evicts idle entities and keeps users and keys small", () => {
    const state = detector.initialState();
    for (let u = 0; u < 100; u += 1) train(state, T0, 40, () => 500, { user: `user-${u}` });
    const userBytes = JSON.stringify(state.entities.user["bot|user-7"]).length;
    expect(userBytes).toBeLessThan(1024);
    detector.update(state, usage(T0 + 30 * 86_400_000, 100, { agent: "other" }));
    detector.tick?.(state, T0 + 30 * 86_400_000);
    expect(state.entities).toEqual({
      agent: { other: expect.any(Object) },
      user: {},
      key: {},
      fleet_key: {},
    });
  });

  it("keeps a key's baseline per agent: one agent's usage never raises a spike on another; a configured shared key's view names every agent", () => {
    const shared = tokenSpike({ ...options, sharedKeys: new Map([["K", ["alpha", "beta"]]]) });
    const state = shared.initialState();
    const trainShared = (agent: string) => {
      for (let m = 0; m < 60; m += 1)
        shared.update(state, usage(T0 + m * MIN + 1000, 3000, { key: "K", agent }));
    };
    // Two agents share key K, each with its usual ~3000 tokens a minute.
    trainShared("alpha");
    trainShared("beta");
    // beta floods K: beta's own key spikes, alpha's does not; the shared view goes to beta.
    const at = T0 + 61 * MIN;
    const findings = [0, 1, 2].flatMap((i) => [
      ...shared.update(state, usage(at + i * 1000, 1000, { key: "K", agent: "alpha" })),
      ...shared.update(state, usage(at + i * 1000 + 500, 20_000, { key: "K", agent: "beta" })),
    ]);
    const perAgent = findings.filter((f) => f.key === "key:K");
    expect(perAgent.map((f) => f.agent_id)).toEqual(["beta"]);
    const fleet = findings.filter((f) => f.key === "fleet_key:K");
    expect(fleet).toHaveLength(1);
    expect(fleet[0]?.agent_id).toBe("beta"); // whose event made the spike
    expect(fleet[0]?.labels).toEqual({ api_key_id: "K", agents: "beta,alpha" });
    expect(fleet[0]?.title).toBe("Token spike: API key K across 2 agents (alpha, beta)");
    expect(findings.some((f) => f.agent_id === "alpha")).toBe(false);
  });

  it("a key not configured as shared has no fleet view: another agent naming it moves only its own entry", () => {
    const state = detector.initialState();
    train(state, T0, 60, () => 3000, { key: "K", agent: "victim" });
    const at = T0 + 61 * MIN;
    const findings = [0, 1, 2].flatMap((i) =>
      detector.update(state, usage(at + i * 1000, 50_000, { key: "K", agent: "attacker" })),
    );
    expect(findings.some((f) => f.agent_id === "victim")).toBe(false);
    expect(state.entities.fleet_key).toEqual({});
    expect(state.entities.key["victim|K"]?.minute.count).toBe(3000);
  });

  it("one agent's flood of users stays within its own budget and never evicts another agent's baseline", () => {
    const budgeted = tokenSpike({
      ...options,
      budget: smallBudget(50, 80, 40),
    });
    const state = budgeted.initialState();
    for (let m = 0; m < 40; m += 1)
      budgeted.update(state, usage(T0 + m * MIN, 500, { agent: "victim", user: "carol" }));
    const at = T0 + 41 * MIN;
    const raised = [];
    for (let i = 0; i < 500; i += 1) {
      raised.push(
        ...budgeted.update(state, {
          ...usage(at + i, 10, { agent: "attacker", user: `u${i}` }),
          received: at + i,
        }),
      );
      if (i % 50 === 49) budgeted.tick?.(state, at + i);
    }
    expect(raised.map((f) => [f.detector, f.agent_id, f.key])).toEqual([
      ["entity_flood", "attacker", "token_spike:users"],
    ]);
    expect(state.entities.user["victim|carol"]?.minutes).toBe(39);
    const users = Object.keys(state.entities.user);
    expect(users.filter((u) => u.startsWith("attacker|")).length).toBeLessThanOrEqual(50);
  });
});
