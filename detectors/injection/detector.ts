/**
 * injection_attempt and injection_rate, from one classification per event.
 * - injection_attempt: a `prompt` (origin as sent, `user` by default) or a `tool_result` (judged
 *   as external content) whose injection score reaches `threshold`. The score is the built-in
 *   classifier's (rules and the learned model, one score), or an external classifier's when the
 *   runner consulted one (the higher wins).
 * - injection_rate: attempts per agent and per user in 10-minute windows far above their usual
 *   (median/MAD of the last 6 hours, after an hour): a campaign rather than a single probe.
 * - injection_drift (issue 26): the same counters keep a long-horizon reference of attempts per
 *   hour, per hour of the day (../drift.ts); attempts that stay far above it for hours are a finding.
 * Evidence is the rules that fired and the matched text, redacted.
 */

import { createHash } from "node:crypto";
import { z } from "zod";
import type { Severity } from "../../lib/settings.ts";
import { duration, httpUrl, secret, severity } from "../../lib/settings.ts";
import {
  type CountSpike,
  type CountSpikeOptions,
  countEntities,
  newCountSpike,
  observeCount,
} from "../baselines.ts";
import {
  type DriftConfig,
  type DriftSettings,
  type DriftTrack,
  driftConfig,
  driftDefinition,
  driftSettings,
  driftStep,
} from "../drift.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "../entity-budget.ts";
import { findingId } from "../finding-id.ts";
import { newRecord } from "../record.ts";
import { redact } from "../sensitive.ts";
import { type AgentEvent, type Detector, defineDetector, type Finding } from "../types.ts";
import { classifyInjection, type InjectionEvidence, type Origin } from "./classify.ts";
import { INJECTION_KINDS, type InjectionKind, injectionKind, kindRank } from "./kind.ts";
import { type InjectionModel, loadInjectionModel } from "./model.ts";

export interface InjectionOptions {
  attempt: {
    enabled: boolean;
    threshold: number;
    severity: Severity;
    /** The severity of an attempt of a kind (kind.ts), where it differs from `severity`. */
    severityByKind?: Partial<Record<InjectionKind, Severity>>;
  };
  rate: { enabled: boolean; minAttempts: number; robustZ: number; severity: Severity };
  entityTtlMs: number;
  /**
   * What never counts as injection for these events' agents (injection_attempt.allow): phrases,
   * taken out of a text before it is judged (the rest of it still is), and SHA-256 digests of
   * whole texts, not judged at all. A security-training bot's own lesson text, say.
   */
  allow?: { phrases: readonly string[]; sha256: readonly string[] };
  /** The learned stage (model.ts), read beside the rules; without it, the rules alone. */
  model?: InjectionModel;
  /** Per-agent entity budgets of the rate counters (entity-budget.ts); the shipped defaults when absent. */
  budget?: EntityBudget;
  /** injection_drift: the counters' long-horizon reference and how drift is judged; absent: none kept. */
  drift?: DriftConfig | undefined;
}

