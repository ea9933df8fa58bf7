/**
 * auth_failure_rate: the authentication patterns beside plain brute force, per agent.
 * - spraying: one source IP fails for `distinct_threshold` or more principals within the window
 *   (one password tried against many accounts);
 * - distributed: one principal fails from `distinct_threshold` or more source IPs within the window
 *   (a botnet sharing the guessing);
 * - success after failures: a success for a principal (or from a source IP) that failed
 *   `success_after` or more times within the window: the guess may have worked (critical);
 * - rate: the agent's failures per 5-minute window far above its own baseline (median/MAD of
 *   recent windows), for attacks spread too thin for the rules above.
 * Each pattern alerts at most once per window per entity.
 *
 * auth_failure_drift (issue 26): beside the rate's recent windows, each agent keeps a long-horizon
 * reference of its failures per hour, per hour of the day (drift.ts); failures that stay far above
 * it for hours (guessing slowed down to pass under the rate's median) are an `auth_failure_drift`
 * finding.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import {
  type CountSpike,
  type CountSpikeOptions,
  countEntities,
  evictIdle,
  newCountSpike,
  observeCount,
} from "./baselines.ts";
import {
  type DriftConfig,
  type DriftSettings,
  type DriftTrack,
  driftConfig,
  driftDefinition,
  driftSettings,
  driftStep,
} from "./drift.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type AgentEvent, type Detector, defineDetector, type Finding } from "./types.ts";

export interface AuthFailureRateOptions {
  windowMs: number;
  distinctThreshold: number;
  successAfter: number;
  /** Rate: failures in a 5-minute window must be at least this many... */
  rateMinFailures: number;
  /** ...and this many MADs above the agent's usual window. */
  rateRobustZ: number;
  severity: Severity;
  /** Subjects kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
  /** Raise auth_failure_rate findings (false: only auth_failure_drift is judged). Default true. */
  patterns?: boolean;
  /** auth_failure_drift: the long-horizon reference and how drift is judged; absent: none kept. */
  drift?: DriftConfig | undefined;
}

/** Names (principals or IPs) with the time each was last seen failing; bounded. */
type Recent = Record<string, number>;

interface Subject {
  agent_id: string;
  /** For an IP: principals that failed from it. For a principal: IPs it failed from. */
  others: Recent;
  /** The earliest time in `others` (MAX_SAFE_INTEGER when empty; JSON has no Infinity), so pruning can skip when nothing expired. */
  oldest_other: number;
  failures: [number, string][];
  alerted: Record<string, number>;
  last_seen: number;
}

export interface AuthFailureRateState {
  subjects: Record<string, Subject>;
  /** `drift`: auth_failure_drift's reference (absent in checkpoints before version 3). */
  agents: Record<string, CountSpike & { last_seen?: number; drift?: DriftTrack }>;
  /** The per-agent budget of `subjects` (absent in checkpoints from before budgets). */
  ledgers?: Record<string, AgentLedger>;
}

/** The table's name in `entity_flood` findings. */
const TABLE = "principals_and_ips";

