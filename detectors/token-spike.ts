/**
 * token_spike: tokens per minute (input + output of `llm_usage` events) per agent, per user and
 * per `api_key_id`, against what is normal for that entity. Users and keys are per agent: one
 * agent's events can never raise a spike (or an auto-pause) on another agent, and a flood of
 * them evicts only its own agent's (entity-budget.ts). A key configured as shared by several
 * agents (`spend_cap.shared_keys`, or listed for several agents in `providers[].keys`) is also
 * watched over those agents (`fleet_key`): only their events move it, and its finding goes to the
 * agent whose event made the spike, naming every agent involved (issue 30). A stolen key, a runaway loop or a
 * prompt-stuffing user shows as a minute far above the entity's usual active minute.
 *
 * The baseline of a user or key is the median and MAD of its last 32 active minutes (robust: one
 * earlier burst does not raise the bar). An agent also has an hour-of-week profile, so 3 a.m. is
 * judged against 3 a.m. rather than against office hours. The running minute is checked as it
 * grows, so a spike is reported within the minute, not after it; each entity alerts at most once
 * per minute. Nothing alerts before `warmup_minutes` active minutes were seen.
 *
 * token_drift (issue 26): the short window follows a level raised slowly (tokens ramped from 1x to
 * 10x over 12 hours raised no spike), so agents, users and keys also keep a long-horizon reference
 * of their hourly tokens, per hour of the day, learned over days at a bounded rate (drift.ts); a
 * level that stays far above it is a `token_drift` finding. Fleet views have none (their agents'
 * own references see it).
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import {
  addShare,
  addTumbling,
  countEntities,
  type Ewma,
  newRobustWindow,
  newSeasonalProfile,
  pushRobust,
  type RobustWindow,
  robustMedian,
  robustSpread,
  type SeasonalProfile,
  seasonalSlot,
  type TumblingCounter,
  updateEwma,
} from "./baselines.ts";
import {
  type DriftConfig,
  type DriftSettings,
  type DriftTrack,
  driftConfig,
  driftDefinition,
  driftSettings,
  driftStep,
  newDriftTrack,
} from "./drift.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { userKey } from "./entity-key.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { sharedKeysOf } from "./spend-cap.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface TokenSpikeOptions {
  /**
   * `usage.provider` values whose keys' usage agentwatch reads from the provider itself (config
   * `providers`): keys (per agent and across the fleet) are then baselined on the provider's
   * records, agents and users on the agents' reports (never the same tokens twice).
   */
  providerTypes?: ReadonlySet<string>;
  /** Minutes below this many tokens never alert, whatever the baseline (noise on tiny entities). */
  minTokensPerMinute: number;
  /** Robust z-score (MADs above the median) a minute must pass. */
  robustZ: number;
  /** And at least this multiple of the expected minute. */
  minRatio: number;
  warmupMinutes: number;
  /** Entities unseen this long are forgotten. */
  entityTtlMs: number;
  severity: Severity;
  /** Key id → the agents configured to share it: their usage is also judged together (fleet_key). */
  sharedKeys?: ReadonlyMap<string, readonly string[]>;
  /** Users and keys kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
  /** Raise token_spike findings (false: only token_drift is judged). Default true. */
  spikes?: boolean;
  /** token_drift: the long-horizon reference and how drift is judged; absent: none kept. */
  drift?: DriftConfig | undefined;
}

const MINUTE = 60_000;
const WINDOW = 32;
/** Seasonal slots need this many observations before they are trusted over the overall median. */
const SEASONAL_MIN_N = 3;
const SEASONAL_ALPHA = 0.2;

type Kind = "agent" | "user" | "key" | "fleet_key";
const KINDS: readonly Kind[] = ["agent", "user", "key", "fleet_key"];
/** Agents whose share of a fleet key's running minute is tracked (the largest are what matter). */
const MAX_FLEET_AGENTS = 16;

