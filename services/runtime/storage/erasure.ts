/**
 * Erasing a person's data from their events (`DELETE /v1/subjects/{user_id}`): what stays is what
 * says that something happened, when, of which type, on which agent, at what cost; what goes is
 * their content (text, tool arguments and targets, error messages, attributes, the login name)
 * and every identifier that leads back to the person (user, session, source IP). The event keeps
 * its id and says when and by whom it was erased, so the erasure itself stays visible.
 */
import type { AgentEvent } from "../../../lib/events.ts";
import type { IngestedEvent } from "../model.ts";

export interface Erasure {
  at: string;
  by: string;
}

export function eraseEvent(ingested: IngestedEvent, erasure: Erasure): IngestedEvent {
  const e = ingested.event;
  const kept: AgentEvent = {
    id: e.id,
    time: e.time,
    type: e.type,
    agent_id: e.agent_id,
    ...(e.origin ? { origin: e.origin } : {}),
    ...(e.latency_ms !== undefined ? { latency_ms: e.latency_ms } : {}),
    ...(e.status ? { status: e.status } : {}),
    ...(e.usage ? { usage: e.usage } : {}),
    ...(e.auth
      ? { auth: { outcome: e.auth.outcome, ...(e.auth.method ? { method: e.auth.method } : {}) } }
      : {}),
    ...(e.tool ? { tool: { name: e.tool.name } } : {}),
    ...(e.error?.code ? { error: { code: e.error.code } } : {}),
    erased: { at: erasure.at, by: erasure.by },
  };
  // The chain link stays: the erased event still holds its place, and verify says it was erased.
  return {
    event: kept,
    received_at: ingested.received_at,
    token: ingested.token,
    ...(ingested.chain ? { chain: ingested.chain } : {}),
  };
}