export function authFailureRate(options: AuthFailureRateOptions): Detector<AuthFailureRateState> {
  const name = "auth_failure_rate";
  const maxKept = Math.max(options.distinctThreshold, options.successAfter) * 4;
  const rateOptions: CountSpikeOptions = {
    windowMs: 5 * 60_000,
    historySize: 48,
    warmupWindows: 12,
    minCount: options.rateMinFailures,
    robustZ: options.rateRobustZ,
    minSpreadShare: 0.2,
  };
  const budgets = new TableBudgets(name, options.budget);
  const patterns = options.patterns ?? true;

  const finding = (
    event: AgentEvent,
    time: number,
    key: string,
    severity: Severity,
    parts: {
      observed: unknown;
      baseline: unknown;
      title: string;
      summary: string;
      labels: Record<string, string>;
      evidence: string[];
      score: number;
    },
  ): Finding => ({
    id: findingId(name, `${event.agent_id}|${key}`, event.id),
    detector: name,
    agent_id: event.agent_id,
    key,
    time: new Date(time).toISOString(),
    severity,
    score: parts.score,
    observed: parts.observed,
    baseline: parts.baseline,
    event_ids: parts.evidence,
    title: parts.title,
    summary: parts.summary,
    labels: parts.labels,
  });

  /** Whether `pattern` may alert for `subject` now (once per window), and records it if so. */
  const mayAlert = (subject: Subject, pattern: string, time: number): boolean => {
    const last = subject.alerted[pattern];
    if (last !== undefined && time - last < options.windowMs) return false;
    subject.alerted[pattern] = time;
    return true;
  };

  const newSubject = (state: AuthFailureRateState, key: string, agentId: string): Subject => {
    state.subjects[key] = {
      agent_id: agentId,
      others: newRecord(),
      oldest_other: Number.MAX_SAFE_INTEGER,
      failures: [],
      alerted: newRecord(),
      last_seen: 0,
    };
    return state.subjects[key];
  };

  return {
    name,
    eventTypes: ["auth"],
    initialState: () => ({ subjects: newRecord(), agents: newRecord(), ledgers: newRecord() }),

    update(state, { event, time, received }) {
      if (event.type !== "auth" || !event.auth) return [];
      const seen = received ?? time;
      const { outcome, principal } = event.auth;
      const ip = event.source_ip;
      const findings: Finding[] = [];
      const windowStart = time - options.windowMs;
      const subjects: [kind: "principal" | "ip", value: string, other: string | undefined][] = [];
      if (principal !== undefined) subjects.push(["principal", principal, ip]);
      if (ip !== undefined) subjects.push(["ip", ip, principal]);

      for (const [kind, value, other] of subjects) {
        const key = `${event.agent_id}|${kind}:${value}`;
        let subject = state.subjects[key];
        if (subject === undefined) {
          // A new principal or IP counts against its own agent's budget only (issue 30).
          const at = { seen, time, eventId: event.id };
          if (!budgets.admit(state, TABLE, event.agent_id, at, findings)) continue;
          subject = newSubject(state, key, event.agent_id);
        }
        subject.last_seen = Math.max(subject.last_seen, seen);
        prune(subject, windowStart);
        if (outcome === "failure") {
          subject.failures.push([time, event.id]);
          if (subject.failures.length > maxKept) subject.failures.shift();
          if (other !== undefined) remember(subject, other, time, maxKept);
          const distinct = Object.keys(subject.others).length;
          if (patterns && distinct >= options.distinctThreshold && mayAlert(subject, "distinct", time)) {
            const spraying = kind === "ip";
            findings.push(
              finding(
                event,
                time,
                spraying ? `spray:ip:${value}` : `distributed:principal:${value}`,
                options.severity,
                {
                  observed: {
                    [spraying ? "principals" : "source_ips"]: distinct,
                    window_seconds: options.windowMs / 1000,
                  },
                  baseline: { threshold: options.distinctThreshold },
                  title: spraying
                    ? `Password spraying from ${value} on ${event.agent_id}`
                    : `Distributed login attempts on principal "${value}" on ${event.agent_id}`,
                  summary: spraying
                    ? `${value} failed to authenticate as ${distinct} different principals within ${options.windowMs / 60_000} min`
                    : `principal "${value}" failed to authenticate from ${distinct} different source IPs within ${options.windowMs / 60_000} min`,
                  labels: spraying
                    ? { source_ip: value, pattern: "spraying" }
                    : { principal: value, pattern: "distributed" },
                  evidence: subject.failures.slice(-20).map(([, id]) => id),
                  score: Math.min(1, distinct / (2 * options.distinctThreshold)),
                },
              ),
            );
          }
        } else if (outcome === "success") {
          const failed = subject.failures.length;
          if (patterns && failed >= options.successAfter && mayAlert(subject, "success", time)) {
            findings.push(
              finding(event, time, `compromise:${kind}:${value}`, "critical", {
                observed: { failures_before_success: failed, window_seconds: options.windowMs / 1000 },
                baseline: { threshold: options.successAfter },
                title: `Login succeeded after ${failed} failures: ${kind === "ip" ? value : `principal "${value}"`} on ${event.agent_id}`,
                summary: `${kind === "ip" ? `source IP ${value}` : `principal "${value}"`} authenticated after ${failed} failures within ${options.windowMs / 60_000} min: the guess may have worked`,
                labels:
                  kind === "ip"
                    ? { source_ip: value, pattern: "success_after_failures" }
                    : { principal: value, pattern: "success_after_failures" },
                evidence: [...subject.failures.slice(-19).map(([, id]) => id), event.id],
                score: 1,
              }),
            );
          }
          subject.failures = [];
        }
      }

      if (outcome === "failure") {
        const rate: AuthFailureRateState["agents"][string] = state.agents[event.agent_id] ?? newCountSpike();
        state.agents[event.agent_id] = rate;
        rate.last_seen = seen;
        if (options.drift) {
          driftStep(rate, options.drift, { time, seen, value: 1 }, findings, () => ({
            detector: "auth_failure_drift",
            agentId: event.agent_id,
            key: "auth_failures",
            name: `agent ${event.agent_id}`,
            metric: "auth failures",
            unit: "failed logins",
            labels: {},
            eventIds: [event.id],
            eventId: event.id,
          }));
        }
        const { count, median, z, alert } = observeCount(rate, time, rateOptions);
        if (alert && patterns) {
          findings.push(
            finding(event, time, "rate:agent", options.severity, {
              observed: { failures_in_5_min: count },
              baseline: { median_failures_in_5_min: median },
              title: `Authentication failure rate spike on ${event.agent_id}`,
              summary: `${count} failed authentications in the current 5 minutes on ${event.agent_id}, usually ${median}`,
              labels: { pattern: "rate" },
              evidence: [event.id],
              score: Math.min(1, z / (2 * options.rateRobustZ)),
            }),
          );
        }
      }
      return findings;
    },

    size: (state) => countEntities(state.subjects) + countEntities(state.agents),

    tick(state, now) {
      budgets.settle(
        state,
        TABLE,
        state.subjects,
        now,
        options.windowMs,
        (s) => s.last_seen,
        (s) => s.agent_id,
      );
      // Agents' failure-rate baselines are kept a week after their last failure (one per agent).
      evictIdle(state.agents as Record<string, { last_seen: number }>, now, 7 * 86_400_000);
      return [];
    },
  };
}

