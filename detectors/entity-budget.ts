/**
 * Per-agent entity budgets (issue 30): what keeps one agent's flood of distinct users, keys,
 * principals or IPs from moving another agent's state.
 *
 * A detector's entity table stays one record (keys start with the agent: `agent|...`, and each
 * entity names its agent), but it is budgeted by agent through an `AgentLedger` kept beside it:
 * - an agent holds at most `perAgent` entities in a table: past it, a new entity of that agent
 *   is refused until the next tick, which drops that agent's own least recently seen (down to
 *   `TRIM_TO` of its budget), never another agent's;
 * - the table holds about `total` entities: once it is full, an agent already holding its share
 *   (`total` / agents in the table) gets no new entity; agents under their share still do, so a
 *   quiet agent is never crowded out, and nothing is evicted to make room;
 * - a burst of new entities for one agent (`flood.threshold` within `flood.windowMs`, refused
 *   ones included) raises an `entity_flood` finding on that agent, naming the detector, the table
 *   and the count, at most once per agent and table per `flood.cooldownMs`.
 *
 * Everything here is plain JSON in the detector's state, driven by the arrival time the detector
 * was given (no clock): detectors stay pure, and the ledger is checkpointed with the table.
 */

import { z } from "zod";
import { duration, type Severity, severity } from "../lib/settings.ts";
import { evictIdle } from "./baselines.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { defineDetector, type Finding } from "./types.ts";

export const ENTITY_FLOOD = "entity_flood";

export interface EntityBudget {
  /** Entities one agent may hold in one table. */
  perAgent: number;
  /** Entities one table holds before agents over their share are refused. */
  total: number;
  flood: {
    enabled: boolean;
    /** New entities of one agent in one table within `windowMs` that make a flood. */
    threshold: number;
    windowMs: number;
    /** At most one finding per agent and table this often. */
    cooldownMs: number;
    severity: Severity;
  };
}

/** The shipped defaults (`detectors.entity_flood`), for detectors built without settings (tests). */
export const DEFAULT_ENTITY_BUDGET: EntityBudget = {
  perAgent: 10_000,
  total: 50_000,
  flood: {
    enabled: true,
    threshold: 1000,
    windowMs: 10 * 60_000,
    cooldownMs: 3_600_000,
    severity: "warning",
  },
};

/** A full agent's table is trimmed to this share of its budget: room for the next tick's new entities. */
const TRIM_TO = 0.8;

interface FloodCounter {
  /** Start of the running window (arrival time). */
  window_start: number;
  /** New entities (admitted or refused) in it. */
  count: number;
  /** Refused ones among them. */
  refused: number;
  /** When the last finding was raised (0: never). */
  alerted_at: number;
}

export interface AgentLedger {
  /** Entities per agent: recounted each tick, counted up as entities are admitted between ticks. */
  counts: Record<string, number>;
  /** Agents in `counts`. */
  agents: number;
  /** Entities in the table. */
  total: number;
  floods: Record<string, FloodCounter>;
}

export function newLedger(): AgentLedger {
  return { counts: newRecord(), agents: 0, total: 0, floods: newRecord() };
}

/** Where a table is, for the flood finding. */
export interface TableName {
  detector: string;
  table: string;
}

/**
 * Whether `agentId` may add one entity to the table; counts the attempt (an `entity_flood`
 * finding is pushed onto `findings` when it makes a flood). Called only for entities the table
 * does not hold yet, so it costs nothing on the usual path.
 */
export function admitEntity(
  ledger: AgentLedger,
  budget: EntityBudget,
  where: TableName,
  agentId: string,
  at: { seen: number; time: number; eventId: string },
  findings: Finding[],
): boolean {
  const held = ledger.counts[agentId] ?? 0;
  const fair = ledger.agents === 0 ? budget.total : budget.total / (ledger.agents + (held === 0 ? 1 : 0));
  const admitted = held < budget.perAgent && (ledger.total < budget.total || held < fair);
  if (admitted) {
    if (held === 0) ledger.agents += 1;
    ledger.counts[agentId] = held + 1;
    ledger.total += 1;
  }
  if (budget.flood.enabled) countNew(ledger, budget, where, agentId, at, admitted, findings);
  return admitted;
}

function countNew(
  ledger: AgentLedger,
  budget: EntityBudget,
  where: TableName,
  agentId: string,
  at: { seen: number; time: number; eventId: string },
  admitted: boolean,
  findings: Finding[],
): void {
  const { flood } = budget;
  let counter = ledger.floods[agentId];
  if (counter === undefined || at.seen - counter.window_start >= flood.windowMs) {
    counter = { window_start: at.seen, count: 0, refused: 0, alerted_at: counter?.alerted_at ?? 0 };
    ledger.floods[agentId] = counter;
  }
  counter.count += 1;
  if (!admitted) counter.refused += 1;
  if (counter.count < flood.threshold) return;
  if (counter.alerted_at !== 0 && at.seen - counter.alerted_at < flood.cooldownMs) return;
  counter.alerted_at = at.seen;
  findings.push(floodFinding(ledger, budget, where, agentId, counter, at));
}

