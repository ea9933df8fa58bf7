/**
 * Tamper-evident events through the real process: the indexer links every stored event into its
 * partition's hash chain and signs the heads; `agentwatch verify` recomputes the chains from
 * storage and names the record changed, deleted, inserted or reordered directly in the storage
 * (the embedded SQLite file, and Elasticsearch's documents when AW_ES_URL is set). Erasure stays
 * verifiable and visible.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentwatchProcess,
  eventually,
  type Json,
  startAgentwatch,
  writeConfig,
} from "./helpers/process.ts";
import { bearer, postJson, TOKENS } from "./helpers/tokens.ts";

const BIN = fileURLToPath(new URL("../bin/agentwatch.js", import.meta.url));
const elasticsearch = process.env.AW_ES_URL;

function verifyCli(
  configPath: string,
  args: string[] = [],
): { status: number | null; report: Json; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, "verify", "--config", configPath, ...args], {
    encoding: "utf8",
  });
  return { status: run.status, report: JSON.parse(run.stdout || "{}"), stderr: run.stderr };
}

const problemsOf = (report: Json): string[] => [
  ...report.problems,
  ...report.chains.flatMap((c: Json) => c.problems as string[]),
];

async function postTraffic(aw: AgentwatchProcess): Promise<void> {
  const events = Array.from({ length: 20 }, (_, i) => ({
    id: `e${i}`,
    time: new Date(Date.now() - 60_000 + i * 1000).toISOString(),
    type: "prompt",
    agent_id: i % 2 ? "bot-a" : "bot-b",
    user_id: i < 4 ? "mallory" : `user-${i % 5}`,
    text: `hello number ${i}`,
  }));
  const res = await aw.fetch("/v1/events", postJson(TOKENS.admin, events));
  expect((await res.json()).accepted).toBe(20);
}

/** Verified through the API, with a signed digest of all 20. */
async function verifiedWithDigest(aw: AgentwatchProcess): Promise<Json> {
  return eventually(async () => {
    const report = await (await aw.fetch("/v1/integrity/verify", { headers: bearer(TOKENS.viewer) })).json();
    const chain = report.chains?.find((c: Json) => c.stream === "events:0");
    return report.ok && chain?.records === 20 && chain.digest?.seq === 20 ? report : undefined;
  });
}

