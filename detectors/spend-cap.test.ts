import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { smallBudget } from "../test/helpers/budgets.ts";
import { costOf, DEFAULT_PRICES, priceFor } from "./pricing.ts";
import { spendCap } from "./spend-cap.ts";

const DAY0 = Date.parse("2026-11-20T00:00:00Z");
const HOUR = 3_600_000;
const detector = spendCap({
  caps: { agent: 100, user: 20, key: 50 },
  agentCaps: { "big-bot": 1000 },
  prices: DEFAULT_PRICES,
  forecast: true,
  forecastSeverity: "warning",
});

let seq = 0;
function usage(
  at: number,
  cost: number | undefined,
  extra: { agent?: string; user?: string; key?: string; model?: string } = {},
) {
  seq += 1;
  return {
    event: {
      id: `u${seq}`,
      time: new Date(at).toISOString(),
      type: "llm_usage",
      agent_id: extra.agent ?? "bot",
      ...(extra.user ? { user_id: extra.user } : {}),
      usage: {
        provider: "openai",
        model: extra.model ?? "gpt-4o-2024-08-06",
        input_tokens: 1_000_000,
        output_tokens: 100_000,
        ...(cost !== undefined ? { cost_usd: cost } : {}),
        ...(extra.key ? { api_key_id: extra.key } : {}),
      },
    } as AgentEvent,
    time: at,
  };
}

describe("pricing", () => {
  it("prices by longest model prefix and prefers the event's own cost", () => {
    expect(priceFor(DEFAULT_PRICES, "openai", "gpt-4o-mini-2024-07-18")).toEqual(
      DEFAULT_PRICES["openai/gpt-4o-mini"],
    );
    expect(priceFor(DEFAULT_PRICES, "openai", "gpt-4o-2024-08-06")).toEqual(DEFAULT_PRICES["openai/gpt-4o"]);
    expect(
      costOf(DEFAULT_PRICES, {
        provider: "openai",
        model: "gpt-4o",
        input_tokens: 1_000_000,
        output_tokens: 1_000_000,
      }),
    ).toBe(12.5);
    expect(
      costOf(DEFAULT_PRICES, { provider: "x", model: "y", input_tokens: 1, output_tokens: 1, cost_usd: 0.3 }),
    ).toBe(0.3);
    expect(
      costOf(DEFAULT_PRICES, { provider: "acme", model: "llm-9", input_tokens: 1, output_tokens: 1 }),
    ).toBeUndefined();
  });
});

