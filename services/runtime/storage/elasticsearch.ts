/**
 * Elasticsearch storage (production).
 *
 * Layout, under `index_prefix` (p):
 * - daily indices: `p-events-YYYY.MM.DD` by the day agentwatch received the event (its own
 *   `time` is a field: one request of events dated on a thousand days must not create a thousand
 *   indices, and a back-dated event must not be deleted with its "day" within the hour),
 *   `p-findings-…` by finding time (event time, which the collector keeps within the configured
 *   skew of arrival), `p-audit-…` by agentwatch's clock; index templates hold explicit mappings
 *   (keywords, dates, text for search; the record itself stored but not indexed). Retention
 *   deletes whole days older than `retention_days`, never a day an active incident began in or
 *   after.
 * - single indices for records updated over their life, read and written by id:
 *   `p-incidents`, `p-agents`, `p-deliveries`, `p-checkpoints`. Resolved incidents older than the
 *   retention are found and deleted by id.
 *
 * Events are written with `_id` = agent/id (op_type create), so a repeated event is stored once.
 * Bulk failures are retryable `storageUnavailable` errors: the indexer's bus consumer does not
 * advance, which is the backpressure (nothing is buffered in memory).
 *
 * Search is near-real-time; reads refresh an index this process wrote to since its last refresh,
 * so a process reads its own writes. Nothing here needs ingest pipelines, ILM or painless.
 */

import { Client, errors } from "@elastic/elasticsearch";
import type { Secret } from "../../../lib/secret.ts";
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
  type Incident,
  type IngestedEvent,
  type Silence,
  type StoredIncident,
} from "../model.ts";
import { AuditChain } from "./audit-chain.ts";
import { type Erasure, eraseEvent } from "./erasure.ts";
import { retentionRun } from "./retention.ts";
import { decodeEventCursor, encodeCursor, searchableText } from "./search.ts";
import type { AppliedFinding, AuditQuery, EventPage, EventQuery, IncidentQuery, Storage } from "./storage.ts";
import { INTEGRITY_ACTIONS, tombstoneEntries } from "./tombstone.ts";

export interface ElasticsearchStorageOptions {
  node: string;
  indexPrefix: string;
  retentionDays: number;
  /** Audit indices are kept this long (default 365 days). */
  auditRetentionDays?: number;
  username?: string;
  password?: Secret;
  logger: Logger;
  /** How often old daily indices are deleted (default hourly). */
  retentionSweepMs?: number;
  /** Signs the tombstones of deletions and erasures (tombstone.ts); without it they are unsigned. */
  signer?: Signer;
}

type Kind = "events" | "findings" | "audit";

const KEYWORD = { type: "keyword" } as const;
const DATE = { type: "date", format: "strict_date_optional_time||epoch_millis" } as const;
const STORED = { type: "object", enabled: false } as const;

const MAPPINGS: Record<
  Kind | "incidents" | "agents" | "deliveries" | "silences" | "holds" | "checkpoints",
  Record<string, unknown>
> = {
  events: {
    agent_id: KEYWORD,
    id: KEYWORD,
    event_key: KEYWORD,
    time: DATE,
    received_at: DATE,
    type: KEYWORD,
    session_id: KEYWORD,
    user_id: KEYWORD,
    search: { type: "text" },
    record: STORED,
  },
  findings: {
    id: KEYWORD,
    incident_id: KEYWORD,
    detector: KEYWORD,
    agent_id: KEYWORD,
    time: DATE,
    record: STORED,
  },
  audit: { id: KEYWORD, time: DATE, actor: KEYWORD, action: KEYWORD, target: KEYWORD, record: STORED },
  incidents: {
    id: KEYWORD,
    fingerprint: KEYWORD,
    status: KEYWORD,
    agent_id: KEYWORD,
    updated_at: DATE,
    started_at: DATE,
    record: STORED,
    notify: STORED,
  },
  agents: { agent_id: KEYWORD, state: STORED, last_seen: KEYWORD, first_seen: KEYWORD },
  deliveries: {
    id: KEYWORD,
    status: KEYWORD,
    supersede_key: KEYWORD,
    next_attempt_at: { type: "long" },
    priority: { type: "integer" },
    record: STORED,
  },
  silences: { id: KEYWORD, created_at: DATE, record: STORED },
  holds: { id: KEYWORD, created_at: DATE, record: STORED },
  checkpoints: { record: STORED },
};