function floodFinding(
  ledger: AgentLedger,
  budget: EntityBudget,
  where: TableName,
  agentId: string,
  counter: FloodCounter,
  at: { time: number; eventId: string },
): Finding {
  const minutes = Math.round(budget.flood.windowMs / 60_000);
  const held = ledger.counts[agentId] ?? 0;
  return {
    id: findingId(ENTITY_FLOOD, `${agentId}|${where.detector}:${where.table}`, at.eventId),
    detector: ENTITY_FLOOD,
    agent_id: agentId,
    key: `${where.detector}:${where.table}`,
    time: new Date(at.time).toISOString(),
    severity: budget.flood.severity,
    score: Math.min(1, counter.count / (2 * budget.flood.threshold)),
    observed: {
      new_entities: counter.count,
      refused: counter.refused,
      entities: held,
      window_seconds: budget.flood.windowMs / 1000,
    },
    baseline: { threshold: budget.flood.threshold, max_entities_per_agent: budget.perAgent },
    event_ids: [at.eventId],
    title: `Flood of new ${where.table} entities on ${agentId} (${where.detector})`,
    summary:
      `${agentId} brought ${counter.count} new ${where.table} entities to ${where.detector} within ` +
      `${minutes} min (threshold ${budget.flood.threshold}); it holds ${held} of its ${budget.perAgent}. ` +
      "Its own least recently seen give way; other agents' state is untouched.",
    labels: { source_detector: where.detector, table: where.table },
  };
}

/**
 * The tick's upkeep of a budgeted table: drops entities idle for `ttlMs` (by arrival time), then
 * each full agent's least recently seen down to `TRIM_TO` of its budget, recounts the ledger and
 * forgets finished flood windows. One pass to count, one more only when an agent is full.
 * Returns how many entities were dropped.
 */
export function settleTable<T>(
  entities: Record<string, T>,
  ledger: AgentLedger,
  budget: EntityBudget,
  now: number,
  ttlMs: number,
  agentOf: (entity: T, key: string) => string,
  seenOf: (entity: T) => number,
): number {
  const counts = newRecord<number>();
  let dropped = 0;
  let total = 0;
  let agents = 0;
  for (const key in entities) {
    const entity = entities[key] as T;
    if ((seenOf(entity) ?? 0) < now - ttlMs) {
      delete entities[key];
      dropped += 1;
      continue;
    }
    const agent = agentOf(entity, key);
    const held = counts[agent];
    if (held === undefined) agents += 1;
    counts[agent] = (held ?? 0) + 1;
    total += 1;
  }
  const keep = Math.floor(budget.perAgent * TRIM_TO);
  const full = new Map<string, number[]>();
  for (const agent in counts) if ((counts[agent] as number) >= budget.perAgent) full.set(agent, []);
  if (full.size > 0) {
    for (const key in entities) {
      const entity = entities[key] as T;
      full.get(agentOf(entity, key))?.push(seenOf(entity));
    }
    // Per full agent: the arrival time at or below which its oldest go (ties: the first met).
    const cutoffs = new Map<string, { cutoff: number; left: number }>();
    for (const [agent, times] of full) {
      times.sort((a, b) => a - b);
      const excess = times.length - keep;
      cutoffs.set(agent, { cutoff: times[excess - 1] as number, left: excess });
    }
    for (const key in entities) {
      const entity = entities[key] as T;
      const agent = agentOf(entity, key);
      const trim = cutoffs.get(agent);
      if (trim === undefined || trim.left === 0 || seenOf(entity) > trim.cutoff) continue;
      delete entities[key];
      trim.left -= 1;
      dropped += 1;
      total -= 1;
      counts[agent] = (counts[agent] as number) - 1;
    }
  }
  ledger.counts = counts;
  ledger.agents = agents;
  ledger.total = total;
  for (const agent in ledger.floods) {
    const counter = ledger.floods[agent] as FloodCounter;
    const windowOver = now - counter.window_start >= budget.flood.windowMs;
    const quiet = counter.alerted_at === 0 || now - counter.alerted_at >= budget.flood.cooldownMs;
    if (windowOver && quiet) delete ledger.floods[agent];
  }
  return dropped;
}

/**
 * The tick of a detector whose entities are grouped by kind (`agent`, `user`, `key`, ...): the
 * budgeted kinds (users, keys: values any event names) settle against their ledger, the others
 * (one entry per agent or workspace) are only dropped when idle for `ttlMs`.
 */
export function settleKinds<T extends { agent_id: string; last_seen?: number }>(
  groups: Partial<Record<string, Record<string, T>>>,
  ledgers: Record<string, AgentLedger>,
  budgeted: readonly string[],
  budget: EntityBudget,
  now: number,
  ttlMs: number,
): void {
  for (const kind in groups) {
    const group = groups[kind];
    if (group === undefined) continue;
    if (budgeted.includes(kind)) {
      settleTable(
        group,
        ledgerOf(ledgers, kind),
        budget,
        now,
        ttlMs,
        (e) => e.agent_id,
        (e) => e.last_seen ?? 0,
      );
    } else {
      evictIdle(group as Record<string, T & { last_seen: number }>, now, ttlMs);
    }
  }
}

