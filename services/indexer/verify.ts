/**
 * `agentwatch verify` and `GET /v1/integrity/verify`: recompute every hash chain (chain.ts) from
 * storage and say, per chain, verified, or exactly which record was changed, deleted, inserted or
 * reordered. Events stored without a link (before chains existed) are counted apart; one stored
 * without a link after its chain began was put there by something other than agentwatch.
 *
 * Legitimate changes stay visible without failing: an erased event (DELETE /v1/subjects) keeps
 * its link and says who erased it; records before a chain's first stored one are reported as
 * deleted by retention when the audit trail holds a retention run, else as deleted. The signed
 * digests (audit entries `integrity_digest`) pin each chain's head: records past a signed head
 * that are gone, or a record that differs from it, are found even at a chain's end.
 */
import { sha256, verifySignatureEd25519 } from "../runtime/integrity.ts";
import type { IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { type ChainHead, contentHash, type DigestDetails, digestPayload } from "./chain.ts";

const PAGE = 1000;

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
  unchained: number;
  problems: string[];
}

export async function verifyChains(
  storage: Storage,
  publicKeyPem: string | undefined,
): Promise<VerifyReport> {
  const byStream = new Map<string, IngestedEvent[]>();
  const unchained: IngestedEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.queryEvents({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const stored of page.events) {
      if (!stored.chain) {
        unchained.push(stored);
        continue;
      }
      const list = byStream.get(stored.chain.stream) ?? [];
      list.push(stored);
      byStream.set(stored.chain.stream, list);
    }
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
  }
  const audit = await storage.queryAudit({ limit: 1000, action: "integrity_digest" });
  const retentionRan = (await storage.queryAudit({ limit: 1, action: "retention" })).length > 0;
  const problems: string[] = [];
  const chains = [...byStream]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stream, records]) => {
      const digests = audit
        .filter((e) => (e.details as unknown as DigestDetails).streams?.[stream] !== undefined)
        .sort((a, b) => (a.time < b.time ? 1 : -1));
      return verifyChain(stream, records, digests[0], publicKeyPem, retentionRan);
    });
  // A record without a link, received after chains began, was not stored by agentwatch's indexer.
  const chainsBegan = Math.min(...[...byStream.values()].flat().map((e) => Date.parse(e.received_at)));
  for (const e of unchained) {
    if (Date.parse(e.received_at) >= chainsBegan) {
      problems.push(
        `${e.event.agent_id}/${e.event.id}: inserted (in no chain, received after the chains began)`,
      );
    }
  }
  return {
    ok: problems.length === 0 && chains.every((c) => c.verified),
    chains,
    unchained: unchained.length,
    problems,
  };
}

function verifyChain(
  stream: string,
  records: IngestedEvent[],
  digest: { time: string; details: Record<string, unknown> } | undefined,
  publicKeyPem: string | undefined,
  retentionRan: boolean,
): ChainReport {
  const problems: string[] = [];
  const notes: string[] = [];
  const bySeq = new Map<number, IngestedEvent[]>();
  for (const r of records) {
    const seq = r.chain?.seq as number;
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), r]);
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const first = seqs[0] ?? 0;
  const last = seqs.at(-1) ?? 0;
  const name = (r: IngestedEvent) => `${r.event.agent_id}/${r.event.id}`;
  if (first > 1) {
    if (retentionRan)
      notes.push(`seq 1 to ${first - 1}: deleted by retention (the audit trail holds the runs)`);
    else problems.push(`seq 1 to ${first - 1}: deleted (no retention run explains it)`);
  }
  let previous: IngestedEvent | undefined;
  let expected = first;
  for (const seq of seqs) {
    const claimants = bySeq.get(seq) as IngestedEvent[];
    if (seq > expected)
      problems.push(`seq ${expected}${seq - 1 > expected ? ` to ${seq - 1}` : ""}: deleted`);
    if (claimants.length > 1) {
      problems.push(
        `seq ${seq}: inserted (${claimants.length} records claim it: ${claimants.map(name).join(", ")})`,
      );
    }
    const record = claimants[0] as IngestedEvent;
    const link = record.chain as NonNullable<IngestedEvent["chain"]>;
    const erased = (record.event as { erased?: { at: string; by: string } }).erased;
    if (erased) notes.push(`seq ${seq} (${name(record)}): erased by ${erased.by} at ${erased.at}`);
    else if (contentHash(record) !== link.content_hash)
      problems.push(`seq ${seq} (${name(record)}): changed`);
    if (sha256(`${link.prev}${link.content_hash}`) !== link.hash) {
      problems.push(`seq ${seq} (${name(record)}): its link was altered`);
    } else if (previous && previous.chain?.seq === seq - 1 && link.prev !== previous.chain.hash) {
      problems.push(`seq ${seq} (${name(record)}): does not follow seq ${seq - 1} (reordered or replaced)`);
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
    if (signed && signed.chain?.hash !== head.hash) {
      problems.push(`seq ${head.seq} (${name(signed)}): differs from the digest of ${digest.time}`);
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
