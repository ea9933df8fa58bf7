import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentEvent } from "../../lib/events.ts";
import { Topics } from "./bus/bus.ts";
import { EmbeddedBus } from "./bus/embedded.ts";
import { canonicalJson, sha256 } from "./integrity.ts";
import { createLogger } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import type { IngestedEvent } from "./model.ts";
import { appendEvents, eventHash, keptUnderNewId, storedHashOf } from "./reused-ids.ts";
import { eraseEvent } from "./storage/erasure.ts";

const shipped: AgentEvent = {
  id: "r-1",
  time: "2026-11-20T10:00:00Z",
  type: "response",
  agent_id: "support-bot",
  session_id: "s-1",
  text: "Your order has shipped.",
};
const leak: AgentEvent = { ...shipped, text: "Here is the key: sk-ant-api03-..." };

const ingested = (event: AgentEvent, extra: Partial<IngestedEvent> = {}): IngestedEvent => ({
  event,
  received_at: "2026-11-20T10:00:01.000Z",
  token: "support-ingest",
  event_hash: eventHash(event),
  ...extra,
});

describe("eventHash", () => {
  it("is SHA-256 of the canonical JSON without the id: key order and the id do not count, the rest does", () => {
    const { id: _id, ...content } = shipped;
    expect(eventHash(shipped)).toBe(sha256(canonicalJson(content)));
    const reordered = JSON.parse(
      `{"text":"Your order has shipped.","session_id":"s-1","agent_id":"support-bot","type":"response","time":"2026-11-20T10:00:00Z","id":"r-1"}`,
    );
    expect(eventHash(reordered)).toBe(eventHash(shipped));
    expect(eventHash({ ...shipped, id: "r-1~0123456789abcdef" })).toBe(eventHash(shipped));
    expect(eventHash(leak)).not.toBe(eventHash(shipped));
    expect(eventHash({ ...shipped, time: "2026-11-20T10:00:05Z" })).not.toBe(eventHash(shipped));
    expect(eventHash({ ...shipped, attributes: { retry: 1 } })).not.toBe(eventHash(shipped));
  });

  it("is what a stored event was kept with; recomputed for events stored before, unknown once erased", () => {
    expect(storedHashOf(ingested(shipped))).toBe(eventHash(shipped));
    const { event_hash: _h, ...legacy } = ingested(shipped);
    expect(storedHashOf(legacy)).toBe(eventHash(shipped));
    const erased = eraseEvent(ingested(leak), { at: "2026-11-21T00:00:00Z", by: "root" });
    expect(erased.event_hash).toBeUndefined();
    expect(storedHashOf(erased)).toBeUndefined();
  });
});

describe("keptUnderNewId", () => {
  it("keeps the event under its id plus its content hash, marked with the id as sent and the first content's hash", () => {
    const kept = keptUnderNewId(ingested(leak), eventHash(shipped));
    const hash = eventHash(leak);
    expect(kept).toEqual({
      ...ingested(leak),
      event: { ...leak, id: `r-1~${hash.slice(0, 16)}` },
      id_conflict: { id: "r-1", event_hash: eventHash(shipped) },
    });
    // Deterministic: a retry of the same content lands on the same id.
    expect(keptUnderNewId(ingested(leak), "other").event.id).toBe(kept.event.id);
    // That id taken too: a random suffix, the mark unchanged.
    const again = keptUnderNewId(kept, "someone-elses");
    expect(again.event.id).toMatch(new RegExp(`^r-1~${hash.slice(0, 16)}~[0-9a-f]{12}$`));
    expect(again.id_conflict).toEqual(kept.id_conflict);
    expect(keptUnderNewId(kept, "someone-elses").event.id).not.toBe(again.event.id);
  });
});

describe("appendEvents", () => {
  let dir: string;
  let bus: EmbeddedBus;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-reused-"));
    bus = new EmbeddedBus({
      dataDir: dir,
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
  });
  afterEach(async () => {
    await bus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const logged = async (): Promise<IngestedEvent[]> => {
    const records: IngestedEvent[] = [];
    const consumer = await bus.consume({
      group: "read",
      topic: Topics.events,
      handleBatch: async (batch) => {
        records.push(...batch.records.map((r) => JSON.parse(r.value) as IngestedEvent));
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    await consumer.stop();
    return records;
  };

  it("appends new events, drops retries, and keeps a reused id's other content under a new id", async () => {
    const renamed = `r-1~${eventHash(leak).slice(0, 16)}`;
    expect(await appendEvents(bus, [ingested(shipped)])).toEqual([
      { appended: true, id: "r-1", renamed: false },
    ]);
    // A retry, then the leak under the same id (and a retry of it within the same request).
    expect(await appendEvents(bus, [ingested(shipped), ingested(leak), ingested(leak)])).toEqual([
      { appended: false, id: "r-1", renamed: false },
      { appended: true, id: renamed, renamed: true },
      { appended: false, id: renamed, renamed: true },
    ]);
    // A later retry of the leak is a duplicate of its new id, not a third copy.
    expect(await appendEvents(bus, [ingested(leak)])).toEqual([
      { appended: false, id: renamed, renamed: true },
    ]);
    const records = await logged();
    expect(records.map((r) => r.event.id)).toEqual(["r-1", renamed]);
    expect(records[1]).toMatchObject({
      event: { ...leak, id: renamed },
      event_hash: eventHash(leak),
      id_conflict: { id: "r-1", event_hash: eventHash(shipped) },
    });
  });

  it("keeps an event whose new id was taken first by other content, under a random suffix", async () => {
    const derived = `r-1~${eventHash(leak).slice(0, 16)}`;
    const squatter: AgentEvent = { ...shipped, id: derived, text: "taken" };
    await appendEvents(bus, [ingested(shipped), ingested(squatter)]);
    const [kept] = await appendEvents(bus, [ingested(leak)]);
    expect(kept).toMatchObject({ appended: true, renamed: true });
    expect(kept?.id).toMatch(new RegExp(`^${derived}~[0-9a-f]{12}$`));
    expect((await logged()).map((r) => r.event.text)).toEqual([shipped.text, "taken", leak.text]);
  });

  it("leaves records without a hash (providers' usage records) to plain dedupe", async () => {
    const { event_hash: _a, ...first } = ingested(shipped);
    const { event_hash: _b, ...other } = ingested(leak);
    expect(await appendEvents(bus, [first, other])).toEqual([
      { appended: true, id: "r-1", renamed: false },
      { appended: false, id: "r-1", renamed: false },
    ]);
  });
});
