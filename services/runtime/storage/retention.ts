/**
 * The audit entry of a retention run that deleted something, on either backend: actor
 * `agentwatch`, action `retention`, what it deleted in its details.
 */
import { randomUUID } from "node:crypto";
import type { AuditEntry } from "../model.ts";

export function retentionRun(
  now: number,
  retentionDays: number,
  auditRetentionDays: number,
  details: Record<string, unknown>,
): AuditEntry {
  return {
    id: randomUUID(),
    time: new Date(now).toISOString(),
    actor: "agentwatch",
    action: "retention",
    target: "storage",
    reason: `retention: ${retentionDays} days, audit ${auditRetentionDays} days`,
    incident_id: null,
    details,
  };
}
