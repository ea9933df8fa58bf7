import { createHash } from "node:crypto";

/** A deterministic finding id: the same detector, entity and triggering event give the same id. */
export function findingId(detector: string, key: string, eventId: string): string {
  return createHash("sha256").update(`${detector}\u0000${key}\u0000${eventId}`).digest("hex").slice(0, 32);
}
