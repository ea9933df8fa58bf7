/**
 * The storage contract (services/runtime/storage/storage.ts), as tests every implementation must
 * pass. `open` gives a started storage; the same `name` reaches the same stored data.
 */
import { afterEach, describe, expect, it } from "vitest";
import { verifyChains } from "../../services/indexer/verify.ts";
import type {
  AgentState,
  Delivery,
  Finding,
  IngestedEvent,
  Silence,
  StoredIncident,
} from "../../services/runtime/model.ts";
import { eventHash, keptUnderNewId, storedHashOf } from "../../services/runtime/reused-ids.ts";
import type { Storage } from "../../services/runtime/storage/storage.ts";
import { linked, OTHER_SIGNER, TEST_SIGNER } from "../helpers/chain.ts";

export interface StorageFixture {
  /** A started storage that signs its tombstones with TEST_SIGNER. */
  open(name: string): Promise<Storage>;
}

const T0 = Date.parse("2026-11-20T10:00:00Z");

function ingested(i: number, extra: Partial<IngestedEvent["event"]> = {}): IngestedEvent {
  return {
    event: {
      id: `e${i}`,
      time: new Date(T0 + i * 1000).toISOString(),
      type: "prompt",
      agent_id: "bot-a",
      session_id: `s${i % 2}`,
      user_id: `u${i % 3}`,
      text: `message number ${i}`,
      ...extra,
    },
    received_at: new Date(T0 + i * 1000 + 5).toISOString(),
    token: "ingest",
  };
}

function incident(
  id: string,
  fingerprint: string,
  status: StoredIncident["incident"]["status"],
  at: number,
): StoredIncident {
  return {
    incident: {
      id,
      status,
      severity: "warning",
      detector: "auth_bruteforce",
      agent_id: "bot-a",
      title: "t",
      summary: "s",
      labels: {},
      started_at: new Date(at).toISOString(),
      updated_at: new Date(at).toISOString(),
      fingerprint,
      detectors: ["auth_bruteforce"],
      finding_count: 0,
      findings: [],
      notes: [],
    },
    notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false },
  } as StoredIncident;
}

function delivery(id: string, extra: Partial<Delivery> = {}): Delivery {
  return {
    id,
    kind: "control",
    target: "bot-a",
    supersede_key: "control:bot-a",
    body: "{}",
    status: "pending",
    attempts: 0,
    max_attempts: null,
    next_attempt_at: T0,
    last_error: null,
    created_at: T0,
    updated_at: T0,
    ...extra,
  };
}

