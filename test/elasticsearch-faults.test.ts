/**
 * Elasticsearch stopped for a minute while events keep coming: the collector goes on answering
 * 202 (Kafka holds the events), the indexer stops advancing instead of buffering (its lag grows),
 * and once Elasticsearch is back every event is indexed, once. Uses its own Elasticsearch (other
 * port, other folder) and the CI Kafka.
 */

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const SERVERS = resolve(import.meta.dirname, "../scripts/servers/servers.sh");
const brokers = process.env.AW_KAFKA_BROKERS;
const enabled = Boolean(brokers && process.env.AW_ES_URL);
const runDir = mkdtempSync(join(tmpdir(), "aw-es-fault-"));
const env = { ...process.env, AW_ES_PORT: "19210", AW_SERVERS_RUN: runDir };
const servers = (...args: string[]) =>
  execFileSync("bash", [SERVERS, ...args], { env, stdio: "pipe", timeout: 180_000 });
const DOWN_MS = 60_000;

describe.skipIf(!enabled)("Elasticsearch stopped for a minute", () => {
  let aw: AgentwatchProcess;

  beforeAll(async () => {
    servers("start", "elasticsearch");
    aw = await startAgentwatch({
      config: {
        bus: {
          type: "kafka",
          brokers: (brokers as string).split(","),
          topic_prefix: `aw-esdown-${randomUUID().slice(0, 8)}`,
          partitions: 2,
        },
        storage: { type: "elasticsearch", node: "http://127.0.0.1:19210", index_prefix: "aw-esdown" },
      },
    });
  }, 240_000);

  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    try {
      servers("stop", "elasticsearch");
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  const post = async (from: number, count: number) => {
    const res = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(
        Array.from({ length: count }, (_, i) => ({
          id: `esdown-${from + i}`,
          time: new Date().toISOString(),
          type: "prompt",
          agent_id: AGENT,
          text: `message ${from + i}`,
        })),
      ),
    });
    return res.status;
  };
  const indexedCount = async () => {
    const res = await aw.fetch(`/v1/events?agent_id=${AGENT}&limit=1000`, { headers: bearer(TOKENS.viewer) });
    if (res.status !== 200) return undefined;
    const ids: string[] = (await res.json()).events.map((e: { id: string }) => e.id);
    return ids;
  };
  const indexerLag = async () => {
    const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
    return Number(
      /agentwatch_bus_consumer_lag_records\{group="indexer",topic="events"\} (\d+)/.exec(text)?.[1] ?? -1,
    );
  };

  it("keeps taking events, backs off while it is down, and indexes every event once it is back", async () => {
    expect(await post(0, 100)).toBe(202);
    await eventually(async () => ((await indexedCount())?.length === 100 ? true : undefined), 60_000);

    servers("stop", "elasticsearch");
    const down = Date.now();
    const statuses: number[] = [];
    for (let batch = 1; batch <= 6; batch += 1) {
      statuses.push(await post(batch * 100, 100));
      await sleep(5_000);
    }
    expect(statuses.every((s) => s === 202)).toBe(true); // the log (Kafka) is up: events are durable
    const ready = await (await aw.fetch("/readyz", { headers: bearer(TOKENS.viewer) })).json();
    expect(ready.checks.storage).toBe(false);
    // Lag is refreshed every 5 s: the indexer is holding back, not dropping.
    const lag = await eventually(
      async () => ((await indexerLag()) >= 500 ? indexerLag() : undefined),
      20_000,
    );
    console.log(`indexer lag while Elasticsearch was down: ${lag} records`);
    await sleep(Math.max(0, DOWN_MS - (Date.now() - down)));

    servers("start", "elasticsearch");
    const ids = await eventually(async () => {
      const found = await indexedCount();
      return found && found.length >= 700 ? found : undefined;
    }, 120_000);
    expect(ids).toHaveLength(700);
    expect(new Set(ids).size).toBe(700);
  }, 300_000);
});