interface Entity {
  kind: Kind;
  agent_id: string;
  value: string;
  minute: TumblingCounter;
  /** Last event ids of the running minute (evidence). */
  recent: string[];
  history: RobustWindow;
  /** Median and robust spread of `history`, updated when a minute is learned. */
  median: number;
  spread: number;
  /** Active minutes seen (capped), for warm-up. */
  minutes: number;
  alerted_minute: number;
  last_seen: number;
  /** Agents only. */
  seasonal?: SeasonalProfile;
  /** Fleet keys only: tokens per agent in the running minute. */
  agents?: Record<string, number>;
  /** token_drift's long-horizon reference (agents, users, keys; absent in checkpoints before version 3). */
  drift?: DriftTrack;
}

export interface TokenSpikeState {
  entities: Record<Kind, Record<string, Entity>>;
  /** Per-agent budgets of the user and key tables. */
  ledgers?: Record<string, AgentLedger>;
}

export function tokenSpike(options: TokenSpikeOptions): Detector<TokenSpikeState> {
  const name = "token_spike";
  const budgets = new TableBudgets(name, options.budget);
  const sharedKeys = options.sharedKeys ?? new Map<string, readonly string[]>();
  const spikes = options.spikes ?? true;
  const drift = options.drift;
  return {
    name,
    eventTypes: ["llm_usage"],
    initialState: () => ({
      entities: { agent: newRecord(), user: newRecord(), key: newRecord(), fleet_key: newRecord() },
      ledgers: newRecord(),
    }),

    update(state, observed) {
      const { event, time, received } = observed;
      if (event.type !== "llm_usage" || !event.usage) return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const tokens = event.usage.input_tokens + event.usage.output_tokens;
      // A provider's cost record carries no tokens: nothing to baseline.
      if (tokens === 0 && observed.source === "provider") return [];
      const findings: Finding[] = [];
      // Which source counts (one per entity): a provider's records for keys when one is read,
      // the agents' reports for agents and users.
      const fromProvider = observed.source === "provider";
      const keyFromProvider = options.providerTypes?.has(event.usage.provider) ?? false;
      for (let k = 0; k < 4; k += 1) {
        if (fromProvider ? k < 2 : k >= 2 && keyFromProvider) continue;
        const kind = KINDS[k] as Kind;
        const value: string | undefined =
          k === 0 ? event.agent_id : k === 1 ? event.user_id : event.usage.api_key_id;
        if (value === undefined) continue;
        // A fleet view only for a key configured as shared, and only the sharing agents' events.
        if (k === 3 && !sharedKeys.get(value)?.includes(event.agent_id)) continue;
        // Agents and fleet keys are looked up by their own id (no key string built per event);
        // users and keys by agent and id.
        state.entities[kind] ??= newRecord(); // absent in checkpoints from before fleet keys
        const group = state.entities[kind];
        // Users and keys are per agent; the same `agent|id` string serves both lookups of an event.
        const key = k === 1 || k === 2 ? userKey(event.agent_id, value) : value;
        let entity = group[key];
        if (entity === undefined) {
          if (k === 1 || k === 2) {
            // A new user or key counts against its own agent's budget only.
            const at = { seen, time, eventId: event.id };
            if (!budgets.admit(state, kind, event.agent_id, at, findings, `${kind}s`)) continue;
          }
          entity = newEntity(kind, event.agent_id, value, drift !== undefined && k < 3);
          group[key] = entity;
        }
        entity.last_seen = seen;
        if (drift && k < 3) {
          // Created with the entity (one shape for all); absent in checkpoints before version 3.
          driftStep(entity, drift, { time, seen, value: tokens }, findings, () => ({
            detector: "token_drift",
            agentId: entity.agent_id,
            key: `${kind}:${value}`,
            name: describe(entity),
            metric: "tokens",
            unit: "tokens",
            labels: kind === "agent" ? {} : { [kind === "key" ? "api_key_id" : "user_id"]: value },
            eventIds: [...entity.recent, event.id].slice(-5),
            eventId: event.id,
          }));
        }
        const closed = addTumbling(entity.minute, time, MINUTE, tokens);
        if (closed) {
          learn(entity, closed.count, closed.start);
          entity.recent = [];
          if (entity.agents) entity.agents = newRecord();
        }
        if (entity.agents && time >= entity.minute.window_start)
          addShare(entity.agents, event.agent_id, tokens, MAX_FLEET_AGENTS);
        if (time < entity.minute.window_start) continue; // a late event of a closed minute: learned, not judged
        entity.recent.push(event.id);
        if (entity.recent.length > 5) entity.recent.shift();
        if (!spikes) continue;
        const finding = judge(name, options, entity, event.id, event.agent_id, time);
        if (finding) findings.push(finding);
      }
      return findings;
    },

    size: (state) => KINDS.reduce((n, kind) => n + countEntities(state.entities[kind] ?? {}), 0),

    tick(state, now) {
      budgets.settleKinds(state, state.entities, ["user", "key"], now, options.entityTtlMs);
      return [];
    },
  };
}

