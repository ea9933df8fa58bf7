/**
 * The indexer's half of reused ids (runtime/reused-ids.ts): an id the collector no longer
 * remembered (a Kafka collector restarted, another collector, past the embedded log's retention)
 * reaches the log twice with different content. The indexer finds it against storage, keeps the
 * second under its new id, marked, and the detectors raise event_id_conflict on it; a retry of the
 * same content, and records without a hash, stay duplicates.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { secretLeak } from "../../detectors/data-leak.ts";
import { eventIdConflict } from "../../detectors/event-id-conflict.ts";
import type { Detector } from "../../detectors/types.ts";
import { eventually } from "../../test/helpers/process.ts";
import { DetectorRunner } from "../detector/runner.ts";
import { Topics } from "../runtime/bus/bus.ts";
import { EmbeddedBus } from "../runtime/bus/embedded.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { AgentEvent, Finding, IngestedEvent } from "../runtime/model.ts";
import { eventHash } from "../runtime/reused-ids.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { Indexer } from "./indexer.ts";

const KEY = ["sk", "ant", "api03", "Zq7Rt2Lm9Wx4Bv6Np3Kd8Hs1Jf5Gc0YaQe"].join("-");
const shipped: AgentEvent = {
  id: "r-1",
  time: new Date().toISOString(),
  type: "response",
  agent_id: "support-bot",
  text: "Your order has shipped.",
};
const leak: AgentEvent = { ...shipped, text: `Here is the key: ${KEY}` };

describe("indexer: ids reused where the collector could not see it", () => {
  let dir: string;
  let bus: EmbeddedBus;
  let storage: EmbeddedStorage;
  let indexer: Indexer;
  let runner: DetectorRunner;
  const logger = createLogger("silent");
  const metrics = new Metrics();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-indexer-"));
    bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    storage = new EmbeddedStorage(dir);
    await bus.start();
    await storage.start();
    indexer = new Indexer({ bus, storage, logger, metrics });
    runner = new DetectorRunner({
      bus,
      storage,
      detectors: [
        eventIdConflict({ severity: "warning" }),
        secretLeak({ ignore: [], criticalTypes: [], severity: "critical" }) as Detector,
      ],
      metrics,
      logger,
    });
    await indexer.start();
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await indexer.stop();
    await bus.stop();
    await storage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Appended as a collector that remembers no id appends it: no dedupe id to catch it by. */
  const appendUnseen = (records: IngestedEvent[]) =>
    bus.append(
      Topics.events,
      records.map((r) => ({ key: r.event.agent_id, value: JSON.stringify(r) })),
    );
  const ingested = (event: AgentEvent, token = "support-ingest"): IngestedEvent => ({
    event,
    received_at: new Date().toISOString(),
    token,
    event_hash: eventHash(event),
  });
  const findings = async (): Promise<Finding[]> => {
    const out: Finding[] = [];
    const consumer = await bus.consume({
      group: `read-${out.length}-${Date.now()}`,
      topic: Topics.findings,
      handleBatch: async (batch) => {
        out.push(...batch.records.map((r) => JSON.parse(r.value) as Finding));
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    await consumer.stop();
    return out;
  };

  it("keeps the other content under its new id, marked, and the detectors raise event_id_conflict on it", async () => {
    const renamed = `r-1~${eventHash(leak).slice(0, 16)}`;
    await appendUnseen([ingested(shipped)]);
    await eventually(async () => ((await storage.getEvents([shipped])).length === 1 ? true : undefined));
    // A retry of the first content, the leak under the same id, and a record with no hash.
    const { event_hash: _h, ...unhashed } = ingested({ ...shipped, text: "no hash" }, "provider:x");
    await appendUnseen([ingested(shipped), ingested(leak, "mallory-ingest"), unhashed]);

    const stored = await eventually(async () => {
      const page = await storage.queryEvents({ agent_id: "support-bot", limit: 10 });
      return page.events.length >= 2 ? page.events : undefined;
    });
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    const all = (await storage.queryEvents({ agent_id: "support-bot", limit: 10 })).events;
    expect(all.map((e) => e.event.id).sort()).toEqual(["r-1", renamed]);
    expect(stored.find((e) => e.event.id === "r-1")?.event.text).toBe(shipped.text);
    expect(all.find((e) => e.event.id === renamed)).toMatchObject({
      event: { ...leak, id: renamed },
      token: "mallory-ingest",
      event_hash: eventHash(leak),
      id_conflict: { id: "r-1", event_hash: eventHash(shipped) },
    });
    expect(await metrics.registry.getSingleMetricAsString("agentwatch_event_id_conflicts_total")).toContain(
      'agentwatch_event_id_conflicts_total{found_by="indexer"} 1',
    );

    const raised = await eventually(async () => {
      const all = await findings();
      return all.some((f) => f.detector === "event_id_conflict") ? all : undefined;
    });
    const conflicts = raised.filter((f) => f.detector === "event_id_conflict");
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      agent_id: "support-bot",
      key: "token:mallory-ingest",
      observed: { id: "r-1", kept_as: renamed, token: "mallory-ingest", content_hash: eventHash(leak) },
      baseline: { content_hash: eventHash(shipped) },
      event_ids: ["r-1", renamed],
    });
    // The leak is judged under its new id (and, before the indexer saw it, under the id as sent).
    expect(raised.filter((f) => f.detector === "secret_leak").flatMap((f) => f.event_ids)).toContain(renamed);
  });
});