describe("spend_cap", () => {
  it("is critical once the daily cap is crossed, once a day", () => {
    const state = detector.initialState();
    const findings = Array.from({ length: 30 }, (_, i) =>
      detector.update(state, usage(DAY0 + i * 60_000, 4, { key: "k1" })),
    ).flat();
    const caps = findings.filter((f) => f.key.startsWith("cap:"));
    expect(caps.map((f) => f.key)).toEqual(["cap:key:k1", "cap:agent:bot"]);
    expect(caps[1]).toMatchObject({
      severity: "critical",
      observed: { spent_usd_today: 100 },
      baseline: { cap_usd: 100 },
    });
    // A new UTC day starts from zero.
    expect(detector.update(state, usage(DAY0 + 86_400_000 + 1000, 4, { key: "k1" }))).toEqual([]);
  });

  it("forecasts from the last hour's burn rate before the cap is hit", () => {
    const state = detector.initialState();
    // Quiet morning: $1 an hour until 10:00 ($10), then $10 every 10 minutes.
    for (let h = 0; h < 10; h += 1) detector.update(state, usage(DAY0 + h * HOUR, 1));
    const findings = [];
    for (let i = 0; i < 4; i += 1)
      findings.push(...detector.update(state, usage(DAY0 + 10 * HOUR + i * 600_000, 10)));
    const forecast = findings.filter((f) => f.key === "forecast:agent:bot");
    expect(forecast).toHaveLength(1);
    expect(forecast[0]).toMatchObject({ severity: "warning" });
    expect(forecast[0]?.summary).toMatch(/reaches its \$100 cap around 1\d:\d\d UTC/);
  });

  it("computes cost from the price table, applies per-agent caps, and counts unpriced usage", () => {
    const state = detector.initialState();
    // gpt-4o: 1M input ($2.50) + 100k output ($1.00) = $3.50 per event.
    const findings = Array.from({ length: 30 }, (_, i) =>
      detector.update(state, usage(DAY0 + i * 1000, undefined, { agent: "big-bot" })),
    ).flat();
    expect(findings.filter((f) => f.key.startsWith("cap:"))).toEqual([]);
    expect(state.entities.agent["big-bot"]?.usd).toBeCloseTo(105);
    detector.update(state, usage(DAY0, undefined, { model: "unknown-model" }));
    expect(state.unpriced).toBe(1); // openai/unknown-model has no price and no cost_usd
  });

  it("a key named by another agent's event counts for the sender: one agent's token never raises a cap on the key's owner", () => {
    const state = detector.initialState();
    const at = DAY0 + 10 * HOUR;
    // victim spends $45 of its key K; attacker's token posts K with a large cost.
    detector.update(state, usage(at, 45, { agent: "victim", key: "K" }));
    const findings = detector.update(state, usage(at + 1000, 60, { agent: "attacker", key: "K" }));
    expect(findings.map((f) => f.agent_id)).toEqual(findings.map(() => "attacker"));
    const cap = findings.filter((f) => f.key.startsWith("cap:"));
    expect(cap.map((f) => [f.key, f.agent_id])).toEqual([["cap:key:K", "attacker"]]);
    expect(cap[0]?.labels).toEqual({ api_key_id: "K" });
    expect(state.entities.key["victim|K"]?.usd).toBe(45);
    expect(state.entities.key["attacker|K"]?.usd).toBe(60);
  });

  it("a configured shared key sums its agents' own spends; the finding goes to the agent whose event crossed the cap and names every agent", () => {
    const shared = spendCap({
      caps: { agent: 1000, user: 20, key: 50 },
      agentCaps: {},
      prices: DEFAULT_PRICES,
      forecast: false,
      forecastSeverity: "warning",
      sharedKeys: new Map([["K", ["alpha", "beta"]]]),
    });
    const state = shared.initialState();
    const at = DAY0 + 10 * HOUR;
    const findings = [
      ...shared.update(state, usage(at, 45, { agent: "alpha", key: "K" })),
      // gamma does not share K: its event counts for its own entry, not the shared view.
      ...shared.update(state, usage(at + 500, 40, { agent: "gamma", key: "K" })),
      ...shared.update(state, usage(at + 1000, 6, { agent: "beta", key: "K" })),
    ];
    const cap = findings.filter((f) => f.key === "cap:key:K");
    expect(cap).toHaveLength(1);
    expect(cap[0]?.agent_id).toBe("beta");
    expect(cap[0]?.labels).toEqual({ api_key_id: "K", agents: "alpha,beta", shared: "true" });
    expect(cap[0]?.observed).toEqual({ spent_usd_today: 51, spent_usd_by_agent: { alpha: 45, beta: 6 } });
    // Later events of the same day raise no second cap finding.
    expect(shared.update(state, usage(at + 2000, 6, { agent: "alpha", key: "K" }))).toEqual([]);
  });

  it("one agent's flood of users evicts only its own, is an entity_flood finding once an hour, and another agent's user cap still fires", () => {
    const budgeted = spendCap({
      caps: { agent: 0, user: 20, key: 0 },
      agentCaps: {},
      prices: DEFAULT_PRICES,
      forecast: false,
      forecastSeverity: "warning",
      budget: smallBudget(100, 150, 50),
    });
    const state = budgeted.initialState();
    const at = DAY0 + 10 * HOUR;
    budgeted.update(state, usage(at, 15, { agent: "victim", user: "carol" }));
    const flood = [];
    for (let i = 0; i < 1000; i += 1) {
      flood.push(...budgeted.update(state, { ...usage(at + i, 0.01, { agent: "attacker", user: `u${i}` }) }));
      if (i % 100 === 99) budgeted.tick?.(state, at + i);
    }
    expect(flood.map((f) => [f.detector, f.agent_id, f.key])).toEqual([
      ["entity_flood", "attacker", "spend_cap:users"],
    ]);
    expect(flood[0]?.observed).toMatchObject({ new_entities: 50 });
    expect(
      Object.keys(state.entities.user).filter((k) => k.startsWith("attacker|")).length,
    ).toBeLessThanOrEqual(100);
    expect(state.entities.user["victim|carol"]?.usd).toBe(15);
    const capped = budgeted.update(state, usage(at + 5000, 6, { agent: "victim", user: "carol" }));
    expect(capped.map((f) => [f.key, f.agent_id])).toEqual([["cap:user:carol", "victim"]]);
  });
});
