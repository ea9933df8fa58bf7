import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { AuditDigester, digestEntry, GENESIS } from "../services/indexer/chain.ts";
import { verifyChains } from "../services/indexer/verify.ts";
import type { Signer } from "../services/runtime/integrity.ts";
import { EmbeddedStorage } from "../services/runtime/storage/embedded.ts";
import { tombstoneEntries } from "../services/runtime/storage/tombstone.ts";
import { retentionConformance } from "./conformance/retention.ts";
import { storageConformance } from "./conformance/storage.ts";
import { pauseEntry } from "./helpers/audit.ts";
import { linked, TEST_SIGNER } from "./helpers/chain.ts";

const root = mkdtempSync(join(tmpdir(), "aw-storage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

storageConformance("embedded", {
  async open(name) {
    const storage = new EmbeddedStorage(join(root, name), undefined, { signer: TEST_SIGNER });
    await storage.start();
    return storage;
  },
});

/** A started storage that keeps events 7 days and audit entries 30, signing with `signer`. */
async function retained(name: string, signer?: Signer): Promise<EmbeddedStorage> {
  const storage = new EmbeddedStorage(
    join(root, name),
    { retentionDays: 7, auditRetentionDays: 30 },
    signer ? { signer } : undefined,
  );
  await storage.start();
  return storage;
}

retentionConformance("embedded", {
  open: retained,
  expire: (storage, now) => (storage as EmbeddedStorage).deleteExpired(now),
});

describe("embedded retention", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
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
    // Another agent's event under the incident's session id is not held: sessions are per agent (issue 30).
    await storage.putEvents([
      {
        ...event("handed-on", "2026-11-01T10:00:00Z"),
        event: {
          ...event("handed-on", "2026-11-01T10:00:00Z").event,
          agent_id: "other-bot",
          session_id: "s-inc",
        },
      },
    ]);
    await storage.putHold({
      id: "hold_inc_old",
      incident_id: "inc_old",
      agent_id: "bot",
      sessions: ["s-inc"],
      from: "2026-11-01T09:00:00.000Z",
      to: "2026-11-01T12:00:00.000Z",
      reason: "agent paused",
      created_at: "2026-11-01T11:00:00.000Z",
      created_by: "oncall",
      released_at: null,
      released_by: null,
    });
    const counts = await storage.deleteExpired(now);
    expect(counts.events).toBe(2);
    expect((await storage.queryEvents({ limit: 10 })).events.map((e) => e.event.id).sort()).toEqual([
      "held",
      "not-held",
    ]);
    await storage.stop();
  });

  it("verifies a range of arrival times: the positions of the records that arrived in it, anchored on the one before", async () => {
    const storage = await retained("verify-range");
    const chain = linked(
      ["01", "02", "03", "04", "05", "06"].map((d) => event(`r${d}`, `2026-11-${d}T10:00:00.000Z`)),
    );
    // The record at seq 2 was removed (never stored); the rest are intact.
    await storage.putEvents(chain.filter((_, i) => i !== 1));
    const day = (d: string) => Date.parse(`2026-11-${d}T00:00:00Z`);
    const whole = await verifyChains(storage, TEST_SIGNER.publicKeyPem);
    expect(whole.chains.find((c) => c.stream === "events:0")?.problems).toEqual(["seq 2: deleted"]);
    // From the 4th: positions 4 to 6, anchored on seq 3, verified.
    const later = await verifyChains(storage, TEST_SIGNER.publicKeyPem, { from: day("04") });
    expect(later.ok).toBe(true);
    expect(later.range).toEqual({ from: "2026-11-04T00:00:00.000Z", to: null });
    expect(later.chains.find((c) => c.stream === "events:0")).toMatchObject({
      first_seq: 4,
      last_seq: 6,
      records: 3,
      verified: true,
    });
    // The 1st to the 3rd: positions 1 to 3, where seq 2 is missing.
    const early = await verifyChains(storage, TEST_SIGNER.publicKeyPem, { from: day("01"), to: day("04") });
    expect(early.ok).toBe(false);
    expect(early.chains.find((c) => c.stream === "events:0")).toMatchObject({
      first_seq: 1,
      last_seq: 3,
      records: 2,
      problems: ["seq 2: deleted"],
    });
    // A record inside the range that no longer follows the one before it is named.
    const db = new DatabaseSync(join(root, "verify-range", "storage.sqlite"));
    const row = db.prepare("SELECT body FROM events WHERE id = 'r05'").get() as { body: string };
    const body = JSON.parse(row.body);
    body.chain.prev = "f".repeat(64);
    db.prepare("UPDATE events SET body = ? WHERE id = 'r05'").run(JSON.stringify(body));
    db.close();
    const altered = await verifyChains(storage, TEST_SIGNER.publicKeyPem, { from: day("05") });
    expect(altered.chains.find((c) => c.stream === "events:0")?.problems).toEqual([
      "seq 5 (bot/r05): its link was altered",
    ]);
    await storage.stop();
  });

  it("keeps a held agent's state changes and its incident's audit entries past the audit retention", async () => {
    const storage = await retained("retention-held-audit");
    await storage.putHold({
      id: "hold_inc_old",
      incident_id: "inc_old",
      agent_id: "bot",
      from: "2026-09-01T09:00:00.000Z",
      to: null,
      reason: "agent paused",
      created_at: "2026-09-01T11:00:00.000Z",
      created_by: "oncall",
      released_at: null,
      released_by: null,
    });
    await storage.appendAudit(pauseEntry("held-pause", "2026-09-01T10:00:00.000Z"));
    await storage.appendAudit({
      ...pauseEntry("held-ack", "2026-09-01T10:30:00.000Z"),
      action: "acknowledge",
      target: "incident:inc_old",
      incident_id: "inc_old",
    });
    await storage.appendAudit({
      ...pauseEntry("other-agent", "2026-09-01T10:00:00.000Z"),
      target: "agent:other",
    });
    expect((await storage.deleteExpired(now)).audit).toBe(1);
    const ids = (await storage.queryAudit({ limit: 100 })).map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining(["held-pause", "held-ack"]));
    expect(ids).not.toContain("other-agent");
    await storage.stop();
  });
});

