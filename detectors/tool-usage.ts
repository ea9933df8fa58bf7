/**
 * tool_shift and new_tool: how an agent uses its tools. A hijacked agent (a prompt injection
 * that took over, a swapped system prompt) calls different tools, or the same tools in very
 * different proportions.
 *
 * - tool_shift: the distribution of the agent's tool calls over a recent window (decaying with
 *   `recent_half_life`) against its long-run distribution (decaying with `baseline_half_life`),
 *   by Jensen-Shannon divergence (0 same, 1 disjoint). Judged only with `min_recent` recent and
 *   `min_baseline` long-run calls, at most once per `cooldown`.
 * - new_tool: a tool the agent never called before, once the agent is past warm-up (`min_baseline`
 *   calls over at least `warmup`). Each new tool is reported once, then it is known.
 * - tool_drift (issue 26): the usual distribution is the long-horizon reference; it learns an hour
 *   of calls at a time, at a bounded rate (an hour whose mix diverges past the allowance teaches
 *   less), and an hourly divergence that stays above the allowance for hours is a finding
 *   (drift.ts), for a mix that shifts too slowly for the recent window to stand out.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import {
  countEntities,
  type DecayingDistribution,
  distributionTotal,
  evictIdle,
  jensenShannon,
  newDistribution,
  observeCategory,
} from "./baselines.ts";
import {
  driftDefinition,
  type MixDrift,
  type MixJudge,
  type MixVerdict,
  newMixDrift,
  observeMix,
} from "./drift.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface ToolUsageOptions {
  recentHalfLifeMs: number;
  baselineHalfLifeMs: number;
  minRecent: number;
  minBaseline: number;
  divergence: number;
  cooldownMs: number;
  warmupMs: number;
  entityTtlMs: number;
  shiftSeverity: Severity;
  newToolSeverity: Severity;
  /** Raise tool_shift findings (false: only tool_drift). Default true. */
  shifts?: boolean;
  /** How the usual mix is taught and drift judged (tool_drift's settings); the shipped defaults when absent. */
  mix?: MixJudge;
  /** tool_drift findings: their severity; absent: not raised (the usual mix is still taught hourly, bounded). */
  drift?: { severity: Severity } | undefined;
}

/** tool_drift's shipped defaults, with tool_shift's 7-day half-life. */
export const DEFAULT_MIX_JUDGE: MixJudge = {
  divergence: 0.1,
  evidence: 0.5,
  minCalls: 20,
  teach: 2,
  halfLifeMs: 7 * 86_400_000,
  warmupMs: 3 * 86_400_000,
  cooldownMs: 86_400_000,
  maxCategories: 32,
};

/** Categories kept per distribution; rarer tools fold into "(other)". */
const MAX_TOOLS = 32;
/** Tool names remembered for new_tool; past this, new_tool stops judging the agent (said in the README). */
const MAX_KNOWN = 256;

interface AgentTools {
  recent: DecayingDistribution;
  baseline: DecayingDistribution;
  known: string[];
  calls: number;
  first_seen: number;
  last_seen: number;
  last_shift_alert: number | null;
  recent_ids: string[];
  /** tool_drift: the running hour's calls and the decision (absent in checkpoints before version 3). */
  mix?: MixDrift;
}

export interface ToolUsageState {
  agents: Record<string, AgentTools>;
}

export function toolShift(options: ToolUsageOptions): Detector<ToolUsageState> {
  return toolUsage("tool_shift", options);
}

export function newTool(options: ToolUsageOptions): Detector<ToolUsageState> {
  return toolUsage("new_tool", options);
}

