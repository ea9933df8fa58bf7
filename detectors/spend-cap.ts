/**
 * spend_cap: daily LLM spend (UTC day, by event time) per agent, per user and per API key against
 * caps. Crossing a cap is critical. Before that, a burn-rate forecast warns: when the spend of the
 * last hour, continued to midnight, would cross the cap (and a quarter of it is already spent),
 * it says when. Each (entity, day) raises at most one forecast and one cap finding.
 *
 * A key named by an event counts for the agent that sent it (issue 30): `usage.api_key_id` is a
 * value the agent writes, so one agent's token posting another agent's key id spends against its
 * own `agent|key` entry and raises findings (and auto-pauses) on itself only, never on the
 * key's owner. A key really shared by several agents (configured: `spend_cap.shared_keys`, or a
 * key listed for several agents in `providers[].keys`) is judged on the sum of those agents'
 * own entries (a view computed from per-agent state, nothing stored across agents): its finding
 * goes to the agent whose event crossed the line and names every agent whose events moved it.
 * Users and keys are budgeted per agent (entity-budget.ts).
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { severity } from "../lib/settings.ts";
import {
  addSliding,
  countEntities,
  newSlidingCounter,
  type SlidingCounter,
  slidingTotal,
} from "./baselines.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { userKey } from "./entity-key.ts";
import { findingId } from "./finding-id.ts";
import { costOf, DEFAULT_PRICES, type Price } from "./pricing.ts";
import { newRecord } from "./record.ts";
import { type Detector, type DetectorContext, defineDetector, type Finding } from "./types.ts";

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
  /** Key id → the agents configured to share it (their spends on it are summed). */
  sharedKeys?: ReadonlyMap<string, readonly string[]>;
  /** Users and keys kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
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
  /** The agent whose events it counts (users and keys are per agent). */
  agent_id: string;
}

/** A shared key's day, judged over its agents' own entries: one forecast and one cap finding a day. */
interface SharedDay {
  forecast_day: number;
  cap_day: number;
}

export interface SpendCapState {
  entities: Record<Kind, Record<string, Spend>>;
  /** Usage events with no cost and no price: visible in the checkpoint, and in findings' evidence. */
  unpriced: number;
  /** Per-agent budgets of the user and key tables. */
  ledgers?: Record<string, AgentLedger>;
  /** Configured shared keys' findings of the day (bounded by the configuration). */
  shared?: Record<string, SharedDay>;
}