describe("verify on the embedded storage: as an attacker would try it", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  const open = (name: string) => retained(name, TEST_SIGNER);
  const event = (i: number, received: number, agent = "bot") => ({
    event: { id: `v${i}`, time: new Date(received).toISOString(), type: "prompt" as const, agent_id: agent },
    received_at: new Date(received).toISOString(),
    token: "t",
  });
  const eventsChain = async (storage: EmbeddedStorage) =>
    (await verifyChains(storage, TEST_SIGNER.publicKeyPem)).chains.find((c) => c.stream === "events:0");

  it("takes records that arrived out of their chain's order (collectors' clocks) as they are", async () => {
    const storage = await open("verify-skew");
    const t = Date.parse("2026-11-19T10:00:00Z");
    // Linked in this order, but each pair arrived the other way round.
    const chain = linked(Array.from({ length: 40 }, (_, i) => event(i, t + i * 10 + (i % 2 === 0 ? 15 : 0))));
    await storage.putEvents(chain);
    expect(await eventsChain(storage)).toMatchObject({ records: 40, verified: true, problems: [] });
    await storage.stop();
  });

  it("sums a retention run that held records split into many ranges in one note", async () => {
    const storage = await open("verify-fragmented");
    const t = Date.parse("2026-11-01T10:00:00Z");
    await storage.putEvents(
      linked(
        Array.from({ length: 30 }, (_, i) =>
          event(i + 1, t + i * 1000, (i + 1) % 3 === 0 ? "held-bot" : "bot"),
        ),
      ),
    );
    await storage.putHold({
      id: "hold_inc",
      incident_id: "inc",
      agent_id: "held-bot",
      from: "2026-11-01T00:00:00.000Z",
      to: null,
      reason: "agent paused",
      created_at: "2026-11-01T11:00:00.000Z",
      created_by: "oncall",
      released_at: null,
      released_by: null,
    });
    expect((await storage.deleteExpired(now)).events).toBe(20);
    const report = await verifyChains(storage, TEST_SIGNER.publicKeyPem);
    expect(report.ok).toBe(true);
    expect(report.chains.find((c) => c.stream === "events:0")).toMatchObject({
      records: 10,
      notes: ["20 records in 10 ranges from seq 1 to 29: deleted by retention (signed tombstones)"],
    });
    await storage.stop();
  });

  it("names a thousand deletions and counts the rest, rather than growing without bound", async () => {
    const storage = await open("verify-many");
    const t = Date.parse("2026-11-19T10:00:00Z");
    await storage.putEvents(linked(Array.from({ length: 2500 }, (_, i) => event(i + 1, t + i))));
    await storage.stop();
    const db = new DatabaseSync(join(root, "verify-many", "storage.sqlite"));
    db.exec("DELETE FROM events WHERE seq % 2 = 0");
    db.close();
    const reopened = await open("verify-many");
    const chain = await eventsChain(reopened);
    expect(chain?.verified).toBe(false);
    expect(chain?.problems).toHaveLength(1001);
    expect(chain?.problems[0]).toBe("seq 2: deleted");
    // 1,249 gaps: the last record's removal needs a signed head to be seen (no digest here).
    expect(chain?.problems.at(-1)).toBe("… and 249 more");
    await reopened.stop();
  });

  it("finds a chain deleted whole when a digest signed it, and leaves alone records a retention run signed for but did not delete", async () => {
    const storage = await open("verify-whole-chain");
    const t = Date.parse("2026-11-19T10:00:00Z");
    const stored = linked(
      Array.from({ length: 5 }, (_, i) => event(i + 1, t + i)),
      "events:3",
    );
    // A retention run that stopped after its tombstone: the records are all still there.
    for (const entry of tombstoneEntries(
      TEST_SIGNER,
      "retention",
      stored.slice(0, 3).flatMap((e) => e.chain ?? []),
      {
        actor: "agentwatch",
        reason: "retention",
        time: new Date(t + 10).toISOString(),
      },
    ))
      await storage.appendAudit(entry);
    await storage.putEvents(stored);
    await storage.appendAudit({
      id: "digest-1",
      ...digestEntry(
        TEST_SIGNER,
        new Date(t + 20).toISOString(),
        {
          "events:3": { seq: 5, hash: stored[4]?.chain?.hash as string, offset: 4 },
          "events:7": { seq: 9, hash: "a".repeat(64), offset: 8 },
        },
        GENESIS,
      ),
    });
    const report = await verifyChains(storage, TEST_SIGNER.publicKeyPem);
    expect(report.chains.find((c) => c.stream === "events:3")).toMatchObject({ records: 5, verified: true });
    expect(report.chains.find((c) => c.stream === "events:7")).toMatchObject({
      records: 0,
      verified: false,
      problems: [expect.stringMatching(/^seq 1 to 9: deleted \(signed in the digest of /)],
    });
    await storage.stop();
  });
});

