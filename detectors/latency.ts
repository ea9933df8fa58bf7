/**
 * latency: the median `latency_ms` of an agent's responses in the current 5 minutes, far above
 * its usual (median/MAD of the medians of recent windows, after an hour of history). Judged once
 * the window has `min_samples` responses, so one slow answer is not an incident. Once per window.
 *
 * latency_drift (issue 26): beside the recent windows, each agent keeps a long-horizon reference
 * of its hourly latency (the geometric mean of the hour's responses), per hour of the day
 * (drift.ts); answers that stay far slower than it for hours are a `latency_drift` finding.
 */
import { median } from "simple-statistics";
import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import {
  addTumbling,
  countEntities,
  evictIdle,
  newRobustWindow,
  pushRobust,
  type RobustWindow,
  robustMedian,
  robustSpread,
  type TumblingCounter,
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
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface LatencyOptions {
  minMs: number;
  minSamples: number;
  robustZ: number;
  minRatio: number;
  entityTtlMs: number;
  severity: Severity;
  /** Raise latency findings (false: only latency_drift is judged). Default true. */
  spikes?: boolean;
  /** latency_drift: the long-horizon reference and how drift is judged; absent: none kept. */
  drift?: DriftConfig | undefined;
}

const WINDOW = 5 * 60_000;
const HISTORY = 48;
const WARMUP = 12;
/** Samples kept per window (the first ones: enough for a stable median). */
const MAX_SAMPLES = 200;

interface AgentLatency {
  window: TumblingCounter;
  samples: number[];
  history: RobustWindow;
  windows: number;
  alerted_window: number;
  recent: string[];
  last_seen: number;
  /** latency_drift's reference (absent in checkpoints before version 3). */
  drift?: DriftTrack;
}

export interface LatencyState {
  agents: Record<string, AgentLatency>;
}

export function latency(options: LatencyOptions): Detector<LatencyState> {
  const name = "latency";
  return {
    name,
    eventTypes: ["response"],
    initialState: () => ({ agents: newRecord() }),
    update(state, { event, time, received }) {
      if (event.type !== "response" || typeof event.latency_ms !== "number") return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const agent = state.agents[event.agent_id] ?? {
        window: { window_start: 0, count: 0 },
        samples: [],
        history: newRobustWindow(),
        windows: 0,
        alerted_window: 0,
        recent: [],
        last_seen: 0,
      };
      state.agents[event.agent_id] = agent;
      agent.last_seen = Math.max(agent.last_seen, seen);
      const findings: Finding[] = [];
      if (options.drift) {
        driftStep(agent, options.drift, { time, seen, value: event.latency_ms }, findings, () => ({
          detector: "latency_drift",
          agentId: event.agent_id,
          key: "latency",
          name: `agent ${event.agent_id}`,
          metric: "latency",
          unit: "ms (geometric mean)",
          labels: {},
          eventIds: [...agent.recent, event.id].slice(-10),
          eventId: event.id,
        }));
      }
      const closed = addTumbling(agent.window, time, WINDOW);
      if (closed) {
        if (agent.samples.length > 0) {
          pushRobust(agent.history, median(agent.samples), HISTORY);
          agent.windows += 1;
        }
        agent.samples = [];
        agent.recent = [];
      }
      if (time < agent.window.window_start || options.spikes === false) return findings;
      if (agent.samples.length < MAX_SAMPLES) agent.samples.push(event.latency_ms);
      agent.recent.push(event.id);
      if (agent.recent.length > 10) agent.recent.shift();
      if (agent.windows < WARMUP || agent.samples.length < options.minSamples) return findings;
      if (agent.alerted_window === agent.window.window_start) return findings;
      const current = median(agent.samples);
      const usual = robustMedian(agent.history) ?? 0;
      const spread = Math.max(robustSpread(agent.history) ?? 0, usual * 0.1, 1);
      const z = (current - usual) / spread;
      if (current < options.minMs || z < options.robustZ || current < usual * options.minRatio)
        return findings;
      agent.alerted_window = agent.window.window_start;
      findings.push({
        id: findingId(name, event.agent_id, event.id),
        detector: name,
        agent_id: event.agent_id,
        key: "latency",
        time: new Date(time).toISOString(),
        severity: options.severity,
        score: Math.min(1, current / Math.max(1, usual * options.minRatio * 2)),
        observed: { median_latency_ms: current, responses: agent.samples.length },
        baseline: { median_latency_ms: usual },
        event_ids: [...agent.recent],
        title: `Latency degraded on ${event.agent_id}`,
        summary: `${event.agent_id} answers in ${Math.round(current)} ms (median of ${agent.samples.length} responses in the current 5 minutes), usually ${Math.round(usual)} ms`,
        labels: {},
      });
      return findings;
    },
    size: (state) => countEntities(state.agents),

    tick(state, now) {
      evictIdle(state.agents, now, options.entityTtlMs);
      return [];
    },
  };
}

/** `detectors.latency`. */
export const latencyDefinition = defineDetector("latency", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** A 5-minute median below this never alerts. */
    min_ms: z.number().int().min(1).default(2000),
    /** Responses in the window before it is judged. */
    min_samples: z.number().int().min(1).default(10),
    robust_z: z.number().positive().default(6),
    min_ratio: z.number().min(1).default(2),
    entity_ttl: duration.prefault("7d"),
    severity: severity.default("warning"),
  }),
  create: (s, { all }) => {
    const drift = all.latency_drift as LatencyDriftSettings | undefined;
    if (!s.enabled && !drift?.enabled) return [];
    return [
      latency({
        minMs: s.min_ms,
        minSamples: s.min_samples,
        robustZ: s.robust_z,
        minRatio: s.min_ratio,
        entityTtlMs: s.entity_ttl,
        severity: s.severity,
        spikes: s.enabled,
        drift: driftConfig(drift, "mean"),
      }) as Detector,
    ];
  },
});

const latencyDriftSettings = driftSettings({
  ratio: 2,
  evidence: 2,
  min_level: 2000,
  floor_share: 0.25,
}).extend({
  /** Responses an hour needs to be judged and learned (fewer: no data for that hour). */
  min_samples: z.number().int().min(1).default(10),
});
type LatencyDriftSettings = z.output<typeof latencyDriftSettings> & DriftSettings;

/**
 * `detectors.latency_drift`: its settings feed latency, which keeps the references. The hour's
 * geometric mean latency in ms; `min_level` 2 s, as latency's `min_ms`.
 */
export const latencyDriftDefinition = driftDefinition("latency_drift", latencyDriftSettings);