describe("hash chains on the embedded storage", () => {
  let aw: AgentwatchProcess;
  let dir: string;
  beforeAll(async () => {
    aw = await startAgentwatch({ config: { integrity: { digest_interval: "1s" } } });
    dir = mkdtempSync(join(tmpdir(), "aw-tamper-"));
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the stopped process's data dir, tampered with by `tamper`, then verified. */
  function tampered(name: string, tamper: (db: DatabaseSync) => void) {
    const copy = join(dir, name);
    cpSync(aw.dataDir, copy, { recursive: true });
    const db = new DatabaseSync(join(copy, "storage.sqlite"));
    tamper(db);
    db.close();
    return verifyCli(writeConfig(copy, { integrity: { digest_interval: "1s" } }));
  }
  const bodyOf = (db: DatabaseSync, id: string) =>
    JSON.parse((db.prepare("SELECT body FROM events WHERE id = ?").get(id) as { body: string }).body);
  const seqOf = (db: DatabaseSync, id: string): number => bodyOf(db, id).chain.seq;

  it("links every event, signs the heads, and verifies; then names each kind of tampering", async () => {
    await postTraffic(aw);
    const report = await verifiedWithDigest(aw);
    // One chain for the events, one for the audit trail this process wrote.
    expect(report.chains.map((c: Json) => c.stream)).toEqual([
      expect.stringMatching(/^audit:[0-9a-f]{16}$/),
      "events:0",
    ]);
    expect(report.chains.filter((c: Json) => c.stream === "events:0")).toEqual([
      expect.objectContaining({
        stream: "events:0",
        first_seq: 1,
        last_seq: 20,
        verified: true,
        digest: expect.objectContaining({ signature: "valid" }),
      }),
    ]);
    // An erasure is legitimate: still verified, and visible.
    const erase = await aw.fetch("/v1/subjects/mallory", { method: "DELETE", headers: bearer(TOKENS.admin) });
    expect((await erase.json()).erased.events).toBe(4);
    const afterErasure = await (
      await aw.fetch("/v1/integrity/verify", { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(afterErasure.ok).toBe(true);
    const eventsChain = afterErasure.chains.find((c: Json) => c.stream === "events:0");
    expect(eventsChain.notes).toHaveLength(4);
    expect(eventsChain.notes[0]).toMatch(/erased by root/);
    const ranged = await aw.fetch(
      `/v1/integrity/verify?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
      { headers: bearer(TOKENS.viewer) },
    );
    expect(await ranged.json()).toMatchObject({ ok: true, range: { to: null } });
    const backwards = await aw.fetch(
      "/v1/integrity/verify?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
      {
        headers: bearer(TOKENS.viewer),
      },
    );
    expect(backwards.status).toBe(400);
    await aw.stop();

    const clean = verifyCli(aw.configPath);
    expect(clean.status).toBe(0);
    expect(clean.stderr).toMatch(/events:0: verified \(seq 1 to 20, 20 records, digest of .* valid\)/);

    // A range of arrival times: everything arrived within the last hour, nothing before 2000.
    const lastHour = verifyCli(aw.configPath, ["--from", "1h"]);
    expect(lastHour.status).toBe(0);
    expect(lastHour.report.range.to).toBeNull();
    expect(lastHour.stderr).toMatch(/^arrived from \S+ to now$/m);
    expect(lastHour.report.chains.find((c: Json) => c.stream === "events:0")).toMatchObject({
      first_seq: 1,
      last_seq: 20,
      verified: true,
    });
    const before2000 = verifyCli(aw.configPath, ["--to", "2000-01-01T00:00:00Z"]);
    expect(before2000.status).toBe(0);
    expect(before2000.report.chains).toEqual([]);
    const nonsense = verifyCli(aw.configPath, ["--from", "last tuesday"]);
    expect(nonsense.status).toBe(2);
    expect(nonsense.stderr).toMatch(/--from and --to take an RFC 3339 time/);
    expect(verifyCli(aw.configPath, ["--from", "1h", "--to", "2h"]).status).toBe(2);

    const changed = tampered("changed", (db) => {
      const body = bodyOf(db, "e7");
      body.event.text = "nothing to see here";
      db.prepare("UPDATE events SET body = ? WHERE id = 'e7'").run(JSON.stringify(body));
    });
    expect(changed.status).toBe(1);
    expect(problemsOf(changed.report)).toEqual([expect.stringMatching(/^seq \d+ \(bot-a\/e7\): changed$/)]);

    let deletedSeq = 0;
    const deleted = tampered("deleted", (db) => {
      deletedSeq = seqOf(db, "e9");
      db.prepare("DELETE FROM events WHERE id = 'e9'").run();
    });
    expect(problemsOf(deleted.report)).toEqual([`seq ${deletedSeq}: deleted`]);

    const lastDeleted = tampered("last-deleted", (db) => {
      const last = (db.prepare("SELECT id, body FROM events").all() as { id: string; body: string }[]).find(
        (r) => JSON.parse(r.body).chain.seq === 20,
      );
      db.prepare("DELETE FROM events WHERE id = ?").run(last?.id as string);
    });
    expect(problemsOf(lastDeleted.report)).toEqual([
      expect.stringMatching(/^seq 20: deleted \(signed in the digest of /),
    ]);

    const inserted = tampered("inserted", (db) => {
      const forged = {
        event: {
          id: "forged",
          time: new Date().toISOString(),
          type: "prompt",
          agent_id: "bot-a",
          text: "I was never here",
        },
        received_at: new Date().toISOString(),
        token: "ingest",
      };
      db.prepare(
        "INSERT INTO events (agent_id, id, time, type, body, received) VALUES ('bot-a', 'forged', ?, 'prompt', ?, ?)",
      ).run(Date.now(), JSON.stringify(forged), Date.now());
    });
    expect(problemsOf(inserted.report)).toEqual([
      "bot-a/forged: inserted (in no chain, received after the chains began)",
    ]);

    // The audit trail is chained too: an entry removed from it is named.
    const auditGone = tampered("audit-deleted", (db) => {
      db.prepare(
        "DELETE FROM audit WHERE seq = (SELECT MIN(seq) FROM audit WHERE action NOT IN ('integrity_digest', 'tombstone'))",
      ).run();
    });
    expect(problemsOf(auditGone.report)).toEqual([
      expect.stringMatching(/^seq \d+: deleted( \(no signed tombstone covers it\))?$/),
    ]);

    // The digests are chained and the newest is named in the checkpoints: the audit trail's end
    // cut off, its newest digest with it, is found; so is a digest taken from the middle.
    const auditTail = tampered("audit-tail", (db) => {
      const digest = db
        .prepare("SELECT seq, details FROM audit WHERE action = 'integrity_digest' ORDER BY seq DESC LIMIT 1")
        .get() as { seq: number; details: string };
      const heads = JSON.parse(digest.details).streams as Record<string, { seq: number }>;
      expect(Object.keys(heads).some((k) => k.startsWith("audit:"))).toBe(true);
      db.prepare("DELETE FROM audit WHERE seq >= ?").run(digest.seq - 1);
    });
    expect(problemsOf(auditTail.report)).toEqual([
      expect.stringMatching(/^the newest digest \([0-9a-f]{16}…, named in the checkpoints\) is gone$/),
    ]);
    const digestGone = tampered("digest-deleted", (db) => {
      const [, second] = db
        .prepare("SELECT seq FROM audit WHERE action = 'integrity_digest' ORDER BY seq DESC LIMIT 2")
        .all() as { seq: number }[];
      db.prepare("DELETE FROM audit WHERE seq = ?").run(second?.seq as number);
    });
    expect(problemsOf(digestGone.report)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^digest of .*: the digest before it \([0-9a-f]{16}…\) is gone$/),
        expect.stringMatching(/^seq \d+: deleted( \(no signed tombstone covers it\))?$/),
      ]),
    );
    expect(problemsOf(digestGone.report)).toHaveLength(2);

    // Blanking an event out by marking it erased is no erasure: no signed tombstone names it.
    const fakeErasure = tampered("fake-erasure", (db) => {
      const body = bodyOf(db, "e15");
      body.event = {
        id: "e15",
        time: body.event.time,
        type: "prompt",
        agent_id: "bot-a",
        erased: { at: new Date().toISOString(), by: "root" },
      };
      db.prepare("UPDATE events SET body = ? WHERE id = 'e15'").run(JSON.stringify(body));
    });
    expect(problemsOf(fakeErasure.report)).toEqual([
      expect.stringMatching(
        /^seq \d+ \(bot-a\/e15\): changed \(marked erased, but no signed tombstone names it\)$/,
      ),
    ]);

    let seqs: number[] = [];
    const reordered = tampered("reordered", (db) => {
      const a = bodyOf(db, "e11");
      const b = bodyOf(db, "e12");
      seqs = [a.chain.seq, b.chain.seq];
      [a.chain.seq, b.chain.seq] = [b.chain.seq, a.chain.seq];
      db.prepare("UPDATE events SET body = ? WHERE id = 'e11'").run(JSON.stringify(a));
      db.prepare("UPDATE events SET body = ? WHERE id = 'e12'").run(JSON.stringify(b));
    });
    expect(reordered.status).toBe(1);
    expect(problemsOf(reordered.report).join("\n")).toMatch(
      /does not follow seq \d+ \(reordered or replaced\)/,
    );
    expect(seqs[0]).not.toBe(seqs[1]);
  });
});

describe.skipIf(!elasticsearch)("hash chains on Elasticsearch", () => {
  let aw: AgentwatchProcess;
  const prefix = `aw-chain-${randomUUID().slice(0, 8)}`;
  const storage = { type: "elasticsearch", node: elasticsearch, index_prefix: prefix };
  beforeAll(async () => {
    aw = await startAgentwatch({ config: { storage, integrity: { digest_interval: "1s" } } });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  it("verifies, then names documents changed, deleted, inserted, reordered and falsely marked erased in Elasticsearch", async () => {
    await postTraffic(aw);
    await verifiedWithDigest(aw);
    const es = elasticsearch as string;
    const hitOf = async (id: string): Promise<Json> =>
      ((await (await fetch(`${es}/${prefix}-events-*/_search?q=id:${id}`)).json()) as Json).hits.hits[0];
    const put = (hit: Json, source: Json) =>
      fetch(`${es}/${hit._index}/_doc/${encodeURIComponent(hit._id)}?refresh=true`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(source),
      });
    // Changed.
    const e7 = await hitOf("e7");
    e7._source.record.event.text = "nothing to see here";
    await put(e7, e7._source);
    // Deleted.
    const gone = await hitOf("e9");
    await fetch(`${es}/${gone._index}/_doc/${encodeURIComponent(gone._id)}?refresh=true`, {
      method: "DELETE",
    });
    // Inserted: a document in no chain, received after the chains began.
    const now = new Date().toISOString();
    const forgedEvent = {
      id: "forged",
      time: now,
      type: "prompt",
      agent_id: "bot-a",
      text: "I was never here",
    };
    await put(
      { _index: e7._index, _id: "bot-a/forged" },
      {
        agent_id: "bot-a",
        id: "forged",
        event_key: "bot-a/forged",
        time: Date.parse(now),
        received_at: now,
        type: "prompt",
        search: forgedEvent.text,
        record: { event: forgedEvent, received_at: now, token: "ingest" },
      },
    );
    // Reordered: two records' positions swapped.
    const [e11, e12] = [await hitOf("e11"), await hitOf("e12")];
    const [seq11, seq12] = [e11._source.record.chain.seq, e12._source.record.chain.seq];
    e11._source.record.chain.seq = seq12;
    e12._source.record.chain.seq = seq11;
    await put(e11, e11._source);
    await put(e12, e12._source);
    // Blanked out and marked erased, with no erasure behind it.
    const e15 = await hitOf("e15");
    const { event } = e15._source.record;
    e15._source.record.event = {
      id: event.id,
      time: event.time,
      type: event.type,
      agent_id: event.agent_id,
      erased: { at: now, by: "root" },
    };
    await put(e15, e15._source);

    const { status, report } = verifyCli(aw.configPath);
    expect(status).toBe(1);
    const problems = problemsOf(report);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^seq \d+ \(bot-a\/e7\): changed$/),
        `seq ${gone._source.record.chain.seq}: deleted`,
        "bot-a/forged: inserted (in no chain, received after the chains began)",
        expect.stringMatching(
          /^seq \d+ \(bot-a\/e15\): changed \(marked erased, but no signed tombstone names it\)$/,
        ),
      ]),
    );
    expect(problems.join("\n")).toMatch(
      new RegExp(
        `seq (${seq11}|${seq12}) \\(bot-[ab]/e1[12]\\): does not follow seq \\d+ \\(reordered or replaced\\)`,
      ),
    );
    // Nothing else: each tampering is named once, where it happened.
    expect(
      problems.filter((p) => !/e1[12]\)|seq \d+ \(bot-[ab]\/e1[12]|does not follow/.test(p)),
    ).toHaveLength(4);
  });
});