export function spendCap(options: SpendCapOptions): Detector<SpendCapState> {
  const name = "spend_cap";
  const budgets = new TableBudgets(name, options.budget);
  const sharedKeys = options.sharedKeys ?? new Map<string, readonly string[]>();
  return {
    name,
    eventTypes: ["llm_usage"],
    initialState: () => ({
      entities: { agent: newRecord(), user: newRecord(), key: newRecord(), workspace: newRecord() },
      unpriced: 0,
      ledgers: newRecord(),
      shared: newRecord(),
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
        // Agents and workspaces by their own id (no key string built per event); users and keys by
        // the sending agent and id: a key named by an event counts for the agent that sent it.
        state.entities[kind] ??= newRecord(); // absent in checkpoints from before workspaces
        const group = state.entities[kind];
        const perAgent = k === 1 || k === 2;
        const entityKey = perAgent ? userKey(event.agent_id, value) : value;
        let spend = group[entityKey];
        if (spend === undefined) {
          if (perAgent) {
            const at = { seen: received ?? time, time, eventId: event.id };
            if (!budgets.admit(state, kind, event.agent_id, at, findings, `${kind}s`)) continue;
          }
          spend = {
            day,
            usd: 0,
            hour: newSlidingCounter(12),
            forecast_day: 0,
            cap_day: 0,
            recent: [],
            last_seen: 0,
            agent_id: event.agent_id,
          };
          group[entityKey] = spend;
        }
        spend.last_seen = Math.max(spend.last_seen ?? 0, received ?? time);
        if (day > spend.day) {
          spend.day = day;
          spend.usd = 0;
        } else if (day < spend.day) {
          continue; // a late event of a finished day: that day was judged already
        }
        spend.usd += cost;
        addSliding(spend.hour, time, HOUR, Math.round(cost * 100));
        spend.recent.push(event.id);
        if (spend.recent.length > 10) spend.recent.shift();
        const sharers = k === 2 ? sharedKeys.get(value) : undefined;
        if (sharers?.includes(event.agent_id)) {
          const finding = judgeSharedKey(
            name,
            options,
            state,
            group,
            value,
            sharers,
            cap,
            spend,
            event.agent_id,
            time,
            event.id,
          );
          if (finding) findings.push(finding);
          continue;
        }
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
      // Users and keys also keep their agent's budget: a flood drops its own agent's oldest only.
      budgets.settleKinds(state, state.entities, ["user", "key"], now, DAY);
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
  const labels: Record<string, string> =
    kind === "key"
      ? { api_key_id: value }
      : kind === "user"
        ? { user_id: value }
        : kind === "workspace"
          ? { workspace_id: value }
          : {};
  return {
    detector,
    // The sending agent: users and keys are its own entries, so their findings are its own.
    agent_id: agentId,
    time: new Date(time).toISOString(),
    event_ids: [...spend.recent],
    labels,
  };
}

/**
 * A configured shared key: today's spend is the sum of its agents' own entries (read, never
 * written: each agent's entry moves only with its own events). The finding goes to `agentId`,
 * whose event this is (its traffic crossed the line), and names every agent that spent on it today.
 */
function judgeSharedKey(
  detector: string,
  options: SpendCapOptions,
  state: SpendCapState,
  keys: Record<string, Spend>,
  keyId: string,
  sharers: readonly string[],
  cap: number,
  own: Spend,
  agentId: string,
  time: number,
  eventId: string,
): Finding | undefined {
  const day = own.day;
  const byAgent: [string, number][] = [];
  let total = 0;
  for (const sharer of sharers) {
    const entry = keys[userKey(sharer, keyId)];
    if (entry === undefined || entry.day !== day || entry.usd <= 0) continue;
    byAgent.push([sharer, round(entry.usd)]);
    total += entry.usd;
  }
  byAgent.sort((a, b) => b[1] - a[1]);
  state.shared ??= newRecord();
  state.shared[keyId] ??= { forecast_day: 0, cap_day: 0 };
  const shared = state.shared[keyId];
  const labels = { api_key_id: keyId, agents: byAgent.map(([id]) => id).join(","), shared: "true" };
  const subject = `shared API key ${keyId} (${byAgent.map(([id]) => id).join(", ")})`;
  const base = {
    detector,
    agent_id: agentId,
    time: new Date(time).toISOString(),
    event_ids: [...own.recent],
    labels,
  };
  if (total >= cap) {
    if (shared.cap_day === day) return undefined;
    shared.cap_day = day;
    return {
      ...base,
      id: findingId(detector, `key:${keyId}|shared|cap`, eventId),
      key: `cap:key:${keyId}`,
      severity: "critical",
      score: 1,
      observed: { spent_usd_today: round(total), spent_usd_by_agent: Object.fromEntries(byAgent) },
      baseline: { cap_usd: cap },
      title: `Spend cap reached: ${subject}, crossed by ${agentId}`,
      summary: `${subject} spent $${round(total)} today (UTC), over its daily cap of $${cap}; ${agentId}'s usage crossed it`,
    };
  }
  if (!options.forecast || shared.forecast_day === day || total < cap / 4) return undefined;
  // The sender's own burn rate: the share of the projection its traffic is responsible for.
  const perHour = slidingTotal(own.hour) / 100;
  const projected = total + (perHour * (day + DAY - time)) / HOUR;
  if (projected < cap || perHour <= 0) return undefined;
  shared.forecast_day = day;
  return {
    ...base,
    id: findingId(detector, `key:${keyId}|shared|forecast`, eventId),
    key: `forecast:key:${keyId}`,
    severity: options.forecastSeverity,
    score: Math.min(1, total / cap),
    observed: {
      spent_usd_today: round(total),
      spent_usd_by_agent: Object.fromEntries(byAgent),
      usd_last_hour: round(perHour),
      projected_usd_today: round(projected),
    },
    baseline: { cap_usd: cap },
    title: `Spend forecast over the cap: ${subject}, driven by ${agentId}`,
    summary: `${subject} spent $${round(total)} today; at ${agentId}'s rate of $${round(perHour)} an hour it reaches its $${cap} cap before midnight UTC`,
  };
}

/**
 * The configured shared keys (key id → agents): `spend_cap.shared_keys`, and any key that
 * `providers[].keys` lists for more than one agent.
 */
export function sharedKeysOf(
  configured: readonly { id: string; agents: readonly string[] }[],
  providers: DetectorContext["providers"],
): Map<string, readonly string[]> {
  const agents = new Map<string, Set<string>>();
  for (const { id, agents: ids } of configured) for (const a of ids) addTo(agents, id, a);
  const listed = new Map<string, Set<string>>();
  for (const provider of providers) for (const { id, agent } of provider.keys) addTo(listed, id, agent);
  for (const [id, ids] of listed) if (ids.size > 1) for (const a of ids) addTo(agents, id, a);
  return new Map([...agents].map(([id, ids]) => [id, [...ids]]));
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set();
  set.add(value);
  map.set(key, set);
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
    /**
     * API keys several agents really share: their spend is summed for the key cap, and its
     * finding goes to the agent whose usage crossed it, naming every agent that spent on it. A
     * key not listed here (nor for several agents in `providers[].keys`) counts per agent.
     */
    shared_keys: z
      .array(
        z.strictObject({
          id: z.string().min(1).max(256),
          agents: z.array(z.string().min(1).max(128)).min(2).max(64),
        }),
      )
      .max(1000)
      .default([]),
    /** `provider/model` → USD per million tokens; merged over the built-in table. */
    prices: z.record(z.string().regex(/^[^/]+\/.+$/, "keys are provider/model"), priceSchema).default({}),
  }),
  create: (s, { agents, providers, all }) => {
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
        sharedKeys: sharedKeysOf(s.shared_keys, providers),
        budget: budgetFrom(all),
      }) as Detector,
    ];
  },
});