/** Both detectors share the bookkeeping; each keeps its own state and raises its own findings. */
function toolUsage(name: "tool_shift" | "new_tool", options: ToolUsageOptions): Detector<ToolUsageState> {
  const mixJudge: MixJudge = options.mix ?? { ...DEFAULT_MIX_JUDGE, halfLifeMs: options.baselineHalfLifeMs };
  return {
    name,
    eventTypes: ["tool_call"],
    initialState: () => ({ agents: newRecord() }),

    update(state, { event, time, received }) {
      if (event.type !== "tool_call" || !event.tool) return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const tool = event.tool.name;
      const agent = state.agents[event.agent_id] ?? {
        recent: newDistribution(),
        baseline: newDistribution(),
        known: [],
        calls: 0,
        first_seen: time,
        last_seen: seen,
        last_shift_alert: null,
        recent_ids: [],
      };
      state.agents[event.agent_id] = agent;
      agent.last_seen = Math.max(agent.last_seen, seen);
      const warmedUp = agent.calls >= options.minBaseline && time - agent.first_seen >= options.warmupMs;
      const findings: Finding[] = [];

      if (name === "new_tool") {
        const isNew = !agent.known.includes(tool);
        if (isNew && agent.known.length < MAX_KNOWN) {
          agent.known.push(tool);
          if (warmedUp)
            findings.push(
              newToolFinding(options, event.agent_id, tool, event.id, time, agent.known.length - 1),
            );
        }
        agent.calls += 1;
        return findings;
      }

      // tool_shift: judge the recent window against the usual mix. The usual mix learns an hour of
      // calls at a time (bounded, drift.ts): a call closing an hour teaches it that hour first.
      observeCategory(agent.recent, tool, time, options.recentHalfLifeMs, MAX_TOOLS);
      agent.mix ??= newMixDrift();
      const drift = observeMix(agent.mix, agent.baseline, tool, time, mixJudge, seen);
      agent.recent_ids.push(event.id);
      if (agent.recent_ids.length > 10) agent.recent_ids.shift();
      const recentTotal = distributionTotal(agent.recent);
      const baselineTotal = distributionTotal(agent.baseline);
      if (drift && options.drift)
        findings.push(
          mixFinding(event.agent_id, event.id, time, drift, agent, mixJudge, options.drift.severity),
        );
      const shifts = options.shifts ?? true;
      if (shifts && warmedUp && recentTotal >= options.minRecent && baselineTotal >= options.minBaseline) {
        const divergence = jensenShannon(agent.recent.counts, agent.baseline.counts);
        const cooled = agent.last_shift_alert === null || time - agent.last_shift_alert >= options.cooldownMs;
        if (divergence >= options.divergence && cooled) {
          agent.last_shift_alert = time;
          findings.push({
            id: findingId(name, `${event.agent_id}|tools`, event.id),
            detector: name,
            agent_id: event.agent_id,
            key: "tools",
            time: new Date(time).toISOString(),
            severity: options.shiftSeverity,
            score: divergence,
            observed: { recent: shares(agent.recent.counts), divergence: round(divergence) },
            baseline: { usual: shares(agent.baseline.counts), threshold: options.divergence },
            event_ids: [...agent.recent_ids],
            title: `Tool usage shifted on ${event.agent_id}`,
            summary: `${event.agent_id} is calling its tools very differently from usual (Jensen-Shannon divergence ${round(
              divergence,
            )}): now ${describeTop(agent.recent.counts)}; usually ${describeTop(agent.baseline.counts)}`,
            labels: {},
          });
        }
      }
      agent.calls += 1;
      return findings;
    },

    size: (state) => countEntities(state.agents),

    tick(state, now) {
      evictIdle(state.agents, now, options.entityTtlMs);
      return [];
    },
  };
}

function mixFinding(
  agentId: string,
  eventId: string,
  time: number,
  verdict: MixVerdict,
  agent: AgentTools,
  judge: MixJudge,
  severity: Severity,
): Finding {
  const since = new Date(verdict.since).toISOString();
  const slot = new Date(verdict.hour).toISOString().slice(11, 16);
  const divergence = round(verdict.divergence);
  const halfLife = Math.round((judge.halfLifeMs / 86_400_000) * 10) / 10;
  return {
    id: findingId("tool_drift", `${agentId}|tools`, eventId),
    detector: "tool_drift",
    agent_id: agentId,
    key: "tools",
    time: new Date(time).toISOString(),
    severity,
    score: Math.min(1, verdict.cusum / (2 * judge.evidence)),
    observed: {
      metric: "tool mix",
      hour: new Date(verdict.hour).toISOString(),
      calls: verdict.calls,
      mix: shares(verdict.counts),
      divergence,
      since,
      hours: verdict.hours,
      cusum: round(verdict.cusum),
    },
    baseline: {
      reference: shares(agent.baseline.counts),
      reference_is: `the agent's usual mix (half-life ${halfLife} d), taught an hour at a time at a bounded rate`,
      allowance_divergence: judge.divergence,
      evidence: judge.evidence,
    },
    event_ids: [...agent.recent_ids],
    title: `Tool mix drifting: agent ${agentId}`,
    summary:
      `agent ${agentId}: its ${verdict.calls} tool calls in the hour from ${slot} UTC diverged from its ` +
      `usual mix by ${divergence} (Jensen-Shannon; allowance ${judge.divergence}): now ${describeTop(verdict.counts)}; ` +
      `usually ${describeTop(agent.baseline.counts)}; above the allowance since ${since} (${verdict.hours} h)`,
    labels: { metric: "tool mix" },
  };
}

function newToolFinding(
  options: ToolUsageOptions,
  agentId: string,
  tool: string,
  eventId: string,
  time: number,
  knownBefore: number,
): Finding {
  return {
    id: findingId("new_tool", `${agentId}|tool:${tool}`, eventId),
    detector: "new_tool",
    agent_id: agentId,
    key: `tool:${tool}`,
    time: new Date(time).toISOString(),
    severity: options.newToolSeverity,
    score: 0.7,
    observed: { tool },
    baseline: { known_tools: knownBefore },
    event_ids: [eventId],
    title: `New tool on ${agentId}: ${tool}`,
    summary: `${agentId} called ${tool}, a tool it has never used before (it knew ${knownBefore})`,
    labels: { tool },
  };
}

/** Shares (0..1, rounded) of the largest categories, for evidence. */
function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => [k, round(v / total)]),
  );
}

