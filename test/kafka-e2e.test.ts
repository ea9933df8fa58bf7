/**
 * The production bus end to end: a collector process and a detector/alerter/indexer process,
 * separate roles talking only through a real Kafka broker (AW_KAFKA_BROKERS; CI starts one).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, type KafkaRoles, startKafkaRoles } from "./helpers/process.ts";
import { Receiver, signedWith } from "./helpers/receiver.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const brokers = process.env.AW_KAFKA_BROKERS;
const elasticsearch = process.env.AW_ES_URL;

describe.skipIf(!brokers)(
  `separate roles over Kafka${elasticsearch ? " with Elasticsearch storage" : ""}`,
  () => {
    const receiver = new Receiver();
    let roles: KafkaRoles;
    let collector: AgentwatchProcess;
    let workers: AgentwatchProcess;

    beforeAll(async () => {
      await receiver.start();
      roles = await startKafkaRoles({
        brokers: brokers as string,
        hookUrl: `${receiver.url}/alerts`,
        hookSecret: "kafka-hook-secret",
        // The production layout: the workers keep their records in Elasticsearch when there is one.
        workersConfig: elasticsearch
          ? {
              storage: {
                type: "elasticsearch",
                node: elasticsearch,
                index_prefix: `aw-e2e-${randomUUID().slice(0, 8)}`,
              },
            }
          : {},
      });
      ({ collector, workers } = roles);
    });

    afterAll(async () => {
      await roles?.stop();
      await receiver.stop();
    });

    it("carries a brute force from the collector through Kafka to a signed alert", async () => {
      const events = Array.from({ length: 10 }, (_, i) => ({
        id: `kafka-auth-${i}`,
        time: new Date().toISOString(),
        type: "auth",
        agent_id: AGENT,
        auth: { outcome: "failure", principal: "kafka-victim" },
      }));
      const res = await collector.fetch("/v1/events", {
        method: "POST",
        headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 10, duplicates: 0, conflicts: [], rejected: [] });

      const alert = await receiver.waitFor(
        (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "kafka-victim",
        30_000,
      );
      expect(signedWith(alert, "kafka-hook-secret")).toBe(true);
      expect(JSON.parse(alert.body).incident).toMatchObject({ detector: "auth_bruteforce", agent_id: AGENT });

      // The indexer role stored the events, readable from the workers' API.
      const stored = await eventually(async () => {
        const page = await (
          await workers.fetch(`/v1/events?agent_id=${AGENT}&type=auth`, { headers: bearer(TOKENS.viewer) })
        ).json();
        return page.events.length === 10 ? page.events : undefined;
      }, 30_000);
      expect(stored.map((e: { id: string }) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    });

    it("reports the Kafka bus as ready and exports its lag", async () => {
      const ready = await (await workers.fetch("/readyz", { headers: bearer(TOKENS.viewer) })).json();
      expect(ready).toMatchObject({ ready: true, checks: { bus: true, storage: true } });
    });
  },
);
