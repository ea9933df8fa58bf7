/**
 * The storage conformance suite against a real Elasticsearch (scripts/servers/servers.sh start
 * elasticsearch; CI does it). Needs AW_ES_URL, e.g. http://127.0.0.1:19200.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLogger } from "../services/runtime/logger.ts";
import { ElasticsearchStorage } from "../services/runtime/storage/elasticsearch.ts";
import { storageConformance } from "./conformance/storage.ts";

const node = process.env.AW_ES_URL;
const run = randomUUID().slice(0, 8);

if (node) {
  storageConformance("elasticsearch", {
    async open(name) {
      const storage = new ElasticsearchStorage({
        node,
        indexPrefix: `aw-test-${run}-${name}`,
        retentionDays: 30,
        logger: createLogger("warn"),
      });
      await storage.start();
      return storage;
    },
  });

  describe("elasticsearch retention", () => {
    it("deletes daily indices older than retention_days and keeps the rest", async () => {
      const storage = new ElasticsearchStorage({
        node,
        indexPrefix: `aw-test-${run}-retention`,
        retentionDays: 7,
        logger: createLogger("warn"),
      });
      await storage.start();
      const now = Date.parse("2026-11-20T12:00:00Z");
      const event = (id: string, time: string) => ({
        event: { id, time, type: "prompt" as const, agent_id: "bot", text: "hello" },
        received_at: time,
        token: "t",
      });
      await storage.putEvents([
        event("old", "2026-11-01T10:00:00Z"),
        event("recent", "2026-11-19T10:00:00Z"),
      ]);
      const deleted = await storage.deleteExpired(now);
      expect(deleted).toEqual([`aw-test-${run}-retention-events-2026.11.01`]);
      const left = await storage.queryEvents({ limit: 10 });
      expect(left.events.map((e) => e.event.id)).toEqual(["recent"]);
      await storage.stop();
    });
  });
} else {
  describe.skip("storage conformance: elasticsearch (AW_ES_URL is not set)", () => undefined);
}