function newEntity(kind: Kind, agentId: string, value: string, drift: boolean): Entity {
  return {
    kind,
    agent_id: agentId,
    value,
    minute: { window_start: 0, count: 0 },
    recent: [],
    history: newRobustWindow(),
    median: 0,
    spread: 0,
    minutes: 0,
    alerted_minute: 0,
    last_seen: 0,
    ...(kind === "agent" ? { seasonal: newSeasonalProfile() } : {}),
    ...(kind === "fleet_key" ? { agents: newRecord<number>() } : {}),
    ...(drift ? { drift: newDriftTrack() } : {}),
  };
}

function learn(entity: Entity, count: number, start: number): void {
  pushRobust(entity.history, count, WINDOW);
  // The history changes only here: its median and spread are kept rather than re-sorted per event.
  entity.median = robustMedian(entity.history) ?? 0;
  entity.spread = robustSpread(entity.history) ?? 0;
  entity.minutes = Math.min(entity.minutes + 1, 1_000_000);
  if (entity.seasonal) updateEwma(seasonalSlot(entity.seasonal, start), count, SEASONAL_ALPHA);
}

/** The expected minute: the seasonal slot for agents once it has data, else the recent median. */
function expected(entity: Entity, time: number): number {
  const overall = entity.median;
  if (!entity.seasonal) return overall;
  const slot: Ewma = seasonalSlot(entity.seasonal, time);
  return slot.n >= SEASONAL_MIN_N ? slot.mean : overall;
}

