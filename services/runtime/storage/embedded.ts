import { join } from "node:path";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { AgentwatchError } from "../errors.ts";
import type { Signer } from "../integrity.ts";
import type { Logger } from "../logger.ts";
import {
  type AgentState,
  type AuditEntry,
  type ChainLink,
  type Checkpoint,
  type Delivery,
  type Finding,
  type Hold,
  heldBy,
  type IngestedEvent,
  type Silence,
  type StoredIncident,
} from "../model.ts";
import { openDatabase, sqliteFailure, transaction } from "../sqlite.ts";
import { AuditChain } from "./audit-chain.ts";
import { type Erasure, eraseEvent } from "./erasure.ts";
import { retentionRun } from "./retention.ts";
import { decodeCursor, encodeCursor, searchableText } from "./search.ts";
import type { AppliedFinding, AuditQuery, EventPage, EventQuery, IncidentQuery, Storage } from "./storage.ts";
import { INTEGRITY_ACTIONS, tombstoneEntries } from "./tombstone.ts";

export interface EmbeddedRetention {
  /** Events, findings and resolved incidents older than this many days are deleted (hourly). */
  retentionDays: number;
  /** The audit trail is kept longer: entries older than this many days are deleted. */
  auditRetentionDays: number;
  sweepMs?: number;
  logger?: Logger;
}

/** Rows deleted per transaction while applying the retention: the writers wait at most that long. */
const RETENTION_BATCH = 5000;

export class EmbeddedStorage implements Storage {
  readonly #path: string;
  readonly #retention: EmbeddedRetention | undefined;
  readonly #signer: Signer | undefined;
  readonly #auditChain = new AuditChain();
  #db: DatabaseSync | undefined;
  #stopped = false;
  #sweep: NodeJS.Timeout | undefined;

  /**
   * Without `retention`, nothing is ever deleted (tests, tools reading a data dir). `signer` signs
   * the tombstones of deletions and erasures (tombstone.ts); without it they are written unsigned
   * and `agentwatch verify` reports them.
   */
  constructor(dataDir: string, retention?: EmbeddedRetention, integrity?: { signer?: Signer }) {
    this.#path = join(dataDir, "storage.sqlite");
    this.#retention = retention;
    this.#signer = integrity?.signer;
  }

