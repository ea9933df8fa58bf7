import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChainHead, GENESIS, linkAfter } from "../services/indexer/chain.ts";
import { verifyChains } from "../services/indexer/verify.ts";
import { EmbeddedStorage } from "../services/runtime/storage/embedded.ts";
import { storageConformance } from "./conformance/storage.ts";
import { pauseEntry } from "./helpers/audit.ts";

const root = mkdtempSync(join(tmpdir(), "aw-storage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

storageConformance("embedded", {
  async open(name) {
    const storage = new EmbeddedStorage(join(root, name));
    await storage.start();
    return storage;
  },
});

describe("embedded retention", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  /** A started storage that keeps events 7 days and audit entries 30. */
  const retained = async (name: string) => {
    const storage = new EmbeddedStorage(join(root, name), { retentionDays: 7, auditRetentionDays: 30 });
    await storage.start();
    return storage;
  };
  const event = (id: string, received: string, time = received, text = "hello there") => ({
    event: { id, time, type: "prompt" as const, agent_id: "bot", text },
    received_at: received,
    token: "t",
  });

  it("deletes events by arrival, findings and resolved incidents past retention_days, the audit past its own, and audits the run", async () => {
    const storage = await retained("retention");
    await storage.putEvents([
      event("old", "2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z", "forgotten words"),
      // Dated long ago but received yesterday: it lives as long as its arrival.
      event("backdated", "2026-11-19T10:00:00Z", "2026-10-01T10:00:00Z"),
      event("recent", "2026-11-19T10:00:00Z"),
    ]);
    const audit = (id: string, time: string) => storage.appendAudit(pauseEntry(id, time));
    await audit("audit-ancient", "2026-09-01T10:00:00.000Z");
    await audit("audit-kept", "2026-11-01T10:00:00.000Z");
    expect(await storage.deleteExpired(now)).toEqual({ events: 1, findings: 0, incidents: 0, audit: 1 });
    expect((await storage.queryEvents({ limit: 10 })).events.map((e) => e.event.id).sort()).toEqual([
      "backdated",
      "recent",
    ]);
    // Its full-text entry went with it.
    expect((await storage.queryEvents({ q: "forgotten", limit: 10 })).events).toEqual([]);
    const trail = await storage.queryAudit({ limit: 10 });
    expect(trail.map((e) => e.id)).toContain("audit-kept");
    expect(trail.map((e) => e.id)).not.toContain("audit-ancient");
    expect(trail[0]).toMatchObject({
      actor: "agentwatch",
      action: "retention",
      details: { events: 1, audit: 1 },
    });
    // A second run deletes nothing, and says nothing.
    expect(await storage.deleteExpired(now)).toEqual({ events: 0, findings: 0, incidents: 0, audit: 0 });
    expect((await storage.queryAudit({ action: "retention", limit: 10 })).length).toBe(1);
    await storage.stop();
  });

  it("keeps everything from the day before the oldest active incident began", async () => {
    const storage = await retained("retention-active");
    await storage.putEvents([event("evidence", "2026-11-01T10:00:00Z")]);
    await storage.putIncidents([
      {
        incident: {
          id: "inc_active",
          status: "open",
          severity: "critical",
          detector: "exfiltration",
          agent_id: "bot",
          title: "t",
          summary: "s",
          labels: {},
          started_at: "2026-11-01T11:00:00.000Z",
          updated_at: "2026-11-01T11:00:00.000Z",
          fingerprint: "f",
          detectors: ["exfiltration"],
          finding_count: 1,
          findings: [],
          notes: [],
        },
        notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false },
      },
    ]);
    expect((await storage.deleteExpired(now)).events).toBe(0);
    expect((await storage.queryEvents({ limit: 10 })).events.map((e) => e.event.id)).toEqual(["evidence"]);
    await storage.stop();
  });

  it("keeps held events, and the held incident and its findings, past the retention", async () => {
    const storage = await retained("retention-held");
    await storage.putEvents([
      event("held", "2026-11-01T10:00:00Z"),
      event("not-held", "2026-11-01T10:00:00Z"),
    ]);
    // Only bot's events are held; "not-held" is another agent's.
    await storage.putEvents([
      {
        ...event("other", "2026-11-01T10:00:00Z"),
        event: { ...event("other", "2026-11-01T10:00:00Z").event, agent_id: "other-bot" },
      },
    ]);
    await storage.putHold({
      id: "hold_inc_old",
      incident_id: "inc_old",
      agent_id: "bot",
      from: "2026-11-01T09:00:00.000Z",
      to: "2026-11-01T12:00:00.000Z",
      reason: "agent paused",
      created_at: "2026-11-01T11:00:00.000Z",
      created_by: "oncall",
      released_at: null,
      released_by: null,
    });
    const counts = await storage.deleteExpired(now);
    expect(counts.events).toBe(1);
    expect((await storage.queryEvents({ limit: 10 })).events.map((e) => e.event.id).sort()).toEqual([
      "held",
      "not-held",
    ]);
    await storage.stop();
  });

  it("keeps the hash chain verifiable after a retention run, which it reports", async () => {
    const storage = await retained("retention-chain");
    let head: ChainHead = { seq: 0, hash: GENESIS, offset: -1 };
    const linked = [
      event("c1", "2026-11-01T10:00:00Z"),
      event("c2", "2026-11-02T10:00:00Z"),
      event("c3", "2026-11-19T10:00:00Z"),
    ].map((e, i) => {
      const chain = linkAfter(head, "events:0", i, e);
      head = { seq: chain.seq, hash: chain.hash, offset: i };
      return { ...e, chain };
    });
    await storage.putEvents(linked);
    expect((await verifyChains(storage, undefined)).ok).toBe(true);
    expect((await storage.deleteExpired(now)).events).toBe(2);
    const report = await verifyChains(storage, undefined);
    expect(report.ok).toBe(true);
    const chain = report.chains.find((c) => c.stream === "events:0");
    expect(chain).toMatchObject({ first_seq: 3, last_seq: 3, verified: true });
    expect(chain?.notes).toEqual(["seq 1 to 2: deleted by retention (the audit trail holds the runs)"]);
    await storage.stop();
  });
});
