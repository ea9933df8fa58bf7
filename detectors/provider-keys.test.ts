import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { unattributedUsage, unknownKey } from "./provider-keys.ts";
import { spendCap } from "./spend-cap.ts";
import { tokenSpike } from "./token-spike.ts";
import type { ObservedEvent, ProviderSettings } from "./types.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const MINUTE = 60_000;
const PROVIDERS: ProviderSettings[] = [
  {
    name: "openai-org",
    type: "openai",
    keys: [{ id: "key-support", agent: "support-bot" }],
    expected_keys: ["key-ci"],
    lag: 10 * MINUTE,
  },
];

let n = 0;
function usage(options: {
  time: number;
  tokens: number;
  key?: string;
  agent?: string;
  provider?: boolean;
  user?: string;
}): ObservedEvent {
  n += 1;
  const event = {
    id: `u${n}`,
    time: new Date(options.time).toISOString(),
    type: "llm_usage",
    agent_id: options.agent ?? (options.provider ? "support-bot" : "support-bot"),
    ...(options.user ? { user_id: options.user } : {}),
    usage: {
      provider: "openai",
      model: "gpt-4o",
      input_tokens: options.tokens,
      output_tokens: 0,
      ...(options.key ? { api_key_id: options.key } : {}),
    },
  } as AgentEvent;
  return {
    event,
    time: options.time,
    received: options.time,
    ...(options.provider ? { source: "provider" as const } : {}),
  };
}

/** token_spike with small thresholds, reading the providers of these types. */
function spikeDetector(providerTypes: string[]) {
  return tokenSpike({
    providerTypes: new Set(providerTypes),
    minTokensPerMinute: 10,
    robustZ: 6,
    minRatio: 10,
    warmupMinutes: 30,
    entityTtlMs: 86_400_000,
    severity: "warning",
  });
}

describe("which source counts", () => {
  it("keys count the provider's records, agents and users the agents' reports", () => {
    const spike = spikeDetector(["openai"]);
    const state = spike.initialState();
    spike.update(state, usage({ time: T0, tokens: 500, key: "key-support", user: "u1" }));
    expect(Object.keys(state.entities.key)).toEqual([]);
    expect(Object.keys(state.entities.agent)).toEqual(["support-bot"]);
    spike.update(state, usage({ time: T0, tokens: 500, key: "key-support", provider: true }));
    expect(Object.keys(state.entities.key)).toHaveLength(1);
    // A key no configuration shares has no fleet view (issue 30): it is support-bot's own.
    expect(Object.keys(state.entities.fleet_key)).toEqual([]);
    // The provider's record added nothing to the agent or the user: the same tokens, once each.
    expect(state.entities.agent["support-bot"]?.minute.count).toBe(500);

    const caps = spendCap({
      providerTypes: new Set(["openai"]),
      caps: { agent: 100, user: 100, key: 100 },
      agentCaps: {},
      prices: { "openai/gpt-4o": { input_per_million: 2.5, output_per_million: 10 } },
      forecast: false,
      forecastSeverity: "warning",
    });
    const spend = caps.initialState();
    caps.update(spend, usage({ time: T0, tokens: 1_000_000, key: "key-support", user: "u1" }));
    caps.update(spend, usage({ time: T0, tokens: 1_000_000, key: "key-support", provider: true }));
    expect(spend.entities.agent["support-bot"]?.usd).toBeCloseTo(2.5);
    expect(spend.entities.key["support-bot|key-support"]?.usd).toBeCloseTo(2.5);

    // Without a provider read, the agents' reports count for keys too (as before).
    const plain = spikeDetector([]);
    const plainState = plain.initialState();
    plain.update(plainState, usage({ time: T0, tokens: 500, key: "key-support" }));
    expect(Object.keys(plainState.entities.key)).toHaveLength(1);
  });
});

describe("spend caps from the providers' cost reports", () => {
  it("count for the workspace or project only, never again for the agent or the key", () => {
    const caps = spendCap({
      providerTypes: new Set(["openai"]),
      caps: { agent: 100, user: 100, key: 100, workspace: 50 },
      agentCaps: {},
      prices: { "openai/gpt-4o": { input_per_million: 2.5, output_per_million: 10 } },
      forecast: false,
      forecastSeverity: "warning",
    });
    const state = caps.initialState();
    const cost = (usd: number) => {
      const observed = usage({ time: T0, tokens: 0, key: "key-support", provider: true });
      observed.event.usage = { ...(observed.event.usage as NonNullable<AgentEvent["usage"]>), cost_usd: usd };
      observed.event.attributes = { reported_by: "provider", report: "cost", workspace_id: "proj_1" };
      return observed;
    };
    expect(caps.update(state, cost(30))).toEqual([]);
    const [finding] = caps.update(state, cost(25));
    expect(finding).toMatchObject({
      detector: "spend_cap",
      severity: "critical",
      labels: { workspace_id: "proj_1" },
    });
    expect(finding?.title).toContain("workspace proj_1");
    expect(state.entities.key["key-support"]).toBeUndefined();
    expect(state.entities.agent["support-bot"]).toBeUndefined();
  });
});

