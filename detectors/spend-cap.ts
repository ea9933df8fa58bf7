/**
 * spend_cap: daily LLM spend (UTC day, by event time) per agent, per user and per API key against
 * caps. Crossing a cap is critical. Before that, a burn-rate forecast warns: when the spend of the
 * last hour, continued to midnight, would cross the cap (and a quarter of it is already spent),
 * it says when. Each (entity, day) raises at most one forecast and one cap finding.
 *
 * A key's cap is on the key's whole spend (the provider bills the key, whoever uses it), so a
 * key is counted over every agent; its findings are attributed to the agent that spent the most
 * on it today, never simply to whichever agent's event crossed the line (one agent's token must
 * not raise a cap, and an auto-pause, on another), and name every agent involved.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { severity } from "../lib/settings.ts";
import {
  addShare,
  addSliding,
  countEntities,
  evictIdle,
  newSlidingCounter,
  type SlidingCounter,
  slidingTotal,
} from "./baselines.ts";
import { userKey } from "./entity-key.ts";
import { findingId } from "./finding-id.ts";
import { costOf, DEFAULT_PRICES, type Price } from "./pricing.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface SpendCapOptions {
  /**
   * `usage.provider` values whose keys' usage agentwatch reads from the provider itself (config
   * `providers`): a key's spend is then the provider's records, and the agents' reports of the
   * same calls count only for agents and users (never the same tokens twice).
   */
  providerTypes?: ReadonlySet<string>;
  /** USD per UTC day; 0 or absent = no cap for that kind. */
  caps: { agent?: number; user?: number; key?: number; workspace?: number };
  /** Per-agent overrides of the agent cap. */
  agentCaps: Record<string, number>;
  prices: Record<string, Price>;
  forecast: boolean;
  forecastSeverity: Severity;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

type Kind = "agent" | "user" | "key" | "workspace";
const KINDS: readonly Kind[] = ["agent", "user", "key", "workspace"];

interface Spend {
  day: number;
  usd: number;
  /** Spend over the last hour, in 5-minute buckets (cents, to keep integers small). */
  hour: SlidingCounter;
  forecast_day: number;
  cap_day: number;
  recent: string[];
  /** Arrival time of its last usage event (agentwatch's clock), for eviction. */
  last_seen: number;
  /** Keys only: USD per agent today (the largest MAX_KEY_AGENTS). */
  agents?: Record<string, number>;
}

const MAX_KEY_AGENTS = 16;

export interface SpendCapState {
  entities: Record<Kind, Record<string, Spend>>;
  /** Usage events with no cost and no price: visible in the checkpoint, and in findings' evidence. */
  unpriced: number;
}

export function spendCap(options: SpendCapOptions): Detector<SpendCapState> {
  const name = "spend_cap";
  return {
    name,
    eventTypes: ["llm_usage"],
    initialState: () => ({
      entities: { agent: newRecord(), user: newRecord(), key: newRecord(), workspace: newRecord() },
      unpriced: 0,
    }),

    update(state, observed) {
      const { event, time, received } = observed;
      if (event.type !== "llm_usage" || !event.usage) return [];
      const cost = costOf(options.prices, event.usage);
      if (cost === undefined) {
        state.unpriced += 1;
        return [];
      }
      const day = Math.floor(time / DAY) * DAY;
      const findings: Finding[] = [];
      // Which source counts (one per entity): a provider's usage records for keys when one is
      // read, its cost reports for workspaces and projects, the agents' reports for agents and
      // users (never the same spend twice).
      const fromProvider = observed.source === "provider";
      const costReport =
        fromProvider && (event.attributes as Record<string, unknown> | undefined)?.report === "cost";
      const keyFromProvider = options.providerTypes?.has(event.usage.provider) ?? false;
      for (let k = 0; k < 4; k += 1) {
        if (costReport ? k !== 3 : fromProvider ? k !== 2 : k === 3 || (k === 2 && keyFromProvider)) continue;
        const kind = KINDS[k] as Kind;
        const value: string | undefined =
          k === 0
            ? event.agent_id
            : k === 1
              ? event.user_id
              : k === 2
                ? event.usage.api_key_id
                : workspaceOf(event.attributes);
        const cap =
          k === 0
            ? (options.agentCaps[event.agent_id] ?? options.caps.agent)
            : k === 1
              ? options.caps.user
              : k === 2
                ? options.caps.key
                : options.caps.workspace;
        if (value === undefined || !cap) continue;
        // Agents and keys by their own id (no key string built per event); users by agent and id.
        state.entities[kind] ??= newRecord(); // absent in checkpoints from before workspaces
        const group = state.entities[kind];
        const entityKey = kind === "user" ? userKey(event.agent_id, value) : value;
        let spend = group[entityKey];
        if (spend === undefined) {
          spend = {
            day,
            usd: 0,
            hour: newSlidingCounter(12),
            forecast_day: 0,
            cap_day: 0,
            recent: [],
            last_seen: 0,
          };
          group[entityKey] = spend;
        }
        spend.last_seen = Math.max(spend.last_seen ?? 0, received ?? time);
        if (day > spend.day) {
          spend.day = day;
          spend.usd = 0;
          if (spend.agents) spend.agents = newRecord();
        } else if (day < spend.day) {
          continue; // a late event of a finished day: that day was judged already
        }
        spend.usd += cost;
        if (kind === "key") {
          spend.agents ??= newRecord();
          addShare(spend.agents, event.agent_id, cost, MAX_KEY_AGENTS);
        }
        addSliding(spend.hour, time, HOUR, Math.round(cost * 100));
        spend.recent.push(event.id);
        if (spend.recent.length > 10) spend.recent.shift();
        if (spend.usd >= cap && spend.cap_day !== day) {
          spend.cap_day = day;
          findings.push({
            ...findingBase(name, kind, value, event.agent_id, time, spend),
            id: findingId(name, `${kind}:${entityKey}|cap`, event.id),
            key: `cap:${kind}:${value}`,
            severity: "critical",
            score: 1,
            observed: { spent_usd_today: round(spend.usd) },
            baseline: { cap_usd: cap },
            title: `Spend cap reached: ${describe(kind, value, event.agent_id)}`,
            summary: `${describe(kind, value, event.agent_id)} spent $${round(spend.usd)} today (UTC), over its daily cap of $${cap}`,
          });
          continue;
        }
        if (!options.forecast || spend.forecast_day === day || spend.usd < cap / 4 || spend.usd >= cap)
          continue;
        const perHour = slidingTotal(spend.hour) / 100;
        const left = day + DAY - time;
        const projected = spend.usd + (perHour * left) / HOUR;
        if (projected < cap || perHour <= 0) continue;
        spend.forecast_day = day;
        const hitsAt = time + ((cap - spend.usd) / perHour) * HOUR;
        findings.push({
          ...findingBase(name, kind, value, event.agent_id, time, spend),
          id: findingId(name, `${kind}:${entityKey}|forecast`, event.id),
          key: `forecast:${kind}:${value}`,
          severity: options.forecastSeverity,
          score: Math.min(1, spend.usd / cap),
          observed: {
            spent_usd_today: round(spend.usd),
            usd_last_hour: round(perHour),
            projected_usd_today: round(projected),
          },
          baseline: { cap_usd: cap },
          title: `Spend forecast over the cap: ${describe(kind, value, event.agent_id)}`,
          summary: `${describe(kind, value, event.agent_id)} spent $${round(spend.usd)} today and $${round(perHour)} in the last hour; at that rate it reaches its $${cap} cap around ${new Date(hitsAt).toISOString().slice(11, 16)} UTC`,
        });
      }
      return findings;
    },

    size: (state) => KINDS.reduce((n, kind) => n + countEntities(state.entities[kind] ?? {}), 0),

    tick(state, now) {
      // Days end: entities with no usage arriving today or yesterday are forgotten. By arrival
      // time: one event dated in a later day must not make every other entity's day look over.
      for (const kind of KINDS) evictIdle(state.entities[kind], now, DAY);
      return [];
    },
  };
}