function prune(subject: Subject, windowStart: number): void {
  while (subject.failures.length > 0 && (subject.failures[0] as [number, string])[0] <= windowStart) {
    subject.failures.shift();
  }
  // Only when the oldest remembered name may have left the window (most events change nothing).
  if (subject.oldest_other > windowStart) return;
  let oldest = Number.MAX_SAFE_INTEGER;
  for (const name in subject.others) {
    const at = subject.others[name] as number;
    if (at <= windowStart) delete subject.others[name];
    else if (at < oldest) oldest = at;
  }
  subject.oldest_other = oldest;
}

function remember(subject: Subject, name: string, time: number, max: number): void {
  const recent = subject.others;
  recent[name] = Math.max(recent[name] ?? 0, time);
  if (time < subject.oldest_other) subject.oldest_other = time;
  const names = Object.keys(recent);
  if (names.length <= max) return;
  let oldest = names[0] as string;
  for (const n of names) if ((recent[n] as number) < (recent[oldest] as number)) oldest = n;
  delete recent[oldest];
}

/** `detectors.auth_failure_rate`. */
export const authFailureRateDefinition = defineDetector("auth_failure_rate", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    window: duration.prefault("10m"),
    /** Distinct principals from one IP (spraying), or distinct IPs for one principal (distributed). */
    distinct_threshold: z.number().int().min(2).default(5),
    /** Failures before a success that make the success suspicious. */
    success_after: z.number().int().min(1).default(3),
    /** Agent-wide failures per 5 minutes: at least this many... */
    rate_min_failures: z.number().int().min(1).default(20),
    /** ...and this many MADs above the agent's usual 5 minutes. */
    rate_robust_z: z.number().positive().default(6),
    severity: severity.default("warning"),
  }),
  create: (s, { all }) => {
    const drift = all.auth_failure_drift as DriftSettings | undefined;
    if (!s.enabled && !drift?.enabled) return [];
    return [
      authFailureRate({
        windowMs: s.window,
        distinctThreshold: s.distinct_threshold,
        successAfter: s.success_after,
        rateMinFailures: s.rate_min_failures,
        rateRobustZ: s.rate_robust_z,
        severity: s.severity,
        budget: budgetFrom(all),
        patterns: s.enabled,
        drift: driftConfig(drift, "sum"),
      }) as Detector,
    ];
  },
});

/** `detectors.auth_failure_drift`: its settings feed auth_failure_rate, which keeps the references. Failed logins per hour. */
export const authFailureDriftDefinition = driftDefinition(
  "auth_failure_drift",
  driftSettings({ ratio: 3, evidence: 2, min_level: 5, floor_share: 0.25 }),
);
