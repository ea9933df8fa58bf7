/**
 * The indexer role: copies events from the bus into storage, where they can be searched.
 * Writes are idempotent by (agent_id, id), and the offset is committed only after the write,
 * so a crash replays the tail and still stores each event exactly once.
 *
 * An event whose (agent_id, id) is stored already with other content is not a replay: its id was
 * reused where the collector could not see it (runtime/reused-ids.ts). It is appended to the
 * events topic again under its new id, marked, and stored when it comes round.
 *
 * As it stores them it links each event into its partition's hash chain (chain.ts), in offset
 * order, and every `digestIntervalMs` signs the heads of the chains it owns, and of its storage's
 * audit chain (an audit entry).
 */
import { type Bus, type BusRecord, type Consumer, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import { guardPoisonRecords } from "../runtime/bus/poison.ts";
import type { Signer } from "../runtime/integrity.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { IngestedEvent } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import { appendEvents, keptUnderNewId, storedHashOf } from "../runtime/reused-ids.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { appendDigest, auditHeadOf, type ChainHead, linkAfter, loadHead, saveHead } from "./chain.ts";

export const INDEXER_GROUP = "indexer";

export interface IndexerOptions {
  bus: Bus;
  storage: Storage;
  logger: Logger;
  metrics: Metrics;
  /** Signs the chains' heads; without it no digest is written (the chains are still linked). */
  signer?: Signer;
  digestIntervalMs?: number;
}

export class Indexer {
  readonly #bus: Bus;
  readonly #storage: Storage;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #options: IndexerOptions;
  /** The head of each owned partition's chain, as stored. */
  readonly #heads = new Map<number, ChainHead>();
  readonly #mutex = new Mutex();
  #consumer: Consumer | undefined;
  #digestTimer: NodeJS.Timeout | undefined;
  #digested = "";

  constructor(options: IndexerOptions) {
    this.#bus = options.bus;
    this.#storage = options.storage;
    this.#logger = options.logger.child({ component: "indexer" });
    this.#metrics = options.metrics;
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#consumer = await this.#bus.consume({
      group: INDEXER_GROUP,
      topic: Topics.events,
      maxBatchSize: 1000,
      handleBatch: guardPoisonRecords(
        async (batch) => {
          const events: { record: BusRecord; ingested: IngestedEvent }[] = [];
          const dead: { record: BusRecord; reason: string }[] = [];
          for (const record of batch.records) {
            try {
              const ingested = JSON.parse(record.value) as IngestedEvent;
              if (typeof ingested?.event?.id !== "string" || typeof ingested.event.agent_id !== "string") {
                dead.push({ record, reason: "not an event record: no event.id or event.agent_id" });
              } else {
                events.push({ record, ingested });
              }
            } catch (err) {
              dead.push({ record, reason: `not an event record: ${(err as Error).message}` });
            }
          }
          if (dead.length > 0) {
            this.#logger.error(
              { records: dead.length, first: dead[0]?.reason },
              "undecodable event records sent to the dead-letter topic",
            );
            await sendToDeadLetter(this.#bus, this.#metrics, INDEXER_GROUP, dead);
          }
          await this.#mutex.run(() => this.#storeLinked(batch.partition, batch.records, events));
        },
        { bus: this.#bus, metrics: this.#metrics, logger: this.#logger, group: INDEXER_GROUP },
      ),
      // A partition (re)assigned may have been linked further by another indexer meanwhile.
      onAssigned: async (partition) => {
        this.#heads.delete(partition);
        return undefined;
      },
    });
    const signer = this.#options.signer;
    if (signer) {
      this.#digestTimer = setInterval(() => {
        this.#digest(signer).catch((err: unknown) =>
          this.#logger.error(
            { err },
            "writing the signed digest of the hash chains failed; tried again later",
          ),
        );
      }, this.#options.digestIntervalMs ?? 3_600_000);
      this.#digestTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#digestTimer);
    await this.#consumer?.stop();
    // A last digest, so the heads stored on stop are signed.
    if (this.#options.signer) await this.#digest(this.#options.signer).catch(() => undefined);
  }

  /**
   * Links the batch's new events into the partition's chain and stores them, then the head.
   * Records linked before (a replay after a crash) keep their link: one already stored at the
   * same offset is adopted as the head; an event stored earlier at another offset is a duplicate
   * and is not linked again.
   */
  async #storeLinked(
    partition: number,
    records: BusRecord[],
    events: { record: BusRecord; ingested: IngestedEvent }[],
  ): Promise<void> {
    const stream = `events:${partition}`;
    let head = this.#heads.get(partition) ?? (await loadHead(this.#storage, partition));
    const fresh = events.filter((e) => e.record.offset > head.offset);
    const stored = new Map(
      (
        await this.#storage.getEvents(
          fresh.map(({ ingested }) => ({ agent_id: ingested.event.agent_id, id: ingested.event.id })),
        )
      ).map((e) => [`${e.event.agent_id}/${e.event.id}`, e]),
    );
    const toStore: IngestedEvent[] = [];
    const reused: IngestedEvent[] = [];
    for (const { record, ingested } of fresh) {
      const offset = record.offset;
      const key = `${ingested.event.agent_id}/${ingested.event.id}`;
      const already = stored.get(key);
      if (already) {
        if (already.chain?.stream === stream && already.chain.offset === offset) {
          head = { seq: already.chain.seq, hash: already.chain.hash, offset };
          continue;
        }
        // Only what the collector hashed is judged: records without a hash (the providers'
        // usage records, whose ids are derived from their content; older collectors) stay
        // duplicates, as before.
        const first = ingested.event_hash === undefined ? undefined : storedHashOf(already);
        if (first !== undefined && first !== ingested.event_hash)
          reused.push(keptUnderNewId(ingested, first));
        continue;
      }
      const chain = linkAfter(head, stream, offset, ingested);
      head = { seq: chain.seq, hash: chain.hash, offset };
      stored.set(key, { ...ingested, chain });
      toStore.push({ ...ingested, chain });
    }
    if (reused.length > 0) {
      // Before the offset is committed: a crash appends them again, and the bus (or, past its
      // memory, this same check) takes the repeat as the retry it is.
      const appended = await appendEvents(this.#bus, reused);
      const count = appended.filter((a) => a.appended).length;
      if (count > 0) {
        this.#metrics.eventIdConflicts.inc({ found_by: "indexer" }, count);
        this.#logger.warn(
          { events: count, first: reused[0]?.id_conflict?.id, agent_id: reused[0]?.event.agent_id },
          "events sent under ids already stored with other content: kept under new ids",
        );
      }
    }
    const last = records.at(-1)?.offset ?? head.offset;
    head = { ...head, offset: Math.max(head.offset, last) };
    await this.#storage.putEvents(toStore);
    await saveHead(this.#storage, partition, head);
    this.#heads.set(partition, head);
  }

  /** Signs the heads of the owned chains when they moved since the last digest. */
  async #digest(signer: Signer): Promise<void> {
    await this.#mutex.run(async () => {
      if (this.#heads.size === 0) return;
      // The events' chains this indexer owns, and the audit chain of its own storage (so that an
      // audit entry cut from the trail's end is found too).
      const streams: Record<string, ChainHead> = Object.fromEntries(
        [...this.#heads].map(([p, head]) => [`events:${p}`, head]),
      );
      const audit = this.#storage.auditHead();
      if (JSON.stringify({ streams, audit: audit.seq }) === this.#digested) return;
      await appendDigest(this.#storage, signer, { ...streams, ...auditHeadOf(this.#storage) });
      // The digest itself takes the next audit position: the head there, and the events' heads
      // as they are, mean nothing new to sign. (Read after the write instead, an entry appended
      // meanwhile would count as signed.)
      this.#digested = JSON.stringify({ streams, audit: audit.seq + 1 });
    });
  }
}
