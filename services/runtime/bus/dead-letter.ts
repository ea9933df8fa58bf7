/**
 * Records a consumer cannot process (they do not decode, or are not what the topic holds) go to
 * the dead-letter topic with the reason and where they came from, and are counted; the consumer
 * then moves on instead of blocking its partition. Inspect them with any consumer of
 * `<prefix>.dead-letter` (Kafka) or the `dead-letter` topic of the embedded log.
 */
import type { Metrics } from "../metrics.ts";
import { type Bus, type BusRecord, Topics } from "./bus.ts";

export interface DeadLetter {
  consumer: string;
  reason: string;
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
  time: string;
}

export async function sendToDeadLetter(
  bus: Bus,
  metrics: Metrics,
  consumer: string,
  records: { record: BusRecord; reason: string }[],
): Promise<void> {
  if (records.length === 0) return;
  await bus.append(
    Topics.deadLetter,
    records.map(({ record, reason }) => ({
      key: record.key,
      value: JSON.stringify({
        consumer,
        reason,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key,
        value: record.value,
        time: new Date().toISOString(),
      } satisfies DeadLetter),
    })),
  );
  metrics.deadLetters.inc({ consumer }, records.length);
}