/** A detector's state that keeps the ledgers of its budgeted tables (absent in checkpoints from before budgets). */
export interface BudgetedState {
  ledgers?: Record<string, AgentLedger>;
}

/**
 * One detector's budgeted tables, each by the name of its ledger in the state: `admit` a new
 * entity of an agent (counting a flood), `settle` a table at the tick. It holds the budget and
 * the detector's name the flood finding gives, so a detector says only which table and whose.
 */
export class TableBudgets {
  readonly detector: string;
  readonly budget: EntityBudget;

  constructor(detector: string, budget: EntityBudget = DEFAULT_ENTITY_BUDGET) {
    this.detector = detector;
    this.budget = budget;
  }

  /**
   * Whether `agentId` may add one entity to the table whose ledger is `ledger` (admitEntity);
   * the flood finding names the table `shownAs` (users, keys, ...), the ledger's name by default.
   */
  admit(
    state: BudgetedState,
    ledger: string,
    agentId: string,
    at: { seen: number; time: number; eventId: string },
    findings: Finding[],
    shownAs = ledger,
  ): boolean {
    state.ledgers ??= newRecord();
    const where = { detector: this.detector, table: shownAs };
    return admitEntity(ledgerOf(state.ledgers, ledger), this.budget, where, agentId, at, findings);
  }

  /** The tick's upkeep of one table (settleTable); entities' agents from their `agent|...` keys by default. */
  settle<T>(
    state: BudgetedState,
    ledger: string,
    entities: Record<string, T>,
    now: number,
    ttlMs: number,
    seenOf: (entity: T) => number,
    agentOf: (entity: T, key: string) => string = (_, key) => agentOfKey(key),
  ): number {
    state.ledgers ??= newRecord();
    return settleTable(entities, ledgerOf(state.ledgers, ledger), this.budget, now, ttlMs, agentOf, seenOf);
  }

  /** The tick of entities grouped by kind (settleKinds). */
  settleKinds<T extends { agent_id: string; last_seen?: number }>(
    state: BudgetedState,
    groups: Partial<Record<string, Record<string, T>>>,
    budgeted: readonly string[],
    now: number,
    ttlMs: number,
  ): void {
    state.ledgers ??= newRecord();
    settleKinds(groups, state.ledgers, budgeted, this.budget, now, ttlMs);
  }
}

/** The agent of a table key built as `agent|...` (agent ids never contain `|`). */
export function agentOfKey(key: string): string {
  const bar = key.indexOf("|");
  return bar < 0 ? key : key.slice(0, bar);
}

/** The ledger of a table, created when a checkpoint from before budgets has none (the tick recounts it). */
export function ledgerOf(ledgers: Record<string, AgentLedger>, table: string): AgentLedger {
  ledgers[table] ??= newLedger();
  return ledgers[table];
}

/**
 * `detectors.entity_flood`: the budgets every detector's entity tables keep, and the finding a
 * flood raises. It runs no detector of its own: each budgeted detector reads these settings
 * (`budgetFrom`) and raises `entity_flood` findings itself, for its own tables. The budgets hold
 * whether or not the finding is enabled.
 */
export const entityFloodDefinition = defineDetector("entity_flood", {
  settings: z.strictObject({
    /** Raise `entity_flood` findings (the budgets below apply either way). */
    enabled: z.boolean().default(true),
    /** New entities (users, keys, principals, IPs, ...) of one agent in one table within `window` that make a flood. */
    threshold: z.number().int().min(1).default(DEFAULT_ENTITY_BUDGET.flood.threshold),
    window: duration.prefault("10m"),
    /** At most one finding per agent and table this often. */
    cooldown: duration.prefault("1h"),
    severity: severity.default(DEFAULT_ENTITY_BUDGET.flood.severity),
    /** Entities one agent may hold in one detector's table; past it its own least recently seen give way. */
    max_entities_per_agent: z.number().int().min(10).default(DEFAULT_ENTITY_BUDGET.perAgent),
    /** Entities one table holds before agents over their share (this / agents in the table) get no new one. */
    max_entities: z.number().int().min(10).default(DEFAULT_ENTITY_BUDGET.total),
  }),
  create: () => [],
});

/** The budget the detectors' tables keep, from every detector's settings (DetectorContext.all). */
export function budgetFrom(all: Readonly<Record<string, unknown>>): EntityBudget {
  const s = all.entity_flood as z.output<typeof entityFloodDefinition.settings> | undefined;
  if (s === undefined) return DEFAULT_ENTITY_BUDGET;
  return {
    perAgent: s.max_entities_per_agent,
    total: Math.max(s.max_entities, s.max_entities_per_agent),
    flood: {
      enabled: s.enabled,
      threshold: s.threshold,
      windowMs: s.window,
      cooldownMs: s.cooldown,
      severity: s.severity,
    },
  };
}