export function storageConformance(name: string, fixture: StorageFixture): void {
  describe(`storage conformance: ${name}`, () => {
    const opened: Storage[] = [];
    const open = async (id: string) => {
      const storage = await fixture.open(id);
      opened.push(storage);
      return storage;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.stop()));
    });

    it("stores events once per (agent_id, id) and keeps them across a restart", async () => {
      const first = await open("events-once");
      await first.putEvents([ingested(1), ingested(2)]);
      await first.putEvents([ingested(2), ingested(3), ingested(1, { agent_id: "bot-b" })]);
      await first.stop();
      const second = await open("events-once");
      const page = await second.queryEvents({ limit: 100 });
      expect(page.events.map((e) => `${e.event.agent_id}/${e.event.id}`)).toEqual([
        "bot-a/e3",
        "bot-a/e2",
        "bot-b/e1",
        "bot-a/e1",
      ]);
      expect(page.events[0]).toEqual(ingested(3));
      expect(page.next_cursor).toBeNull();
    });

    it("reads events back by (agent_id, id), leaving out those it does not have", async () => {
      const s = await open("events-by-id");
      await s.putEvents([ingested(1), ingested(2), ingested(1, { agent_id: "bot-b" })]);
      const found = await s.getEvents([
        { agent_id: "bot-a", id: "e2" },
        { agent_id: "bot-b", id: "e1" },
        { agent_id: "bot-a", id: "missing" },
        { agent_id: "bot-c", id: "e1" },
      ]);
      expect(found.map((e) => `${e.event.agent_id}/${e.event.id}`).sort()).toEqual(["bot-a/e2", "bot-b/e1"]);
      expect(await s.getEvents([])).toEqual([]);
    });

    it("keeps an event kept under a new id (a reused id) beside the first, with its hash and mark, searchable", async () => {
      // What reused-ids.ts relies on: the first content stays under the id (a second put of the
      // id changes nothing), the other is found under its new id with what it was kept with, and
      // the hash each was kept with is read back; an erasure keeps neither hash nor mark.
      const s = await open("events-reused-id");
      const hashed = (e: IngestedEvent): IngestedEvent => ({ ...e, event_hash: eventHash(e.event) });
      const first = hashed(ingested(1, { text: "Your order has shipped." }));
      const other = hashed(
        ingested(1, { text: "the key is in the vault", user_id: "mallory", session_id: "sz" }),
      );
      const kept = keptUnderNewId(other, first.event_hash as string);
      await s.putEvents([first]);
      await s.putEvents([other]);
      await s.putEvents([kept]);
      const found = await s.getEvents([
        { agent_id: "bot-a", id: "e1" },
        { agent_id: "bot-a", id: kept.event.id },
      ]);
      const byId = new Map(found.map((e) => [e.event.id, e]));
      expect(byId.get("e1")).toEqual(first);
      expect(byId.get(kept.event.id)).toEqual(kept);
      expect(storedHashOf(byId.get("e1") as IngestedEvent)).toBe(eventHash(first.event));
      expect(storedHashOf(byId.get(kept.event.id) as IngestedEvent)).toBe(eventHash(other.event));
      const search = async (q: string) =>
        (await s.queryEvents({ q, limit: 10 })).events.map((e) => e.event.id);
      expect(await search("shipped")).toEqual(["e1"]);
      expect(await search("vault")).toEqual([kept.event.id]);
      expect(
        (await s.queryEvents({ agent_id: "bot-a", limit: 10 })).events.map((e) => e.event.id).sort(),
      ).toEqual(["e1", kept.event.id].sort());

      await s.eraseSubject("mallory", { at: new Date(T0 + 60_000).toISOString(), by: "root" });
      const [erased] = await s.getEvents([{ agent_id: "bot-a", id: kept.event.id }]);
      expect(erased?.event_hash).toBeUndefined();
      expect(erased?.id_conflict).toBeUndefined();
      expect(storedHashOf(erased as IngestedEvent)).toBeUndefined();
    });

    it("filters by agent, session, user, type and time, newest first", async () => {
      const s = await open("events-filter");
      await s.putEvents([
        ...Array.from({ length: 12 }, (_, i) => ingested(i)),
        ingested(100, { agent_id: "bot-b", type: "tool_call", tool: { name: "search" } }),
      ]);
      const ids = async (q: Parameters<Storage["queryEvents"]>[0]) =>
        (await s.queryEvents(q)).events.map((e) => e.event.id);
      expect(await ids({ agent_id: "bot-b", limit: 10 })).toEqual(["e100"]);
      expect(await ids({ type: "tool_call", limit: 10 })).toEqual(["e100"]);
      expect(await ids({ session_id: "s1", agent_id: "bot-a", limit: 3 })).toEqual(["e11", "e9", "e7"]);
      expect(await ids({ user_id: "u0", limit: 10 })).toEqual(["e9", "e6", "e3", "e0"]);
      expect(await ids({ from: T0 + 3000, to: T0 + 6000, limit: 10 })).toEqual(["e5", "e4", "e3"]);
    });

    it("filters events by arrival, apart from their event time", async () => {
      const s = await open("events-arrival");
      await s.putEvents([
        ingested(1),
        // Dated in the far future, received between the others.
        { ...ingested(2), event: { ...ingested(2).event, time: "2099-01-01T00:00:00.000Z" } },
        ingested(3),
      ]);
      const ids = async (query: { received_from?: number; received_to?: number }) =>
        (await s.queryEvents({ ...query, limit: 10 })).events.map((e) => e.event.id).sort();
      expect(await ids({ received_from: T0 + 2000 })).toEqual(["e2", "e3"]);
      expect(await ids({ received_to: T0 + 2000 })).toEqual(["e1"]);
      expect(await ids({ received_from: T0 + 2000, received_to: T0 + 2006 })).toEqual(["e2"]);
      // Oldest first by arrival, a page at a time, whatever the event times.
      const order: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.queryEvents({ order: "arrival", limit: 2, ...(cursor ? { cursor } : {}) });
        order.push(...page.events.map((e) => e.event.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      expect(order).toEqual(["e1", "e2", "e3"]);
      const ranged = await s.queryEvents({ order: "arrival", received_from: T0 + 2000, limit: 10 });
      expect(ranged.events.map((e) => e.event.id)).toEqual(["e2", "e3"]);
    });

    it("erases a person's content and identifiers from their events and their sessions, keeps the rest, and says so", async () => {
      const s = await open("events-erase");
      await s.putEvents([
        ingested(1, {
          user_id: "mallory",
          session_id: "sx",
          source_ip: "198.51.100.23",
          text: "my card is 4111 1111 1111 1111",
        }),
        ingested(2, {
          user_id: undefined,
          session_id: "sx",
          type: "tool_call",
          text: undefined,
          tool: { name: "http_post", arguments: { body: "mallory@example.com" }, target: "paste.example" },
        }),
        ingested(3, { user_id: "bob", session_id: "sy", text: "bob's own words" }),
        ingested(4, { user_id: "mallory", session_id: "sx", agent_id: "bot-b", text: "hello from bot b" }),
      ]);
      const erasure = { at: new Date(T0 + 60_000).toISOString(), by: "root" };
      expect(await s.eraseSubject("mallory", erasure)).toEqual({ events: 3, held: [] });
      const all = (await s.queryEvents({ limit: 100 })).events;
      const byId = new Map(all.map((e) => [`${e.event.agent_id}/${e.event.id}`, e.event]));
      expect(byId.get("bot-a/e1")).toEqual({
        id: "e1",
        time: new Date(T0 + 1000).toISOString(),
        type: "prompt",
        agent_id: "bot-a",
        erased: erasure,
      });
      expect(byId.get("bot-a/e2")).toMatchObject({ tool: { name: "http_post" }, erased: erasure });
      expect(JSON.stringify(all)).not.toMatch(
        /mallory|4111|paste\.example|198\.51\.100\.23|hello from bot b/,
      );
      // Someone else's events are untouched, and nothing is found by the erased words or ids.
      expect(byId.get("bot-a/e3")).toMatchObject({ user_id: "bob", text: "bob's own words" });
      expect((await s.queryEvents({ user_id: "mallory", limit: 10 })).events).toEqual([]);
      expect((await s.queryEvents({ session_id: "sx", limit: 10 })).events).toEqual([]);
      expect((await s.queryEvents({ q: "4111", limit: 10 })).events).toEqual([]);
      expect((await s.queryEvents({ q: "paste.example", limit: 10 })).events).toEqual([]);
      expect((await s.queryEvents({ q: "bob's", limit: 10 })).events.map((e) => e.event.id)).toEqual(["e3"]);
      expect(await s.eraseSubject("mallory", erasure)).toEqual({ events: 0, held: [] });
    });

    it("leaves a signed tombstone for an erasure: the chain still verifies, and says who erased which records", async () => {
      const s = await open("chain-erase");
      await s.putEvents(
        linked([
          ingested(1, { user_id: "mallory", session_id: "sx" }),
          ingested(2, { user_id: "bob", session_id: "sy" }),
          ingested(3, { user_id: "mallory", session_id: "sx" }),
          ingested(4, { user_id: "mallory", session_id: "sx" }),
        ]),
      );
      expect((await verifyChains(s, TEST_SIGNER.publicKeyPem)).ok).toBe(true);
      const erasure = { at: new Date(T0 + 60_000).toISOString(), by: "root" };
      expect((await s.eraseSubject("mallory", erasure)).events).toBe(3);
      const report = await verifyChains(s, TEST_SIGNER.publicKeyPem);
      expect(report).toMatchObject({ ok: true, tombstones: 1 });
      expect(report.chains.find((c) => c.stream === "events:0")?.notes).toEqual([
        `seq 1 (bot-a/e1): erased by root at ${erasure.at}`,
        `seq 3 (bot-a/e3): erased by root at ${erasure.at}`,
        `seq 4 (bot-a/e4): erased by root at ${erasure.at}`,
      ]);
      const [tombstone] = await s.queryAudit({ action: "tombstone", limit: 10 });
      expect(tombstone).toMatchObject({
        actor: "root",
        time: erasure.at,
        details: {
          cause: "erasure",
          records: 3,
          key_id: TEST_SIGNER.keyId,
          ranges: [
            { stream: "events:0", from_seq: 1, to_seq: 1 },
            { stream: "events:0", from_seq: 3, to_seq: 4 },
          ],
        },
      });
      // Checked against another key, the tombstone is no one's: the erased records are changes.
      const forged = await verifyChains(s, OTHER_SIGNER.publicKeyPem);
      expect(forged.ok).toBe(false);
      expect(forged.problems).toEqual([
        `tombstone ${tombstone?.id} of ${erasure.at}: its signature does not verify`,
      ]);
      expect(forged.chains.find((c) => c.stream === "events:0")?.problems).toEqual([
        "seq 1 (bot-a/e1): changed (marked erased, but no signed tombstone names it)",
        "seq 3 (bot-a/e3): changed (marked erased, but no signed tombstone names it)",
        "seq 4 (bot-a/e4): changed (marked erased, but no signed tombstone names it)",
      ]);
    });

    it("keeps held events out of an erasure and lists them; a released hold holds nothing", async () => {
      const s = await open("events-erase-held");
      await s.putEvents([
        ingested(1, { user_id: "mallory", session_id: "sx" }),
        ingested(2, { user_id: "mallory", session_id: "sx", agent_id: "bot-b" }),
        // Another agent's event under the incident's session id: sessions are per agent, so the
        // hold (on bot-a) does not cover it (issue 30: one agent cannot hold another's records).
        ingested(3, { user_id: "mallory", session_id: "s-incident", agent_id: "bot-c" }),
      ]);
      const hold = {
        id: "hold_inc_1",
        incident_id: "inc_1",
        agent_id: "bot-a",
        sessions: ["s-incident"],
        from: new Date(T0).toISOString(),
        to: null,
        reason: "agent paused",
        created_at: new Date(T0 + 5000).toISOString(),
        created_by: "oncall",
        released_at: null,
        released_by: null,
      };
      await s.putHold(hold);
      expect(await s.listHolds()).toEqual([hold]);
      const erasure = { at: new Date(T0 + 60_000).toISOString(), by: "root" };
      const partial = await s.eraseSubject("mallory", erasure, await s.listHolds());
      expect(partial.events).toBe(2);
      expect(partial.held).toEqual([{ agent_id: "bot-a", id: "e1", hold: "hold_inc_1" }]);
      const released = { ...hold, released_at: new Date(T0 + 70_000).toISOString(), released_by: "root" };
      await s.putHold(released);
      expect(await s.listHolds()).toEqual([released]);
      expect(await s.eraseSubject("mallory", erasure, await s.listHolds())).toEqual({ events: 1, held: [] });
    });

    it("searches text and tool fields; every word must match", async () => {
      const s = await open("events-search");
      await s.putEvents([
        ingested(1, { text: "please reset my password" }),
        ingested(2, { text: "what is the weather" }),
        ingested(3, {
          type: "tool_call",
          text: undefined,
          tool: {
            name: "http_post",
            arguments: { url: "https://paste.example/new" },
            target: "paste.example",
          },
        }),
        ingested(4, {
          type: "error",
          text: undefined,
          error: { code: "E_TIMEOUT", message: "upstream timed out" },
        }),
      ]);
      const ids = async (q: string) => (await s.queryEvents({ q, limit: 10 })).events.map((e) => e.event.id);
      expect(await ids("password")).toEqual(["e1"]);
      expect(await ids("reset password")).toEqual(["e1"]);
      expect(await ids("reset weather")).toEqual([]);
      expect(await ids("paste.example")).toEqual(["e3"]);
      expect(await ids("http_post")).toEqual(["e3"]);
      expect(await ids("timed")).toEqual(["e4"]);
      expect(await ids('"quoted" OR NOT')).toEqual([]); // operators are taken literally
    });

    it("pages with a cursor without gaps or repeats, also among equal times", async () => {
      const s = await open("events-paging");
      const same = new Date(T0).toISOString();
      await s.putEvents(
        Array.from({ length: 25 }, (_, i) => (i < 10 ? ingested(i, { time: same }) : ingested(i))),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await s.queryEvents({ limit: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...page.events.map((e) => e.event.id));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      await expect(s.queryEvents({ limit: 5, cursor: "garbage" })).rejects.toThrow(/cursor/);
      // Forged cursors of the right encoding but the wrong shape are client errors, never an
      // outage (they used to answer 503 "storage unavailable" and log a backend failure).
      for (const forged of [
        ["x", "y"],
        [1, 2, 3],
        [{}, []],
      ]) {
        const cursor = Buffer.from(JSON.stringify(forged)).toString("base64url");
        await expect(s.queryEvents({ limit: 5, cursor })).rejects.toMatchObject({ code: "invalidRequest" });
      }
      // Search text with control characters finds nothing rather than failing.
      expect((await s.queryEvents({ limit: 5, q: "hello\u0000world" })).events).toEqual([]);
    });

    it("records findings and finds active incidents by fingerprint", async () => {
      const s = await open("incidents");
      const at = (id: string, time: number) =>
        ({
          id,
          detector: "auth_bruteforce",
          agent_id: "bot-a",
          time: new Date(time).toISOString(),
        }) as Finding;
      // Findings of two days (daily indices in Elasticsearch), one of them recorded twice.
      const f1 = at("f1", T0);
      const f2 = at("f2", T0 + 86_400_000);
      expect(await s.knownFindings([f1, f2])).toEqual(new Set());
      await s.recordFindings([{ finding: f1, incidentId: "i1" }]);
      await s.recordFindings([
        { finding: f1, incidentId: "i1" },
        { finding: f2, incidentId: "i1" },
      ]);
      expect(await s.knownFindings([f1, at("f3", T0), f2])).toEqual(new Set(["f1", "f2"]));
      expect(await s.knownFindings([])).toEqual(new Set());

      await s.putIncidents([incident("i1", "fp1", "resolved", T0), incident("i2", "fp1", "open", T0 + 1000)]);
      await s.putIncidents([incident("i3", "fp2", "acknowledged", T0 + 2000)]);
      const active = await s.findActiveIncidents(["fp1", "fp-none", "fp2", "fp1"]);
      expect([...active].map(([fp, i]) => [fp, i.incident.id]).sort()).toEqual([
        ["fp1", "i2"],
        ["fp2", "i3"],
      ]);
      expect((await s.findActiveIncidents([])).size).toBe(0);
      expect((await s.listActiveIncidents()).map((i) => i.incident.id).sort()).toEqual(["i2", "i3"]);
      expect((await s.listIncidents({ limit: 10 })).map((i) => i.incident.id)).toEqual(["i3", "i2", "i1"]);
      expect((await s.listIncidents({ status: "resolved", limit: 10 })).map((i) => i.incident.id)).toEqual([
        "i1",
      ]);

      const updated = incident("i2", "fp1", "resolved", T0 + 5000);
      updated.notify.resolved_sent = true;
      await s.putIncidents([updated]);
      expect(await s.getIncident("i2")).toEqual(updated);
      expect((await s.findActiveIncidents(["fp1"])).has("fp1")).toBe(false);
      expect(await s.getIncident("missing")).toBeUndefined();
    });

    it("keeps agent states, and last_seen from events without clobbering either", async () => {
      const s = await open("agents");
      await s.putEvents([ingested(1), ingested(5)]);
      const seen = await s.getAgent("bot-a");
      expect(seen?.state).toBe("active");
      expect(seen?.last_seen).toBe(ingested(5).received_at);
      const paused: AgentState = {
        ...(seen as AgentState),
        state: "paused",
        since: "2026-11-20T11:00:00Z",
        by: "oncall",
        reason: "why",
        incident_id: "i1",
        control: { delivered: false, attempts: 1, configured: true, last_error: "503" },
      };
      await s.putAgent(paused);
      await s.putEvents([ingested(9)]);
      const after = await s.getAgent("bot-a");
      expect(after).toMatchObject({ state: "paused", by: "oncall", last_seen: ingested(9).received_at });
      expect(after?.control).toEqual(paused.control);
      await s.putAgent({ ...paused, agent_id: "bot-z", first_seen: null, last_seen: null });
      expect((await s.listAgents()).map((a) => a.agent_id)).toEqual(["bot-a", "bot-z"]);
      expect(await s.getAgent("nobody")).toBeUndefined();
    });

    it("appends audit entries and filters them, newest first", async () => {
      const s = await open("audit");
      const entry = (id: string, action: "pause" | "resume", actor: string, at: number) => ({
        id,
        time: new Date(at).toISOString(),
        actor,
        action,
        target: "agent:bot-a",
        reason: "r",
        incident_id: null,
        details: { n: id },
      });
      await s.appendAudit(entry("a1", "pause", "oncall", T0));
      await s.appendAudit(entry("a2", "resume", "oncall", T0 + 1000));
      await s.appendAudit(entry("a3", "pause", "root", T0 + 2000));
      const ids = async (q: Partial<Parameters<Storage["queryAudit"]>[0]>) =>
        (await s.queryAudit({ limit: 10, ...q })).map((e) => e.id);
      expect(await ids({})).toEqual(["a3", "a2", "a1"]);
      expect(await ids({ action: "pause" })).toEqual(["a3", "a1"]);
      expect(await ids({ actor: "oncall" })).toEqual(["a2", "a1"]);
      expect(await ids({ from: T0 + 500, to: T0 + 1500 })).toEqual(["a2"]);
      // Each entry comes back as written, linked into the writer's audit chain.
      const [newest] = await s.queryAudit({ limit: 1 });
      expect(newest).toMatchObject(entry("a3", "pause", "root", T0 + 2000));
      expect(newest?.chain).toMatchObject({ stream: expect.stringMatching(/^audit:/), seq: 3 });
    });

    it("queues deliveries: idempotent by id, superseded by key, due by time", async () => {
      const s = await open("deliveries");
      await s.enqueueDeliveries([delivery("d1")]);
      await s.enqueueDeliveries([delivery("d1", { body: "changed" })]);
      expect((await s.getDelivery("d1"))?.body).toBe("{}");
      await s.enqueueDeliveries([delivery("d2", { next_attempt_at: T0 + 10_000 })]);
      expect((await s.getDelivery("d1"))?.status).toBe("superseded");
      await s.enqueueDeliveries([delivery("d3", { supersede_key: null, kind: "alert", target: "hook" })]);
      expect((await s.dueDeliveries(T0, 10)).map((d) => d.id)).toEqual(["d3"]);
      expect((await s.dueDeliveries(T0 + 10_000, 10)).map((d) => d.id)).toEqual(["d3", "d2"]);
      expect(await s.pendingDeliveries()).toBe(2);
      const done = { ...(await s.getDelivery("d3")), status: "delivered", attempts: 1 } as Delivery;
      await s.updateDelivery(done);
      expect(await s.getDelivery("d3")).toEqual(done);
      expect(await s.pendingDeliveries()).toBe(1);
    });

    it("queues a batch of deliveries in order: a later one of the same key supersedes an earlier one", async () => {
      const s = await open("delivery-batch");
      await s.enqueueDeliveries([delivery("old", { supersede_key: "alert:i1:hook" })]);
      await s.enqueueDeliveries([
        delivery("a", { supersede_key: "alert:i1:hook", created_at: T0 + 1 }),
        delivery("b", { supersede_key: "alert:i2:hook", created_at: T0 + 1 }),
        delivery("c", { supersede_key: "alert:i1:hook", created_at: T0 + 2 }),
        delivery("b", { supersede_key: "alert:i2:hook", body: "repeat", created_at: T0 + 3 }),
        delivery("old", { supersede_key: "alert:i1:hook", body: "repeat" }),
      ]);
      const status = async (id: string) => (await s.getDelivery(id))?.status;
      expect(await status("old")).toBe("superseded");
      expect(await status("a")).toBe("superseded");
      expect(await status("c")).toBe("pending");
      expect((await s.getDelivery("b"))?.body).toBe("{}");
      expect((await s.getDelivery("old"))?.body).toBe("{}");
      expect((await s.dueDeliveries(T0, 10)).map((d) => d.id).sort()).toEqual(["b", "c"]);
      await s.enqueueDeliveries([]);
      expect(await s.pendingDeliveries()).toBe(2);
    });

    it("saves and replaces checkpoints per consumer and partition", async () => {
      const s = await open("checkpoints");
      expect(await s.loadCheckpoint("detector", 0)).toBeUndefined();
      await s.saveCheckpoint({ consumer: "detector", partition: 0, offset: 10, state: "{}", saved_at: T0 });
      await s.saveCheckpoint({ consumer: "detector", partition: 1, offset: 3, state: "[]", saved_at: T0 });
      await s.saveCheckpoint({
        consumer: "detector",
        partition: 0,
        offset: 20,
        state: '{"a":1}',
        saved_at: T0 + 1,
      });
      expect(await s.loadCheckpoint("detector", 0)).toEqual({
        consumer: "detector",
        partition: 0,
        offset: 20,
        state: '{"a":1}',
        saved_at: T0 + 1,
      });
      expect((await s.loadCheckpoint("detector", 1))?.offset).toBe(3);
    });

    it("keeps silences, replaces them whole, lists them newest first, across a restart", async () => {
      const silence = (id: string, created: number): Silence => ({
        id,
        matchers: [{ name: "agent_id", value: "support-.*", op: "=~" }],
        starts_at: new Date(created).toISOString(),
        ends_at: new Date(created + 3_600_000).toISOString(),
        created_at: new Date(created).toISOString(),
        created_by: "oncall",
        comment: `maintenance ${id}`,
        expired_by: null,
      });
      const first = await open("silences");
      expect(await first.getSilence("sil_a")).toBeUndefined();
      expect(await first.listSilences()).toEqual([]);
      await first.putSilence(silence("sil_a", T0));
      await first.putSilence(silence("sil_b", T0 + 1000));
      const expired = {
        ...silence("sil_a", T0),
        ends_at: new Date(T0 + 5000).toISOString(),
        expired_by: "root",
      };
      await first.putSilence(expired);
      await first.stop();
      const second = await open("silences");
      expect(await second.getSilence("sil_a")).toEqual(expired);
      expect(await second.listSilences()).toEqual([silence("sil_b", T0 + 1000), expired]);
    });

    it("is ready while open and stops idempotently", async () => {
      const s = await open("lifecycle");
      expect(await s.ready()).toBe(true);
      await s.stop();
      await s.stop();
      expect(await s.ready()).toBe(false);
      await expect(s.putEvents([ingested(1)])).rejects.toMatchObject({ code: "storageUnavailable" });
    });
  });
}
