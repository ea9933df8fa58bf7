/**
 * auth_bruteforce: N failed `auth` events for one principal, or from one source IP, of one
 * agent within a sliding window (by event time). Raises one finding when the count reaches the
 * threshold, then at most one per window while the attack goes on, so an incident is updated
 * rather than flooded.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import { countEntities } from "./baselines.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface AuthBruteforceOptions {
  threshold: number;
  windowMs: number;
  severity: Severity;
  /** Principals and IPs kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
}

interface Entity {
  agent_id: string;
  /** `principal` or `ip`. */
  kind: "principal" | "ip";
  value: string;
  /** Failures within the window, oldest first: [event time, event id]. */
  failures: [number, string][];
  last_alert: number | null;
  /** Arrival time of the newest failure (agentwatch's clock): idle entities are evicted by it. */
  last_seen: number;
}

export interface AuthBruteforceState {
  entities: Record<string, Entity>;
  /** The per-agent budget of `entities` (absent in checkpoints from before budgets). */
  ledgers?: Record<string, AgentLedger>;
}

/** The table's name in `entity_flood` findings. */
const TABLE = "principals_and_ips";

/** Evidence ids kept in a finding. */
const MAX_EVIDENCE = 20;

export function authBruteforce(options: AuthBruteforceOptions): Detector<AuthBruteforceState> {
  const name = "auth_bruteforce";
  // Failures kept per entity: enough to show the count well past the threshold, bounded.
  const maxKept = Math.max(options.threshold * 2, 200);
  const budgets = new TableBudgets(name, options.budget);

  return {
    name,
    eventTypes: ["auth"],
    initialState: () => ({ entities: newRecord(), ledgers: newRecord() }),

    update(state, { event, time, received }) {
      if (event.type !== "auth" || event.auth?.outcome !== "failure") return [];
      const seen = received ?? time;
      const findings: Finding[] = [];
      const targets: [Entity["kind"], string | undefined][] = [
        ["principal", event.auth.principal],
        ["ip", event.source_ip],
      ];
      for (const [kind, value] of targets) {
        if (value === undefined) continue;
        const key = `${event.agent_id}|${kind}:${value}`;
        if (state.entities[key] === undefined) {
          // A new principal or IP counts against its own agent's budget only (issue 30).
          const at = { seen, time, eventId: event.id };
          if (!budgets.admit(state, TABLE, event.agent_id, at, findings)) continue;
        }
        state.entities[key] ??= {
          agent_id: event.agent_id,
          kind,
          value,
          failures: [],
          last_alert: null,
          last_seen: seen,
        };
        const entity = state.entities[key];
        entity.last_seen = Math.max(entity.last_seen ?? 0, seen);
        insertByTime(entity.failures, [time, event.id]);
        const windowStart = time - options.windowMs;
        while (entity.failures.length > 0 && (entity.failures[0] as [number, string])[0] <= windowStart) {
          entity.failures.shift();
        }
        if (entity.failures.length > maxKept) entity.failures.splice(0, entity.failures.length - maxKept);
        const count = entity.failures.length;
        const quiet = entity.last_alert === null || time - entity.last_alert >= options.windowMs;
        if (count >= options.threshold && quiet) {
          entity.last_alert = time;
          findings.push(toFinding(name, options, entity, event.id, time, count));
        }
      }
      return findings;
    },

    size: (state) => countEntities(state.entities),

    tick(state, now) {
      // An entity quiet for a window has nothing left in it (by arrival time: an event dated
      // ahead cannot keep it, nor make others look idle).
      budgets.settle(
        state,
        TABLE,
        state.entities,
        now,
        options.windowMs,
        (e) => e.last_seen ?? 0,
        (e) => e.agent_id,
      );
      return [];
    },
  };
}

function insertByTime(list: [number, string][], item: [number, string]): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as [number, string])[0] > item[0]) i -= 1;
  list.splice(i, 0, item);
}

function toFinding(
  detector: string,
  options: AuthBruteforceOptions,
  entity: Entity,
  eventId: string,
  time: number,
  count: number,
): Finding {
  const windowText = describeWindow(options.windowMs);
  const subject = entity.kind === "principal" ? `principal "${entity.value}"` : `source IP ${entity.value}`;
  const title =
    entity.kind === "principal"
      ? `Brute force against principal "${entity.value}" on ${entity.agent_id}`
      : `Brute force from ${entity.value} on ${entity.agent_id}`;
  return {
    id: findingId(detector, `${entity.agent_id}|${entity.kind}:${entity.value}`, eventId),
    detector,
    agent_id: entity.agent_id,
    key: `${entity.kind}:${entity.value}`,
    time: new Date(time).toISOString(),
    severity: options.severity,
    score: Math.min(1, count / (2 * options.threshold)),
    observed: { failures: count, window_seconds: options.windowMs / 1000 },
    baseline: { threshold: options.threshold },
    event_ids: entity.failures.slice(-MAX_EVIDENCE).map(([, id]) => id),
    title,
    summary: `${count} failed authentications for ${subject} within ${windowText} (threshold ${options.threshold})`,
    labels: entity.kind === "principal" ? { principal: entity.value } : { source_ip: entity.value },
  };
}

function describeWindow(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** `detectors.auth_bruteforce`. */
export const authBruteforceDefinition = defineDetector("auth_bruteforce", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Failures for one principal (or from one source IP) of one agent within `window` that raise a finding. */
    threshold: z.number().int().min(2).default(10),
    window: duration.prefault("5m"),
    severity: severity.default("critical"),
  }),
  create: (s, { all }) =>
    s.enabled
      ? [
          authBruteforce({
            threshold: s.threshold,
            windowMs: s.window,
            severity: s.severity,
            budget: budgetFrom(all),
          }) as Detector,
        ]
      : [],
});
