/**
 * event_id_conflict: an event came under an `(agent_id, id)` already used for other content. The
 * event itself was kept under a new id and every other detector judges it; what this says is that
 * the id was reused: an agent that restarts its id counter, or someone who knows or guesses its
 * ids and sends first (before this, the agent's own event was dropped as a duplicate, unscanned).
 * The collector or the indexer finds the conflict and marks the event (services/runtime/
 * reused-ids.ts); this detector judges the mark, as paused_agent_active judges the pause mark.
 *
 * Stateless: one finding per event kept under a new id (a retry of it is a duplicate and never
 * reaches the detectors again), on the agent and the token that sent it, so one token's reuse
 * joins one incident. Warning by default: the harm, if any, is in the content, which the other
 * detectors judge on its own (a leaked key is critical there); this is the context that someone
 * is writing over the agent's ids.
 */
import { z } from "zod";
import { type Severity, severity } from "../lib/settings.ts";
import { findingId } from "./finding-id.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface EventIdConflictOptions {
  severity: Severity;
}

export function eventIdConflict(options: EventIdConflictOptions): Detector<Record<string, never>> {
  const name = "event_id_conflict";
  return {
    name,
    initialState: () => ({}),
    update(_state, { event, time, reusedId }) {
      if (!reusedId) return [];
      const { id, firstHash, hash, token } = reusedId;
      const key = `token:${token}`;
      const finding: Finding = {
        id: findingId(name, `${event.agent_id}|${key}`, event.id),
        detector: name,
        agent_id: event.agent_id,
        ...(event.session_id ? { session_id: event.session_id } : {}),
        key,
        time: new Date(time).toISOString(),
        severity: options.severity,
        score: 1,
        observed: { id, kept_as: event.id, type: event.type, token, content_hash: hash },
        baseline: { content_hash: firstHash },
        // The event first stored under the id, and this one under its new id: both are evidence.
        event_ids: [id, event.id],
        title: `An event id of ${event.agent_id} was reused with other content`,
        summary: `token "${token}" sent a ${event.type} event under id ${JSON.stringify(id)} of ${event.agent_id}, already used for other content (sha256 ${firstHash}, this one ${hash}); it was kept as ${JSON.stringify(event.id)} and judged like any other. An agent that reuses ids, or someone sending under ids that are not theirs`,
        labels: { token },
      };
      return [finding];
    },
  };
}

/** `detectors.event_id_conflict`. */
export const eventIdConflictDefinition = defineDetector("event_id_conflict", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    severity: severity.default("warning"),
  }),
  create: (s) => (s.enabled ? [eventIdConflict({ severity: s.severity }) as Detector] : []),
});
