/**
 * The indexer role: copies events from the bus into storage, where they can be searched.
 * Writes are idempotent by (agent_id, id), and the offset is committed only after the write,
 * so a crash replays the tail and still stores each event exactly once.
 */
import { type Bus, type BusRecord, type Consumer, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import { guardPoisonRecords } from "../runtime/bus/poison.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";

export const INDEXER_GROUP = "indexer";

export class Indexer {
  readonly #bus: Bus;
  readonly #storage: Storage;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  #consumer: Consumer | undefined;

  constructor(options: { bus: Bus; storage: Storage; logger: Logger; metrics: Metrics }) {
    this.#bus = options.bus;
    this.#storage = options.storage;
    this.#logger = options.logger.child({ component: "indexer" });
    this.#metrics = options.metrics;
  }

  async start(): Promise<void> {
    this.#consumer = await this.#bus.consume({
      group: INDEXER_GROUP,
      topic: Topics.events,
      maxBatchSize: 1000,
      handleBatch: guardPoisonRecords(
        async (batch) => {
          const events: IngestedEvent[] = [];
          const dead: { record: BusRecord; reason: string }[] = [];
          for (const record of batch.records) {
            try {
              const ingested = JSON.parse(record.value) as IngestedEvent;
              if (typeof ingested?.event?.id !== "string" || typeof ingested.event.agent_id !== "string") {
                dead.push({ record, reason: "not an event record: no event.id or event.agent_id" });
              } else {
                events.push(ingested);
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
          await this.#storage.putEvents(events);
        },
        { bus: this.#bus, metrics: this.#metrics, logger: this.#logger, group: INDEXER_GROUP },
      ),
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }
}