  /** Writes the signed tombstones of chained records about to be deleted or erased. */
  async #tombstone(
    cause: "retention" | "erasure",
    links: ChainLink[],
    by: { actor: string; reason: string | null; time: string },
  ): Promise<number> {
    const entries = tombstoneEntries(this.#signer, cause, links, by);
    for (const entry of entries) await this.appendAudit(entry);
    return entries.length;
  }

  async start(): Promise<void> {
    if (this.#db) return;
    const db = openDatabase(this.#path);
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL,
        session_id TEXT, user_id TEXT, body TEXT NOT NULL,
        UNIQUE (agent_id, id));
      CREATE INDEX IF NOT EXISTS events_time ON events (time, seq);
      CREATE INDEX IF NOT EXISTS events_agent_time ON events (agent_id, time, seq);
      CREATE INDEX IF NOT EXISTS events_session_time ON events (session_id, time, seq);
      CREATE INDEX IF NOT EXISTS events_user_time ON events (user_id, time, seq);
      CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5 (search, content = '');
      CREATE TABLE IF NOT EXISTS findings (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, detector TEXT NOT NULL, agent_id TEXT NOT NULL,
        time TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status TEXT NOT NULL, agent_id TEXT NOT NULL,
        updated_at TEXT NOT NULL, body TEXT NOT NULL, notify TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS incidents_fingerprint ON incidents (fingerprint, status);
      CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, updated_at);
      CREATE TABLE IF NOT EXISTS agents (
        agent_id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'active', since TEXT, by TEXT, reason TEXT,
        incident_id TEXT, control TEXT, first_seen TEXT, last_seen TEXT);
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        time_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
        reason TEXT, incident_id TEXT, details TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_time ON audit (time_ms);
      CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, supersede_key TEXT, body TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER, next_attempt_at INTEGER NOT NULL,
        last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
      CREATE INDEX IF NOT EXISTS deliveries_supersede ON deliveries (supersede_key, status);
      CREATE TABLE IF NOT EXISTS holds (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS silences (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (
        consumer TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, state TEXT NOT NULL,
        saved_at INTEGER NOT NULL, PRIMARY KEY (consumer, partition));
    `);
    // Deliveries gained a priority (most urgent first); data dirs from before get the column.
    const columns = db.prepare("PRAGMA table_info(deliveries)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "priority")) {
      db.exec("ALTER TABLE deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 1");
    }
    db.exec("CREATE INDEX IF NOT EXISTS deliveries_urgent ON deliveries (status, priority, next_attempt_at)");
    // Events gained their arrival time (retention goes by it, as on Elasticsearch); older rows
    // have none and are judged by their event time.
    const eventColumns = db.prepare("PRAGMA table_info(events)").all() as { name: string }[];
    if (!eventColumns.some((c) => c.name === "received"))
      db.exec("ALTER TABLE events ADD COLUMN received INTEGER");
    db.exec("CREATE INDEX IF NOT EXISTS events_received ON events (received)");
    // Audit entries gained their chain link (audit-chain.ts).
    const auditColumns = db.prepare("PRAGMA table_info(audit)").all() as { name: string }[];
    if (!auditColumns.some((c) => c.name === "chain")) db.exec("ALTER TABLE audit ADD COLUMN chain TEXT");
    this.#db = db;
    const retention = this.#retention;
    if (retention) {
      this.#sweep = setInterval(() => {
        this.deleteExpired().catch((err: unknown) =>
          retention.logger?.error({ err }, "retention sweep failed; tried again later"),
        );
      }, retention.sweepMs ?? 3_600_000);
      this.#sweep.unref();
    }
  }

  /**
   * Deletes events (by arrival), findings and resolved incidents older than `retentionDays`, and
   * audit entries older than `auditRetentionDays`; never anything from the day before the oldest
   * active incident began (its evidence). A run that deleted something is itself audited, with
   * the counts.
   */
  async deleteExpired(
    now = Date.now(),
  ): Promise<{ events: number; findings: number; incidents: number; audit: number }> {
    const retention = this.#retention;
    const counts = { events: 0, findings: 0, incidents: 0, audit: 0 };
    if (!retention) return counts;
    const db = this.#require();
    let cutoff = now - retention.retentionDays * 86_400_000;
    const oldest = this.#all<{ body: string }>(
      db,
      "SELECT body FROM incidents WHERE status != 'resolved' ORDER BY json_extract(body, '$.started_at') LIMIT 1",
      [],
    )[0];
    const started = Date.parse(
      (oldest ? (JSON.parse(oldest.body) as { started_at?: string }).started_at : "") ?? "",
    );
    if (Number.isFinite(started)) cutoff = Math.min(cutoff, started - 86_400_000);
    const auditCutoff = now - retention.auditRetentionDays * 86_400_000;
    const cutoffIso = new Date(cutoff).toISOString();
    // Held evidence is never deleted: the events of a held agent within the hold's time, the
    // incident and its findings (the SQL below leaves them out).
    const holds = (await this.listHolds()).filter((h) => h.released_at === null).slice(0, 500);
    // The hold's own agent's events only: sessions are per agent (model.ts heldBy).
    const heldEvents = holds.map(() => " AND NOT (agent_id = ? AND time >= ? AND time <= ?)").join("");
    const heldEventArgs = holds.flatMap((h) => [
      h.agent_id,
      Date.parse(h.from),
      h.to === null ? Number.MAX_SAFE_INTEGER : Date.parse(h.to),
    ]);
    const heldIncidents = holds.map((h) => h.incident_id);
    const notHeld = (column: string) =>
      heldIncidents.length > 0 ? ` AND ${column} NOT IN (${heldIncidents.map(() => "?").join(",")})` : "";
    const unindex = db.prepare("INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', ?, ?)");
    const remove = db.prepare("DELETE FROM events WHERE seq = ?");
    const runBy = { actor: "agentwatch", reason: "retention", time: new Date(now).toISOString() };
    let tombstones = 0;
    for (;;) {
      const rows = this.#all<{ seq: number; body: string }>(
        db,
        `SELECT seq, body FROM events WHERE (received < ? OR (received IS NULL AND time < ?))${heldEvents} LIMIT ?`,
        [cutoff, cutoff, ...heldEventArgs, RETENTION_BATCH],
      );
      if (rows.length === 0) break;
      // The tombstone first: should the deletion then fail, it names records still there, which
      // verify finds intact; the other way round, a crash would leave an unexplained gap.
      const links = rows.flatMap((row) => (JSON.parse(row.body) as IngestedEvent).chain ?? []);
      tombstones += await this.#tombstone("retention", links, runBy);
      transaction(db, "storageUnavailable", () => {
        for (const row of rows) {
          // The full-text index holds no content: an entry is removed with its text.
          const search = searchableText((JSON.parse(row.body) as IngestedEvent).event);
          if (search !== "") unindex.run(row.seq, search);
          remove.run(row.seq);
        }
      });
      counts.events += rows.length;
      if (rows.length < RETENTION_BATCH) break;
    }
    transaction(db, "storageUnavailable", () => {
      counts.findings = Number(
        db
          .prepare(`DELETE FROM findings WHERE time < ?${notHeld("incident_id")}`)
          .run(cutoffIso, ...heldIncidents).changes,
      );
      counts.incidents = Number(
        db
          .prepare(`DELETE FROM incidents WHERE status = 'resolved' AND updated_at < ?${notHeld("id")}`)
          .run(cutoffIso, ...heldIncidents).changes,
      );
    });
    // The audit trail past its own retention, but never the digests and tombstones (they vouch
    // for the chains), a held incident's entries, or a held agent's state changes in the hold.
    const heldAudit =
      (heldIncidents.length > 0
        ? ` AND (incident_id IS NULL OR incident_id NOT IN (${heldIncidents.map(() => "?").join(",")}))`
        : "") + holds.map(() => " AND NOT (target = ? AND time_ms >= ? AND time_ms <= ?)").join("");
    const heldAuditArgs = [
      ...heldIncidents,
      ...holds.flatMap((h) => [
        `agent:${h.agent_id}`,
        Date.parse(h.from),
        h.to === null ? Number.MAX_SAFE_INTEGER : Date.parse(h.to),
      ]),
    ];
    const removeAudit = db.prepare("DELETE FROM audit WHERE seq = ?");
    for (;;) {
      const rows = this.#all<{ seq: number; chain: string | null }>(
        db,
        `SELECT seq, chain FROM audit WHERE time_ms < ? AND action NOT IN (${INTEGRITY_ACTIONS.map(() => "?").join(",")})${heldAudit} ORDER BY seq LIMIT ?`,
        [auditCutoff, ...INTEGRITY_ACTIONS, ...heldAuditArgs, RETENTION_BATCH],
      );
      if (rows.length === 0) break;
      const links = rows.flatMap((row) => (row.chain ? [JSON.parse(row.chain) as ChainLink] : []));
      tombstones += await this.#tombstone("retention", links, runBy);
      transaction(db, "storageUnavailable", () => {
        for (const row of rows) removeAudit.run(row.seq);
      });
      counts.audit += rows.length;
      if (rows.length < RETENTION_BATCH) break;
    }
    if (counts.events + counts.findings + counts.incidents + counts.audit > 0) {
      await this.appendAudit(
        retentionRun(now, retention.retentionDays, retention.auditRetentionDays, {
          ...counts,
          tombstones,
          before: cutoffIso,
          audit_before: new Date(auditCutoff).toISOString(),
        }),
      );
      retention.logger?.info({ ...counts }, "retention applied");
    }
    return counts;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweep);
    this.#db?.close();
    this.#db = undefined;
  }

  async ready(): Promise<boolean> {
    try {
      this.#require().prepare("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  }

  async putEvents(events: IngestedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      const insert = db.prepare(
        `INSERT OR IGNORE INTO events (agent_id, id, time, type, session_id, user_id, body, received)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const index = db.prepare("INSERT INTO events_fts (rowid, search) VALUES (?, ?)");
      const seen = db.prepare(
        `INSERT INTO agents (agent_id, first_seen, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET last_seen = MAX(COALESCE(last_seen, ''), excluded.last_seen)`,
      );
      const lastSeen = new Map<string, string>();
      for (const ingested of events) {
        const e = ingested.event;
        const result = insert.run(
          e.agent_id,
          e.id,
          Date.parse(e.time),
          e.type,
          e.session_id ?? null,
          e.user_id ?? null,
          JSON.stringify(ingested),
          Date.parse(ingested.received_at),
        );
        if (result.changes === 0) continue;
        const search = searchableText(e);
        if (search !== "") index.run(result.lastInsertRowid, search);
        const previous = lastSeen.get(e.agent_id);
        if (previous === undefined || ingested.received_at > previous)
          lastSeen.set(e.agent_id, ingested.received_at);
      }
      for (const [agentId, at] of lastSeen) seen.run(agentId, at, at);
    });
  }

  async eraseSubject(
    userId: string,
    erasure: Erasure,
    holds: readonly Hold[] = [],
  ): Promise<{ events: number; held: { agent_id: string; id: string; hold: string }[] }> {
    const db = this.#require();
    const held: { agent_id: string; id: string; hold: string }[] = [];
    const own = this.#all<{ agent_id: string; session_id: string | null }>(
      db,
      "SELECT DISTINCT agent_id, session_id FROM events WHERE user_id = ?",
      [userId],
    );
    const rows = [
      ...this.#all<{ seq: number; body: string }>(db, "SELECT seq, body FROM events WHERE user_id = ?", [
        userId,
      ]),
      ...own
        .filter((s) => s.session_id !== null)
        .flatMap((s) =>
          this.#all<{ seq: number; body: string }>(
            db,
            "SELECT seq, body FROM events WHERE agent_id = ? AND session_id = ? AND user_id IS NULL",
            [s.agent_id, s.session_id],
          ),
        ),
    ];
    const toErase: { seq: number; before: IngestedEvent }[] = [];
    for (const row of rows) {
      const before = JSON.parse(row.body) as IngestedEvent;
      if ((before.event as { erased?: unknown }).erased) continue;
      const hold = heldBy(holds, before.event.agent_id, before.event.time);
      if (hold) held.push({ agent_id: before.event.agent_id, id: before.event.id, hold: hold.id });
      else toErase.push({ seq: row.seq, before });
    }
    // The signed tombstone first: an erasure that then fails leaves events intact that it names,
    // which verify accepts; an erased event no tombstone names is reported as changed.
    await this.#tombstone(
      "erasure",
      toErase.flatMap(({ before }) => before.chain ?? []),
      { actor: erasure.by, reason: `erasure of subject ${userId}`, time: erasure.at },
    );
    transaction(db, "storageUnavailable", () => {
      // The full-text index holds no content ('contentless'): an entry is removed with its text.
      const unindex = db.prepare(
        "INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', ?, ?)",
      );
      const index = db.prepare("INSERT INTO events_fts (rowid, search) VALUES (?, ?)");
      const update = db.prepare(
        "UPDATE events SET body = ?, user_id = NULL, session_id = NULL WHERE seq = ?",
      );
      for (const { seq, before } of toErase) {
        const after = eraseEvent(before, erasure);
        const oldSearch = searchableText(before.event);
        if (oldSearch !== "") unindex.run(seq, oldSearch);
        const newSearch = searchableText(after.event);
        if (newSearch !== "") index.run(seq, newSearch);
        update.run(JSON.stringify(after), seq);
      }
    });
    return { events: toErase.length, held };
  }

  async getEvents(refs: readonly { agent_id: string; id: string }[]): Promise<IngestedEvent[]> {
    const db = this.#require();
    const out: IngestedEvent[] = [];
    const select = db.prepare("SELECT body FROM events WHERE agent_id = ? AND id = ?");
    for (const ref of refs) {
      const row = select.get(ref.agent_id, ref.id) as { body: string } | undefined;
      if (row) out.push(JSON.parse(row.body) as IngestedEvent);
    }
    return out;
  }

  async queryEvents(query: EventQuery): Promise<EventPage> {
    const db = this.#require();
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    const add = (clause: string, ...values: SQLInputValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (query.agent_id !== undefined) add("agent_id = ?", query.agent_id);
    if (query.session_id !== undefined) add("session_id = ?", query.session_id);
    if (query.user_id !== undefined) add("user_id = ?", query.user_id);
    if (query.type !== undefined) add("type = ?", query.type);
    if (query.from !== undefined) add("time >= ?", query.from);
    if (query.to !== undefined) add("time < ?", query.to);
    if (query.received_from !== undefined) add("received >= ?", query.received_from);
    if (query.received_to !== undefined) add("received < ?", query.received_to);
    if (query.q !== undefined && query.q.trim() !== "") {
      add("seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)", ftsQuery(query.q));
    }
    const byArrival = query.order === "arrival";
    if (query.cursor !== undefined) {
      const [position, seq] = decodeCursor(query.cursor);
      // (Rows from before arrival times were kept have none: they come first, as -1.)
      if (byArrival && position < 0) add("(received IS NOT NULL OR seq > ?)", seq);
      // A row value: SQLite seeks the index to it rather than scanning the range from its start.
      else if (byArrival) add("(received, seq) > (?, ?)", position, seq);
      else add("(time < ? OR (time = ? AND seq < ?))", position, position, seq);
    }
    // By arrival: the events_received index's own order (its rowid is seq), no sorting.
    const sql = `SELECT seq, time, received, body FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY ${byArrival ? "received, seq" : "time DESC, seq DESC"} LIMIT ?`;
    const rows = this.#all<{ seq: number; time: number; received: number | null; body: string }>(db, sql, [
      ...params,
      query.limit + 1,
    ]);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      events: page.map((row) => JSON.parse(row.body) as IngestedEvent),
      next_cursor:
        rows.length > query.limit && last
          ? encodeCursor(byArrival ? (last.received ?? -1) : last.time, last.seq)
          : null,
    };
  }

  async knownFindings(findings: Pick<Finding, "id" | "time">[]): Promise<Set<string>> {
    const known = new Set<string>();
    if (findings.length === 0) return known;
    const db = this.#require();
    // In chunks: SQLite bounds the number of parameters of one statement.
    for (let i = 0; i < findings.length; i += 500) {
      const ids = findings.slice(i, i + 500).map((f) => f.id);
      const rows = this.#all<{ id: string }>(
        db,
        `SELECT id FROM findings WHERE id IN (${ids.map(() => "?").join(", ")})`,
        ids,
      );
      for (const row of rows) known.add(row.id);
    }
    return known;
  }

  async recordFindings(applied: AppliedFinding[]): Promise<void> {
    if (applied.length === 0) return;
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      const insert = db.prepare(
        "INSERT OR IGNORE INTO findings (id, incident_id, detector, agent_id, time, body) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const { finding, incidentId } of applied) {
        insert.run(
          finding.id,
          incidentId,
          finding.detector,
          finding.agent_id,
          finding.time,
          JSON.stringify(finding),
        );
      }
    });
  }

  async getIncident(id: string): Promise<StoredIncident | undefined> {
    return this.#incidents("WHERE id = ?", [id])[0];
  }

  async findActiveIncidents(fingerprints: string[]): Promise<Map<string, StoredIncident>> {
    const found = new Map<string, StoredIncident>();
    for (const fingerprint of new Set(fingerprints)) {
      const stored = this.#incidents(
        "WHERE fingerprint = ? AND status != 'resolved' ORDER BY updated_at DESC LIMIT 1",
        [fingerprint],
      )[0];
      if (stored) found.set(fingerprint, stored);
    }
    return found;
  }

  async listActiveIncidents(): Promise<StoredIncident[]> {
    return this.#incidents("WHERE status != 'resolved' ORDER BY updated_at", []);
  }

  async listIncidents(query: IncidentQuery): Promise<StoredIncident[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.status !== undefined) {
      where.push("status = ?");
      params.push(query.status);
    }
    if (query.agent_id !== undefined) {
      where.push("agent_id = ?");
      params.push(query.agent_id);
    }
    return this.#incidents(
      `${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC LIMIT ?`,
      [...params, query.limit],
    );
  }

  async putIncidents(incidents: StoredIncident[]): Promise<void> {
    if (incidents.length === 0) return;
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      const upsert = db.prepare(
        `INSERT INTO incidents (id, fingerprint, status, agent_id, updated_at, body, notify) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
           body = excluded.body, notify = excluded.notify`,
      );
      for (const { incident: i, notify } of incidents) {
        upsert.run(
          i.id,
          i.fingerprint,
          i.status,
          i.agent_id,
          i.updated_at,
          JSON.stringify(i),
          JSON.stringify(notify),
        );
      }
    });
  }

  async getAgent(agentId: string): Promise<AgentState | undefined> {
    const rows = this.#all<AgentRow>(this.#require(), "SELECT * FROM agents WHERE agent_id = ?", [agentId]);
    return rows[0] ? agentFromRow(rows[0]) : undefined;
  }

  async putAgent(state: AgentState): Promise<void> {
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      db.prepare(
        `INSERT INTO agents (agent_id, state, since, by, reason, incident_id, control) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, since = excluded.since, by = excluded.by,
           reason = excluded.reason, incident_id = excluded.incident_id, control = excluded.control`,
      ).run(
        state.agent_id,
        state.state,
        state.since,
        state.by,
        state.reason,
        state.incident_id,
        state.control ? JSON.stringify(state.control) : null,
      );
    });
  }

  async listAgents(): Promise<AgentState[]> {
    return this.#all<AgentRow>(this.#require(), "SELECT * FROM agents ORDER BY agent_id", []).map(
      agentFromRow,
    );
  }

  auditHead(): { stream: string; seq: number; hash: string } {
    return this.#auditChain.head;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#auditChain.append(entry, async (linked) => {
      const db = this.#require();
      transaction(db, "storageUnavailable", () => {
        db.prepare(
          `INSERT INTO audit (id, time, time_ms, actor, action, target, reason, incident_id, details, chain)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          linked.id,
          linked.time,
          Date.parse(linked.time),
          linked.actor,
          linked.action,
          linked.target,
          linked.reason,
          linked.incident_id,
          JSON.stringify(linked.details),
          linked.chain ? JSON.stringify(linked.chain) : null,
        );
      });
    });
  }

  async queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    const add = (clause: string, value: SQLInputValue) => {
      where.push(clause);
      params.push(value);
    };
    if (query.from !== undefined) add("time_ms >= ?", query.from);
    if (query.to !== undefined) add("time_ms < ?", query.to);
    if (query.actor !== undefined) add("actor = ?", query.actor);
    if (query.action !== undefined) add("action = ?", query.action);
    const rows = this.#all<AuditRow>(
      this.#require(),
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map((row) => ({
      id: row.id,
      time: row.time,
      actor: row.actor,
      action: row.action as AuditEntry["action"],
      target: row.target,
      reason: row.reason,
      incident_id: row.incident_id,
      details: JSON.parse(row.details) as Record<string, unknown>,
      ...(row.chain ? { chain: JSON.parse(row.chain) as ChainLink } : {}),
    }));
  }

  async enqueueDeliveries(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      const exists = db.prepare("SELECT 1 FROM deliveries WHERE id = ?");
      const supersede = db.prepare(
        "UPDATE deliveries SET status = 'superseded', updated_at = ? WHERE supersede_key = ? AND status = 'pending'",
      );
      for (const delivery of deliveries) {
        if (exists.get(delivery.id)) continue;
        if (delivery.supersede_key !== null) supersede.run(delivery.created_at, delivery.supersede_key);
        writeDelivery(db, delivery);
      }
    });
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    return this.#all<Delivery>(this.#require(), "SELECT * FROM deliveries WHERE id = ?", [id])[0];
  }

  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    return this.#all<Delivery>(
      this.#require(),
      "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY priority, next_attempt_at LIMIT ?",
      [now, limit],
    );
  }

  async pendingDeliveries(): Promise<number> {
    const rows = this.#all<{ n: number }>(
      this.#require(),
      "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'",
      [],
    );
    return rows[0]?.n ?? 0;
  }

  async updateDelivery(delivery: Delivery): Promise<void> {
    const db = this.#require();
    transaction(db, "storageUnavailable", () => writeDelivery(db, delivery));
  }

  async putHold(hold: Hold): Promise<void> {
    this.#putDocument("holds", hold.id, hold.created_at, hold);
  }

  async listHolds(): Promise<Hold[]> {
    return this.#listDocuments<Hold>("holds");
  }

  async putSilence(silence: Silence): Promise<void> {
    this.#putDocument("silences", silence.id, silence.created_at, silence);
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    const rows = this.#all<{ body: string }>(this.#require(), "SELECT body FROM silences WHERE id = ?", [id]);
    return rows[0] ? (JSON.parse(rows[0].body) as Silence) : undefined;
  }

  async listSilences(): Promise<Silence[]> {
    return this.#listDocuments<Silence>("silences");
  }

  /** Writes a record kept whole as JSON, by id (insert or replace). */
  #putDocument(table: "holds" | "silences", id: string, createdAt: string, record: unknown): void {
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      db.prepare(
        `INSERT INTO ${table} (id, created_at, body) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body`,
      ).run(id, createdAt, JSON.stringify(record));
    });
  }

  /** Every record of the table, newest first. */
  #listDocuments<T>(table: "holds" | "silences"): T[] {
    return this.#all<{ body: string }>(
      this.#require(),
      `SELECT body FROM ${table} ORDER BY created_at DESC, id DESC`,
      [],
    ).map((row) => JSON.parse(row.body) as T);
  }

  async loadCheckpoint(consumer: string, partition: number): Promise<Checkpoint | undefined> {
    return this.#all<Checkpoint>(
      this.#require(),
      "SELECT * FROM checkpoints WHERE consumer = ? AND partition = ?",
      [consumer, partition],
    )[0];
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const db = this.#require();
    transaction(db, "storageUnavailable", () => {
      db.prepare(
        `INSERT INTO checkpoints (consumer, partition, offset, state, saved_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (consumer, partition) DO UPDATE SET offset = excluded.offset, state = excluded.state,
           saved_at = excluded.saved_at`,
      ).run(
        checkpoint.consumer,
        checkpoint.partition,
        checkpoint.offset,
        checkpoint.state,
        checkpoint.saved_at,
      );
    });
  }

  #require(): DatabaseSync {
    if (!this.#db) throw new AgentwatchError("storageUnavailable", "embedded storage is not open");
    return this.#db;
  }

  #all<T>(db: DatabaseSync, sql: string, params: SQLInputValue[]): T[] {
    try {
      return db.prepare(sql).all(...params) as unknown as T[];
    } catch (err) {
      throw sqliteFailure(err, "storageUnavailable");
    }
  }

  #incidents(clause: string, params: SQLInputValue[]): StoredIncident[] {
    const rows = this.#all<{ body: string; notify: string }>(
      this.#require(),
      `SELECT body, notify FROM incidents ${clause}`,
      params,
    );
    return rows.map((row) => ({ incident: JSON.parse(row.body), notify: JSON.parse(row.notify) }));
  }
}

interface AgentRow {
  agent_id: string;
  state: string;
  since: string | null;
  by: string | null;
  reason: string | null;
  incident_id: string | null;
  control: string | null;
  first_seen: string | null;
  last_seen: string | null;
}

interface AuditRow {
  id: string;
  time: string;
  actor: string;
  action: string;
  target: string;
  reason: string | null;
  incident_id: string | null;
  details: string;
  chain: string | null;
}

function agentFromRow(row: AgentRow): AgentState {
  return {
    agent_id: row.agent_id,
    state: row.state === "paused" ? "paused" : "active",
    since: row.since,
    by: row.by,
    reason: row.reason,
    incident_id: row.incident_id,
    control: row.control ? JSON.parse(row.control) : null,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
  };
}

function writeDelivery(db: DatabaseSync, d: Delivery): void {
  db.prepare(
    `INSERT INTO deliveries (id, kind, target, supersede_key, body, status, attempts, max_attempts, next_attempt_at,
       last_error, created_at, updated_at, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
       next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, updated_at = excluded.updated_at`,
  ).run(
    d.id,
    d.kind,
    d.target,
    d.supersede_key,
    d.body,
    d.status,
    d.attempts,
    d.max_attempts,
    d.next_attempt_at,
    d.last_error,
    d.created_at,
    d.updated_at,
    d.priority ?? 1,
  );
}

/** Every word of the user's text, quoted so FTS5 operators in it are taken literally. */
function ftsQuery(text: string): string {
  return text
    .replace(/\p{Cc}/gu, " ") // SQLite takes a NUL as the end of the query
    .trim()
    .split(/\s+/)
    .map((word) => `"${word.replaceAll('"', '""')}"`)
    .join(" ");
}
