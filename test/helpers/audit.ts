/** An audit entry for the retention tests: an operator's pause at `time`. */
import type { AuditEntry } from "../../services/runtime/model.ts";

export function pauseEntry(id: string, time: string): AuditEntry {
  return {
    id,
    time,
    actor: "oncall",
    action: "pause",
    target: "agent:bot",
    reason: null,
    incident_id: null,
    details: {},
  };
}
