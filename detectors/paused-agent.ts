/**
 * paused_agent_active: proof that a pause took effect. An event from an agent that arrives after
 * its pause was delivered to its runtime (the runtime answered 2xx), past a grace period for
 * what was already in flight, means the runtime did not stop: a critical finding, with those
 * events as evidence. The collector marks such events as it accepts them (they are evidence);
 * this detector judges the mark. At most one finding a minute per pause, so the incident shows
 * that it goes on without a page per event.
 */
import { z } from "zod";
import { duration, type Severity, severity } from "../lib/settings.ts";
import { countEntities, evictIdle } from "./baselines.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface PausedAgentOptions {
  graceMs: number;
  severity: Severity;
}

interface PauseWatch {
  since: number;
  delivered_at: number;
  count: number;
  recent: string[];
  last_alert: number;
  last_seen: number;
}

export interface PausedAgentState {
  /** Agent id → the pause its events were received under. */
  agents: Record<string, PauseWatch>;
}

const MINUTE = 60_000;

export function pausedAgentActive(options: PausedAgentOptions): Detector<PausedAgentState> {
  const name = "paused_agent_active";
  return {
    name,
    initialState: () => ({ agents: newRecord() }),
    update(state, { event, time, received, paused }) {
      if (!paused || received === undefined) return [];
      if (received - paused.deliveredAt < options.graceMs) return []; // in flight when it paused
      let watch = state.agents[event.agent_id];
      if (!watch || watch.since !== paused.since) {
        watch = {
          since: paused.since,
          delivered_at: paused.deliveredAt,
          count: 0,
          recent: [],
          last_alert: 0,
          last_seen: 0,
        };
        state.agents[event.agent_id] = watch;
      }
      watch.count += 1;
      watch.last_seen = received;
      watch.recent.push(event.id);
      if (watch.recent.length > 20) watch.recent.shift();
      if (watch.last_alert !== 0 && received - watch.last_alert < MINUTE) return [];
      watch.last_alert = received;
      const deliveredAt = new Date(watch.delivered_at).toISOString();
      const finding: Finding = {
        id: findingId(name, `${event.agent_id}|pause:${watch.since}`, event.id),
        detector: name,
        agent_id: event.agent_id,
        key: `pause:${new Date(watch.since).toISOString()}`,
        time: new Date(time).toISOString(),
        severity: options.severity,
        score: 1,
        observed: { events_after_pause: watch.count, last_event_type: event.type },
        baseline: { pause_delivered_at: deliveredAt, grace_seconds: options.graceMs / 1000 },
        event_ids: [...watch.recent],
        title: `${event.agent_id} is still active after its pause was delivered`,
        summary: `${watch.count} event${watch.count === 1 ? "" : "s"} from ${event.agent_id} arrived after its runtime acknowledged the pause at ${deliveredAt} (grace ${options.graceMs / 1000} s): the runtime did not stop`,
        labels: {},
      };
      return [finding];
    },
    size: (state) => countEntities(state.agents),
    tick(state, now) {
      evictIdle(state.agents, now, 7 * 86_400_000);
      return [];
    },
  };
}

/** `detectors.paused_agent_active`. */
export const pausedAgentActiveDefinition = defineDetector("paused_agent_active", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Events arriving this soon after the pause was delivered were in flight: not counted. */
    grace: duration.prefault("30s"),
    severity: severity.default("critical"),
  }),
  create: (s) =>
    s.enabled ? [pausedAgentActive({ graceMs: s.grace, severity: s.severity }) as Detector] : [],
});
