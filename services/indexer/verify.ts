/**
 * `agentwatch verify` and `GET /v1/integrity/verify`: recompute every hash chain from storage, the
 * events' (one per bus partition, chain.ts) and the audit trail's (one per process that wrote
 * it, storage/audit-chain.ts), and say, per chain, verified, or exactly which record was changed,
 * deleted, inserted or reordered. Records stored without a link (before chains existed) are
 * counted apart; one stored without a link after the chains began was put there by something
 * other than agentwatch.
 *
 * Legitimate changes stay visible without failing: an erased event (DELETE /v1/subjects) keeps
 * its link and says who erased it; records before a chain's first stored one are reported as
 * deleted by retention when the audit trail holds a retention run, else as deleted. The signed
 * digests (audit entries `integrity_digest`) pin each event chain's head: records past a signed
 * head that are gone, or a record that differs from it, are found even at a chain's end.
 */
import { contentHashOf, sha256, verifySignatureEd25519 } from "../runtime/integrity.ts";
import type { AuditEntry, ChainLink, IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { type ChainHead, contentHash, type DigestDetails, digestPayload } from "./chain.ts";

const PAGE = 1000;
/** Audit entries read (newest first): the audit trail is small beside the events. */
const MAX_AUDIT = 10_000;

export interface ChainReport {
  stream: string;
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
  chains: ChainReport[];
  /** Records stored before chains existed. */
  unchained: number;
  problems: string[];
}

/** A chained record as verify sees it, events and audit entries alike. */
interface Linked {
  name: string;
  link: ChainLink;
  /** Its content's hash now; undefined for an erased event (its content is gone on purpose). */
  contentHash: string | undefined;
  erased?: { at: string; by: string };
}

export async function verifyChains(
  storage: Storage,
  publicKeyPem: string | undefined,
): Promise<VerifyReport> {
  const byStream = new Map<string, Linked[]>();
  const add = (linked: Linked) => {
    const list = byStream.get(linked.link.stream) ?? [];
    list.push(linked);
    byStream.set(linked.link.stream, list);
  };
  const problems: string[] = [];
  const unchainedEvents: IngestedEvent[] = [];
  let eventsBegan = Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.queryEvents({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const e of page.events) {
      if (!e.chain) {
        unchainedEvents.push(e);
        continue;
      }
      eventsBegan = Math.min(eventsBegan, Date.parse(e.received_at));
      const erased = (e.event as { erased?: { at: string; by: string } }).erased;
      add({
        name: `${e.event.agent_id}/${e.event.id}`,
        link: e.chain,
        contentHash: erased ? undefined : contentHash(e),
        ...(erased ? { erased } : {}),
      });
    }
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
  }
  for (const e of unchainedEvents) {
    if (Date.parse(e.received_at) >= eventsBegan) {
      problems.push(
        `${e.event.agent_id}/${e.event.id}: inserted (in no chain, received after the chains began)`,
      );
    }
  }

  const trail = await storage.queryAudit({ limit: MAX_AUDIT });
  const unchainedAudit: AuditEntry[] = [];
  let auditBegan = Number.POSITIVE_INFINITY;
  for (const entry of trail) {
    if (!entry.chain) {
      unchainedAudit.push(entry);
      continue;
    }
    auditBegan = Math.min(auditBegan, Date.parse(entry.time));
    add({
      name: `audit ${entry.id} (${entry.action})`,
      link: entry.chain,
      contentHash: contentHashOf(entry),
    });
  }
  for (const entry of unchainedAudit) {
    if (Date.parse(entry.time) > auditBegan) {
      problems.push(
        `audit ${entry.id} (${entry.action}): inserted (in no chain, written after the chains began)`,
      );
    }
  }

  const digests = trail.filter((e) => e.action === "integrity_digest");
  const retentionRan = trail.some((e) => e.action === "retention");
  const chains = [...byStream]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stream, records]) => {
      const digest = stream.startsWith("events:")
        ? digests
            .filter((e) => (e.details as unknown as DigestDetails).streams?.[stream] !== undefined)
            .sort((a, b) => (a.time < b.time ? 1 : -1))[0]
        : undefined;
      return verifyChain(stream, records, digest, publicKeyPem, retentionRan);
    });
  return {
    ok: problems.length === 0 && chains.every((c) => c.verified),
    chains,
    unchained: unchainedEvents.length + unchainedAudit.length,
    problems,
  };
}

function verifyChain(
  stream: string,
  records: Linked[],
  digest: AuditEntry | undefined,
  publicKeyPem: string | undefined,
  retentionRan: boolean,
): ChainReport {
  const problems: string[] = [];
  const notes: string[] = [];
  const bySeq = new Map<number, Linked[]>();
  for (const r of records) bySeq.set(r.link.seq, [...(bySeq.get(r.link.seq) ?? []), r]);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const first = seqs[0] ?? 0;
  const last = seqs.at(-1) ?? 0;
  if (first > 1) {
    if (retentionRan)
      notes.push(`seq 1 to ${first - 1}: deleted by retention (the audit trail holds the runs)`);
    else problems.push(`seq 1 to ${first - 1}: deleted (no retention run explains it)`);
  }
  let previous: Linked | undefined;
  let expected = first;
  for (const seq of seqs) {
    const claimants = bySeq.get(seq) as Linked[];
    if (seq > expected)
      problems.push(`seq ${expected}${seq - 1 > expected ? ` to ${seq - 1}` : ""}: deleted`);
    if (claimants.length > 1) {
      problems.push(
        `seq ${seq}: inserted (${claimants.length} records claim it: ${claimants.map((c) => c.name).join(", ")})`,
      );
    }
    const record = claimants[0] as Linked;
    const { link } = record;
    if (record.erased)
      notes.push(`seq ${seq} (${record.name}): erased by ${record.erased.by} at ${record.erased.at}`);
    else if (record.contentHash !== link.content_hash) problems.push(`seq ${seq} (${record.name}): changed`);
    if (sha256(`${link.prev}${link.content_hash}`) !== link.hash) {
      problems.push(`seq ${seq} (${record.name}): its link was altered`);
    } else if (previous && previous.link.seq === seq - 1 && link.prev !== previous.link.hash) {
      problems.push(`seq ${seq} (${record.name}): does not follow seq ${seq - 1} (reordered or replaced)`);
    }
    previous = record;
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
    if (head.seq > last)
      problems.push(`seq ${last + 1} to ${head.seq}: deleted (signed in the digest of ${digest.time})`);
    const signed = bySeq.get(head.seq)?.[0];
    if (signed && signed.link.hash !== head.hash) {
      problems.push(`seq ${head.seq} (${signed.name}): differs from the digest of ${digest.time}`);
    }
  }
  return {
    stream,
    records: records.length,
    first_seq: first,
    last_seq: last,
    verified: problems.length === 0,
    problems,
    notes,
    ...(digestReport ? { digest: digestReport } : {}),
  };
}
