/**
 * error_rate: an agent's errors (`error` events and `tool_result` with status `error`) in the
 * current 5 minutes, far above its usual 5 minutes (median/MAD of the last 4 hours of windows,
 * after an hour of history). A broken deployment, a failing upstream, or an attack probing
 * tools shows as a burst of errors. Once per window.
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
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector } from "./types.ts";

export interface ErrorRateOptions {
  minErrors: number;
  robustZ: number;
  entityTtlMs: number;
  severity: Severity;
}

export interface ErrorRateState {
  agents: Record<string, CountSpike & { last_seen: number; recent: string[] }>;
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
      const { count, median, z, alert } = observeCount(agent, time, spike);
      if (!alert) return [];
      const code =
        event.error?.code ?? (event.type === "tool_result" ? `tool ${event.tool?.name}` : undefined);
      return [
        {
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
        },
      ];
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
  create: (s) =>
    s.enabled
      ? [
          errorRate({
            minErrors: s.min_errors,
            robustZ: s.robust_z,
            entityTtlMs: s.entity_ttl,
            severity: s.severity,
          }) as Detector,
        ]
      : [],
});
