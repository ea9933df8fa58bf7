/**
 * `agentwatch verify` and `GET /v1/integrity/verify`: recompute every hash chain from storage, the
 * events' (one per bus partition, chain.ts) and the audit trail's (one per process that wrote
 * it, storage/audit-chain.ts), and say, per chain, verified, or exactly which record was changed,
 * deleted, inserted or reordered. Records stored without a link (before chains existed) are
 * counted apart; one stored without a link after the chains began was put there by something
 * other than agentwatch.
 *
 * Legitimate deletions stay visible without failing, and only where agentwatch signed them: a gap
 * in a chain is a retention run's only when a signed tombstone (storage/tombstone.ts) covers it
 * and the record after it follows the tombstone's last hash; an erased event is an erasure only
 * when a signed erasure tombstone names its position. The signed digests (audit entries
 * `integrity_digest`) pin each chain's head, the events' and the indexer's audit chain's:
 * records past a signed head that are gone, or a record that differs from it, are found even at
 * a chain's end.
 *
 * With a time range (`from`, `to`: arrival, epoch ms), each chain is checked over the positions
 * of the records that arrived in it, anchored on the record before (or the tombstone covering
 * it), and the report names that range of positions.
 */
import { contentHashOf, GENESIS, sha256, verifySignatureEd25519 } from "../runtime/integrity.ts";
import type { AuditEntry, ChainLink, IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { type TombstoneDetails, tombstoneSigned } from "../runtime/storage/tombstone.ts";
import {
  type ChainHead,
  contentHash,
  DIGEST_CHECKPOINT,
  type DigestDetails,
  digestHash,
  digestPayload,
} from "./chain.ts";

const PAGE = 1000;
/**
 * With a range, records are read this far on each side of it too: the anchors its first records
 * follow (collectors' clocks and the bus's order differ by far less). Only the range is judged.
 */
const ANCHOR_MARGIN_MS = 5 * 60_000;
/** Audit entries read per page (newest first). */
const AUDIT_PAGE = 10_000;

export interface VerifyRange {
  /** Inclusive, epoch ms, on arrival (events) or writing (audit entries). */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
}

export interface ChainReport {
  stream: string;
  /** Records checked (all the chain's, or those in the range's positions). */
  records: number;
  first_seq: number;
  last_seq: number;
  verified: boolean;
  problems: string[];
  /** Legitimate changes, shown but not failures: erasures, retention. */
  notes: string[];
  digest?: { time: string; seq: number; signature: "valid" | "invalid" };
}

export interface VerifyReport {
  ok: boolean;
  /** The arrival times asked for, when a range was. */
  range?: { from: string | null; to: string | null };
  chains: ChainReport[];
  /** Records stored before chains existed. */
  unchained: number;
  /** Signed tombstones found (storage/tombstone.ts). */
  tombstones: number;
  problems: string[];
}

/** A chained record as verify sees it, events and audit entries alike. */
interface Linked {
  name: string;
  link: ChainLink;
  /** Arrival (events) or writing (audit entries), epoch ms. */
  at: number;
  /** Its content's hash now; undefined for an erased event (its content is gone on purpose). */
  contentHash: string | undefined;
  erased?: { at: string; by: string };
}

/** One range of a signed tombstone, with where it came from. */
interface Tomb {
  cause: "retention" | "erasure";
  from: number;
  to: number;
  lastHash: string;
  time: string;
  actor: string;
}

export async function verifyChains(
  storage: Storage,
  publicKeyPem: string | undefined,
  range: VerifyRange = {},
): Promise<VerifyReport> {
  const inRange = (at: number) =>
    (range.from === undefined || at >= range.from) && (range.to === undefined || at < range.to);
  const byStream = new Map<string, Linked[]>();
  const add = (linked: Linked) => {
    const list = byStream.get(linked.link.stream) ?? [];
    list.push(linked);
    byStream.set(linked.link.stream, list);
  };
  const problems: string[] = [];
  // A range reads only what arrived in it (and the margin): memory follows the range, not the store.
  const read = {
    ...(range.from !== undefined ? { from: range.from - ANCHOR_MARGIN_MS } : {}),
    ...(range.to !== undefined ? { to: range.to + ANCHOR_MARGIN_MS } : {}),
  };
  const unchainedEvents: IngestedEvent[] = [];
  let eventsBegan = Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.queryEvents({
      limit: PAGE,
      order: "arrival",
      ...(read.from !== undefined ? { received_from: read.from } : {}),
      ...(read.to !== undefined ? { received_to: read.to } : {}),
      ...(cursor ? { cursor } : {}),
    });
    for (const e of page.events) {
      if (!e.chain) {
        unchainedEvents.push(e);
        continue;
      }
      const at = Date.parse(e.received_at);
      eventsBegan = Math.min(eventsBegan, at);
      const erased = (e.event as { erased?: { at: string; by: string } }).erased;
      add({
        name: `${e.event.agent_id}/${e.event.id}`,
        link: e.chain,
        at,
        contentHash: erased ? undefined : contentHash(e),
        ...(erased ? { erased } : {}),
      });
    }
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
  }
  for (const e of unchainedEvents) {
    const at = Date.parse(e.received_at);
    if (at >= eventsBegan && inRange(at)) {
      problems.push(
        `${e.event.agent_id}/${e.event.id}: inserted (in no chain, received after the chains began)`,
      );
    }
  }

  // The digests and tombstones whatever the range: they vouch for the chains.
  const trail = await readAudit(storage, problems, read);
  const seenAudit = new Set(trail.map((e) => e.id));
  if (read.from !== undefined || read.to !== undefined) {
    for (const action of ["integrity_digest", "tombstone"] as const) {
      for (const entry of await readAudit(storage, problems, { action })) {
        if (!seenAudit.has(entry.id)) trail.push(entry);
        seenAudit.add(entry.id);
      }
    }
  }
  const unchainedAudit: AuditEntry[] = [];
  let auditBegan = Number.POSITIVE_INFINITY;
  for (const entry of trail) {
    if (!entry.chain) {
      unchainedAudit.push(entry);
      continue;
    }
    const at = Date.parse(entry.time);
    auditBegan = Math.min(auditBegan, at);
    add({
      name: `audit ${entry.id} (${entry.action})`,
      link: entry.chain,
      at,
      contentHash: contentHashOf(entry),
    });
  }
  for (const entry of unchainedAudit) {
    const at = Date.parse(entry.time);
    if (at > auditBegan && inRange(at)) {
      problems.push(
        `audit ${entry.id} (${entry.action}): inserted (in no chain, written after the chains began)`,
      );
    }
  }

  const tombs = new Map<string, Tomb[]>();
  let tombstones = 0;
  for (const entry of trail.filter((e) => e.action === "tombstone")) {
    const details = entry.details as unknown as TombstoneDetails;
    if (details.signature === null) {
      problems.push(`tombstone ${entry.id} of ${entry.time}: not signed (the storage had no signing key)`);
      continue;
    }
    if (!tombstoneSigned(entry, publicKeyPem)) {
      problems.push(`tombstone ${entry.id} of ${entry.time}: its signature does not verify`);
      continue;
    }
    tombstones += 1;
    for (const r of details.ranges) {
      const list = tombs.get(r.stream) ?? [];
      list.push({
        cause: details.cause,
        from: r.from_seq,
        to: r.to_seq,
        lastHash: r.last_hash,
        time: entry.time,
        actor: entry.actor,
      });
      tombs.set(r.stream, list);
    }
  }
  for (const list of tombs.values()) list.sort((a, b) => a.from - b.from);

  const digests = trail
    .filter((e) => e.action === "integrity_digest")
    .sort((a, b) => (a.time < b.time ? 1 : -1));
  // The digests are chained too (each names the one before, as CloudTrail's do), and the
  // checkpoints keep the newest's hash: a digest removed, with the audit entries before it, is found.
  const digestHashes = new Set(digests.map((d) => digestHash(d.details as unknown as DigestDetails)));
  for (const d of digests) {
    const previous: unknown = (d.details as unknown as DigestDetails).previous;
    if (typeof previous !== "string")
      problems.push(`digest of ${d.time}: malformed (names no previous digest)`);
    else if (previous !== GENESIS && !digestHashes.has(previous))
      problems.push(`digest of ${d.time}: the digest before it (${previous.slice(0, 16)}…) is gone`);
  }
  const newest = await storage.loadCheckpoint(DIGEST_CHECKPOINT, 0);
  const newestHash = newest ? (JSON.parse(newest.state) as { hash?: string }).hash : undefined;
  if (newestHash && !digestHashes.has(newestHash))
    problems.push(`the newest digest (${newestHash.slice(0, 16)}…, named in the checkpoints) is gone`);
  const chains: ChainReport[] = [];
  for (const [stream, records] of [...byStream].sort(([a], [b]) => a.localeCompare(b))) {
    const window =
      range.from === undefined && range.to === undefined ? undefined : windowOf(records, inRange);
    if (range.from !== undefined || range.to !== undefined) {
      if (!window) continue;
    }
    const digest = digests.find(
      (e) => (e.details as unknown as DigestDetails).streams?.[stream] !== undefined,
    );
    chains.push(
      verifyChain(
        stream,
        records,
        tombs.get(stream) ?? [],
        digest,
        publicKeyPem,
        window,
        range.to === undefined,
      ),
    );
  }
  return {
    ok: problems.length === 0 && chains.every((c) => c.verified),
    ...(range.from !== undefined || range.to !== undefined
      ? {
          range: {
            from: range.from === undefined ? null : new Date(range.from).toISOString(),
            to: range.to === undefined ? null : new Date(range.to).toISOString(),
          },
        }
      : {}),
    chains,
    unchained: unchainedEvents.length + unchainedAudit.length,
    tombstones,
    problems,
  };
}

