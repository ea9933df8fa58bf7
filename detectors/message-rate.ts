/**
 * message_rate: messages (user `prompt` events) per user of an agent over the last hour, above
 * a cap. A person chatting rarely sends more than one message a minute for an hour; a script
 * driving the agent (scraping, a loop, an abuse campaign) does. Alerts once per hour per user.
 */

import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { severity } from "../lib/settings.ts";
import {
  addSliding,
  countEntities,
  newSlidingCounter,
  type SlidingCounter,
  slidingTotal,
} from "./baselines.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface MessageRateOptions {
  maxPerHour: number;
  severity: Severity;
  /** Users kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
}

const HOUR = 3_600_000;
/** Five-minute buckets: the hourly count is exact to within five minutes. */
const BUCKETS = 12;

interface UserEntity {
  agent_id: string;
  user_id: string;
  counter: SlidingCounter;
  recent: string[];
  last_alert: number | null;
  last_seen: number;
}

export interface MessageRateState {
  users: Record<string, UserEntity>;
  /** The per-agent budget of `users` (absent in checkpoints from before budgets). */
  ledgers?: Record<string, AgentLedger>;
}

export function messageRate(options: MessageRateOptions): Detector<MessageRateState> {
  const name = "message_rate";
  const budgets = new TableBudgets(name, options.budget);
  return {
    name,
    eventTypes: ["prompt"],
    initialState: () => ({ users: newRecord(), ledgers: newRecord() }),

    update(state, { event, time, received }) {
      if (event.type !== "prompt" || event.user_id === undefined) return [];
      if (event.origin !== undefined && event.origin !== "user") return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const key = `${event.agent_id}|user:${event.user_id}`;
      const raised: Finding[] = [];
      if (state.users[key] === undefined) {
        // A new user counts against its own agent's budget only (issue 30).
        const at = { seen, time, eventId: event.id };
        if (!budgets.admit(state, "users", event.agent_id, at, raised)) return raised;
      }
      state.users[key] ??= {
        agent_id: event.agent_id,
        user_id: event.user_id,
        counter: newSlidingCounter(BUCKETS),
        recent: [],
        last_alert: null,
        last_seen: 0,
      };
      const user = state.users[key];
      user.last_seen = Math.max(user.last_seen, seen);
      addSliding(user.counter, time, HOUR);
      user.recent.push(event.id);
      if (user.recent.length > 5) user.recent.shift();
      const count = slidingTotal(user.counter);
      if (count <= options.maxPerHour) return raised;
      if (user.last_alert !== null && time - user.last_alert < HOUR) return raised;
      user.last_alert = time;
      return [
        ...raised,
        {
          id: findingId(name, key, event.id),
          detector: name,
          agent_id: event.agent_id,
          ...(event.session_id ? { session_id: event.session_id } : {}),
          key: `user:${event.user_id}`,
          time: new Date(time).toISOString(),
          severity: options.severity,
          score: Math.min(1, count / (2 * options.maxPerHour)),
          observed: { messages_last_hour: count },
          baseline: { max_per_hour: options.maxPerHour },
          event_ids: [...user.recent],
          title: `Message rate: user ${event.user_id} on ${event.agent_id}`,
          summary: `user ${event.user_id} sent ${count} messages to ${event.agent_id} in the last hour (cap ${options.maxPerHour})`,
          labels: { user_id: event.user_id },
        },
      ];
    },

    size: (state) => countEntities(state.users),

    tick(state, now) {
      // A user quiet for an hour has nothing left in the window (by arrival time, see evictIdle).
      budgets.settle(
        state,
        "users",
        state.users,
        now,
        HOUR,
        (u) => u.last_seen,
        (u) => u.agent_id,
      );
      return [];
    },
  };
}

/** `detectors.message_rate`. */
export const messageRateDefinition = defineDetector("message_rate", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** User messages to one agent in the last hour above which it alerts. */
    max_per_hour: z.number().int().min(1).default(60),
    severity: severity.default("warning"),
  }),
  create: (s, { all }) =>
    s.enabled
      ? [
          messageRate({
            maxPerHour: s.max_per_hour,
            severity: s.severity,
            budget: budgetFrom(all),
          }) as Detector,
        ]
      : [],
});
