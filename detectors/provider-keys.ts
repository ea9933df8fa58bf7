/**
 * What only the providers' own usage records show (services/providers): a key used from
 * somewhere no agent reports.
 *
 * unattributed_usage: for a key mapped to an agent (`providers[].keys`), the tokens the provider
 * counted on it in a window exceed what that agent reported for the key in the same window by
 * more than the tolerance. A window is judged once the provider's figures for it are complete
 * (`providers[].lag` after it ends, by the runner's clock), and again if a late revision raises
 * the excess. The tolerance (default 2,000 tokens and 10% of what the agent reported) covers
 * what may honestly differ: a call that straddles a window's edge (the agent stamps the call, the
 * provider its bucket), retries the agent did not report, and cache tokens the agent left out.
 * Critical from `critical_tokens` of excess.
 *
 * unknown_key: the provider counted usage on a key id that no agent is mapped to and that is not
 * in `expected_keys`. Once per key per `cooldown`.
 *
 * Pure: state in, findings out; time comes from the events and the runner's ticks.
 */

import { z } from "zod";
import { duration, type Severity, severity } from "../lib/settings.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding, type ProviderSettings } from "./types.ts";

interface Window {
  /** Tokens the provider counted on the key in the window. */
  provider: number;
  /** Tokens the key's agent reported for it. */
  agents: number;
  /** The excess already reported (0: none). */
  reported: number;
  /** A few of the provider's records in the window, for the finding. */
  events: string[];
}

interface KeyState {
  /** Window start (epoch ms) → what each side counted. */
  windows: Record<string, Window>;
}

export interface UnattributedUsageState {
  keys: Record<string, KeyState>;
}

export interface UnattributedUsageOptions {
  providers: readonly ProviderSettings[];
  windowMs: number;
  toleranceTokens: number;
  toleranceRatio: number;
  criticalTokens: number;
  severity: Severity;
}

/** Windows are kept this long after they are first judged (late revisions). */
const KEEP_AFTER_JUDGED_MS = 2 * 3_600_000;

export function unattributedUsage(options: UnattributedUsageOptions): Detector<UnattributedUsageState> {
  const name = "unattributed_usage";
  // Mapped keys, by provider type and key id: the agent and how long its provider lags.
  const mapped = new Map<string, { agent: string; lag: number; provider: string }>();
  for (const provider of options.providers) {
    for (const key of provider.keys)
      mapped.set(`${provider.type}|${key.id}`, {
        agent: key.agent,
        lag: provider.lag,
        provider: provider.name,
      });
  }
  const judge = (state: UnattributedUsageState, now: number): Finding[] => {
    const findings: Finding[] = [];
    for (const [id, key] of Object.entries(state.keys)) {
      const info = mapped.get(id);
      if (!info) {
        delete state.keys[id];
        continue;
      }
      for (const [startText, window] of Object.entries(key.windows)) {
        const start = Number(startText);
        const complete = start + options.windowMs + info.lag;
        if (now < complete) continue;
        if (now > complete + KEEP_AFTER_JUDGED_MS) {
          delete key.windows[startText];
          continue;
        }
        const excess = window.provider - window.agents;
        const tolerance = Math.max(options.toleranceTokens, options.toleranceRatio * window.agents);
        if (excess <= tolerance || excess - window.reported <= tolerance) continue;
        window.reported = excess;
        const keyId = id.slice(id.indexOf("|") + 1);
        const critical = excess >= options.criticalTokens;
        findings.push({
          id: findingId(name, `${info.agent}|${id}|${start}`, `${excess}`),
          detector: name,
          agent_id: info.agent,
          key: `key:${keyId}`,
          time: new Date(start).toISOString(),
          severity: critical ? "critical" : options.severity,
          score: Math.min(1, excess / options.criticalTokens),
          observed: {
            api_key_id: keyId,
            provider: info.provider,
            window_start: new Date(start).toISOString(),
            window_end: new Date(start + options.windowMs).toISOString(),
            provider_tokens: window.provider,
            agent_tokens: window.agents,
            excess_tokens: excess,
          },
          baseline: { tolerance_tokens: Math.round(tolerance) },
          event_ids: window.events.slice(0, 5),
          title: `Usage on ${info.agent}'s API key ${keyId} that ${info.agent} did not report`,
          summary: `${info.provider} counted ${window.provider} tokens on key ${keyId} between ${new Date(start).toISOString()} and ${new Date(start + options.windowMs).toISOString()}; ${info.agent} reported ${window.agents}: ${excess} tokens came from somewhere else (a leaked key?)`,
          labels: { api_key_id: keyId, provider: info.provider },
        });
      }
    }
    return findings;
  };
  return {
    name,
    eventTypes: ["llm_usage"],
    initialState: () => ({ keys: newRecord() }),

    update(state, observed) {
      const { event, time } = observed;
      const keyId = event.usage?.api_key_id;
      if (event.type !== "llm_usage" || !event.usage || keyId === undefined) return [];
      const id = `${event.usage.provider}|${keyId}`;
      const info = mapped.get(id);
      if (!info) return [];
      const fromProvider = observed.source === "provider";
      const tokens = event.usage.input_tokens + event.usage.output_tokens;
      if (fromProvider && tokens === 0) return []; // a cost record: no tokens to compare
      // The key's own agent's reports; another agent reporting the key is not its agent.
      if (!fromProvider && event.agent_id !== info.agent) return [];
      const start = Math.floor(time / options.windowMs) * options.windowMs;
      let key = state.keys[id];
      if (key === undefined) {
        key = { windows: newRecord() };
        state.keys[id] = key;
      }
      let window = key.windows[String(start)];
      if (window === undefined) {
        window = { provider: 0, agents: 0, reported: 0, events: [] };
        key.windows[String(start)] = window;
      }
      if (fromProvider) {
        window.provider += tokens;
        if (window.events.length < 5) window.events.push(event.id);
      } else window.agents += tokens;
      return [];
    },

    tick: (state, now) => judge(state, now),
  };
}