/** The audit trail (or the part asked for), newest first, a page at a time (pages end on a time boundary). */
async function readAudit(
  storage: Storage,
  problems: string[],
  query: { from?: number; to?: number; action?: AuditEntry["action"] },
): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  const seen = new Set<string>();
  let to: number | undefined = query.to;
  for (;;) {
    const page = await storage.queryAudit({
      limit: AUDIT_PAGE,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(to === undefined ? {} : { to }),
    });
    let added = 0;
    for (const entry of page) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      all.push(entry);
      added += 1;
    }
    if (page.length < AUDIT_PAGE) return all;
    const oldest = Date.parse(page.at(-1)?.time ?? "");
    if (added === 0 || !Number.isFinite(oldest)) {
      problems.push(
        `the audit trail was read only to ${page.at(-1)?.time}: over ${AUDIT_PAGE} entries share one millisecond`,
      );
      return all;
    }
    // `to` is exclusive: the oldest millisecond is read again, its entries seen are skipped.
    to = oldest + 1;
  }
}

/** The positions of the chain's records that arrived in the range, if any did. */
function windowOf(
  records: Linked[],
  inRange: (at: number) => boolean,
): { lo: number; hi: number } | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (!inRange(r.at)) continue;
    lo = Math.min(lo, r.link.seq);
    hi = Math.max(hi, r.link.seq);
  }
  return Number.isFinite(lo) ? { lo, hi } : undefined;
}