/** The allowlist as the detector uses it: one case-insensitive literal alternation, a set of digests. */
function compileAllowlist(allow: InjectionOptions["allow"]) {
  const phrases =
    allow && allow.phrases.length > 0
      ? // Escaped literals only: an alternation without quantifiers, linear in the text.
        new RegExp(allow.phrases.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi")
      : undefined;
  const digests = new Set((allow?.sha256 ?? []).map((d) => d.toLowerCase()));
  return {
    /** The text to judge, or undefined when the whole text is allowed. */
    apply(text: string): string | undefined {
      if (digests.size > 0 && digests.has(createHash("sha256").update(text).digest("hex"))) return undefined;
      return phrases ? text.replace(phrases, " ") : text;
    },
  };
}

/** `drift`: injection_drift's reference (absent in checkpoints before version 3). */
type Counter = CountSpike & { last_seen: number; recent: string[]; drift?: DriftTrack };

export interface InjectionState {
  counters: Record<string, Counter>;
  /** Per-agent ledger of `counters` (absent in checkpoints from before budgets: recounted at the tick). */
  ledgers?: Record<string, AgentLedger>;
}

/** The text an event brings to the model, and where it came from, if it is one we judge. */
export function injectionInput(event: AgentEvent): { text: string; origin: Origin } | undefined {
  if (event.type === "prompt" && event.text) return { text: event.text, origin: event.origin ?? "user" };
  if (event.type === "tool_result" && event.text) return { text: event.text, origin: "tool" };
  return undefined;
}

export function injection(options: InjectionOptions): Detector<InjectionState> {
  const rateOptions: CountSpikeOptions = {
    windowMs: 10 * 60_000,
    historySize: 36,
    warmupWindows: 6,
    minCount: options.rate.minAttempts,
    robustZ: options.rate.robustZ,
    minSpreadShare: 0.25,
  };
  // A user without history usually sends no attempts at all: no warm-up, the minimum count still applies.
  const userRateOptions: CountSpikeOptions = { ...rateOptions, warmupWindows: 0 };
  const allowlist = compileAllowlist(options.allow);
  const budgets = new TableBudgets("injection_rate", options.budget);
  return {
    name: "injection",
    eventTypes: ["prompt", "tool_result"],
    initialState: () => ({ counters: newRecord(), ledgers: newRecord() }),

    update(state, { event, time, signals, received }) {
      const input = injectionInput(event);
      if (!input) return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const judged = allowlist.apply(input.text);
      if (judged === undefined) return [];
      const verdict = classifyInjection(judged, input.origin, options.model);
      const external = signals?.injection;
      const evidence: InjectionEvidence[] = verdict.evidence.map((e) => ({ ...e, match: redact(e.match) }));
      if (external !== undefined) evidence.push({ rule: "external_classifier", match: `score ${external}` });
      const score = Math.max(verdict.score, external ?? 0);
      if (score < options.attempt.threshold) return [];

      const findings: Finding[] = [];
      const scope = event.session_id
        ? `session:${event.session_id}`
        : event.user_id
          ? `user:${event.user_id}`
          : "agent";
      if (options.attempt.enabled) {
        const kind = injectionKind(input.origin, evidence);
        const severity =
          options.attempt.severityByKind?.[kind] ??
          (score >= 0.9 && input.origin !== "user" ? "critical" : options.attempt.severity);
        findings.push({
          id: findingId("injection_attempt", `${event.agent_id}|${scope}`, event.id),
          detector: "injection_attempt",
          agent_id: event.agent_id,
          ...(event.session_id ? { session_id: event.session_id } : {}),
          key: scope,
          time: new Date(time).toISOString(),
          severity,
          score,
          observed: {
            score,
            kind,
            rank: kindRank(kind),
            origin: input.origin,
            evidence: evidence.slice(0, 8),
          },
          baseline: { threshold: options.attempt.threshold },
          event_ids: [event.id],
          title: `${input.origin === "user" ? "Prompt injection attempt" : "Injected instructions in tool output"} on ${event.agent_id}`,
          summary: `${kind.replace("_", " ")}: ${input.origin === "user" ? "a prompt" : `${input.origin} content`} to ${event.agent_id} scored ${score} for injection (${[
            ...new Set(evidence.map((e) => (e.via ? `${e.rule} via ${e.via}` : e.rule))),
          ].join(", ")})`,
          labels: { origin: input.origin, kind, ...(event.user_id ? { user_id: event.user_id } : {}) },
        });
      }
      if (options.rate.enabled || options.drift) {
        const subjects: [string, string][] = [["agent", event.agent_id]];
        if (event.user_id) subjects.push(["user", event.user_id]);
        for (const [kind, value] of subjects) {
          const key = `${event.agent_id}|${kind}:${value}`;
          if (state.counters[key] === undefined) {
            // A new user counts against its own agent's budget only (issue 30).
            const at = { seen, time, eventId: event.id };
            if (!budgets.admit(state, "counters", event.agent_id, at, findings)) continue;
          }
          const counter = state.counters[key] ?? { ...newCountSpike(), last_seen: 0, recent: [] };
          state.counters[key] = counter;
          counter.last_seen = Math.max(counter.last_seen, seen);
          counter.recent.push(event.id);
          if (counter.recent.length > 10) counter.recent.shift();
          if (options.drift) {
            driftStep(counter, options.drift, { time, seen, value: 1 }, findings, () => ({
              detector: "injection_drift",
              agentId: event.agent_id,
              key: `${kind}:${value}`,
              name: kind === "agent" ? `agent ${value}` : `user ${value} on ${event.agent_id}`,
              metric: "injection attempts",
              unit: "attempts",
              labels: kind === "user" ? { user_id: value } : ({} as Record<string, string>),
              eventIds: [...counter.recent],
              eventId: event.id,
            }));
          }
          const { count, median, z, alert } = observeCount(
            counter,
            time,
            kind === "user" ? userRateOptions : rateOptions,
          );
          if (!alert || !options.rate.enabled) continue;
          findings.push({
            id: findingId("injection_rate", key, event.id),
            detector: "injection_rate",
            agent_id: event.agent_id,
            key: `${kind}:${value}`,
            time: new Date(time).toISOString(),
            severity: options.rate.severity,
            score: Math.min(1, z / (2 * options.rate.robustZ)),
            observed: { attempts_in_10_min: count },
            baseline: { median_attempts_in_10_min: median },
            event_ids: [...counter.recent],
            title: `Injection campaign against ${kind === "agent" ? event.agent_id : `${event.agent_id} by user ${value}`}`,
            summary: `${count} injection attempts in the current 10 minutes ${
              kind === "agent" ? `on ${event.agent_id}` : `from user ${value} on ${event.agent_id}`
            }, usually ${median}`,
            labels: kind === "user" ? { user_id: value } : ({} as Record<string, string>),
          });
        }
      }
      return findings;
    },

    size: (state) => countEntities(state.counters),

    tick(state, now) {
      budgets.settle(state, "counters", state.counters, now, options.entityTtlMs, (c) => c.last_seen);
      return [];
    },
  };
}

const injectionRateSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** Attempts in 10 minutes: at least this many... */
  min_attempts: z.number().int().min(1).default(5),
  /** ...and this many MADs above the usual 10 minutes. */
  robust_z: z.number().positive().default(6),
  severity: severity.default("warning"),
});

const injectionAttemptSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** Score (0..1) at which a prompt or tool result is an attempt. */
  threshold: z.number().gt(0).max(1).default(0.5),
  severity: severity.default("warning"),
  /**
   * Per kind (kind.ts: planted_instruction, hidden_instruction, override, jailbreak,
   * learned_only), a severity that replaces `severity` (and the critical of a sure planted
   * instruction) for attempts of that kind: e.g. `{ learned_only: info }` to page only on what
   * a rule saw, or `{ planted_instruction: critical }`.
   */
  severity_by_kind: z.partialRecord(z.enum(INJECTION_KINDS), severity).default({}),
  /**
   * The learned stage (detectors/injection/models/injection-model.md) judges beside the rules, one score
   * from both; false: the rules alone.
   */
  model: z.boolean().default(true),
  /** An external classifier (model server) consulted beside the built-in rules (the runner calls it); see README. */
  classifier: z
    .strictObject({ url: httpUrl, timeout: duration.prefault("2s"), token: secret.optional() })
    .optional(),
  /**
   * What never counts as injection (usually per agent, under agents[].detectors): `phrases`
   * are taken out of a text before it is judged, case-insensitively; a text whose SHA-256
   * (hex, of its UTF-8) is in `sha256` is not judged at all.
   */
  allow: z
    .strictObject({
      phrases: z.array(z.string().min(3, "must be at least 3 characters").max(500)).max(500).default([]),
      sha256: z
        .array(z.string().regex(/^[0-9a-fA-F]{64}$/, "must be a SHA-256 digest in hex (64 characters)"))
        .max(10_000)
        .default([]),
    })
    .prefault({}),
});

/** `detectors.injection_attempt`: one detector, `injection`, raises attempts and rates. */
export const injectionAttemptDefinition = defineDetector("injection_attempt", {
  settings: injectionAttemptSettings,
  create: (attempt, { all }) => {
    const rate = all.injection_rate as z.output<typeof injectionRateSettings>;
    const drift = driftConfig(all.injection_drift as DriftSettings | undefined, "sum");
    if (!attempt.enabled && !rate.enabled && !drift) return [];
    return [
      injection({
        attempt: {
          enabled: attempt.enabled,
          threshold: attempt.threshold,
          severity: attempt.severity,
          severityByKind: attempt.severity_by_kind,
        },
        rate: {
          enabled: rate.enabled,
          minAttempts: rate.min_attempts,
          robustZ: rate.robust_z,
          severity: rate.severity,
        },
        entityTtlMs: 7 * 86_400_000,
        budget: budgetFrom(all),
        drift,
        allow: attempt.allow,
        ...(attempt.model ? { model: loadInjectionModel() } : {}),
      }) as Detector,
    ];
  },
});

/** `detectors.injection_rate`: its settings feed the `injection` detector injection_attempt creates. */
export const injectionRateDefinition = defineDetector("injection_rate", {
  settings: injectionRateSettings,
  create: () => [],
});

/** `detectors.injection_drift`: its settings feed the `injection` detector's rate counters (agents and users). Attempts per hour. */
export const injectionDriftDefinition = driftDefinition(
  "injection_drift",
  driftSettings({ ratio: 3, evidence: 2, min_level: 3, floor_share: 0.25 }),
);