export interface UnknownKeyState {
  /** Key id → when it was last reported (epoch ms). */
  reported: Record<string, number>;
}

export function unknownKey(options: {
  providers: readonly ProviderSettings[];
  cooldownMs: number;
  severity: Severity;
}): Detector<UnknownKeyState> {
  const name = "unknown_key";
  const known = new Set<string>();
  for (const provider of options.providers) {
    for (const key of provider.keys) known.add(`${provider.type}|${key.id}`);
    for (const key of provider.expected_keys) known.add(`${provider.type}|${key}`);
  }
  return {
    name,
    eventTypes: ["llm_usage"],
    initialState: () => ({ reported: newRecord() }),

    update(state, observed) {
      const { event, time } = observed;
      const keyId = event.usage?.api_key_id;
      if (observed.source !== "provider" || !event.usage || keyId === undefined) return [];
      // Usage on the key, not a cost record (which carries no tokens).
      if (event.usage.input_tokens + event.usage.output_tokens === 0) return [];
      const id = `${event.usage.provider}|${keyId}`;
      if (known.has(id)) return [];
      const last = state.reported[id];
      if (last !== undefined && time - last < options.cooldownMs) return [];
      state.reported[id] = time;
      const provider = String(
        (event.attributes as Record<string, unknown> | undefined)?.provider ?? event.usage.provider,
      );
      const tokens = event.usage.input_tokens + event.usage.output_tokens;
      return [
        {
          id: findingId(name, id, event.id),
          detector: name,
          agent_id: event.agent_id,
          key: `key:${keyId}`,
          time: new Date(time).toISOString(),
          severity: options.severity,
          score: 1,
          observed: { api_key_id: keyId, provider, model: event.usage.model, tokens },
          baseline: null,
          event_ids: [event.id],
          title: `Usage on an API key no agent is known to use: ${keyId}`,
          summary: `${provider} counted ${tokens} tokens (${event.usage.model}) on key ${keyId}, which is mapped to no agent and not listed in expected_keys`,
          labels: { api_key_id: keyId, provider },
        },
      ];
    },

    tick(state, now) {
      // Keys reported longer ago than the cooldown may be reported again: forget them.
      for (const [id, at] of Object.entries(state.reported))
        if (now - at > options.cooldownMs) delete state.reported[id];
      return [];
    },
  };
}

/** `detectors.unattributed_usage`. */
export const unattributedUsageDefinition = defineDetector("unattributed_usage", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Provider and agent tokens are compared per key over windows this long (at least the providers' bucket). */
    window: duration.prefault("5m"),
    /** Excess under this many tokens is never reported... */
    tolerance_tokens: z.number().int().min(0).default(2000),
    /** ...nor under this share of what the agent reported. */
    tolerance_ratio: z.number().min(0).default(0.1),
    /** Excess from which a finding is critical. */
    critical_tokens: z.number().int().min(1).default(200_000),
    severity: severity.default("warning"),
  }),
  create: (s, { providers }) =>
    s.enabled && providers.length > 0
      ? [
          unattributedUsage({
            providers,
            windowMs: s.window,
            toleranceTokens: s.tolerance_tokens,
            toleranceRatio: s.tolerance_ratio,
            criticalTokens: s.critical_tokens,
            severity: s.severity,
          }) as Detector,
        ]
      : [],
});

/** `detectors.unknown_key`. */
export const unknownKeyDefinition = defineDetector("unknown_key", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** A key reported is reported again after this long if still in use. */
    cooldown: duration.prefault("24h"),
    severity: severity.default("warning"),
  }),
  create: (s, { providers }) =>
    s.enabled && providers.length > 0
      ? [unknownKey({ providers, cooldownMs: s.cooldown, severity: s.severity }) as Detector]
      : [],
});
