import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedBus } from "../services/runtime/bus/embedded.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { busConformance } from "./conformance/bus.ts";

const root = mkdtempSync(join(tmpdir(), "aw-bus-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

busConformance("embedded", {
  async open(name) {
    const bus = new EmbeddedBus({
      dataDir: join(root, name),
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
    return bus;
  },
});

describe("embedded bus", () => {
  it("opens a log written before content hashes were kept: its ids stay duplicates, new ones get hashes", async () => {
    const dataDir = join(root, "before-hashes");
    mkdirSync(dataDir);
    const db = new DatabaseSync(join(dataDir, "bus.sqlite"));
    db.exec(`CREATE TABLE dedupe (
      topic TEXT NOT NULL, id TEXT NOT NULL, offset INTEGER NOT NULL, appended_at INTEGER NOT NULL,
      PRIMARY KEY (topic, id)) WITHOUT ROWID;
      INSERT INTO dedupe VALUES ('events', 'bot/old', 0, ${Date.now()});`);
    db.close();
    const bus = new EmbeddedBus({
      dataDir,
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
    const results = await bus.append("events", [
      { key: "bot", value: "1", dedupeId: "bot/old", contentHash: "h1" },
      { key: "bot", value: "2", dedupeId: "bot/new", contentHash: "h1" },
      { key: "bot", value: "3", dedupeId: "bot/new", contentHash: "h2" },
    ]);
    expect(results.map((r) => [r.duplicate, r.conflict])).toEqual([
      [true, undefined],
      [false, undefined],
      [true, { contentHash: "h1" }],
    ]);
    await bus.stop();
  });

  it("refuses a second live consumer for the same group and topic", async () => {
    const bus = new EmbeddedBus({
      dataDir: join(root, "single-consumer"),
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
    const handleBatch = async () => undefined;
    const first = await bus.consume({ group: "g", topic: "events", handleBatch });
    await expect(bus.consume({ group: "g", topic: "events", handleBatch })).rejects.toThrow(/already reads/);
    await first.stop();
    const again = await bus.consume({ group: "g", topic: "events", handleBatch });
    await again.stop();
    await bus.stop();
  });
});
