/**
 * Signed tombstones: what a legitimate deletion leaves in the audit trail so that the hash chains
 * still verify and the deletion itself stays visible. A retention run that deleted chained
 * records, or an erasure that emptied chained events, writes one (or a few, for very large runs)
 * audit entry `tombstone` naming, per chain, the ranges of positions it deleted or erased and the
 * link hash of each range's last record, signed with agentwatch's Ed25519 key.
 *
 * `agentwatch verify` accepts a gap in a chain only where a tombstone with a valid signature
 * covers it, and checks that the record after the gap follows the tombstone's last hash; it
 * accepts an erased event only where an erasure tombstone names its position and link hash. So
 * someone with access to the storage can neither delete records nor blank one out by marking it
 * erased without it being reported. Tombstones, like the digests, are kept whatever the audit
 * retention: they are what vouches for the chains' gaps.
 */
import { randomUUID } from "node:crypto";
import { canonicalJson, type Signer, verifySignatureEd25519 } from "../integrity.ts";
import type { AuditEntry, ChainLink } from "../model.ts";

export type TombstoneCause = "retention" | "erasure";

/** Positions `from_seq` to `to_seq` of `stream`, all deleted (retention) or erased (erasure). */
export interface TombstoneRange {
  stream: string;
  from_seq: number;
  to_seq: number;
  /** The link hash of the range's last record: the `prev` of the record that follows it. */
  last_hash: string;
}

export interface TombstoneDetails {
  cause: TombstoneCause;
  ranges: TombstoneRange[];
  records: number;
  key_id: string | null;
  /** Base64 Ed25519 over tombstonePayload; null when the storage had no key (verify reports it). */
  signature: string | null;
}

/** Audit actions that vouch for the chains: never deleted by the audit retention. */
export const INTEGRITY_ACTIONS = ["integrity_digest", "tombstone"] as const;

/** Ranges per tombstone entry: a run with more writes several entries. */
const MAX_RANGES = 5000;

export function tombstonePayload(time: string, cause: TombstoneCause, ranges: TombstoneRange[]): string {
  return canonicalJson({ time, cause, ranges });
}

/** Consecutive positions of each chain merged into ranges, by stream then position. */
export function rangesOf(links: readonly ChainLink[]): TombstoneRange[] {
  const sorted = [...links].sort((a, b) =>
    a.stream === b.stream ? a.seq - b.seq : a.stream < b.stream ? -1 : 1,
  );
  const ranges: TombstoneRange[] = [];
  for (const link of sorted) {
    const last = ranges.at(-1);
    if (last && last.stream === link.stream && link.seq <= last.to_seq + 1) {
      if (link.seq === last.to_seq + 1) {
        last.to_seq = link.seq;
        last.last_hash = link.hash;
      }
      continue;
    }
    ranges.push({ stream: link.stream, from_seq: link.seq, to_seq: link.seq, last_hash: link.hash });
  }
  return ranges;
}

/** The tombstone entries of a deletion (none when nothing chained was deleted). */
export function tombstoneEntries(
  signer: Signer | undefined,
  cause: TombstoneCause,
  links: readonly ChainLink[],
  by: { actor: string; reason: string | null; time: string },
): AuditEntry[] {
  const ranges = rangesOf(links);
  const entries: AuditEntry[] = [];
  for (let i = 0; i < ranges.length; i += MAX_RANGES) {
    const part = ranges.slice(i, i + MAX_RANGES);
    const details: TombstoneDetails = {
      cause,
      ranges: part,
      records: part.reduce((n, r) => n + r.to_seq - r.from_seq + 1, 0),
      key_id: signer?.keyId ?? null,
      signature: signer ? signer.sign(tombstonePayload(by.time, cause, part)) : null,
    };
    entries.push({
      id: randomUUID(),
      time: by.time,
      actor: by.actor,
      action: "tombstone",
      target: cause === "retention" ? "storage" : "events",
      reason: by.reason,
      incident_id: null,
      details: details as unknown as Record<string, unknown>,
    });
  }
  return entries;
}

/** Whether the tombstone's signature verifies with this public key. */
export function tombstoneSigned(entry: AuditEntry, publicKeyPem: string | undefined): boolean {
  const details = entry.details as unknown as TombstoneDetails;
  if (!publicKeyPem || typeof details.signature !== "string" || !Array.isArray(details.ranges)) return false;
  return verifySignatureEd25519(
    publicKeyPem,
    tombstonePayload(entry.time, details.cause, details.ranges),
    details.signature,
  );
}
