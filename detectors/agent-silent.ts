/**
 * agent_silent: an agent that reported steadily has stopped. "Steadily" means events in every
 * 5-minute window for at least `steady_for`; "stopped" means nothing for at least `silence`, and
 * for long enough that it would happen by chance less than once in a thousand given how busy the
 * agent usually is at those times of the week (learned per agent, in 15-minute slots of the week).
 * So an agent that sleeps at night or winds down after office hours does not page anyone, and
 * nothing is judged in an agent's first week, while its rhythm is learned. One finding per silence.
 *
 * It reacts to the passing of time: it decides in `tick(now)`, with the runner's clock (or, when
 * replaying, the replayed time), and judges by arrival time, so a skewed agent clock is harmless.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import { countEntities, evictIdle } from "./baselines.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector } from "./types.ts";

export interface AgentSilentOptions {
  silenceMs: number;
  steadyForMs: number;
  entityTtlMs: number;
  severity: Severity;
}

const WINDOW = 5 * 60_000;
const SLOT = 15 * 60_000;
const SLOTS = (7 * 86_400_000) / SLOT; // 672
const WEEK = 7 * 86_400_000;
/** Windows of a gap folded into the profile at most (a day): bounds the work per event. */
const MAX_GAP_WINDOWS = 288;
/** Windows of a silence looked at, at most (4 hours): past that, the chance is long decided. */
const MAX_SILENT_WINDOWS = 48;
/** How much of the old counts each new observation of a slot keeps (weeks fade out). */
const DECAY = 0.8;
/** A silence is reported when it would happen by chance less than once in a thousand. */
const UNLIKELY = 0.001;

interface AgentActivity {
  first_seen: number;
  last_seen: number;
  last_id: string;
  /** Start of the 5-minute window of the latest event. */
  window_start: number;
  /** Consecutive 5-minute windows with events, up to the latest. */
  streak: number;
  /** Per 15-minute slot of the week: decayed count of windows with events, and of all windows. */
  active: number[];
  total: number[];
  /** last_seen of the silence already reported. */
  reported: number;
}

export interface AgentSilentState {
  agents: Record<string, AgentActivity>;
}

export function slotOfWeek(time: number): number {
  // 1970-01-05 was a Monday: slots count from Monday 00:00 UTC.
  return Math.floor(((((time - 4 * 86_400_000) % WEEK) + WEEK) % WEEK) / SLOT);
}

function observe(agent: AgentActivity, window: number, hadEvents: boolean): void {
  const slot = slotOfWeek(window);
  agent.active[slot] = (agent.active[slot] as number) * DECAY + (hadEvents ? 1 : 0);
  agent.total[slot] = (agent.total[slot] as number) * DECAY + 1;
}

/**
 * The chance that the agent, as busy as it usually is, sends nothing from its last event to
 * `now`: the product over those 5-minute windows of the smoothed share of empty windows in that
 * slot of the week ((empty + ½) / (all + ½): never quite zero, exactly one where it was always
 * empty). Quiet times cost nothing; unseen slots count as no evidence.
 */
function silenceChance(agent: AgentActivity, now: number): number {
  let chance = 1;
  const first = Math.floor(agent.last_seen / WINDOW) * WINDOW + WINDOW;
  for (let w = first, n = 0; w + WINDOW <= now && n < MAX_SILENT_WINDOWS; w += WINDOW, n += 1) {
    const slot = slotOfWeek(w);
    const total = agent.total[slot] as number;
    if (total < 1) continue;
    chance *= (total - (agent.active[slot] as number) + 0.5) / (total + 0.5);
  }
  return chance;
}

export function agentSilent(options: AgentSilentOptions): Detector<AgentSilentState> {
  const name = "agent_silent";
  const steadyWindows = Math.ceil(options.steadyForMs / WINDOW);
  return {
    name,
    initialState: () => ({ agents: newRecord() }),

    update(state, { event, time: eventTime, received }) {
      const time = received ?? eventTime;
      const window = Math.floor(time / WINDOW) * WINDOW;
      const agent = state.agents[event.agent_id];
      if (!agent) {
        state.agents[event.agent_id] = {
          first_seen: time,
          last_seen: time,
          last_id: event.id,
          window_start: window,
          streak: 1,
          active: new Array(SLOTS).fill(0),
          total: new Array(SLOTS).fill(0),
          reported: 0,
        };
        return [];
      }
      if (time >= agent.last_seen) {
        agent.last_seen = time;
        agent.last_id = event.id;
      }
      if (window <= agent.window_start) return [];
      const gap = (window - agent.window_start) / WINDOW - 1;
      observe(agent, agent.window_start, true);
      for (let i = 1; i <= Math.min(gap, MAX_GAP_WINDOWS); i += 1)
        observe(agent, agent.window_start + i * WINDOW, false);
      agent.streak = gap === 0 ? agent.streak + 1 : 1;
      agent.window_start = window;
      return [];
    },

    size: (state) => countEntities(state.agents),

    tick(state, now) {
      evictIdle(state.agents, now, options.entityTtlMs); // and at most MAX_ENTITIES agents
      const findings = [];
      for (const [id, agent] of Object.entries(state.agents)) {
        const silentFor = now - agent.last_seen;
        if (silentFor >= options.entityTtlMs) {
          delete state.agents[id];
          continue;
        }
        if (silentFor < options.silenceMs || agent.reported === agent.last_seen) continue;
        if (agent.streak < steadyWindows || now - agent.first_seen < WEEK) continue;
        if (silenceChance(agent, now) > UNLIKELY) continue;
        agent.reported = agent.last_seen;
        const minutes = Math.round(silentFor / 60_000);
        findings.push({
          id: findingId(name, id, `${agent.last_id}@${agent.last_seen}`),
          detector: name,
          agent_id: id,
          key: "silence",
          time: new Date(now).toISOString(),
          severity: options.severity,
          score: Math.min(1, silentFor / (4 * options.silenceMs)),
          observed: { silent_minutes: minutes, last_event_at: new Date(agent.last_seen).toISOString() },
          baseline: { steady_minutes: agent.streak * 5 },
          event_ids: [agent.last_id],
          title: `Agent ${id} went silent`,
          summary: `${id} sent events in every 5 minutes for ${agent.streak * 5} minutes, then nothing for ${minutes} minutes, which it practically never does at this time of the week`,
          labels: {},
        });
      }
      return findings;
    },
  };
}

/** `detectors.agent_silent`. */
export const agentSilentDefinition = defineDetector("agent_silent", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** No event for this long... */
    silence: duration.prefault("15m"),
    /** ...after events in every 5 minutes for at least this long. */
    steady_for: duration.prefault("1h"),
    entity_ttl: duration.prefault("7d"),
    severity: severity.default("warning"),
  }),
  create: (s) =>
    s.enabled
      ? [
          agentSilent({
            silenceMs: s.silence,
            steadyForMs: s.steady_for,
            entityTtlMs: s.entity_ttl,
            severity: s.severity,
          }) as Detector,
        ]
      : [],
});
