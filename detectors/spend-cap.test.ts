import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
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

  it("a key's cap counts every agent's spend and goes to the agent that spent the most, not the one whose event crossed it", () => {
    const state = detector.initialState();
    const at = DAY0 + 10 * HOUR;
    // alpha spends most of key K's $50; beta's small event crosses the cap.
    const findings = [
      ...detector.update(state, usage(at, 45, { agent: "alpha", key: "K" })),
      ...detector.update(state, usage(at + 1000, 6, { agent: "beta", key: "K" })),
    ];
    const cap = findings.filter((f) => f.key === "cap:key:K");
    expect(cap).toHaveLength(1);
    expect(cap[0]?.agent_id).toBe("alpha");
    expect(cap[0]?.labels).toEqual({ api_key_id: "K", agents: "alpha,beta" });
  });
});
