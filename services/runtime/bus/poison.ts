/**
 * A record that makes its consumer fail the same way every time must not stop the consumer for
 * good. Both buses hand a failed batch over again after a backoff, forever, which is right for
 * an outage (storage or the log unavailable: retryable errors) and wrong for a record the handler
 * can never process (a bug or a hostile value: any other error). This guard wraps a consumer's
 * batch handler: after `maxAttempts` non-retryable failures of the same batch, it hands the
 * records over one at a time, sends each one that still fails (non-retryably) to the dead-letter
 * topic with the reason, and lets the consumer move on. Retryable errors pass through untouched.
 */
import { isRetryable } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Bus, BusRecord, RecordBatch } from "./bus.ts";
import { sendToDeadLetter } from "./dead-letter.ts";

export interface PoisonGuardOptions {
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  /** The consumer group, as named in the dead-letter records and metrics. */
  group: string;
  /** Non-retryable failures of one batch before it is taken apart (default 3). */
  maxAttempts?: number;
}

export function guardPoisonRecords(
  handle: (batch: RecordBatch) => Promise<void>,
  options: PoisonGuardOptions,
): (batch: RecordBatch) => Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  /** Per partition: the first offset of the failing batch and how often it failed. */
  const failing = new Map<number, { offset: number; failures: number }>();
  return async (batch) => {
    const first = batch.records[0]?.offset ?? -1;
    try {
      await handle(batch);
      failing.delete(batch.partition);
      return;
    } catch (err) {
      if (isRetryable(err)) throw err;
      const seen = failing.get(batch.partition);
      const failures = seen?.offset === first ? seen.failures + 1 : 1;
      failing.set(batch.partition, { offset: first, failures });
      if (failures < maxAttempts) throw err;
    }
    // The batch failed the same way `maxAttempts` times: one record at a time, setting aside
    // the ones that fail.
    const dead: { record: BusRecord; reason: string }[] = [];
    for (const record of batch.records) {
      try {
        await handle({ ...batch, records: [record] });
      } catch (err) {
        if (isRetryable(err)) throw err; // an outage began meanwhile: the whole batch again later
        dead.push({
          record,
          reason: `${options.group} failed on it ${maxAttempts} times: ${(err as Error).message}`,
        });
      }
    }
    failing.delete(batch.partition);
    if (dead.length > 0) {
      options.logger.error(
        { group: options.group, partition: batch.partition, records: dead.length, first: dead[0]?.reason },
        "records that keep failing were sent to the dead-letter topic; the consumer goes on",
      );
      await sendToDeadLetter(options.bus, options.metrics, options.group, dead);
    }
  };
}
