/**
 * The embedded bus: an append-only log in SQLite (WAL, synchronous=FULL), one partition per
 * topic, with committed offsets per consumer group. An appended record survives SIGKILL of the
 * process the moment append() resolves.
 */
import { EventEmitter } from "node:events";
import { join } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { AgentwatchError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { openDatabase, sqliteFailure, transaction } from "../sqlite.ts";
import type { AppendResult, Bus, BusMessage, BusRecord, ConsumeOptions, Consumer, Topic } from "./bus.ts";

const PARTITION = 0;
/** How often an idle consumer looks for records appended by another process sharing the file. */
const IDLE_POLL_MS = 500;
const MAX_RETRY_BACKOFF_MS = 10_000;
const RETENTION_SWEEP_MS = 60_000;

export interface EmbeddedBusOptions {
  dataDir: string;
  retentionMs: number;
  logger: Logger;
  metrics: Metrics;
}

interface RecordRow {
  offset: number;
  key: string;
  value: string;
  appended_at: number;
}

export class EmbeddedBus implements Bus {
  readonly #options: EmbeddedBusOptions;
  #db: DatabaseSync | undefined;
  #statements: ReturnType<typeof prepareStatements> | undefined;
  readonly #appended = new EventEmitter();
  readonly #consumers = new Set<EmbeddedConsumer>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: EmbeddedBusOptions) {
    this.#options = options;
    this.#appended.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.#db) return;
    const db = openDatabase(join(this.#options.dataDir, "bus.sqlite"));
    db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        appended_at INTEGER NOT NULL, PRIMARY KEY (topic, offset)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS heads (topic TEXT PRIMARY KEY, next_offset INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dedupe (
        topic TEXT NOT NULL, id TEXT NOT NULL, offset INTEGER NOT NULL, appended_at INTEGER NOT NULL,
        content_hash TEXT, PRIMARY KEY (topic, id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS dedupe_age ON dedupe (appended_at);
      CREATE TABLE IF NOT EXISTS group_offsets (
        grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
        PRIMARY KEY (grp, topic, partition)) WITHOUT ROWID;
    `);
    // Logs written before content hashes were kept: their ids have none (a repeat of one is a
    // duplicate, as it was), and they are gone within the retention.
    const columns = db.prepare("PRAGMA table_info(dedupe)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "content_hash"))
      db.exec("ALTER TABLE dedupe ADD COLUMN content_hash TEXT");
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#sweepTimer = setInterval(() => this.#sweep(), RETENTION_SWEEP_MS);
    this.#sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweepTimer);
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    this.#db?.close();
    this.#db = undefined;
  }

  async append(topic: Topic, messages: BusMessage[]): Promise<AppendResult[]> {
    const s = this.#requireStatements();
    if (messages.length === 0) return [];
    const now = Date.now();
    const results = transaction(this.#db as DatabaseSync, "logUnavailable", () => {
      const head = s.getHead.get(topic) as { next_offset: number } | undefined;
      let next = head?.next_offset ?? 0;
      const out: AppendResult[] = [];
      for (const message of messages) {
        if (message.dedupeId !== undefined) {
          const hash = message.contentHash ?? null;
          const inserted = s.insertDedupe.run(topic, message.dedupeId, next, now, hash);
          if (inserted.changes === 0) {
            const existing = s.getDedupe.get(topic, message.dedupeId) as {
              offset: number;
              content_hash: string | null;
            };
            const first = existing.content_hash;
            out.push({
              partition: PARTITION,
              offset: existing.offset,
              duplicate: true,
              ...(hash !== null && first !== null && first !== hash
                ? { conflict: { contentHash: first } }
                : {}),
            });
            continue;
          }
        }
        s.insertRecord.run(topic, next, message.key, message.value, now);
        out.push({ partition: PARTITION, offset: next, duplicate: false });
        next += 1;
      }
      s.setHead.run(topic, next);
      return out;
    });
    const appended = results.filter((r) => !r.duplicate).length;
    if (appended > 0) {
      this.#options.metrics.busAppended.inc({ topic }, appended);
      this.#appended.emit(topic);
    }
    return results;
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    this.#requireStatements();
    // One partition: two live consumers of a group would each read every record.
    for (const other of this.#consumers) {
      if (other.group === options.group && other.topic === options.topic) {
        throw new AgentwatchError(
          "conflict",
          `consumer group ${options.group} already reads ${options.topic} in this process`,
        );
      }
    }
    const consumer = new EmbeddedConsumer(this, options, this.#options.logger, this.#options.metrics);
    this.#consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  async lag(group: string, topic: Topic): Promise<number> {
    const s = this.#requireStatements();
    const head = (s.getHead.get(topic) as { next_offset: number } | undefined)?.next_offset ?? 0;
    return head - this.committed(group, topic);
  }

  async ready(): Promise<boolean> {
    if (!this.#db) return false;
    try {
      this.#db.prepare("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  }

  // Below: used by EmbeddedConsumer.

  committed(group: string, topic: string): number {
    const s = this.#requireStatements();
    const row = s.getCommitted.get(group, topic, PARTITION) as { next_offset: number } | undefined;
    return row?.next_offset ?? 0;
  }

  commit(group: string, topic: string, nextOffset: number): void {
    const s = this.#requireStatements();
    try {
      s.setCommitted.run(group, topic, PARTITION, nextOffset);
    } catch (err) {
      throw sqliteFailure(err, "logUnavailable");
    }
  }

  read(topic: string, fromOffset: number, limit: number): BusRecord[] {
    const s = this.#requireStatements();
    const rows = s.readRecords.all(topic, fromOffset, limit) as unknown as RecordRow[];
    return rows.map((row) => ({
      topic,
      partition: PARTITION,
      offset: row.offset,
      key: row.key,
      value: row.value,
      timestamp: row.appended_at,
    }));
  }

  /** Resolves when `topic` gets a record, `ms` passes, or `signal` aborts. */
  waitForAppend(topic: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#appended.off(topic, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#appended.once(topic, done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  forget(consumer: EmbeddedConsumer): void {
    this.#consumers.delete(consumer);
  }

  #requireStatements(): ReturnType<typeof prepareStatements> {
    if (!this.#statements || !this.#db) {
      throw new AgentwatchError("logUnavailable", "the embedded log is not open", { retryAfterSeconds: 1 });
    }
    return this.#statements;
  }

  /** Drops records every group has consumed and that are older than the retention, and old dedupe ids. */
  #sweep(): void {
    const db = this.#db;
    if (!db) return;
    const cutoff = Date.now() - this.#options.retentionMs;
    try {
      transaction(db, "logUnavailable", () => {
        db.prepare(
          `DELETE FROM records WHERE appended_at < ? AND offset < COALESCE(
             (SELECT MIN(next_offset) FROM group_offsets g WHERE g.topic = records.topic), 0)`,
        ).run(cutoff);
        db.prepare("DELETE FROM dedupe WHERE appended_at < ?").run(cutoff);
      });
    } catch (err) {
      this.#options.logger.error({ err }, "embedded log retention sweep failed; it is tried again later");
    }
  }
}

function prepareStatements(db: DatabaseSync) {
  const statements = {
    getHead: db.prepare("SELECT next_offset FROM heads WHERE topic = ?"),
    setHead: db.prepare(
      "INSERT INTO heads (topic, next_offset) VALUES (?, ?) ON CONFLICT (topic) DO UPDATE SET next_offset = excluded.next_offset",
    ),
    insertDedupe: db.prepare(
      "INSERT OR IGNORE INTO dedupe (topic, id, offset, appended_at, content_hash) VALUES (?, ?, ?, ?, ?)",
    ),
    getDedupe: db.prepare("SELECT offset, content_hash FROM dedupe WHERE topic = ? AND id = ?"),
    insertRecord: db.prepare(
      "INSERT INTO records (topic, offset, key, value, appended_at) VALUES (?, ?, ?, ?, ?)",
    ),
    readRecords: db.prepare(
      "SELECT offset, key, value, appended_at FROM records WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?",
    ),
    getCommitted: db.prepare(
      "SELECT next_offset FROM group_offsets WHERE grp = ? AND topic = ? AND partition = ?",
    ),
    setCommitted: db.prepare(
      `INSERT INTO group_offsets (grp, topic, partition, next_offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (grp, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    ),
  } satisfies Record<string, StatementSync>;
  return statements;
}

class EmbeddedConsumer implements Consumer {
  readonly #bus: EmbeddedBus;
  readonly #options: ConsumeOptions;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  get group(): string {
    return this.#options.group;
  }

  get topic(): string {
    return this.#options.topic;
  }

  constructor(bus: EmbeddedBus, options: ConsumeOptions, logger: Logger, metrics: Metrics) {
    this.#bus = bus;
    this.#options = options;
    this.#logger = logger.child({ consumer: options.group, topic: options.topic });
    this.#metrics = metrics;
  }

  async start(): Promise<void> {
    const { group, topic } = this.#options;
    const override = await this.#options.onAssigned?.(PARTITION);
    const position = override ?? this.#bus.committed(group, topic);
    this.#loop = this.#run(position);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#loop;
      await this.#options.onRevoked?.(PARTITION);
      this.#bus.forget(this);
    })();
    return this.#stopping;
  }

  async #run(startAt: number): Promise<void> {
    const { group, topic, handleBatch } = this.#options;
    const maxBatch = this.#options.maxBatchSize ?? 500;
    const signal = this.#abort.signal;
    let position = startAt;
    let failures = 0;
    while (!signal.aborted) {
      let records: BusRecord[];
      try {
        records = this.#bus.read(topic, position, maxBatch);
      } catch (err) {
        this.#logger.error({ err }, "reading the embedded log failed; retrying");
        await sleep(1000, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (records.length === 0) {
        await this.#bus.waitForAppend(topic, IDLE_POLL_MS, signal);
        continue;
      }
      try {
        await handleBatch({ topic, partition: PARTITION, records });
        const next = (records.at(-1) as BusRecord).offset + 1;
        this.#bus.commit(group, topic, next);
        position = next;
        failures = 0;
      } catch (err) {
        // The batch is not committed and is handed over again: at-least-once, nothing skipped.
        failures += 1;
        this.#metrics.consumerErrors.inc({ group });
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
        this.#logger.error(
          { err, offset: records[0]?.offset, failures, retry_in_ms: backoff },
          "batch handler failed; the batch will be retried",
        );
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