function judge(
  detector: string,
  options: TokenSpikeOptions,
  entity: Entity,
  eventId: string,
  sender: string,
  time: number,
): Finding | undefined {
  const observed = entity.minute.count;
  if (entity.minutes < options.warmupMinutes) return undefined;
  if (observed < options.minTokensPerMinute) return undefined;
  if (entity.alerted_minute === entity.minute.window_start) return undefined;
  // A key one agent uses alone is judged as that agent's key (kind `key`): no second finding.
  if (entity.agents && Object.keys(entity.agents).length < 2) return undefined;
  const typical = expected(entity, time);
  // The level comes from the seasonal slot (agents) or the median; the spread from recent minutes,
  // floored at half the level: minute counts are bursty (two or three conversations landing in one
  // minute is ordinary), so only a large multiple of the usual minute is a spike.
  const spread = Math.max(entity.spread, typical * 0.5, 1);
  const z = (observed - typical) / spread;
  const ratio = observed / Math.max(1, typical);
  if (z < options.robustZ || ratio < options.minRatio) return undefined;
  entity.alerted_minute = entity.minute.window_start;
  const subject = describe(entity);
  // A shared key's finding goes to the agent whose event made the spike (never to whichever used
  // the most: that would let one agent's traffic page another), and names every agent involved.
  const shares = entity.agents ? Object.entries(entity.agents).sort((a, b) => b[1] - a[1]) : [];
  const agentId = entity.kind === "fleet_key" ? sender : entity.agent_id;
  const labels: Record<string, string> = {
    [entity.kind === "key" || entity.kind === "fleet_key" ? "api_key_id" : `${entity.kind}_id`]: entity.value,
  };
  if (shares.length > 0) labels.agents = shares.map(([id]) => id).join(",");
  return {
    id: findingId(detector, `${entity.agent_id}|${entity.kind}:${entity.value}`, eventId),
    detector,
    agent_id: agentId,
    key: `${entity.kind}:${entity.value}`,
    time: new Date(time).toISOString(),
    severity: ratio >= 10 * options.minRatio ? "critical" : options.severity,
    score: Math.min(1, ratio / (options.minRatio * 4)),
    observed: {
      tokens_per_minute: observed,
      ...(shares.length > 0 ? { tokens_by_agent: Object.fromEntries(shares) } : {}),
    },
    baseline: { expected_tokens_per_minute: Math.round(typical), ratio: Math.round(ratio * 10) / 10 },
    event_ids: [...entity.recent],
    title: `Token spike: ${subject}`,
    summary: `${subject} used ${observed} tokens this minute, ${ratio.toFixed(1)}x its usual ${Math.round(typical)}`,
    labels,
  };
}

function describe(entity: Entity): string {
  switch (entity.kind) {
    case "agent":
      return `agent ${entity.value}`;
    case "user":
      return `user ${entity.value} on ${entity.agent_id}`;
    case "key":
      return `API key ${entity.value} on ${entity.agent_id}`;
    case "fleet_key": {
      const agents = Object.keys(entity.agents ?? {});
      return `API key ${entity.value} across ${agents.length} agent${agents.length === 1 ? "" : "s"} (${agents.join(", ")})`;
    }
  }
}

/** `detectors.token_spike`. */
export const tokenSpikeDefinition = defineDetector("token_spike", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Minutes under this many tokens never alert (noise of small entities). */
    min_tokens_per_minute: z.number().int().min(1).default(10_000),
    /** MADs above the expected minute a minute must be... */
    robust_z: z.number().positive().default(6),
    /** ...and at least this multiple of it. */
    min_ratio: z.number().min(1).default(10),
    /** Active minutes an entity needs before it may alert. */
    warmup_minutes: z.number().int().min(1).default(30),
    /** Entities (agents, users, keys) unseen this long are forgotten. */
    entity_ttl: duration.prefault("7d"),
    severity: severity.default("warning"),
  }),
  create: (s, { providers, all }) => {
    const drift = all.token_drift as DriftSettings | undefined;
    if (!s.enabled && !drift?.enabled) return [];
    return [
      tokenSpike({
        providerTypes: new Set(providers.map((p) => p.type)),
        minTokensPerMinute: s.min_tokens_per_minute,
        robustZ: s.robust_z,
        minRatio: s.min_ratio,
        warmupMinutes: s.warmup_minutes,
        entityTtlMs: s.entity_ttl,
        severity: s.severity,
        sharedKeys: sharedKeysOf(
          (all.spend_cap as { shared_keys?: { id: string; agents: string[] }[] } | undefined)?.shared_keys ??
            [],
          providers,
        ),
        budget: budgetFrom(all),
        spikes: s.enabled,
        drift: driftConfig(drift, "sum"),
      }) as Detector,
    ];
  },
});

/**
 * `detectors.token_drift`: its settings feed token_spike, which keeps the references (agents,
 * users and keys) and raises the finding. Tokens per hour; the defaults were chosen on the
 * simulated clean fortnight (no finding there) and the slow ramps of bench/drift.ts.
 */
export const tokenDriftDefinition = driftDefinition(
  "token_drift",
  driftSettings({ ratio: 3, evidence: 2, min_level: 20_000, floor_share: 0.25 }),
);