function describeTop(counts: Record<string, number>): string {
  return Object.entries(shares(counts))
    .slice(0, 3)
    .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
    .join(", ");
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const toolShiftSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** How fast the "recent" distribution forgets. */
  recent_half_life: duration.prefault("10m"),
  /** How fast the agent's usual distribution forgets. */
  baseline_half_life: duration.prefault("7d"),
  /** Recent calls (decayed) needed before judging... */
  min_recent: z.number().min(1).default(20),
  /** ...and calls in the usual distribution. */
  min_baseline: z.number().min(1).default(200),
  /** Jensen-Shannon divergence (0..1) that raises a finding. */
  divergence: z.number().gt(0).max(1).default(0.3),
  cooldown: duration.prefault("1h"),
  /** An agent younger than this is not judged. */
  warmup: duration.prefault("24h"),
  entity_ttl: duration.prefault("14d"),
  severity: severity.default("warning"),
});

const newToolSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** Calls an agent must have made, over at least `warmup`, before a new tool is reported. */
  min_baseline: z.number().int().min(1).default(200),
  warmup: duration.prefault("24h"),
  entity_ttl: duration.prefault("14d"),
  severity: severity.default("warning"),
});

const toolDriftSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** Allowance: an hour whose mix diverges from the usual by less (Jensen-Shannon, 0..1) adds no evidence. */
  divergence: z.number().gt(0).max(1).default(DEFAULT_MIX_JUDGE.divergence),
  /** The excess (sum over hours of divergence - allowance) that raises a finding. */
  evidence: z.number().positive().default(DEFAULT_MIX_JUDGE.evidence),
  /** Calls an hour needs to be judged (fewer: too few to tell a mix; the hour still teaches). */
  min_calls: z.number().int().min(1).default(DEFAULT_MIX_JUDGE.minCalls),
  /** No hour teaches the usual mix more than this multiple of its mean hourly calls. */
  teach: z.number().gt(1).default(DEFAULT_MIX_JUDGE.teach),
  warmup: duration.prefault("3d"),
  cooldown: duration.prefault("24h"),
  severity: severity.default("warning"),
});

type ToolShiftSettings = z.output<typeof toolShiftSettings>;
type ToolDriftSettings = z.output<typeof toolDriftSettings>;
type NewToolSettings = z.output<typeof newToolSettings>;

/** What tool_shift and new_tool share: one decaying distribution per agent (tool_shift's settings). */
function sharedToolOptions(shift: ToolShiftSettings, fresh: NewToolSettings) {
  return {
    recentHalfLifeMs: shift.recent_half_life,
    baselineHalfLifeMs: shift.baseline_half_life,
    minRecent: shift.min_recent,
    divergence: shift.divergence,
    cooldownMs: shift.cooldown,
    shiftSeverity: shift.severity,
    newToolSeverity: fresh.severity,
  };
}

/** How tool_shift's usual mix is taught and its drift judged, from tool_drift's settings (and tool_shift's half-life). */
function mixJudgeOf(drift: ToolDriftSettings | undefined, shift: ToolShiftSettings): MixJudge {
  return drift === undefined
    ? { ...DEFAULT_MIX_JUDGE, halfLifeMs: shift.baseline_half_life }
    : {
        divergence: drift.divergence,
        evidence: drift.evidence,
        minCalls: drift.min_calls,
        teach: drift.teach,
        halfLifeMs: shift.baseline_half_life,
        warmupMs: drift.warmup,
        cooldownMs: drift.cooldown,
        maxCategories: MAX_TOOLS,
      };
}

/** `detectors.tool_shift`. */
export const toolShiftDefinition = defineDetector("tool_shift", {
  settings: toolShiftSettings,
  create: (s, { all }) => {
    const drift = all.tool_drift as ToolDriftSettings | undefined;
    if (!s.enabled && !drift?.enabled) return [];
    return [
      toolShift({
        ...sharedToolOptions(s, all.new_tool as NewToolSettings),
        minBaseline: s.min_baseline,
        warmupMs: s.warmup,
        entityTtlMs: s.entity_ttl,
        shifts: s.enabled,
        mix: mixJudgeOf(drift, s),
        drift: drift?.enabled ? { severity: drift.severity } : undefined,
      }) as Detector,
    ];
  },
});

/**
 * `detectors.tool_drift`: its settings feed tool_shift, whose usual mix is the reference (taught
 * an hour at a time, bounded, whether or not this finding is enabled).
 */
export const toolDriftDefinition = driftDefinition("tool_drift", toolDriftSettings);

/** `detectors.new_tool`. */
export const newToolDefinition = defineDetector("new_tool", {
  settings: newToolSettings,
  create: (s, { all }) =>
    s.enabled
      ? [
          newTool({
            ...sharedToolOptions(all.tool_shift as ToolShiftSettings, s),
            minBaseline: s.min_baseline,
            warmupMs: s.warmup,
            entityTtlMs: s.entity_ttl,
          }) as Detector,
        ]
      : [],
});
