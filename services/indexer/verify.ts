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
import type { AuditEntry, ChainLink } from "../runtime/model.ts";
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
  /** Whether it arrived in the range asked for (always, without one): only those are judged. */
  judged: boolean;
  /** Its content's hash now; undefined for an erased event (its content is gone on purpose). */
  contentHash: string | undefined;
  erased?: { at: string; by: string };
}

/** One range of a signed tombstone, with where it came from. */
interface Tomb {
  from: number;
  to: number;
  lastHash: string;
  time: string;
}

/** Problems and notes kept per chain; past it, a count (an attacker's million deletions stay one line). */
const MAX_LINES = 1000;
/**
 * Records a chain holds back while it waits for a missing position: the events arrive oldest
 * first, which is each chain's order but for collectors' clock skew. A position still missing
 * after that many later ones is a gap, unless a signed tombstone explains it at once.
 */
const REORDER_WINDOW = 5000;

export async function verifyChains(
  storage: Storage,
  publicKeyPem: string | undefined,
  range: VerifyRange = {},
): Promise<VerifyReport> {
  const ranged = range.from !== undefined || range.to !== undefined;
  const inRange = (at: number) =>
    (range.from === undefined || at >= range.from) && (range.to === undefined || at < range.to);
  const problems: string[] = [];
  // A range reads only what arrived in it (and the margin): memory follows the range, not the store.
  const read = {
    ...(range.from !== undefined ? { from: range.from - ANCHOR_MARGIN_MS } : {}),
    ...(range.to !== undefined ? { to: range.to + ANCHOR_MARGIN_MS } : {}),
  };

  // The audit trail first (small beside the events): the tombstones and digests the event chains
  // are judged by, whatever the range, and the audit chains' own records.
  const trail = await readAudit(storage, problems, read);
  const seenAudit = new Set(trail.map((e) => e.id));
  if (ranged) {
    for (const action of ["integrity_digest", "tombstone"] as const) {
      for (const entry of await readAudit(storage, problems, { action })) {
        if (!seenAudit.has(entry.id)) trail.push(entry);
        seenAudit.add(entry.id);
      }
    }
  }
  const retentionTombs = new Map<string, Tomb[]>();
  const erasureTombs = new Map<string, Tomb[]>();
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
    const byStream = details.cause === "erasure" ? erasureTombs : retentionTombs;
    for (const r of details.ranges) {
      const list = byStream.get(r.stream) ?? [];
      list.push({ from: r.from_seq, to: r.to_seq, lastHash: r.last_hash, time: entry.time });
      byStream.set(r.stream, list);
    }
  }

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

  const checks = new Map<string, ChainCheck>();
  const checkOf = (stream: string): ChainCheck => {
    let check = checks.get(stream);
    if (!check) {
      // The newest digest that signed this chain's head (digests are newest first).
      const digest = digests.find(
        (e) => (e.details as unknown as DigestDetails).streams?.[stream] !== undefined,
      );
      check = new ChainCheck(stream, {
        retention: retentionTombs.get(stream) ?? [],
        erasures: erasureTombs.get(stream) ?? [],
        ranged,
        fromStart: range.from === undefined,
        digest,
        publicKeyPem,
      });
      checks.set(stream, check);
    }
    return check;
  };
  const add = (linked: Linked) => checkOf(linked.link.stream).add(linked);

  // The events, oldest first by arrival, a page at a time: each chain holds only its reorder window.
  let unchained = 0;
  let eventsBegan = false;
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
      const at = Date.parse(e.received_at);
      if (!e.chain) {
        unchained += 1;
        // Before the first chained record: stored before chains existed.
        if (eventsBegan && inRange(at))
          problems.push(
            `${e.event.agent_id}/${e.event.id}: inserted (in no chain, received after the chains began)`,
          );
        continue;
      }
      eventsBegan = true;
      const erased = (e.event as { erased?: { at: string; by: string } }).erased;
      add({
        name: `${e.event.agent_id}/${e.event.id}`,
        link: e.chain,
        judged: inRange(at),
        contentHash: erased ? undefined : contentHash(e),
        ...(erased ? { erased } : {}),
      });
    }
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
  }

  // The audit trail is in memory: each chain in its own order. Digests and tombstones read from
  // outside the range vouch for the chains but are not records of it (nor anchors).
  const inRead = (at: number) =>
    (read.from === undefined || at >= read.from) && (read.to === undefined || at < read.to);
  const chainedAudit = trail
    .filter((e) => e.chain && inRead(Date.parse(e.time)))
    .sort((a, b) => {
      const [x, y] = [a.chain as ChainLink, b.chain as ChainLink];
      return x.stream === y.stream ? x.seq - y.seq : x.stream < y.stream ? -1 : 1;
    });
  const auditBegan = chainedAudit.reduce(
    (min, e) => Math.min(min, Date.parse(e.time)),
    Number.POSITIVE_INFINITY,
  );
  for (const entry of trail) {
    const at = Date.parse(entry.time);
    if (!entry.chain) {
      unchained += 1;
      if (at > auditBegan && inRange(at))
        problems.push(
          `audit ${entry.id} (${entry.action}): inserted (in no chain, written after the chains began)`,
        );
    }
  }
  for (const entry of chainedAudit) {
    add({
      name: `audit ${entry.id} (${entry.action})`,
      link: entry.chain as ChainLink,
      judged: inRange(Date.parse(entry.time)),
      contentHash: contentHashOf(entry),
    });
  }

  // A chain a digest signed but nothing of which is stored any more is checked too.
  for (const d of digests)
    for (const stream of Object.keys((d.details as unknown as DigestDetails).streams ?? {})) checkOf(stream);
  const chains: ChainReport[] = [];
  for (const [, check] of [...checks].sort(([a], [b]) => a.localeCompare(b))) {
    const report = check.finish(range.to === undefined);
    if (report) chains.push(report);
  }
  return {
    ok: problems.length === 0 && chains.every((c) => c.verified),
    ...(ranged
      ? {
          range: {
            from: range.from === undefined ? null : new Date(range.from).toISOString(),
            to: range.to === undefined ? null : new Date(range.to).toISOString(),
          },
        }
      : {}),
    chains,
    unchained,
    tombstones,
    problems: capped(problems),
  };
}

