/**
 * agent_silent: an agent that reported steadily has stopped. "Steadily" means events in every
 * 5-minute window for at least `steady_for`; "stopped" means nothing for `silence`. Agents that
 * are usually quiet at this hour of the week (learned per agent) are not reported, so an agent
 * that sleeps at night does not page anyone every evening. One finding per silence.
 *
 * This detector reacts to the passing of time: it decides in `tick(now)`, with the runner's
 * clock (or, when replaying, the replayed time).
 */
import type { Severity } from "../services/runtime/config.ts";
import { type Ewma, hourOfWeek, newEwma, updateEwma } from "./baselines.ts";
import { findingId } from "./finding-id.ts";
import type { Detector } from "./types.ts";

export interface AgentSilentOptions {
  silenceMs: number;
  steadyForMs: number;
  entityTtlMs: number;
  severity: Severity;
}

const WINDOW = 5 * 60_000;
/** Windows of a gap folded into the activity profile at most (a day): bounds the work per event. */
const MAX_GAP_WINDOWS = 288;
const ACTIVITY_ALPHA = 0.3;

interface AgentActivity {
  last_seen: number;
  last_id: string;
  /** Start of the 5-minute window of the latest event. */
  window_start: number;
  /** Consecutive 5-minute windows with events, up to the latest. */
  streak: number;
  /** Per hour of the week: how often a 5-minute window had events (EWMA of 1/0). */
  activity: Ewma[];
  /** last_seen of the silence already reported. */
  reported: number;
}

export interface AgentSilentState {
  agents: Record<string, AgentActivity>;
}

export function agentSilent(options: AgentSilentOptions): Detector<AgentSilentState> {
  const name = "agent_silent";
  const steadyWindows = Math.ceil(options.steadyForMs / WINDOW);
  return {
    name,
    initialState: () => ({ agents: {} }),

    update(state, { event, time: eventTime, received }) {
      // Arrival time: silence is judged against the runner's clock, not the agent's.
      const time = received ?? eventTime;
      const window = Math.floor(time / WINDOW) * WINDOW;
      const agent = state.agents[event.agent_id];
      if (!agent) {
        state.agents[event.agent_id] = {
          last_seen: time,
          last_id: event.id,
          window_start: window,
          streak: 1,
          activity: Array.from({ length: 168 }, newEwma),
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
      updateEwma(agent.activity[hourOfWeek(agent.window_start)] as Ewma, 1, ACTIVITY_ALPHA);
      for (let i = 1; i <= Math.min(gap, MAX_GAP_WINDOWS); i += 1) {
        updateEwma(agent.activity[hourOfWeek(agent.window_start + i * WINDOW)] as Ewma, 0, ACTIVITY_ALPHA);
      }
      agent.streak = gap === 0 ? agent.streak + 1 : 1;
      agent.window_start = window;
      return [];
    },

    tick(state, now) {
      const findings = [];
      for (const [id, agent] of Object.entries(state.agents)) {
        const silentFor = now - agent.last_seen;
        if (silentFor >= options.entityTtlMs) {
          delete state.agents[id];
          continue;
        }
        if (silentFor < options.silenceMs || agent.reported === agent.last_seen) continue;
        if (agent.streak < steadyWindows) continue;
        const usual = agent.activity[hourOfWeek(now)] as Ewma;
        if (usual.n >= 3 && usual.mean < 0.5) continue; // usually quiet at this hour
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
          summary: `${id} sent events in every 5 minutes for ${agent.streak * 5} minutes, then nothing for ${minutes} minutes`,
          labels: {},
        });
      }
      return findings;
    },
  };
}
