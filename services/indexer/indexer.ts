/**
 * The indexer role: copies events from the bus into storage, where they can be searched.
 * Writes are idempotent by (agent_id, id), and the offset is committed only after the write,
 * so a crash replays the tail and still stores each event exactly once.
 */
import { type Bus, type Consumer, Topics } from "../runtime/bus/bus.ts";
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
      handleBatch: async (batch) => {
        const events: IngestedEvent[] = [];
        for (const record of batch.records) {
          try {
            events.push(JSON.parse(record.value) as IngestedEvent);
          } catch (err) {
            this.#logger.error(
              { err, offset: record.offset },
              "cannot decode an event record; it is skipped",
            );
            this.#metrics.consumerErrors.inc({ group: `${INDEXER_GROUP}:decode` });
          }
        }
        await this.#storage.putEvents(events);
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }
}