/** Whether signed retention tombstones cover positions a to b; the one ending at b, if any. */
function coverage(tombs: Tomb[], a: number, b: number): { covered: boolean; last?: Tomb } {
  let next = a;
  let last: Tomb | undefined;
  for (const t of tombs) {
    if (t.cause !== "retention" || t.to < next) continue;
    if (t.from > next) break;
    next = t.to + 1;
    if (t.to >= b) {
      last = t.to === b ? t : tombs.find((u) => u.cause === "retention" && u.to === b);
      return { covered: true, ...(last ? { last } : {}) };
    }
  }
  return { covered: false };
}

/** The range among `sorted` (by `from`, not overlapping) that covers `seq`: a binary search. */
function covering(sorted: Tomb[], seq: number): Tomb | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = sorted[mid] as Tomb;
    if (t.to < seq) lo = mid + 1;
    else if (t.from > seq) hi = mid - 1;
    else return t;
  }
  return undefined;
}

function verifyChain(
  stream: string,
  records: Linked[],
  tombs: Tomb[],
  digest: AuditEntry | undefined,
  publicKeyPem: string | undefined,
  window: { lo: number; hi: number } | undefined,
  /** Whether the records read reach the chain's end (no `to`): only then is its signed end checked. */
  toEnd: boolean,
): ChainReport {
  const problems: string[] = [];
  const notes: string[] = [];
  const bySeq = new Map<number, Linked[]>();
  for (const r of records) bySeq.set(r.link.seq, [...(bySeq.get(r.link.seq) ?? []), r]);
  const allSeqs = [...bySeq.keys()].sort((a, b) => a - b);
  const chainLast = allSeqs.at(-1) ?? 0;
  const seqs = window ? allSeqs.filter((s) => s >= window.lo && s <= window.hi) : allSeqs;
  const first = seqs[0] ?? 0;
  const last = seqs.at(-1) ?? 0;
  const range = (a: number, b: number) => `seq ${a}${b > a ? ` to ${b}` : ""}`;
  /** A gap of positions a to b: a retention run's if signed tombstones cover it, else a deletion. */
  const gap = (a: number, b: number, why = "") => {
    const { covered, last: tomb } = coverage(tombs, a, b);
    if (covered) {
      notes.push(`${range(a, b)}: deleted by retention (signed tombstone${tomb ? ` of ${tomb.time}` : "s"})`);
    } else problems.push(`${range(a, b)}: deleted${why}`);
  };
  // Disjoint (an erasure tried again names its records twice), for the binary search.
  const erasures: Tomb[] = [];
  for (const t of tombs.filter((u) => u.cause === "erasure")) {
    const last = erasures.at(-1);
    if (last && t.from <= last.to + 1 && t.to >= last.to)
      erasures[erasures.length - 1] = { ...last, to: t.to, lastHash: t.lastHash };
    else if (!last || t.from > last.to) erasures.push(t);
  }
  const retentionEnds = new Map(tombs.filter((t) => t.cause === "retention").map((t) => [t.to, t]));
  let expected = window ? window.lo : 1;
  for (const seq of seqs) {
    const claimants = bySeq.get(seq) as Linked[];
    if (seq > expected)
      gap(expected, seq - 1, expected === 1 && !window ? " (no signed tombstone covers it)" : "");
    if (claimants.length > 1) {
      problems.push(
        `seq ${seq}: inserted (${claimants.length} records claim it: ${claimants.map((c) => c.name).join(", ")})`,
      );
    }
    const record = claimants[0] as Linked;
    const { link } = record;
    if (record.erased) {
      const tomb = covering(erasures, seq);
      if (tomb && (tomb.to !== seq || tomb.lastHash === link.hash))
        notes.push(`seq ${seq} (${record.name}): erased by ${record.erased.by} at ${record.erased.at}`);
      else
        problems.push(
          `seq ${seq} (${record.name}): changed (marked erased, but no signed tombstone names it)`,
        );
    } else if (record.contentHash !== link.content_hash)
      problems.push(`seq ${seq} (${record.name}): changed`);
    if (sha256(`${link.prev}${link.content_hash}`) !== link.hash) {
      problems.push(`seq ${seq} (${record.name}): its link was altered`);
    } else {
      // What it must follow: the record before it, the tombstone covering it, or the genesis.
      const before = bySeq.get(seq - 1)?.[0];
      const tomb = before ? undefined : retentionEnds.get(seq - 1);
      const expectedPrev = seq === 1 ? GENESIS : (before?.link.hash ?? tomb?.lastHash);
      if (expectedPrev !== undefined && link.prev !== expectedPrev) {
        problems.push(
          before || seq === 1
            ? `seq ${seq} (${record.name}): does not follow seq ${seq - 1} (reordered or replaced)`
            : `seq ${seq} (${record.name}): does not follow the tombstone of ${tomb?.time} (reordered or replaced)`,
        );
      }
    }
    expected = seq + 1;
  }
  let digestReport: ChainReport["digest"];
  if (digest) {
    const details = digest.details as unknown as DigestDetails;
    const head = details.streams[stream] as ChainHead;
    const valid =
      publicKeyPem !== undefined &&
      verifySignatureEd25519(
        publicKeyPem,
        digestPayload(digest.time, details.streams, details.previous),
        details.signature,
      );
    digestReport = { time: digest.time, seq: head.seq, signature: valid ? "valid" : "invalid" };
    if (!valid) problems.push(`digest of ${digest.time}: its signature does not verify`);
    // The chain's end as signed: checked when the range reaches it.
    if (head.seq > chainLast && toEnd)
      gap(Math.max(chainLast + 1, window?.lo ?? 0), head.seq, ` (signed in the digest of ${digest.time})`);
    const signed = bySeq.get(head.seq)?.[0];
    if (
      signed &&
      signed.link.hash !== head.hash &&
      (!window || (head.seq >= window.lo && head.seq <= window.hi))
    ) {
      problems.push(`seq ${head.seq} (${signed.name}): differs from the digest of ${digest.time}`);
    }
  }
  return {
    stream,
    records: seqs.reduce((n, s) => n + (bySeq.get(s)?.length ?? 0), 0),
    first_seq: first,
    last_seq: last,
    verified: problems.length === 0,
    problems,
    notes,
    ...(digestReport ? { digest: digestReport } : {}),
  };
}
