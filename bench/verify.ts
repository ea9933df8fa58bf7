/**
 * `agentwatch verify` on a large embedded store: how fast the hash chains are recomputed, how
 * much memory a whole-store check and a range check take, and that tampering is still found.
 *
 *   npm run bench:verify [-- --events 200000]
 *
 * Stores `events` events linked into four partition chains (1 KiB of text each, arriving over
 * 10 days), applies a retention run to the first days (signed tombstones), then:
 * - verifies the whole store, and only the last day (--from/--to), printing records/s and the
 *   heap each used;
 * - changes one record and deletes another inside the last day, directly in the SQLite file,
 *   and checks that the range check names both.
 * Exits 1 when a check that should pass fails, or a tampering goes unreported.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { type ChainHead, GENESIS, linkAfter } from "../services/indexer/chain.ts";
import { verifyChains } from "../services/indexer/verify.ts";
import { signerFromKey } from "../services/runtime/integrity.ts";
import type { IngestedEvent } from "../services/runtime/model.ts";
import { EmbeddedStorage } from "../services/runtime/storage/embedded.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "200000" } } });
const total = Number(values.events);
const PARTITIONS = 4;
const DAYS = 10;
const T0 = Date.parse("2026-11-01T00:00:00Z");
const DAY = 86_400_000;
const TEXT = "Where is my order? It was due last week and the tracking page says nothing. ".repeat(14);

const dir = mkdtempSync(join(tmpdir(), "aw-bench-verify-"));
const signer = signerFromKey(generateKeyPairSync("ed25519").privateKey);
const storage = new EmbeddedStorage(dir, { retentionDays: DAYS - 2, auditRetentionDays: 365 }, { signer });
await storage.start();
const failures: string[] = [];

try {
  const heads: ChainHead[] = Array.from({ length: PARTITIONS }, () => ({
    seq: 0,
    hash: GENESIS,
    offset: -1,
  }));
  const started = performance.now();
  for (let i = 0; i < total; i += 5000) {
    const batch: IngestedEvent[] = [];
    for (let j = i; j < Math.min(total, i + 5000); j++) {
      const received = new Date(T0 + Math.floor((j * DAYS * DAY) / total)).toISOString();
      const partition = j % PARTITIONS;
      const ingested: IngestedEvent = {
        event: {
          id: `e${j}`,
          time: received,
          type: "prompt",
          agent_id: `agent-${j % 20}`,
          session_id: `s${j % 5000}`,
          user_id: `u${j % 20000}`,
          text: TEXT,
        },
        received_at: received,
        token: "ingest",
      };
      const head = heads[partition] as ChainHead;
      const chain = linkAfter(head, `events:${partition}`, head.offset + 1, ingested);
      heads[partition] = { seq: chain.seq, hash: chain.hash, offset: head.offset + 1 };
      batch.push({ ...ingested, chain });
    }
    await storage.putEvents(batch);
  }
  console.log(`stored ${total} linked events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const now = T0 + DAYS * DAY;
  const retained = await storage.deleteExpired(now);
  console.log(`retention deleted ${retained.events} events (signed tombstones)`);

  const measure = async (label: string, range: { from?: number; to?: number }) => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = heapBefore;
    // Live memory, sampled every 20 pages read (the embedded storage answers synchronously, so
    // no timer would run meanwhile), collected first so that the pages' garbage does not count.
    let pages = 0;
    let sampling = 0;
    const queryEvents: EmbeddedStorage["queryEvents"] = async (query) => {
      pages += 1;
      if (pages % 20 === 0) {
        const t0 = performance.now();
        globalThis.gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        sampling += performance.now() - t0;
      }
      return storage.queryEvents(query);
    };
    const sampled = new Proxy(storage, {
      get(target, property) {
        if (property === "queryEvents") return queryEvents;
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const t = performance.now();
    const report = await verifyChains(sampled, signer.publicKeyPem, range);
    const seconds = (performance.now() - t - sampling) / 1000;
    const records = report.chains.reduce((n, c) => n + c.records, 0);
    console.log(
      `${label}: ${report.ok ? "verified" : "not verified"}, ${records} records in ${seconds.toFixed(2)} s (${Math.round(records / seconds)} records/s), live heap +${((peak - heapBefore) / 2 ** 20).toFixed(1)} MiB at most`,
    );
    return report;
  };
  const whole = await measure("whole store", {});
  if (!whole.ok) failures.push(`the whole store did not verify: ${JSON.stringify(whole.problems)}`);
  const lastDay = { from: now - DAY, to: now };
  const ranged = await measure("last day  ", lastDay);
  if (!ranged.ok) failures.push(`the last day did not verify: ${JSON.stringify(ranged.problems)}`);

  // Tampering inside the last day, straight in the file.
  const db = new DatabaseSync(join(dir, "storage.sqlite"));
  const victims = db
    .prepare("SELECT id, body FROM events WHERE received >= ? ORDER BY seq LIMIT 2 OFFSET 100")
    .all(now - DAY / 2) as { id: string; body: string }[];
  const [changed, deleted] = victims as [{ id: string; body: string }, { id: string; body: string }];
  const body = JSON.parse(changed.body) as IngestedEvent;
  body.event.text = "nothing to see here";
  db.prepare("UPDATE events SET body = ? WHERE id = ?").run(JSON.stringify(body), changed.id);
  db.prepare("DELETE FROM events WHERE id = ?").run(deleted.id);
  db.close();
  const deletedLink = (JSON.parse(deleted.body) as IngestedEvent).chain;
  const tampered = await measure("tampered  ", lastDay);
  const problems = tampered.chains.flatMap((c) => c.problems);
  console.log(`  problems: ${JSON.stringify(problems)}`);
  if (!problems.some((p) => p.includes(`/${changed.id}): changed`)))
    failures.push(`the changed record ${changed.id} was not reported`);
  if (!problems.includes(`seq ${deletedLink?.seq}: deleted`))
    failures.push(`the deleted record ${deleted.id} (seq ${deletedLink?.seq}) was not reported`);
} finally {
  await storage.stop();
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  process.exit(1);
}
