/**
 * Tamper-evident events: each stored event joins the hash chain of its bus partition
 * (`events:<partition>`), linked by the indexer as it stores it, and the chains' heads are
 * signed at an interval (digests in the audit trail). `agentwatch verify` recomputes the chains
 * from storage and says, per chain, verified, or which record was changed, deleted, inserted or
 * reordered.
 *
 * Why per partition: one indexer at a time owns a partition and reads it in offset order, so the
 * chain is the log's own order, the same on a replay (a crash re-links the same records the same
 * way), and several collectors and any number of partitions need no coordination.
 */
import { randomUUID } from "node:crypto";
import { canonicalJson, contentHashOf, GENESIS, type Signer, sha256 } from "../runtime/integrity.ts";
import type { AuditEntry, ChainLink, IngestedEvent } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";

export { GENESIS } from "../runtime/integrity.ts";
/** Where each partition's head is kept (the storage's checkpoints). */
export const CHAIN_HEADS = "chain:events";

export interface ChainHead {
  seq: number;
  hash: string;
  /** The last bus offset linked. */
  offset: number;
}

/** SHA-256 of the event as received (canonical JSON, without its chain link). */
export function contentHash(ingested: IngestedEvent): string {
  return contentHashOf(ingested);
}

export function linkAfter(
  head: ChainHead,
  stream: string,
  offset: number,
  ingested: IngestedEvent,
): ChainLink {
  const content_hash = contentHash(ingested);
  return {
    stream,
    seq: head.seq + 1,
    offset,
    prev: head.hash,
    content_hash,
    hash: sha256(`${head.hash}${content_hash}`),
  };
}

export async function loadHead(storage: Storage, partition: number): Promise<ChainHead> {
  const saved = await storage.loadCheckpoint(CHAIN_HEADS, partition);
  return saved ? (JSON.parse(saved.state) as ChainHead) : { seq: 0, hash: GENESIS, offset: -1 };
}

export async function saveHead(storage: Storage, partition: number, head: ChainHead): Promise<void> {
  await storage.saveCheckpoint({
    consumer: CHAIN_HEADS,
    partition,
    offset: head.offset,
    state: JSON.stringify(head),
    saved_at: Date.now(),
  });
}

/** The details of a signed digest: each chain's head, the previous digest, and the signature. */
export interface DigestDetails {
  streams: Record<string, ChainHead>;
  previous: string;
  key_id: string;
  signature: string;
}

/** A digest's own hash: what the next digest names as `previous` (and the checkpoint holds). */
export function digestHash(details: DigestDetails): string {
  return sha256(canonicalJson(details));
}

/** Where the newest digest's hash is kept (the storage's checkpoints). */
export const DIGEST_CHECKPOINT = "chain:digest";

/** What a digest signs: its time, the heads, and the hash of the previous digest (a chain of digests). */
export function digestPayload(time: string, streams: Record<string, ChainHead>, previous: string): string {
  return canonicalJson({ time, streams, previous });
}

export function digestEntry(
  signer: Signer,
  time: string,
  streams: Record<string, ChainHead>,
  previous: string,
): Omit<AuditEntry, "id"> {
  const details: DigestDetails = {
    streams,
    previous,
    key_id: signer.keyId,
    signature: signer.sign(digestPayload(time, streams, previous)),
  };
  return {
    time,
    actor: "agentwatch",
    action: "integrity_digest",
    target: "events",
    reason: null,
    incident_id: null,
    details: details as unknown as Record<string, unknown>,
  };
}

/** The head of a storage's audit chain as a digest names it (no record is signed before the first). */
export function auditHeadOf(storage: Storage): Record<string, ChainHead> {
  const audit = storage.auditHead();
  return audit.seq > 0 ? { [audit.stream]: { seq: audit.seq, hash: audit.hash, offset: audit.seq } } : {};
}

/**
 * Signs `streams` now: appends the digest to the audit trail, naming the newest digest before it
 * (the checkpoints keep its hash), and makes it the newest.
 */
export async function appendDigest(
  storage: Storage,
  signer: Signer,
  streams: Record<string, ChainHead>,
): Promise<void> {
  const previousSaved = await storage.loadCheckpoint(DIGEST_CHECKPOINT, 0);
  const previous = previousSaved ? (JSON.parse(previousSaved.state) as { hash: string }).hash : GENESIS;
  const entry = digestEntry(signer, new Date().toISOString(), streams, previous);
  await storage.appendAudit({ id: randomUUID(), ...entry });
  await storage.saveCheckpoint({
    consumer: DIGEST_CHECKPOINT,
    partition: 0,
    offset: 0,
    state: JSON.stringify({ hash: digestHash(entry.details as unknown as DigestDetails) }),
    saved_at: Date.now(),
  });
}

/**
 * Signs the audit chain of a process that runs no indexer (the alerter alone, say): the
 * indexer's digests sign only its own storage's audit chain. Every `intervalMs`, when the chain
 * moved since, and once more on stop.
 */
export class AuditDigester {
  readonly #storage: Storage;
  readonly #signer: Signer;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #mutex = new Mutex();
  #timer: NodeJS.Timeout | undefined;
  /** The audit position the last digest took. */
  #digested = 0;

  constructor(options: {
    storage: Storage;
    signer: Signer;
    intervalMs: number;
    onError: (err: unknown) => void;
  }) {
    this.#storage = options.storage;
    this.#signer = options.signer;
    this.#intervalMs = options.intervalMs;
    this.#onError = options.onError;
  }

  start(): void {
    this.#timer = setInterval(() => this.digest().catch(this.#onError), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.digest().catch(this.#onError);
  }

  /** Signs the audit chain's head if it moved since the last digest (which moves it itself). */
  digest(): Promise<void> {
    return this.#mutex.run(async () => {
      const head = this.#storage.auditHead();
      if (head.seq === 0 || head.seq === this.#digested) return;
      await appendDigest(this.#storage, this.#signer, auditHeadOf(this.#storage));
      // The digest takes the next position: the head there means nothing new to sign. (Read
      // after the write instead, an entry appended meanwhile would count as signed.)
      this.#digested = head.seq + 1;
    });
  }
}
