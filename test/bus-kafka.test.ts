/**
 * The bus conformance suite against a real Kafka broker (scripts/servers/servers.sh start kafka;
 * CI does it), and what only the Kafka bus does. Needs AW_KAFKA_BROKERS, e.g. 127.0.0.1:19092.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { KafkaBus } from "../services/runtime/bus/kafka.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { busConformance } from "./conformance/bus.ts";

const brokers = process.env.AW_KAFKA_BROKERS;
const run = randomUUID().slice(0, 8);

async function open(name: string): Promise<KafkaBus> {
  const bus = new KafkaBus({
    brokers: (brokers ?? "").split(","),
    // One partition per test prefix: the suite checks ordering across all of a topic's records.
    topicPrefix: `aw-test-${run}-${name}`,
    clientId: "agentwatch-test",
    partitions: 1,
    logger: createLogger("warn"),
    metrics: new Metrics(),
  });
  await bus.start();
  return bus;
}

if (brokers) {
  busConformance("kafka", { open });

  describe("Kafka bus", () => {
    // onAssigned reads a checkpoint; when its store is down it rejects. That error once escaped
    // to kafkajs, which stopped the consumer for good: the detector silently read nothing more.
    it("calls a failing onAssigned again and then starts where it says, skipping nothing", async () => {
      const bus = await open("assign-fails");
      const results = await bus.append(
        "events",
        Array.from({ length: 10 }, (_, i) => ({ key: "k", value: `m-${i}` })),
      );
      let calls = 0;
      const seen: string[] = [];
      const consumer = await bus.consume({
        group: "g",
        topic: "events",
        onAssigned: async () => {
          calls += 1;
          if (calls <= 2) throw new Error("checkpoint store unavailable");
          return results[4]?.offset;
        },
        handleBatch: async (batch) => {
          seen.push(...batch.records.map((r) => r.value));
        },
      });
      const deadline = Date.now() + 20_000;
      while (seen.length < 6 && Date.now() < deadline) await sleep(20);
      await bus.append("events", [{ key: "k", value: "late" }]);
      while (seen.length < 7 && Date.now() < deadline) await sleep(20);
      await consumer.stop();
      await bus.stop();
      expect(calls).toBe(3);
      expect(seen).toEqual(["m-4", "m-5", "m-6", "m-7", "m-8", "m-9", "late"]);
    }, 30_000);
  });
} else {
  describe.skip("bus conformance: kafka (AW_KAFKA_BROKERS is not set)", () => undefined);
}
