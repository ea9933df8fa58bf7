/**
 * The storage conformance suite against a real Elasticsearch (scripts/servers/servers.sh start
 * elasticsearch; CI does it). Needs AW_ES_URL, e.g. http://127.0.0.1:19200.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLogger } from "../services/runtime/logger.ts";
import { ElasticsearchStorage } from "../services/runtime/storage/elasticsearch.ts";
import { retentionConformance } from "./conformance/retention.ts";
import { storageConformance } from "./conformance/storage.ts";
import { pauseEntry } from "./helpers/audit.ts";
import { TEST_SIGNER } from "./helpers/chain.ts";

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
        signer: TEST_SIGNER,
      });
      await storage.start();
      return storage;
    },
  });

  retentionConformance("elasticsearch", {
    async open(name, signer) {
      const storage = new ElasticsearchStorage({
        node,
        indexPrefix: `aw-test-${run}-${name}`,
        retentionDays: 7,
        auditRetentionDays: 30,
        logger: createLogger("warn"),
        ...(signer ? { signer } : {}),
      });
      await storage.start();
      return storage;
    },
    expire: (storage, now) => (storage as ElasticsearchStorage).deleteExpired(now),
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
      // The audit trail is kept longer (365 days by default) than events.
      await storage.appendAudit(pauseEntry("old-audit", "2026-11-01T10:00:00.000Z"));
      const deleted = await storage.deleteExpired(now);
      expect(deleted).toEqual([`aw-test-${run}-retention-events-2026.11.01`]);
      const left = await storage.queryEvents({ limit: 10 });
      expect(left.events.map((e) => e.event.id)).toEqual(["recent"]);
      const audit = await storage.queryAudit({ limit: 10 });
      expect(audit.map((e) => e.action)).toEqual(["retention", "pause"]);
      expect(audit[0]).toMatchObject({
        actor: "agentwatch",
        details: { indices: [`aw-test-${run}-retention-events-2026.11.01`], incidents: 0 },
      });
      await storage.stop();
    });

    it("names event indices by arrival day: a thousand event dates make one index, and a back-dated event lives as long as its arrival", async () => {
      const storage = new ElasticsearchStorage({
        node,
        indexPrefix: `aw-test-${run}-arrival`,
        retentionDays: 7,
        logger: createLogger("warn"),
      });
      await storage.start();
      const received = "2026-11-20T10:00:00Z";
      await storage.putEvents(
        Array.from({ length: 1000 }, (_, i) => ({
          event: {
            id: `d${i}`,
            time: new Date(Date.parse("2024-01-01T00:00:00Z") + i * 86_400_000).toISOString(),
            type: "prompt" as const,
            agent_id: "bot",
            text: "hello",
          },
          received_at: received,
          token: "t",
        })),
      );
      const indices = (await (
        await fetch(`${node}/_cat/indices/aw-test-${run}-arrival-events-*?format=json`)
      ).json()) as {
        index: string;
      }[];
      expect(indices.map((i) => i.index)).toEqual([`aw-test-${run}-arrival-events-2026.11.20`]);
      // An hour later the retention keeps them all: the day they arrived is recent.
      expect(await storage.deleteExpired(Date.parse(received) + 3_600_000)).toEqual([]);
      expect((await storage.queryEvents({ limit: 1000 })).events).toHaveLength(1000);
      await storage.stop();
    });

    it("keeps the days of an active incident past the retention", async () => {
      const storage = new ElasticsearchStorage({
        node,
        indexPrefix: `aw-test-${run}-held`,
        retentionDays: 7,
        logger: createLogger("warn"),
      });
      await storage.start();
      const at = "2026-11-01T10:00:00Z";
      await storage.putEvents([
        {
          event: { id: "evidence", time: at, type: "prompt", agent_id: "bot", text: "x" },
          received_at: at,
          token: "t",
        },
      ]);
      const incident = {
        id: "inc_held",
        status: "open" as const,
        severity: "critical" as const,
        detector: "auth_bruteforce",
        agent_id: "bot",
        title: "t",
        summary: "s",
        labels: {},
        started_at: at,
        updated_at: "2026-11-19T10:00:00Z",
        fingerprint: "f",
        detectors: ["auth_bruteforce"],
        finding_count: 1,
        findings: [],
        notes: [],
      };
      await storage.putIncidents([
        { incident, notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false } },
      ]);
      const now = Date.parse("2026-11-20T12:00:00Z");
      expect(await storage.deleteExpired(now)).toEqual([]);
      await storage.putIncidents([
        {
          incident: { ...incident, status: "resolved" as const },
          notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false },
        },
      ]);
      expect(await storage.deleteExpired(now)).toEqual([`aw-test-${run}-held-events-2026.11.01`]);
      await storage.stop();
    });
  });
} else {
  describe.skip("storage conformance: elasticsearch (AW_ES_URL is not set)", () => undefined);
}
