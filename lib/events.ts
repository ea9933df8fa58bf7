/**
 * The contract's agent event and finding (contract §2 and §4), in their wire form: what the
 * collector accepts and what detectors raise. Shared by the detectors and the services.
 */
import type { AgentwatchEvent } from "../client/src/events.ts";
import type { Severity } from "./settings.ts";

// The event's shape is written once, in the client the package exports (client/src/events.ts:
// standalone, built for agents' own Node), and the server reads it from there.
export { AGENT_ID_PATTERN, EVENT_TYPES, type EventType } from "../client/src/events.ts";

/** An agent event as accepted by the collector (contract §2). Unknown top-level fields are kept. */
export type AgentEvent = AgentwatchEvent;

/** A finding as detectors raise it. `id` is deterministic so a replay raises the same id. */
export interface Finding {
  id: string;
  detector: string;
  agent_id: string;
  session_id?: string;
  /** The entity the finding is about, within the agent (e.g. `principal:alice`, `ip:203.0.113.9`). */
  key: string;
  /** Event time of the event that raised it (RFC 3339). */
  time: string;
  severity: Severity;
  score: number;
  observed: unknown;
  baseline: unknown;
  event_ids: string[];
  title: string;
  summary: string;
  labels: Record<string, string>;
  /** When the event that raised it arrived at the collector (set by the detector runner, not the detector). */
  received_at?: string;
  /** When the detector runner raised it (agentwatch's clock). */
  detected_at?: string;
}
