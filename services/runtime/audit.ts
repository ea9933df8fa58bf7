import { randomUUID } from "node:crypto";
import type { AuditEntry } from "./model.ts";
import type { Storage } from "./storage/storage.ts";

export type AuditWriter = (entry: Omit<AuditEntry, "id" | "time">) => Promise<void>;

/** The one way administrative actions reach the append-only audit trail. */
export function auditWriter(storage: Storage, now: () => number = Date.now): AuditWriter {
  return (entry) => storage.appendAudit({ id: randomUUID(), time: new Date(now()).toISOString(), ...entry });
}
