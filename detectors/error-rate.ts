/**
 * error_rate: an agent's errors (`error` events and `tool_result` with status `error`) in the
 * current 5 minutes, far above its usual 5 minutes (median/MAD of the last 4 hours of windows,
 * after an hour of history). A broken deployment, a failing upstream, or an attack probing
 * tools shows as a burst of errors. Once per window.
 *
 * error_drift (issue 26): beside the 4-hour window, each agent keeps a long-horizon reference of
 * its errors per hour, per hour of the day (drift.ts); errors that stay far above it for hours
 * (a slow rise the 4-hour median follows) are an `error_drift` finding.
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
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface ErrorRateOptions {
  minErrors: number;
  robustZ: number;
  entityTtlMs: number;
  severity: Severity;
  /** Raise error_rate findings (false: only error_drift is judged). Default true. */
  spikes?: boolean;
  /** error_drift: the long-horizon reference and how drift is judged; absent: none kept. */
  drift?: DriftConfig | undefined;
}

export interface ErrorRateState {
  /** `drift`: error_drift's reference (absent in checkpoints before version 3). */
  agents: Record<string, CountSpike & { last_seen: number; recent: string[]; drift?: DriftTrack }>;
}

export function errorRate(options: ErrorRateOptions): Detector<ErrorRateState> {
  const name = "error_rate";
  const spike: CountSpikeOptions = {
    windowMs: 5 * 60_000,
    historySize: 48,
    warmupWindows: 12,
    minCount: options.minErrors,
    robustZ: options.robustZ,
    minSpreadShare: 0.2,
  };
  return {
    name,
    eventTypes: ["error", "tool_result"],
    initialState: () => ({ agents: newRecord() }),
    update(state, { event, time, received }) {
      const isError = event.type === "error" || (event.type === "tool_result" && event.status === "error");
      if (!isError) return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const agent = state.agents[event.agent_id] ?? { ...newCountSpike(), last_seen: 0, recent: [] };
      state.agents[event.agent_id] = agent;
      agent.last_seen = Math.max(agent.last_seen, seen);
      agent.recent.push(event.id);
      if (agent.recent.length > 10) agent.recent.shift();
      const findings: Finding[] = [];
      if (options.drift) {
        driftStep(agent, options.drift, { time, seen, value: 1 }, findings, () => ({
          detector: "error_drift",
          agentId: event.agent_id,
          key: "errors",
          name: `agent ${event.agent_id}`,
          metric: "errors",
          unit: "errors",
          labels: {},
          eventIds: [...agent.recent],
          eventId: event.id,
        }));
      }
      const { count, median, z, alert } = observeCount(agent, time, spike);
      if (!alert || options.spikes === false) return findings;
      const code =
        event.error?.code ?? (event.type === "tool_result" ? `tool ${event.tool?.name}` : undefined);
      findings.push({
        id: findingId(name, event.agent_id, event.id),
        detector: name,
        agent_id: event.agent_id,
        key: "errors",
        time: new Date(time).toISOString(),
        severity: options.severity,
        score: Math.min(1, z / (2 * options.robustZ)),
        observed: { errors_in_5_min: count },
        baseline: { median_errors_in_5_min: median },
        event_ids: [...agent.recent],
        title: `Error rate spike on ${event.agent_id}`,
        summary: `${count} errors in the current 5 minutes on ${event.agent_id}, usually ${median}${
          code ? ` (latest: ${code})` : ""
        }`,
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

/** `detectors.error_rate`. */
export const errorRateDefinition = defineDetector("error_rate", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Errors in 5 minutes: at least this many... */
    min_errors: z.number().int().min(1).default(10),
    /** ...and this many MADs above the agent's usual 5 minutes. */
    robust_z: z.number().positive().default(6),
    entity_ttl: duration.prefault("7d"),
    severity: severity.default("warning"),
  }),
  create: (s, { all }) => {
    const drift = all.error_drift as DriftSettings | undefined;
    if (!s.enabled && !drift?.enabled) return [];
    return [
      errorRate({
        minErrors: s.min_errors,
        robustZ: s.robust_z,
        entityTtlMs: s.entity_ttl,
        severity: s.severity,
        spikes: s.enabled,
        drift: driftConfig(drift, "sum"),
      }) as Detector,
    ];
  },
});

/** `detectors.error_drift`: its settings feed error_rate, which keeps the references. Errors per hour. */
export const errorDriftDefinition = driftDefinition(
  "error_drift",
  driftSettings({ ratio: 3, evidence: 2, min_level: 5, floor_share: 0.25 }),
);