export class ElasticsearchStorage implements Storage {
  readonly #o: ElasticsearchStorageOptions;
  readonly #client: Client;
  readonly #dirty = new Set<string>();
  readonly #auditChain = new AuditChain();
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ElasticsearchStorageOptions) {
    this.#o = options;
    this.#client = new Client({
      node: options.node,
      requestTimeout: 10_000,
      maxRetries: 2,
      ...(options.username && options.password
        ? { auth: { username: options.username, password: options.password.reveal() } }
        : {}),
    });
  }

  #index(name: string): string {
    return `${this.#o.indexPrefix}-${name}`;
  }

  #daily(kind: Kind, time: number): string {
    const d = new Date(Number.isFinite(time) ? time : Date.now());
    const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, "0")}.${String(d.getUTCDate()).padStart(2, "0")}`;
    return this.#index(`${kind}-${day}`);
  }

  #pattern(kind: Kind): string {
    return this.#index(`${kind}-*`);
  }

  async start(): Promise<void> {
    await this.#call("set up the indices", async () => {
      for (const kind of ["events", "findings", "audit"] as const) {
        await this.#client.indices.putIndexTemplate({
          name: this.#index(kind),
          index_patterns: [this.#pattern(kind)],
          template: {
            settings: { number_of_shards: 1, number_of_replicas: 0, "index.translog.durability": "request" },
            mappings: { dynamic: "strict", properties: MAPPINGS[kind] as never },
          },
        });
      }
      for (const name of ["incidents", "agents", "deliveries", "silences", "holds", "checkpoints"] as const) {
        const index = this.#index(name);
        if (await this.#client.indices.exists({ index })) continue;
        await this.#client.indices
          .create({
            index,
            settings: { number_of_shards: 1, number_of_replicas: 0, "index.translog.durability": "request" },
            mappings: { dynamic: "strict", properties: MAPPINGS[name] as never },
          })
          .catch((err: unknown) => {
            if (
              !(
                err instanceof errors.ResponseError &&
                err.body?.error?.type === "resource_already_exists_exception"
              )
            )
              throw err;
          });
      }
    });
    const every = this.#o.retentionSweepMs ?? 3_600_000;
    this.#sweep = setInterval(() => {
      this.deleteExpired().catch((err) =>
        this.#o.logger.error({ err }, "Elasticsearch retention sweep failed; tried again later"),
      );
    }, every);
    this.#sweep.unref();
  }

  /** Flushes (refreshes what this process wrote, so every reader sees it) and closes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweep);
    for (const index of this.#dirty) {
      await this.#client.indices
        .refresh({ index, ignore_unavailable: true, allow_no_indices: true })
        .catch((err: unknown) =>
          this.#o.logger.warn(
            { err, index },
            "refresh on stop failed; writes become visible within a second",
          ),
        );
    }
    this.#dirty.clear();
    await this.#client.close();
  }

  async ready(): Promise<boolean> {
    if (this.#stopped) return false;
    try {
      await this.#client.cluster.health({ timeout: "2s" });
      return true;
    } catch {
      return false;
    }
  }

  /** Deletes daily indices older than the retention, and resolved incidents past it. */
  async deleteExpired(now = Date.now()): Promise<string[]> {
    return this.#call("apply the retention", async () => {
      let cutoff = now - this.#o.retentionDays * 86_400_000;
      // An active incident's evidence (its events and findings) is kept whatever its age: no
      // day from the day before the oldest active incident began is deleted.
      await this.#refreshIfDirty(this.#index("incidents"));
      const oldestActive = await this.#client.search<{ record: Incident }>({
        index: this.#index("incidents"),
        size: 1,
        query: { bool: { must_not: [{ term: { status: "resolved" } }] } },
        sort: [{ started_at: { order: "asc", unmapped_type: "date" } }],
      });
      const started = Date.parse(
        (oldestActive.hits.hits[0]?._source as { record?: Incident } | undefined)?.record?.started_at ?? "",
      );
      if (Number.isFinite(started)) cutoff = Math.min(cutoff, started - 86_400_000);
      // Held evidence likewise: no day from the day before the oldest active hold's start.
      const holds = (await this.listHolds()).filter((h) => h.released_at === null);
      for (const hold of holds) cutoff = Math.min(cutoff, Date.parse(hold.from) - 86_400_000);
      // The audit trail is kept longer, whatever the incidents; a held agent's state changes and
      // its incident's entries are kept too (no audit day from the day before the hold's start).
      let auditCutoff = now - (this.#o.auditRetentionDays ?? 365) * 86_400_000;
      for (const hold of holds) auditCutoff = Math.min(auditCutoff, Date.parse(hold.from) - 86_400_000);
      const indices = await this.#client.cat.indices({ index: this.#index("*"), format: "json", h: "index" });
      const expired = indices
        .map((row) => row.index as string)
        .filter((index) => {
          const m = /-(events|findings|audit)-(\d{4})\.(\d{2})\.(\d{2})$/.exec(index);
          if (!m) return false;
          const dayEnd = Date.UTC(Number(m[2]), Number(m[3]) - 1, Number(m[4])) + 86_400_000;
          return dayEnd <= (m[1] === "audit" ? auditCutoff : cutoff);
        });
      // The signed tombstones of the chained records in them first: a crash between the two
      // leaves records a tombstone names, which verify finds intact, never an unexplained gap.
      let tombstones = 0;
      const runBy = { actor: "agentwatch", reason: "retention", time: new Date(now).toISOString() };
      for (const index of expired) {
        if (/-findings-/.test(index)) continue;
        const links = await this.#chainLinksIn(index, /-events-/.test(index) ? "event_key" : "id");
        for (const entry of tombstoneEntries(this.#o.signer, "retention", links, runBy)) {
          await this.appendAudit(entry);
          tombstones += 1;
        }
      }
      if (expired.length > 0) await this.#client.indices.delete({ index: expired.join(",") });
      // Resolved incidents past the retention: found, then deleted by id (the minimal distribution
      // has no delete-by-query; a full one would do the same work).
      await this.#refreshIfDirty(this.#index("incidents"));
      const old = await this.#client.search({
        index: this.#index("incidents"),
        size: 10_000,
        _source: false,
        query: {
          bool: {
            filter: [{ term: { status: "resolved" } }, { range: { updated_at: { lt: cutoff } } }],
            must_not: holds.length > 0 ? [{ ids: { values: holds.map((h) => h.incident_id) } }] : [],
          },
        },
      });
      const operations = old.hits.hits.map((h) => ({
        delete: { _index: this.#index("incidents"), _id: h._id as string },
      }));
      if (operations.length > 0) await this.#client.bulk({ operations, refresh: true });
      if (expired.length + operations.length > 0) {
        // The deletion run is itself on the record, with what it deleted.
        await this.appendAudit(
          retentionRun(now, this.#o.retentionDays, this.#o.auditRetentionDays ?? 365, {
            indices: expired,
            incidents: operations.length,
            tombstones,
            before: new Date(cutoff).toISOString(),
            audit_before: new Date(auditCutoff).toISOString(),
          }),
        );
      }
      return expired;
    });
  }

  async putEvents(events: IngestedEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#call("index events", async () => {
      const operations = events.flatMap((ingested) => {
        const e = ingested.event;
        const key = `${e.agent_id}/${e.id}`;
        return [
          { create: { _index: this.#daily("events", Date.parse(ingested.received_at)), _id: key } },
          {
            agent_id: e.agent_id,
            id: e.id,
            event_key: key,
            time: Date.parse(e.time),
            received_at: ingested.received_at,
            type: e.type,
            ...(e.session_id ? { session_id: e.session_id } : {}),
            ...(e.user_id ? { user_id: e.user_id } : {}),
            search: searchableText(e),
            record: ingested,
          },
        ];
      });
      await this.#bulk(operations, events.length, "events");
      this.#dirty.add(this.#pattern("events"));
      await this.#touchAgents(events);
    });
  }

  async #touchAgents(events: IngestedEvent[]): Promise<void> {
    const latest = new Map<string, string>();
    for (const e of events) {
      const previous = latest.get(e.event.agent_id);
      if (previous === undefined || e.received_at > previous) latest.set(e.event.agent_id, e.received_at);
    }
    const ids = [...latest.keys()];
    const current = await this.#client.mget<{ last_seen?: string; first_seen?: string }>({
      index: this.#index("agents"),
      ids,
    });
    const operations = current.docs.flatMap((doc) => {
      const id = doc._id;
      const seen = latest.get(id) as string;
      const found = "found" in doc && doc.found ? doc._source : undefined;
      if (found?.last_seen && found.last_seen >= seen) return [];
      return [
        { update: { _index: this.#index("agents"), _id: id } },
        {
          doc: { agent_id: id, last_seen: seen, ...(found?.first_seen ? {} : { first_seen: seen }) },
          doc_as_upsert: true,
        },
      ];
    });
    if (operations.length > 0) await this.#client.bulk({ operations });
    this.#dirty.add(this.#index("agents"));
  }

  async getEvents(refs: readonly { agent_id: string; id: string }[]): Promise<IngestedEvent[]> {
    if (refs.length === 0) return [];
    return this.#call("read events", async () => {
      await this.#refreshIfDirty(this.#pattern("events"));
      const out: IngestedEvent[] = [];
      // Event indices are daily by arrival: found by their key across them, 1,000 at a time.
      for (let i = 0; i < refs.length; i += 1000) {
        const keys = refs.slice(i, i + 1000).map((r) => `${r.agent_id}/${r.id}`);
        const response = await this.#client.search<{ record: IngestedEvent }>({
          index: this.#pattern("events"),
          ignore_unavailable: true,
          allow_no_indices: true,
          size: keys.length,
          query: { terms: { event_key: keys } },
        });
        for (const hit of response.hits.hits) out.push((hit._source as { record: IngestedEvent }).record);
      }
      return out;
    });
  }

  async eraseSubject(
    userId: string,
    erasure: Erasure,
    holds: readonly Hold[] = [],
  ): Promise<{ events: number; held: { agent_id: string; id: string; hold: string }[] }> {
    return this.#call("erase a subject's events", async () => {
      const pattern = this.#pattern("events");
      await this.#refreshIfDirty(pattern);
      // Held evidence is left out of every query below, and listed.
      const active = holds.filter((h) => h.released_at === null).slice(0, 500);
      const heldClauses = active.map((h) => ({
        bool: {
          // The hold's own agent's events only: sessions are per agent (model.ts heldBy).
          filter: [
            { term: { agent_id: h.agent_id } },
            {
              range: {
                time: { gte: Date.parse(h.from), ...(h.to === null ? {} : { lte: Date.parse(h.to) }) },
              },
            },
          ],
        },
      }));
      const notHeld = (query: Record<string, unknown>) => ({
        bool: { filter: [query], must_not: heldClauses },
      });
      type Hit = { _index: string; _id: string; _source?: { record: IngestedEvent } };
      // Rewrites matching events until none is left (an erased event no longer matches).
      const rewrite = async (query: unknown): Promise<number> => {
        let total = 0;
        for (;;) {
          const response = await this.#client.search<{ record: IngestedEvent }>({
            index: pattern,
            ignore_unavailable: true,
            allow_no_indices: true,
            size: 500,
            query: query as never,
            _source: ["record", "received_at", "time", "agent_id", "id", "event_key", "type"],
          });
          const hits = response.hits.hits as Hit[];
          if (hits.length === 0) return total;
          // The signed tombstone first (storage/tombstone.ts): an erasure that then fails leaves
          // intact events it names, never an erased one it does not.
          const links = hits.flatMap((hit) => hit._source?.record.chain ?? []);
          for (const entry of tombstoneEntries(this.#o.signer, "erasure", links, {
            actor: erasure.by,
            reason: `erasure of subject ${userId}`,
            time: erasure.at,
          }))
            await this.appendAudit(entry);
          const operations = hits.flatMap((hit) => {
            const before = hit._source?.record as IngestedEvent;
            const after = eraseEvent(before, erasure);
            const e = after.event;
            return [
              { index: { _index: hit._index, _id: hit._id } },
              {
                agent_id: e.agent_id,
                id: e.id,
                event_key: `${e.agent_id}/${e.id}`,
                time: Date.parse(e.time),
                received_at: after.received_at,
                type: e.type,
                search: searchableText(e),
                record: after,
              },
            ];
          });
          await this.#bulk(operations, hits.length, "erased events");
          await this.#client.indices.refresh({
            index: pattern,
            ignore_unavailable: true,
            allow_no_indices: true,
          });
          total += hits.length;
        }
      };
      // The sessions first (found through the user's own events), then the user's events.
      const sessions = await this.#client.search({
        index: pattern,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: 0,
        query: { term: { user_id: userId } },
        aggs: {
          sessions: {
            composite: {
              size: 10_000,
              sources: [
                { agent_id: { terms: { field: "agent_id" } } },
                { session_id: { terms: { field: "session_id" } } },
              ],
            },
          },
        },
      });
      const buckets =
        (
          sessions.aggregations?.sessions as
            | { buckets?: { key: { agent_id: string; session_id: string } }[] }
            | undefined
        )?.buckets ?? [];
      let erased = 0;
      for (const { key } of buckets) {
        erased += await rewrite(
          notHeld({
            bool: {
              filter: [{ term: { agent_id: key.agent_id } }, { term: { session_id: key.session_id } }],
              must_not: [{ exists: { field: "user_id" } }],
            },
          }),
        );
      }
      erased += await rewrite(notHeld({ term: { user_id: userId } }));
      const held: { agent_id: string; id: string; hold: string }[] = [];
      if (heldClauses.length > 0) {
        const kept = await this.#client.search<{ record: IngestedEvent }>({
          index: pattern,
          ignore_unavailable: true,
          allow_no_indices: true,
          size: 10_000,
          query: {
            bool: { filter: [{ term: { user_id: userId } }], should: heldClauses, minimum_should_match: 1 },
          },
        });
        for (const hit of kept.hits.hits) {
          const e = (hit._source as { record: IngestedEvent }).record.event;
          const hold = heldBy(active, e.agent_id, e.time);
          if (hold) held.push({ agent_id: e.agent_id, id: e.id, hold: hold.id });
        }
      }
      return { events: erased, held };
    });
  }

  async queryEvents(query: EventQuery): Promise<EventPage> {
    return this.#call("search events", async () => {
      await this.#refreshIfDirty(this.#pattern("events"));
      const filter: unknown[] = [];
      for (const field of ["agent_id", "session_id", "user_id", "type"] as const) {
        if (query[field] !== undefined) filter.push({ term: { [field]: query[field] } });
      }
      filter.push(...timeRange(query.from, query.to));
      filter.push(...timeRange(query.received_from, query.received_to, "received_at"));
      const must = query.q?.trim()
        ? [
            {
              simple_query_string: {
                query: query.q,
                fields: ["search"],
                default_operator: "and" as const,
                flags: "PHRASE" as const,
              },
            },
          ]
        : [];
      const response = await this.#client.search<{ record: IngestedEvent; time: number; event_key: string }>({
        index: this.#pattern("events"),
        ignore_unavailable: true,
        allow_no_indices: true,
        size: query.limit + 1,
        query: { bool: { filter: filter as never, must: must as never } },
        sort:
          query.order === "arrival"
            ? [{ received_at: "asc" }, { event_key: "asc" }]
            : [{ time: "desc" }, { event_key: "desc" }],
        ...(query.cursor ? { search_after: decodeEventCursor(query.cursor) } : {}),
      });
      const hits = response.hits.hits;
      const page = hits.slice(0, query.limit);
      const last = page.at(-1);
      return {
        events: page.map((h) => (h._source as { record: IngestedEvent }).record),
        next_cursor:
          hits.length > query.limit && last?.sort
            ? encodeCursor(...(last.sort as (number | string)[]))
            : null,
      };
    });
  }

  async knownFindings(findings: Pick<Finding, "id" | "time">[]): Promise<Set<string>> {
    const known = new Set<string>();
    if (findings.length === 0) return known;
    return this.#call("look up findings", async () => {
      // Real-time gets from each finding's daily index: they see every write at once, so no
      // refresh (which, per finding, was most of the alerter's time under load).
      const response = await this.#client.mget({
        docs: findings.map((f) => ({ _index: this.#daily("findings", Date.parse(f.time)), _id: f.id })),
        _source: false,
      });
      for (const doc of response.docs) {
        if ("found" in doc) {
          if (doc.found) known.add(doc._id);
        } else if (doc.error.type !== "index_not_found_exception") {
          throw new AgentwatchError(
            "storageUnavailable",
            `cannot look up finding ${doc._id}: ${doc.error.reason}`,
            {
              retryable: true,
            },
          );
        }
      }
      return known;
    });
  }

  async recordFindings(applied: AppliedFinding[]): Promise<void> {
    if (applied.length === 0) return;
    await this.#call("record findings", async () => {
      const operations = applied.flatMap(({ finding, incidentId }) => [
        { create: { _index: this.#daily("findings", Date.parse(finding.time)), _id: finding.id } },
        {
          id: finding.id,
          incident_id: incidentId,
          detector: finding.detector,
          agent_id: finding.agent_id,
          time: Date.parse(finding.time),
          record: finding,
        },
      ]);
      await this.#bulk(operations, applied.length, "findings");
      this.#dirty.add(this.#pattern("findings"));
    });
  }

  async getIncident(id: string): Promise<StoredIncident | undefined> {
    return this.#call("read an incident", async () => {
      const doc = await this.#getById<{
        record: StoredIncident["incident"];
        notify: StoredIncident["notify"];
      }>(this.#index("incidents"), id);
      return doc ? { incident: doc.record, notify: doc.notify } : undefined;
    });
  }

  async findActiveIncidents(fingerprints: string[]): Promise<Map<string, StoredIncident>> {
    const found = new Map<string, StoredIncident>();
    const unique = [...new Set(fingerprints)];
    if (unique.length === 0) return found;
    const active = await this.#incidents(
      {
        bool: { filter: [{ terms: { fingerprint: unique } }], must_not: [{ term: { status: "resolved" } }] },
      },
      [{ updated_at: "desc" }],
      10_000,
    );
    for (const stored of active) {
      if (!found.has(stored.incident.fingerprint)) found.set(stored.incident.fingerprint, stored);
    }
    return found;
  }

  async listActiveIncidents(): Promise<StoredIncident[]> {
    return this.#incidents(
      { bool: { must_not: [{ term: { status: "resolved" } }] } },
      [{ updated_at: "asc" }],
      10_000,
    );
  }

  async listIncidents(query: IncidentQuery): Promise<StoredIncident[]> {
    const filter: unknown[] = [];
    if (query.status !== undefined) filter.push({ term: { status: query.status } });
    if (query.agent_id !== undefined) filter.push({ term: { agent_id: query.agent_id } });
    return this.#incidents({ bool: { filter } }, [{ updated_at: "desc" }, { id: "desc" }], query.limit);
  }

  async putIncidents(incidents: StoredIncident[]): Promise<void> {
    if (incidents.length === 0) return;
    await this.#call("write incidents", async () => {
      const operations = incidents.flatMap(({ incident: i, notify }) => [
        { index: { _index: this.#index("incidents"), _id: i.id } },
        {
          id: i.id,
          fingerprint: i.fingerprint,
          status: i.status,
          agent_id: i.agent_id,
          updated_at: i.updated_at,
          started_at: i.started_at,
          record: i,
          notify,
        },
      ]);
      await this.#bulk(operations, incidents.length, "incidents");
      this.#dirty.add(this.#index("incidents"));
    });
  }

  async getAgent(agentId: string): Promise<AgentState | undefined> {
    return this.#call("read an agent", async () => {
      const doc = await this.#getById<AgentDoc>(this.#index("agents"), agentId);
      return doc ? agentFromDoc(agentId, doc) : undefined;
    });
  }

  async putAgent(state: AgentState): Promise<void> {
    await this.#call("write an agent", async () => {
      // Only the state fields: last_seen and first_seen belong to the event indexing.
      const { first_seen: _first, last_seen: _last, ...rest } = state;
      await this.#client.update({
        index: this.#index("agents"),
        id: state.agent_id,
        doc: { agent_id: state.agent_id, state: rest },
        doc_as_upsert: true,
      });
      this.#dirty.add(this.#index("agents"));
    });
  }

  async listAgents(): Promise<AgentState[]> {
    return this.#call("list agents", async () => {
      await this.#refreshIfDirty(this.#index("agents"));
      const response = await this.#client.search<AgentDoc>({
        index: this.#index("agents"),
        size: 10_000,
        sort: [{ agent_id: "asc" }],
        query: { match_all: {} },
      });
      return response.hits.hits.map((h) => agentFromDoc(h._id as string, h._source as AgentDoc));
    });
  }

  /** The chain links of every record in an index, read by `sortField` (unique per record). */
  async #chainLinksIn(index: string, sortField: "event_key" | "id"): Promise<ChainLink[]> {
    await this.#client.indices.refresh({ index, ignore_unavailable: true });
    const links: ChainLink[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const page = await this.#client.search<{ record?: { chain?: ChainLink } }>({
        index,
        ignore_unavailable: true,
        size: 5000,
        _source: ["record.chain"],
        sort: [{ [sortField]: "asc" }],
        query: { match_all: {} },
        ...(after ? { search_after: after as never } : {}),
      });
      const hits = page.hits.hits;
      for (const hit of hits) {
        const chain = hit._source?.record?.chain;
        if (chain) links.push(chain);
      }
      if (hits.length < 5000) return links;
      after = hits.at(-1)?.sort as unknown[];
    }
  }

  auditHead(): { stream: string; seq: number; hash: string } {
    return this.#auditChain.head;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#auditChain.append(entry, (linked) =>
      this.#call("append to the audit trail", async () => {
        await this.#client.create({
          // Digests and tombstones vouch for the chains: an index of their own, outside the daily
          // ones the audit retention deletes (the audit pattern still finds them).
          index: (INTEGRITY_ACTIONS as readonly string[]).includes(linked.action)
            ? this.#index("audit-integrity")
            : this.#daily("audit", Date.parse(linked.time)),
          id: linked.id,
          document: {
            id: linked.id,
            time: Date.parse(linked.time),
            actor: linked.actor,
            action: linked.action,
            target: linked.target,
            record: linked,
          },
        });
        this.#dirty.add(this.#pattern("audit"));
      }),
    );
  }

  async queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#call("search the audit trail", async () => {
      await this.#refreshIfDirty(this.#pattern("audit"));
      const filter: unknown[] = [];
      filter.push(...timeRange(query.from, query.to));
      if (query.actor !== undefined) filter.push({ term: { actor: query.actor } });
      if (query.action !== undefined) filter.push({ term: { action: query.action } });
      const response = await this.#client.search<{ record: AuditEntry }>({
        index: this.#pattern("audit"),
        ignore_unavailable: true,
        allow_no_indices: true,
        size: query.limit,
        query: { bool: { filter: filter as never } },
        sort: [{ time: "desc" }, { id: "desc" }],
      });
      return response.hits.hits.map((h) => (h._source as { record: AuditEntry }).record);
    });
  }

  async enqueueDeliveries(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.#call("queue deliveries", async () => {
      const index = this.#index("deliveries");
      // Idempotent by id: real-time gets, no refresh.
      const current = await this.#client.mget({ index, ids: deliveries.map((d) => d.id), _source: false });
      const stored = new Set(current.docs.flatMap((doc) => ("found" in doc && doc.found ? [doc._id] : [])));
      const added = new Map<string, Delivery>();
      for (const d of deliveries) if (!stored.has(d.id) && !added.has(d.id)) added.set(d.id, d);
      if (added.size === 0) return;
      // What each supersede key's newest delivery supersedes: the pending ones stored, and earlier
      // ones of this call.
      const writes = new Map<string, Delivery>();
      const byKey = new Map<string, Delivery[]>();
      for (const d of added.values()) {
        writes.set(d.id, d);
        if (d.supersede_key === null) continue;
        const list = byKey.get(d.supersede_key) ?? [];
        list.push(d);
        byKey.set(d.supersede_key, list);
      }
      if (byKey.size > 0) {
        await this.#refreshIfDirty(index);
        const pending = await this.#client.search<{ record: Delivery }>({
          index,
          size: 10_000,
          query: {
            bool: {
              filter: [{ terms: { supersede_key: [...byKey.keys()] } }, { term: { status: "pending" } }],
            },
          },
        });
        for (const hit of pending.hits.hits) {
          const old = (hit._source as { record: Delivery }).record;
          const first = (byKey.get(old.supersede_key as string) as Delivery[])[0] as Delivery;
          writes.set(old.id, { ...old, status: "superseded", updated_at: first.created_at });
        }
        for (const list of byKey.values()) {
          for (const [i, d] of list.entries()) {
            const next = list[i + 1];
            if (next) writes.set(d.id, { ...d, status: "superseded", updated_at: next.created_at });
          }
        }
      }
      const operations = [...writes.values()].flatMap((d) => [
        { index: { _index: index, _id: d.id } },
        deliveryDoc(d),
      ]);
      await this.#bulk(operations, writes.size, "deliveries");
      this.#dirty.add(index);
    });
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    return this.#call(
      "read a delivery",
      async () => (await this.#getById<{ record: Delivery }>(this.#index("deliveries"), id))?.record,
    );
  }

  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    return this.#call("read due deliveries", async () => {
      await this.#refreshIfDirty(this.#index("deliveries"));
      const response = await this.#client.search<{ record: Delivery }>({
        index: this.#index("deliveries"),
        size: limit,
        query: {
          bool: { filter: [{ term: { status: "pending" } }, { range: { next_attempt_at: { lte: now } } }] },
        },
        sort: [
          { priority: { order: "asc", missing: 1, unmapped_type: "integer" } },
          { next_attempt_at: "asc" },
        ],
      });
      return response.hits.hits.map((h) => (h._source as { record: Delivery }).record);
    });
  }

  async pendingDeliveries(): Promise<number> {
    return this.#call("count pending deliveries", async () => {
      await this.#refreshIfDirty(this.#index("deliveries"));
      const response = await this.#client.count({
        index: this.#index("deliveries"),
        query: { term: { status: "pending" } },
      });
      return response.count;
    });
  }

  async updateDelivery(delivery: Delivery): Promise<void> {
    await this.#call("update a delivery", () => this.#writeDelivery(delivery));
  }

  async putHold(hold: Hold): Promise<void> {
    // Visible at once: an erasure right after a pause must see the hold.
    await this.#putDocument("holds", hold.id, hold.created_at, hold, true);
  }

  async listHolds(): Promise<Hold[]> {
    return this.#listDocuments<Hold>("holds");
  }

  async putSilence(silence: Silence): Promise<void> {
    await this.#putDocument("silences", silence.id, silence.created_at, silence, false);
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    return this.#call(
      "read a silence",
      async () => (await this.#getById<{ record: Silence }>(this.#index("silences"), id))?.record,
    );
  }

  async listSilences(): Promise<Silence[]> {
    return this.#listDocuments<Silence>("silences");
  }

  /** Writes a record kept whole, by id (insert or replace); `refresh`: searchable when this resolves. */
  #putDocument(
    name: "holds" | "silences",
    id: string,
    createdAt: string,
    record: unknown,
    refresh: boolean,
  ): Promise<void> {
    return this.#call(`write to ${name}`, async () => {
      await this.#client.index({
        index: this.#index(name),
        id,
        document: { id, created_at: createdAt, record },
        ...(refresh ? { refresh: true } : {}),
      });
      if (!refresh) this.#dirty.add(this.#index(name));
    });
  }

  /** Every record of the index, newest first. */
  #listDocuments<T>(name: "holds" | "silences"): Promise<T[]> {
    return this.#call(`list ${name}`, async () => {
      await this.#refreshIfDirty(this.#index(name));
      const response = await this.#client.search<{ record: T }>({
        index: this.#index(name),
        size: 10_000,
        sort: [{ created_at: "desc" }, { id: "desc" }],
        query: { match_all: {} },
      });
      return response.hits.hits.map((h) => (h._source as { record: T }).record);
    });
  }

  async loadCheckpoint(consumer: string, partition: number): Promise<Checkpoint | undefined> {
    return this.#call(
      "read a checkpoint",
      async () =>
        (await this.#getById<{ record: Checkpoint }>(this.#index("checkpoints"), `${consumer}/${partition}`))
          ?.record,
    );
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.#call("write a checkpoint", async () => {
      await this.#client.index({
        index: this.#index("checkpoints"),
        id: `${checkpoint.consumer}/${checkpoint.partition}`,
        document: { record: checkpoint },
      });
    });
  }

  async #writeDelivery(delivery: Delivery): Promise<void> {
    await this.#client.index({
      index: this.#index("deliveries"),
      id: delivery.id,
      document: deliveryDoc(delivery),
    });
    this.#dirty.add(this.#index("deliveries"));
  }

  /**
   * Runs a bulk request of `count` documents and fails (retryable) when Elasticsearch refused any.
   * A `create` that found its document stored already (409) is idempotency working, not a failure.
   */
  async #bulk(operations: unknown[], count: number, what: string): Promise<void> {
    const response = await this.#client.bulk({ operations: operations as never });
    if (!response.errors) return;
    const failed = response.items
      .map((item) => Object.values(item)[0])
      .filter((r) => r?.error && r.status !== 409);
    if (failed.length > 0) {
      throw new AgentwatchError(
        "storageUnavailable",
        `Elasticsearch refused ${failed.length} of ${count} ${what}: ${failed[0]?.error?.reason ?? failed[0]?.error?.type}`,
        { retryable: true },
      );
    }
  }

  async #incidents(query: unknown, sort: unknown[], size: number): Promise<StoredIncident[]> {
    return this.#call("search incidents", async () => {
      await this.#refreshIfDirty(this.#index("incidents"));
      const response = await this.#client.search<{
        record: StoredIncident["incident"];
        notify: StoredIncident["notify"];
      }>({
        index: this.#index("incidents"),
        size,
        query: query as never,
        sort: sort as never,
      });
      return response.hits.hits.map((h) => {
        const doc = h._source as { record: StoredIncident["incident"]; notify: StoredIncident["notify"] };
        return { incident: doc.record, notify: doc.notify };
      });
    });
  }

  /** Real-time get: sees a write at once, no refresh needed. */
  async #getById<T>(index: string, id: string): Promise<T | undefined> {
    try {
      const doc = await this.#client.get<T>({ index, id });
      return doc.found ? (doc._source as T) : undefined;
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** Read-your-writes within this process: refresh what we wrote to since the last refresh. */
  async #refreshIfDirty(index: string): Promise<void> {
    if (!this.#dirty.has(index)) return;
    this.#dirty.delete(index);
    await this.#client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  }

  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.#stopped) throw new AgentwatchError("storageUnavailable", "Elasticsearch storage is stopped");
    try {
      return await run();
    } catch (err) {
      if (err instanceof AgentwatchError) throw err;
      const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
      const reason =
        err instanceof errors.ResponseError
          ? `${status} ${err.body?.error?.type ?? ""}: ${err.body?.error?.reason ?? err.message}`
          : (err as Error).message;
      throw new AgentwatchError("storageUnavailable", `Elasticsearch could not ${what}: ${reason}`, {
        cause: err,
        retryable: status === undefined || status === 429 || status >= 500,
        retryAfterSeconds: 1,
      });
    }
  }
}

interface AgentDoc {
  agent_id: string;
  state?: Omit<AgentState, "first_seen" | "last_seen">;
  first_seen?: string;
  last_seen?: string;
}

function agentFromDoc(id: string, doc: AgentDoc): AgentState {
  return {
    agent_id: id,
    state: doc.state?.state ?? "active",
    since: doc.state?.since ?? null,
    by: doc.state?.by ?? null,
    reason: doc.state?.reason ?? null,
    incident_id: doc.state?.incident_id ?? null,
    control: doc.state?.control ?? null,
    first_seen: doc.first_seen ?? null,
    last_seen: doc.last_seen ?? null,
  };
}

/** The [from, to) filter on `time`, or nothing when neither bound is given. */
function timeRange(from: number | undefined, to: number | undefined, field = "time"): unknown[] {
  if (from === undefined && to === undefined) return [];
  return [
    {
      range: {
        [field]: { ...(from !== undefined ? { gte: from } : {}), ...(to !== undefined ? { lt: to } : {}) },
      },
    },
  ];
}

/** A delivery as stored: the fields the outbox queries on, and the record. */
function deliveryDoc(delivery: Delivery) {
  return {
    id: delivery.id,
    status: delivery.status,
    supersede_key: delivery.supersede_key,
    next_attempt_at: delivery.next_attempt_at,
    priority: delivery.priority ?? 1,
    record: delivery,
  };
}