/** At most MAX_LINES lines, then how many more. */
function capped(lines: string[], extra = 0): string[] {
  const more = Math.max(0, lines.length - MAX_LINES) + extra;
  return more > 0 ? [...lines.slice(0, MAX_LINES), `… and ${more} more`] : lines;
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

/** Sorted by `from` and merged where they overlap or touch (a run tried again names records twice). */
function disjoint(tombs: Tomb[]): Tomb[] {
  const out: Tomb[] = [];
  for (const t of [...tombs].sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && t.from <= last.to + 1) {
      if (t.to > last.to) out[out.length - 1] = { ...last, to: t.to, lastHash: t.lastHash, time: t.time };
    } else out.push(t);
  }
  return out;
}

/** The range among `sorted` (disjoint, by `from`) that covers `seq`: a binary search. */
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

/**
 * One chain, checked as its records come (nearly in order): each position is judged once its
 * record is there, or once a signed tombstone or the reorder window says it is gone.
 */
class ChainCheck {
  readonly #stream: string;
  /** Retention ranges (disjoint), and each one's end: what the record after a gap must follow. */
  readonly #retention: Tomb[];
  readonly #retentionEnds: Map<number, Tomb>;
  readonly #erasures: Tomb[];
  readonly #ranged: boolean;
  readonly #fromStart: boolean;
  readonly #digest: AuditEntry | undefined;
  readonly #signedHead: ChainHead | undefined;
  readonly #publicKeyPem: string | undefined;
  readonly #pending = new Map<number, Linked[]>();
  /** The next position to judge; undefined before the first. */
  #next: number | undefined;
  #previous: { seq: number; hash: string } | undefined;
  #records = 0;
  #first = 0;
  #last = 0;
  /** The highest position seen, judged or not. */
  #highest = 0;
  readonly #problems: string[] = [];
  #moreProblems = 0;
  readonly #notes: string[] = [];
  #moreNotes = 0;
  readonly #deletedByRetention = { records: 0, ranges: 0, from: 0, to: 0, time: "" };

