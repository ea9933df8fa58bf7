/**
 * A record that makes its handler fail the same way every time goes to the dead-letter topic
 * after a bounded number of tries and the consumer goes on; an outage (a retryable error) is
 * retried for as long as it lasts and dead-letters nothing. Over the real embedded log.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../../../test/helpers/process.ts";
import { AgentwatchError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { type BusRecord, Topics } from "./bus.ts";
import type { DeadLetter } from "./dead-letter.ts";
import { EmbeddedBus } from "./embedded.ts";
import { guardPoisonRecords } from "./poison.ts";

describe("poison records", () => {
  let dir: string;
  let bus: EmbeddedBus;
  const metrics = new Metrics();
  const logger = createLogger("silent");

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-poison-"));
    bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    await bus.start();
  });
  afterEach(async () => {
    await bus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const deadLetters = async (): Promise<DeadLetter[]> => {
    const found: DeadLetter[] = [];
    const consumer = await bus.consume({
      group: `reader-${Math.random()}`,
      topic: Topics.deadLetter,
      handleBatch: async (batch) => {
        for (const r of batch.records) found.push(JSON.parse(r.value) as DeadLetter);
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    await consumer.stop();
    return found;
  };

  it("dead-letters the record that always fails, after bounded tries, and handles the rest", async () => {
    const handled: string[] = [];
    let poisonTries = 0;
    await bus.append(
      Topics.events,
      ["a", "poison", "b"].map((value) => ({ key: "k", value })),
    );
    const consumer = await bus.consume({
      group: "g",
      topic: Topics.events,
      handleBatch: guardPoisonRecords(
        async (batch) => {
          if (batch.records.some((r: BusRecord) => r.value === "poison")) {
            poisonTries += 1;
            throw new RangeError("Invalid string length"); // a bug or a hostile value: never goes away
          }
          handled.push(...batch.records.map((r) => r.value));
        },
        { bus, metrics, logger, group: "g" },
      ),
    });
    await eventually(async () => (handled.includes("b") ? true : undefined), 15_000);
    await consumer.stop();
    expect(handled).toEqual(["a", "b"]);
    expect(poisonTries).toBe(4); // three times as a batch, once alone
    const letters = await deadLetters();
    expect(letters.map((l) => [l.consumer, l.value, l.offset])).toEqual([["g", "poison", 1]]);
    expect(letters[0]?.reason).toMatch(/g failed on it 3 times: Invalid string length/);
  });

  it("retries an outage for as long as it lasts and dead-letters nothing", async () => {
    await bus.append(Topics.events, [{ key: "k", value: "x" }]);
    let failures = 0;
    const handled: string[] = [];
    const consumer = await bus.consume({
      group: "outage",
      topic: Topics.events,
      handleBatch: guardPoisonRecords(
        async (batch) => {
          if (failures < 6) {
            failures += 1;
            throw new AgentwatchError("storageUnavailable", "storage is down");
          }
          handled.push(...batch.records.map((r) => r.value));
        },
        { bus, metrics, logger, group: "outage" },
      ),
    });
    await eventually(async () => (handled.length > 0 ? true : undefined), 30_000);
    await consumer.stop();
    expect(handled).toEqual(["x"]);
    expect(await deadLetters()).toEqual([]);
  });
});