describe("unattributed_usage", () => {
  const detector = unattributedUsage({
    providers: PROVIDERS,
    windowMs: 5 * MINUTE,
    toleranceTokens: 2000,
    toleranceRatio: 0.1,
    criticalTokens: 200_000,
    severity: "warning",
  });

  it("says nothing while the provider counts what the agent reported, within the tolerance", () => {
    const state = detector.initialState();
    detector.update(state, usage({ time: T0 + 10_000, tokens: 30_000, key: "key-support" }));
    detector.update(state, usage({ time: T0 + MINUTE, tokens: 31_500, key: "key-support", provider: true }));
    expect(detector.tick?.(state, T0 + 30 * MINUTE)).toEqual([]);
  });

  it("reports the provider's excess once the window's figures are complete, critical when large", () => {
    const state = detector.initialState();
    detector.update(state, usage({ time: T0 + 10_000, tokens: 10_000, key: "key-support" }));
    detector.update(state, usage({ time: T0 + MINUTE, tokens: 60_000, key: "key-support", provider: true }));
    // Another agent reporting the same key is not the key's agent.
    detector.update(
      state,
      usage({ time: T0 + MINUTE, tokens: 50_000, key: "key-support", agent: "coding-agent" }),
    );
    // Not before the window ended and the provider's lag passed.
    expect(detector.tick?.(state, T0 + 14 * MINUTE)).toEqual([]);
    const [finding] = detector.tick?.(state, T0 + 15 * MINUTE) ?? [];
    expect(finding).toMatchObject({
      detector: "unattributed_usage",
      agent_id: "support-bot",
      severity: "warning",
      observed: {
        api_key_id: "key-support",
        provider_tokens: 60_000,
        agent_tokens: 10_000,
        excess_tokens: 50_000,
      },
    });
    expect(detector.tick?.(state, T0 + 16 * MINUTE)).toEqual([]);
    // A late revision raises the excess past critical: reported again.
    detector.update(
      state,
      usage({ time: T0 + 2 * MINUTE, tokens: 400_000, key: "key-support", provider: true }),
    );
    const [again] = detector.tick?.(state, T0 + 17 * MINUTE) ?? [];
    expect(again).toMatchObject({ severity: "critical", observed: { excess_tokens: 450_000 } });
    // Forgotten two hours after its figures were complete.
    detector.tick?.(state, T0 + 3 * 60 * MINUTE);
    expect(Object.keys(state.keys["openai|key-support"]?.windows ?? {})).toEqual([]);
  });
});

describe("unknown_key", () => {
  it("reports provider usage on a key no agent is mapped to, once per cooldown; expected keys and agents' reports are quiet", () => {
    const detector = unknownKey({ providers: PROVIDERS, cooldownMs: 86_400_000, severity: "warning" });
    const state = detector.initialState();
    expect(
      detector.update(
        state,
        usage({ time: T0, tokens: 10, key: "key-ci", provider: true, agent: "provider:openai-org" }),
      ),
    ).toEqual([]);
    expect(
      detector.update(state, usage({ time: T0, tokens: 10, key: "key-support", provider: true })),
    ).toEqual([]);
    expect(detector.update(state, usage({ time: T0, tokens: 10, key: "key-stranger" }))).toEqual([]);
    const [finding] = detector.update(
      state,
      usage({ time: T0, tokens: 900, key: "key-stranger", provider: true, agent: "provider:openai-org" }),
    );
    expect(finding).toMatchObject({
      detector: "unknown_key",
      agent_id: "provider:openai-org",
      observed: { api_key_id: "key-stranger", tokens: 900 },
    });
    expect(
      detector.update(
        state,
        usage({
          time: T0 + MINUTE,
          tokens: 900,
          key: "key-stranger",
          provider: true,
          agent: "provider:openai-org",
        }),
      ),
    ).toEqual([]);
    expect(
      detector.update(
        state,
        usage({
          time: T0 + 25 * 60 * MINUTE,
          tokens: 900,
          key: "key-stranger",
          provider: true,
          agent: "provider:openai-org",
        }),
      ),
    ).toHaveLength(1);
  });
});