  constructor(
    stream: string,
    options: {
      retention: Tomb[];
      erasures: Tomb[];
      ranged: boolean;
      /** Whether what is read starts at the chain's start (no `from`): position 1 is expected. */
      fromStart: boolean;
      digest: AuditEntry | undefined;
      publicKeyPem: string | undefined;
    },
  ) {
    this.#stream = stream;
    this.#retention = disjoint(options.retention);
    this.#retentionEnds = new Map(options.retention.map((t) => [t.to, t]));
    this.#erasures = disjoint(options.erasures);
    this.#ranged = options.ranged;
    this.#fromStart = options.fromStart;
    this.#digest = options.digest;
    this.#signedHead = options.digest
      ? (options.digest.details as unknown as DigestDetails).streams[stream]
      : undefined;
    this.#publicKeyPem = options.publicKeyPem;
  }

  add(record: Linked): void {
    const seq = record.link.seq;
    this.#highest = Math.max(this.#highest, seq);
    if (this.#next !== undefined && seq < this.#next) {
      // A record a retention run signed for but did not delete (it stopped between the two).
      if (covering(this.#retention, seq)) return;
      // Its position was judged already: a second record claims it, or it came too late.
      if (record.judged)
        this.#problem(`seq ${seq}: inserted (${record.name} claims a position already taken)`);
      return;
    }
    const claimants = this.#pending.get(seq);
    if (claimants) claimants.push(record);
    else this.#pending.set(seq, [record]);
    this.#drain(false);
  }

  /** Judges what can be judged: everything, at the end. */
  #drain(final: boolean): void {
    for (;;) {
      if (this.#pending.size === 0) return;
      if (this.#next === undefined) {
        // The chain starts at 1 (a gap there is retention's, or a deletion). A range starting
        // later starts at its first record read: one of the margin's, there only as an anchor.
        this.#next = this.#fromStart ? 1 : Math.min(...this.#pending.keys());
      }
      const next = this.#next;
      const here = this.#pending.get(next);
      if (here) {
        this.#pending.delete(next);
        this.#judge(next, here);
        continue;
      }
      const tomb = covering(this.#retention, next);
      if (tomb) {
        this.#noteRetention(next, tomb.to, tomb.time);
        this.#next = tomb.to + 1;
        continue;
      }
      if (!final && this.#pending.size <= REORDER_WINDOW) return;
      // Gone, and nothing signed says why.
      const resume = Math.min(...this.#pending.keys());
      const judged = [...(this.#pending.get(resume) ?? [])].some((r) => r.judged);
      if (judged) this.#gap(next, resume - 1);
      this.#next = resume;
    }
  }

  #gap(a: number, b: number, why = ""): void {
    // Part of it may be a retention run's: the uncovered rest is the deletion.
    let position = a;
    while (position <= b) {
      const tomb = covering(this.#retention, position);
      if (tomb) {
        const end = Math.min(b, tomb.to);
        this.#noteRetention(position, end, tomb.time);
        position = end + 1;
        continue;
      }
      const nextTomb = this.#retention.find((t) => t.from > position && t.from <= b);
      const end = nextTomb ? nextTomb.from - 1 : b;
      this.#problem(
        `${seqRange(position, end)}: deleted${why || (position === 1 ? " (no signed tombstone covers it)" : "")}`,
      );
      position = end + 1;
    }
  }

  #noteRetention(a: number, b: number, time: string): void {
    const d = this.#deletedByRetention;
    if (d.ranges === 0) d.from = a;
    d.records += b - a + 1;
    d.ranges += 1;
    d.to = b;
    d.time = time;
  }

  #judge(seq: number, claimants: Linked[]): void {
    const record = claimants[0] as Linked;
    const { link } = record;
    this.#next = seq + 1;
    const previous = this.#previous;
    this.#previous = { seq, hash: link.hash };
    if (!record.judged) return;
    const head = this.#signedHead;
    if (head?.seq === seq && head.hash !== link.hash)
      this.#problem(`seq ${seq} (${record.name}): differs from the digest of ${this.#digest?.time}`);
    this.#records += claimants.length;
    if (this.#first === 0) this.#first = seq;
    this.#last = seq;
    if (claimants.length > 1) {
      this.#problem(
        `seq ${seq}: inserted (${claimants.length} records claim it: ${claimants.map((c) => c.name).join(", ")})`,
      );
    }
    if (record.erased) {
      const tomb = covering(this.#erasures, seq);
      if (tomb && (tomb.to !== seq || tomb.lastHash === link.hash))
        this.#note(`seq ${seq} (${record.name}): erased by ${record.erased.by} at ${record.erased.at}`);
      else
        this.#problem(
          `seq ${seq} (${record.name}): changed (marked erased, but no signed tombstone names it)`,
        );
    } else if (record.contentHash !== link.content_hash)
      this.#problem(`seq ${seq} (${record.name}): changed`);
    if (sha256(`${link.prev}${link.content_hash}`) !== link.hash) {
      this.#problem(`seq ${seq} (${record.name}): its link was altered`);
      return;
    }
    // What it must follow: the record before it, the tombstone covering it, or the genesis.
    const before = previous?.seq === seq - 1 ? previous : undefined;
    const tomb = before ? undefined : this.#retentionEnds.get(seq - 1);
    const expectedPrev = seq === 1 ? GENESIS : (before?.hash ?? tomb?.lastHash);
    if (expectedPrev !== undefined && link.prev !== expectedPrev) {
      this.#problem(
        before || seq === 1
          ? `seq ${seq} (${record.name}): does not follow seq ${seq - 1} (reordered or replaced)`
          : `seq ${seq} (${record.name}): does not follow the tombstone of ${tomb?.time} (reordered or replaced)`,
      );
    }
  }

  #problem(line: string): void {
    if (this.#problems.length < MAX_LINES) this.#problems.push(line);
    else this.#moreProblems += 1;
  }

  #note(line: string): void {
    if (this.#notes.length < MAX_LINES) this.#notes.push(line);
    else this.#moreNotes += 1;
  }

  /** The chain's report, checked against its newest signed head; none when nothing of it was in the range. */
  finish(toEnd: boolean): ChainReport | undefined {
    this.#drain(true);
    if (this.#records === 0 && this.#problems.length === 0 && this.#ranged) return undefined;
    let digestReport: ChainReport["digest"];
    const digest = this.#digest;
    if (digest) {
      const details = digest.details as unknown as DigestDetails;
      const head = details.streams[this.#stream] as ChainHead;
      const valid =
        this.#publicKeyPem !== undefined &&
        verifySignatureEd25519(
          this.#publicKeyPem,
          digestPayload(digest.time, details.streams, details.previous),
          details.signature,
        );
      digestReport = { time: digest.time, seq: head.seq, signature: valid ? "valid" : "invalid" };
      if (!valid) this.#problem(`digest of ${digest.time}: its signature does not verify`);
      // The chain's end as signed: checked when what was read reaches it.
      if (toEnd && head.seq > this.#highest)
        this.#gap(this.#highest + 1, head.seq, ` (signed in the digest of ${digest.time})`);
    }
    const d = this.#deletedByRetention;
    const retentionNote =
      d.ranges === 0
        ? []
        : d.ranges === 1
          ? [`${seqRange(d.from, d.to)}: deleted by retention (signed tombstone of ${d.time})`]
          : [
              `${d.records} records in ${d.ranges} ranges from seq ${d.from} to ${d.to}: deleted by retention (signed tombstones)`,
            ];
    return {
      stream: this.#stream,
      records: this.#records,
      first_seq: this.#first,
      last_seq: this.#last,
      verified: this.#problems.length === 0,
      problems: capped(this.#problems, this.#moreProblems),
      notes: capped([...retentionNote, ...this.#notes], this.#moreNotes),
      ...(digestReport ? { digest: digestReport } : {}),
    };
  }
}

function seqRange(a: number, b: number): string {
  return `seq ${a}${b > a ? ` to ${b}` : ""}`;
}
