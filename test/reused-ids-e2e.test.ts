/**
 * Reused ids through the real process (issue 26): an order-shipped answer, then an answer carrying
 * an Anthropic key under the same `(agent_id, id)`. The 202 names the conflict, both events are
 * stored and searchable, the key raises secret_leak and the reuse event_id_conflict, alerted; a
 * retry of either content is a duplicate and raises nothing. Embedded, and when AW_KAFKA_BROKERS
 * and AW_ES_URL are set, as separate roles over Kafka with Elasticsearch storage. Both also across
 * a restart of the collector: the embedded log remembers ids on disk and names the conflict;
 * a Kafka collector remembers them in memory only, and the indexer finds the conflict instead.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../lib/events.ts";
import { eventHash } from "../services/runtime/reused-ids.ts";
import {
  type AgentwatchProcess,
  eventually,
  type Json,
  type KafkaRoles,
  launch,
  startKafkaRoles,
} from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { AGENT, bearer, postJson, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver } from "./helpers/with-receiver.ts";

const brokers = process.env.AW_KAFKA_BROKERS;
const elasticsearch = process.env.AW_ES_URL;

// A session's findings join one incident; its updates are re-sent after group_interval (1 s here).

// Assembled, so no secret scanner takes the test for a leak of its own.
const KEY = ["sk", "ant", "api03", "Zq7Rt2Lm9Wx4Bv6Np3Kd8Hs1Jf5Gc0YaQe_Tu"].join("-");

function events(id: string) {
  const time = new Date().toISOString();
  const base = { id, time, type: "response", agent_id: AGENT, session_id: `s-${id}` } as const;
  return {
    shipped: { ...base, text: "Your order has shipped." } as AgentEvent,
    leak: { ...base, text: `Here is the key you asked for: ${KEY}` } as AgentEvent,
    third: { ...base, text: "Refund issued." } as AgentEvent,
  };
}

const keptId = (event: AgentEvent) => `${event.id}~${eventHash(event).slice(0, 16)}`;

async function post(proc: AgentwatchProcess, event: AgentEvent): Promise<Json> {
  const res = await proc.fetch("/v1/events", postJson(TOKENS.ingest, [event]));
  expect(res.status).toBe(202);
  return res.json();
}

/** Every finding of the agent's incidents (a session's findings may share one incident). */
async function findings(proc: AgentwatchProcess): Promise<Json[]> {
  const list: Json = await (
    await proc.fetch(`/v1/incidents?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
  ).json();
  return list.incidents.flatMap((i: Json) => i.findings);
}

async function storedIds(proc: AgentwatchProcess, query = ""): Promise<string[]> {
  const page: Json = await (
    await proc.fetch(`/v1/events?agent_id=${AGENT}&limit=100${query}`, { headers: bearer(TOKENS.viewer) })
  ).json();
  return page.events.map((e: Json) => e.id).sort();
}

/**
 * The whole case against a running deployment: `collector` takes events, `api` answers reads,
 * `receiver` gets the alerts.
 */
async function reusedIdCase(collector: AgentwatchProcess, api: AgentwatchProcess, receiver: Receiver) {
  const { shipped, leak } = events(`order-${randomUUID().slice(0, 8)}`);
  const kept = keptId(leak);
  expect(await post(collector, shipped)).toEqual({ accepted: 1, duplicates: 0, conflicts: [], rejected: [] });
  expect(await post(collector, leak)).toEqual({
    accepted: 1,
    duplicates: 0,
    conflicts: [{ index: 0, id: kept }],
    rejected: [],
  });

  // Both stored and searchable: the first under its id, the other under its new one.
  await eventually(async () => {
    const ids = await storedIds(api);
    return ids.includes(shipped.id) && ids.includes(kept) ? true : undefined;
  });
  expect(await storedIds(api, "&q=shipped")).toContain(shipped.id);
  const view: Json = await (
    await api.fetch(`/v1/events?agent_id=${AGENT}&session_id=${shipped.session_id}`, {
      headers: bearer(TOKENS.viewer),
    })
  ).json();
  expect(view.events.map((e: Json) => [e.id, e.text])).toEqual(
    expect.arrayContaining([
      [shipped.id, shipped.text],
      [kept, expect.stringContaining("Here is the key")],
    ]),
  );

  // The key is caught under its new id, and the reuse is a finding of its own; both alerted.
  const alerted = (detector: string) =>
    receiver.waitFor((r) => {
      if (r.path !== "/alerts") return false;
      const incident = JSON.parse(r.body).incident;
      return incident.findings.some((f: Json) => f.detector === detector && f.event_ids.includes(kept));
    }, 30_000);
  await alerted("secret_leak");
  await alerted("event_id_conflict");
  const all = await eventually(async () => {
    const found = await findings(api);
    return found.some((f) => f.detector === "event_id_conflict") ? found : undefined;
  });
  const leakFindings = all.filter((f) => f.detector === "secret_leak");
  expect(leakFindings.some((f) => f.event_ids.includes(kept))).toBe(true);
  const conflicts = all.filter((f) => f.detector === "event_id_conflict");
  expect(conflicts).toHaveLength(1);
  expect(conflicts[0]).toMatchObject({
    event_ids: [shipped.id, kept],
    observed: { id: shipped.id, kept_as: kept, token: "support-ingest", content_hash: eventHash(leak) },
    baseline: { content_hash: eventHash(shipped) },
  });
  const list: Json = await (
    await api.fetch(`/v1/incidents?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
  ).json();
  const incident = list.incidents.find((i: Json) => i.detectors.includes("event_id_conflict"));
  expect(incident).toMatchObject({ agent_id: AGENT, status: "open" });

  // Retries are duplicates, the conflicting one named again; nothing new is stored or raised.
  expect(await post(collector, shipped)).toEqual({ accepted: 0, duplicates: 1, conflicts: [], rejected: [] });
  expect(await post(collector, leak)).toEqual({
    accepted: 0,
    duplicates: 1,
    conflicts: [{ index: 0, id: kept }],
    rejected: [],
  });
  await new Promise((r) => setTimeout(r, 3000));
  expect((await storedIds(api)).filter((id) => id.startsWith(shipped.id))).toEqual([shipped.id, kept].sort());
  const after = await findings(api);
  expect(after.filter((f) => f.detector === "event_id_conflict")).toHaveLength(1);
  expect(after.filter((f) => f.event_ids.includes(shipped.id) && f.detector !== "event_id_conflict")).toEqual(
    [],
  );
  return { shipped, leak };
}

describe("reused ids through the real process (embedded)", () => {
  const setup = agentwatchWithReceiver(() => ({ alerting: { group_interval: "1s" } }));
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  it("names the conflict, keeps and scans both events, alerts on the leak and on the reuse; retries stay duplicates", async () => {
    await reusedIdCase(aw, aw, receiver);
  });

  it("remembers ids and their content across a restart: a third content is named too", async () => {
    const { shipped, third } = events(`restart-${randomUUID().slice(0, 8)}`);
    expect(await post(aw, shipped)).toMatchObject({ accepted: 1, conflicts: [] });
    expect(await aw.stop()).toBe(0);
    await launch(aw);
    expect(await post(aw, shipped)).toEqual({ accepted: 0, duplicates: 1, conflicts: [], rejected: [] });
    expect(await post(aw, third)).toEqual({
      accepted: 1,
      duplicates: 0,
      conflicts: [{ index: 0, id: keptId(third) }],
      rejected: [],
    });
    await eventually(async () => {
      const found = await findings(aw);
      return found.some((f) => f.detector === "event_id_conflict" && f.observed.kept_as === keptId(third))
        ? true
        : undefined;
    });
  });
});

describe.skipIf(!brokers || !elasticsearch)("reused ids over Kafka with Elasticsearch storage", () => {
  const receiver = new Receiver();
  let roles: KafkaRoles;
  beforeAll(async () => {
    await receiver.start();
    roles = await startKafkaRoles({
      brokers: brokers as string,
      hookUrl: `${receiver.url}/alerts`,
      hookSecret: "kafka-hook-secret",
      config: { alerting: { group_interval: "1s" } },
      workersConfig: {
        storage: {
          type: "elasticsearch",
          node: elasticsearch,
          index_prefix: `aw-reused-${randomUUID().slice(0, 8)}`,
        },
      },
    });
  });
  afterAll(async () => {
    await roles?.stop();
    await receiver.stop();
  });

  it("names the conflict, keeps and scans both events, alerts on the leak and on the reuse; retries stay duplicates", async () => {
    await reusedIdCase(roles.collector, roles.workers, receiver);
  });

  it("after a collector restart, which forgets ids, the indexer finds the conflict against storage", async () => {
    const { shipped, leak } = events(`kafka-restart-${randomUUID().slice(0, 8)}`);
    const kept = keptId(leak);
    expect(await post(roles.collector, shipped)).toMatchObject({ accepted: 1, conflicts: [] });
    await eventually(async () => ((await storedIds(roles.workers)).includes(shipped.id) ? true : undefined));
    expect(await roles.collector.stop()).toBe(0);
    await launch(roles.collector);
    // This collector never saw the id: it cannot name the conflict.
    expect(await post(roles.collector, leak)).toEqual({
      accepted: 1,
      duplicates: 0,
      conflicts: [],
      rejected: [],
    });
    // Stored under the same new id the collector would have given it, marked, and alerted.
    await eventually(async () => ((await storedIds(roles.workers)).includes(kept) ? true : undefined));
    const conflict = await eventually(async () =>
      (await findings(roles.workers)).find(
        (f) => f.detector === "event_id_conflict" && f.observed.kept_as === kept,
      ),
    );
    expect(conflict).toMatchObject({
      event_ids: [shipped.id, kept],
      baseline: { content_hash: eventHash(shipped) },
      observed: { content_hash: eventHash(leak) },
    });
    await receiver.waitFor(
      (r) =>
        r.path === "/alerts" &&
        JSON.parse(r.body).incident.findings.some((f: Json) => f.observed?.kept_as === kept),
      30_000,
    );
    expect((await storedIds(roles.workers)).filter((id) => id.startsWith(shipped.id))).toEqual(
      [shipped.id, kept].sort(),
    );
  });
});