describe("the audit chain's own digests (a process without an indexer)", () => {
  it("signs the audit chain's head when it moved, and verify checks it", async () => {
    const storage = new EmbeddedStorage(join(root, "audit-digests"), undefined, { signer: TEST_SIGNER });
    await storage.start();
    const errors: unknown[] = [];
    const digester = new AuditDigester({
      storage,
      signer: TEST_SIGNER,
      intervalMs: 3_600_000,
      onError: (err) => errors.push(err),
    });
    for (const id of ["a1", "a2", "a3"])
      await storage.appendAudit(pauseEntry(id, "2026-11-19T10:00:00.000Z"));
    await digester.digest();
    await digester.digest(); // nothing new: no second digest
    const digests = await storage.queryAudit({ action: "integrity_digest", limit: 10 });
    expect(digests).toHaveLength(1);
    const stream = storage.auditHead().stream;
    expect(digests[0]?.details).toMatchObject({ streams: { [stream]: { seq: 3 } } });
    await storage.appendAudit(pauseEntry("a4", "2026-11-19T10:05:00.000Z"));
    await digester.stop(); // a last digest on stop
    expect(await storage.queryAudit({ action: "integrity_digest", limit: 10 })).toHaveLength(2);
    expect(errors).toEqual([]);
    const report = await verifyChains(storage, TEST_SIGNER.publicKeyPem);
    expect(report.ok).toBe(true);
    expect(report.chains.find((c) => c.stream === stream)).toMatchObject({
      records: 6,
      digest: { seq: 5, signature: "valid" },
    });
    await storage.stop();
    // The trail's end cut off, its last digest with it: the checkpoints still name that digest.
    const db = new DatabaseSync(join(root, "audit-digests", "storage.sqlite"));
    db.exec("DELETE FROM audit WHERE id = 'a4' OR seq = (SELECT MAX(seq) FROM audit)");
    db.close();
    const reopened = new EmbeddedStorage(join(root, "audit-digests"), undefined, { signer: TEST_SIGNER });
    await reopened.start();
    expect((await verifyChains(reopened, TEST_SIGNER.publicKeyPem)).problems).toEqual([
      expect.stringMatching(/^the newest digest \([0-9a-f]{16}…, named in the checkpoints\) is gone$/),
    ]);
    await reopened.stop();
  });
});
