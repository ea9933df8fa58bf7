/**
 * The bus conformance suite against a real Kafka broker (scripts/servers/servers.sh start kafka;
 * CI does it). Needs AW_KAFKA_BROKERS, e.g. 127.0.0.1:19092.
 */
import { randomUUID } from "node:crypto";
import { describe } from "vitest";
import { KafkaBus } from "../services/runtime/bus/kafka.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { busConformance } from "./conformance/bus.ts";

const brokers = process.env.AW_KAFKA_BROKERS;
const run = randomUUID().slice(0, 8);

if (brokers) {
  busConformance("kafka", {
    async open(name) {
      const bus = new KafkaBus({
        brokers: brokers.split(","),
        // One partition per test prefix: the suite checks ordering across all of a topic's records.
        topicPrefix: `aw-test-${run}-${name}`,
        clientId: "agentwatch-test",
        partitions: 1,
        logger: createLogger("warn"),
        metrics: new Metrics(),
      });
      await bus.start();
      return bus;
    },
  });
} else {
  describe.skip("bus conformance: kafka (AW_KAFKA_BROKERS is not set)", () => undefined);
}