function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}

/** Built only when a finding is raised (this detector runs for every usage event). */
function describe(kind: Kind, value: string, agentId: string): string {
  return kind === "agent"
    ? `agent ${value}`
    : kind === "user"
      ? `user ${value} on ${agentId}`
      : kind === "key"
        ? `API key ${value}`
        : `workspace ${value}`;
}

/** The workspace (Anthropic) or project (OpenAI) of a provider's cost record. */
function workspaceOf(attributes: unknown): string | undefined {
  const value = (attributes as Record<string, unknown> | undefined)?.workspace_id;
  return typeof value === "string" && value !== "" ? value : undefined;
}

function findingBase(
  detector: string,
  kind: Kind,
  value: string,
  agentId: string,
  time: number,
  spend: Spend,
) {
  // A key's finding goes to the agent that spent the most on it today, and names them all.
  const shares = spend.agents ? Object.entries(spend.agents).sort((a, b) => b[1] - a[1]) : [];
  const labels: Record<string, string> =
    kind === "key"
      ? { api_key_id: value }
      : kind === "user"
        ? { user_id: value }
        : kind === "workspace"
          ? { workspace_id: value }
          : {};
  if (shares.length > 0) labels.agents = shares.map(([id]) => id).join(",");
  return {
    detector,
    agent_id: shares[0]?.[0] ?? agentId,
    time: new Date(time).toISOString(),
    event_ids: [...spend.recent],
    labels,
  };
}

const priceSchema = z.strictObject({
  input_per_million: z.number().nonnegative(),
  output_per_million: z.number().nonnegative(),
});

/** `detectors.spend_cap`. */
export const spendCapDefinition = defineDetector("spend_cap", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** USD per UTC day; 0 turns a kind off. */
    daily_cap_usd: z
      .strictObject({
        agent: z.number().nonnegative().default(200),
        user: z.number().nonnegative().default(20),
        key: z.number().nonnegative().default(500),
        /** A provider workspace's or project's spend, from the providers' cost reports (0: off). */
        workspace: z.number().nonnegative().default(0),
      })
      .prefault({}),
    /** Warn when the last hour's burn rate would cross the cap before midnight UTC. */
    forecast: z.boolean().default(true),
    forecast_severity: severity.default("warning"),
    /** `provider/model` → USD per million tokens; merged over the built-in table. */
    prices: z.record(z.string().regex(/^[^/]+\/.+$/, "keys are provider/model"), priceSchema).default({}),
  }),
  create: (s, { agents, providers }) => {
    if (!s.enabled) return [];
    // Per-agent caps looked up by the agent id of each event: a record without prototype (record.ts).
    const agentCaps = newRecord<number>();
    for (const a of agents) if (a.daily_cap_usd) agentCaps[a.id] = a.daily_cap_usd;
    return [
      spendCap({
        caps: s.daily_cap_usd,
        agentCaps,
        prices: { ...DEFAULT_PRICES, ...s.prices },
        forecast: s.forecast,
        forecastSeverity: s.forecast_severity,
        providerTypes: new Set(providers.map((p) => p.type)),
      }) as Detector,
    ];
  },
});
