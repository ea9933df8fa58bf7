/**
 * Proof that exported records are the ones the storage chained and agentwatch signed: for each
 * chain an evidence bundle draws records from, the content-free links (seq, prev, content_hash,
 * hash) from the first exported record's position to the head of the first signed digest that
 * reaches past the last one, and that digest. Whoever holds the bundle and agentwatch's public
 * key can then check, offline, that each exported record's content hashes to its link, that the
 * links chain up to a head agentwatch signed, and so that nothing was changed in storage before
 * the export either: no other record's content is needed, only its hashes.
 *
 * A proof is left incomplete, and says why, when no digest reaches the records yet (the next
 * comes within `integrity.digest_interval`), when a position between is missing from storage,
 * or when the segment is too long to carry (MAX_PROOF_LINKS).
 */
import { sha256, verifySignatureEd25519 } from "../runtime/integrity.ts";
import type { AuditEntry, ChainLink } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { type DigestDetails, digestPayload } from "./chain.ts";

/** Links one proof carries at most. */
export const MAX_PROOF_LINKS = 100_000;
/** Records read at most to build one proof. */
const MAX_PROOF_SCAN = 1_000_000;
/** Records of a chain arrive in its order but for collectors' clock skew: read this far either side. */
const MARGIN_MS = 5 * 60_000;
const PAGE = 1000;

export type ProofLink = Pick<ChainLink, "seq" | "prev" | "content_hash" | "hash">;

export interface ChainProof {
  stream: string;
  complete: boolean;
  /** Why it is not complete. */
  reason?: string;
  /** The digest whose signed head the links reach: its audit entry's id, time and details. */
  digest?: { id: string; time: string; details: DigestDetails };
  links: ProofLink[];
}

/** What a bundle exports of one chain: its lowest and highest positions, and the earliest arrival. */
export interface ExportedSpan {
  stream: string;
  lo: number;
  hi: number;
  earliest: number;
}

export function spansOf(records: { link: ChainLink; at: number }[]): ExportedSpan[] {
  const spans = new Map<string, ExportedSpan>();
  for (const { link, at } of records) {
    const span = spans.get(link.stream);
    if (!span) spans.set(link.stream, { stream: link.stream, lo: link.seq, hi: link.seq, earliest: at });
    else {
      span.lo = Math.min(span.lo, link.seq);
      span.hi = Math.max(span.hi, link.seq);
      span.earliest = Math.min(span.earliest, at);
    }
  }
  return [...spans.values()].sort((a, b) => a.stream.localeCompare(b.stream));
}

export async function buildProof(
  storage: Storage,
  span: ExportedSpan,
  digests: AuditEntry[],
): Promise<ChainProof> {
  const { stream, lo, hi } = span;
  // The first digest that reaches past the last exported record: the shortest segment.
  let digest: AuditEntry | undefined;
  for (const d of digests) {
    const head = (d.details as unknown as DigestDetails).streams?.[stream];
    if (!head || head.seq < hi) continue;
    const best = digest ? (digest.details as unknown as DigestDetails).streams[stream] : undefined;
    if (!best || head.seq < best.seq) digest = d;
  }
  if (!digest) {
    return {
      stream,
      complete: false,
      reason: `no signed digest reaches seq ${hi} yet (one is written every integrity.digest_interval): export again after the next`,
      links: [],
    };
  }
  const details = digest.details as unknown as DigestDetails;
  const head = details.streams[stream] as { seq: number; hash: string };
  const proof = (complete: boolean, links: ProofLink[], reason?: string): ChainProof => ({
    stream,
    complete,
    ...(reason ? { reason } : {}),
    digest: { id: digest.id, time: digest.time, details },
    links,
  });
  if (head.seq - lo + 1 > MAX_PROOF_LINKS) {
    return proof(false, [], `seq ${lo} to ${head.seq} is over ${MAX_PROOF_LINKS} links`);
  }
  const bySeq = new Map<number, ProofLink>();
  const keep = (link: ChainLink | undefined) => {
    if (link?.stream === stream && link.seq >= lo && link.seq <= head.seq) {
      bySeq.set(link.seq, {
        seq: link.seq,
        prev: link.prev,
        content_hash: link.content_hash,
        hash: link.hash,
      });
    }
  };
  const from = span.earliest - MARGIN_MS;
  const to = Date.parse(digest.time) + MARGIN_MS;
  let scanned = 0;
  if (stream.startsWith("audit:")) {
    let before: number | undefined = to;
    for (;;) {
      const page = await storage.queryAudit({ from, to: before as number, limit: PAGE * 10 });
      for (const entry of page) keep(entry.chain);
      scanned += page.length;
      const oldest = Date.parse(page.at(-1)?.time ?? "");
      if (page.length < PAGE * 10 || !Number.isFinite(oldest) || oldest + 1 >= (before as number)) break;
      before = oldest + 1;
      if (scanned > MAX_PROOF_SCAN) break;
    }
  } else {
    let cursor: string | undefined;
    for (;;) {
      const page = await storage.queryEvents({
        order: "arrival",
        received_from: from,
        received_to: to,
        limit: PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const stored of page.events) keep(stored.chain);
      scanned += page.events.length;
      cursor = page.next_cursor ?? undefined;
      if (!cursor || scanned > MAX_PROOF_SCAN) break;
    }
  }
  const links: ProofLink[] = [];
  for (let seq = lo; seq <= head.seq; seq += 1) {
    const link = bySeq.get(seq);
    if (!link)
      return proof(false, [], `seq ${seq} of ${stream} is not in storage (deleted, or beyond what was read)`);
    links.push(link);
  }
  return proof(true, links);
}

/**
 * Checks a proof with agentwatch's public key: the digest's signature, and links that chain
 * (each hash is SHA-256 of its prev and content hash, each prev the hash before) to the signed
 * head. Returns the link hash of each position it proves, or why it proves none.
 */
export function checkProof(
  proof: ChainProof,
  publicKeyPem: string,
): { hashes: Map<number, string> } | { problem: string } {
  const d = proof.digest;
  if (!proof.complete || !d) return { problem: `not proven: ${proof.reason ?? "incomplete"}` };
  if (
    !verifySignatureEd25519(
      publicKeyPem,
      digestPayload(d.time, d.details.streams, d.details.previous),
      d.details.signature,
    )
  )
    return { problem: `the digest of ${d.time} is not signed by the bundle's key` };
  const head = d.details.streams[proof.stream];
  if (!head) return { problem: `the digest of ${d.time} does not sign ${proof.stream}` };
  const hashes = new Map<number, string>();
  let previous: ProofLink | undefined;
  for (const link of proof.links) {
    if (sha256(`${link.prev}${link.content_hash}`) !== link.hash)
      return { problem: `link seq ${link.seq}: its hash does not match its prev and content` };
    if (previous && (link.seq !== previous.seq + 1 || link.prev !== previous.hash))
      return { problem: `link seq ${link.seq}: does not follow seq ${previous.seq}` };
    hashes.set(link.seq, link.hash);
    previous = link;
  }
  if (!previous || previous.seq !== head.seq || previous.hash !== head.hash)
    return { problem: `the links do not end at the head the digest of ${d.time} signed (seq ${head.seq})` };
  return { hashes };
}
