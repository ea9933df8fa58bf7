/**
 * Reads one provider's organization usage (the collector role runs one poller per configured
 * provider) and appends each bucket's rows to the events topic as `llm_usage` events with
 * `attributes.reported_by: "provider"`, so the detectors see a key's usage from the provider's
 * side too, also where no agent reports it (a leaked key used from elsewhere).
 *
 * Each bucket becomes events once, and a bucket the provider revises is never counted twice:
 * - a cursor (storage checkpoint `provider:<name>:usage`) marks where the buckets not yet final
 *   start; each poll reads from it to now, all pages;
 * - an event carries its bucket and group's totals so far (`attributes.cumulative`); one is
 *   appended when a row is new or its totals rose since the last one (kept with the cursor); the
 *   detector runner counts only what each adds over the highest totals counted for its bucket
 *   and group (services/detector/provider-usage.ts), whoever appended them and in whatever order;
 * - buckets older than `reread` are final: the cursor moves past them and their rows are dropped;
 * - event ids are derived from the provider, bucket, group and totals, so a second collector, or
 *   a restart that lost its checkpoint's last write, appends the same ids, which the bus drops.
 *
 * Failures: 429 and 5xx wait for Retry-After, or back off from 1 s to 5 min; a refused admin key
 * (401, 403) is logged once as an error, counted every time, and tried again every 10 minutes;
 * an answer of another shape is logged and tried again at the backoff. Nothing advances the
 * cursor but events durably appended. The admin key is never logged or stored.
 */

import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { EventValidator } from "../collector/event-schema.ts";
import { type Bus, Topics } from "../runtime/bus/bus.ts";
import type { Config, ProviderConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { AgentEvent, IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { BUCKET_MS, type CostRow, type UsageClient, type UsageRow } from "./usage-api.ts";

const STATE_VERSION = 1;
const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
const UNAUTHORIZED_RETRY_MS = 10 * 60_000;

/** What a poller keeps between polls (and across restarts, in its checkpoint). */
export interface PollerState {
  version: number;
  /** Epoch ms: buckets that start before it are final and not read again. */
  cursor: number;
  /** Per bucket and group since the cursor: [input, output, cached input] tokens emitted so far. */
  emitted: Record<string, [number, number, number]>;
}

/** Which of a provider's reports a poller reads: token usage (fine buckets) or cost (days). */
export type Report = "usage" | "cost";

const DAY_MS = 86_400_000;

/** One group's totals in one bucket, read from a report, and the event that states them. */
interface Reading {
  bucketStart: number;
  /** Bucket start, then the group's dimensions: what a bucket's totals are kept under. */
  group: string;
  /** Usage: [input, output, cached input] tokens; cost: [micro-dollars, 0, 0]. */
  totals: [number, number, number];
  event(id: string, totals: [number, number, number], revision: boolean): AgentEvent;
}

export interface PollerOptions {
  /** Default "usage". */
  report?: Report;
  provider: ProviderConfig;
  client: UsageClient;
  bus: Bus;
  storage: Storage;
  logger: Logger;
  metrics: Metrics;
  limits: Config["limits"];
  now?: () => number;
}

/** The agent a provider's rows for `apiKeyId` are reported under: the mapped one, else `provider:<name>`. */
export function agentForKey(provider: ProviderConfig, apiKeyId: string | null): string {
  const mapped = apiKeyId === null ? undefined : provider.keys.find((k) => k.id === apiKeyId)?.agent;
  return mapped ?? `provider:${provider.name}`;
}

export class UsagePoller {
  readonly #o: PollerOptions;
  readonly #now: () => number;
  readonly #validator: EventValidator;
  readonly #consumer: string;
  readonly #report: Report;
  #state: PollerState | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #backoffMs = 0;
  #unauthorizedReported = false;
  #lastFailure: string | undefined;

  constructor(options: PollerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#report = options.report ?? "usage";
    this.#consumer = `provider:${options.provider.name}:${this.#report}`;
    this.#validator = new EventValidator({
      maxTextBytes: options.limits.max_text_bytes,
      maxAttributesBytes: options.limits.max_attributes_bytes,
      maxToolArgumentsBytes: options.limits.max_tool_arguments_bytes,
      maxAheadMs: options.limits.max_event_time_ahead,
      maxBehindMs: options.limits.max_event_time_behind,
    });
  }

  /** Loads the cursor and starts polling now, then every poll_interval. */
  async start(): Promise<void> {
    await this.restore();
    this.#schedule(0);
  }

  /** Loads the cursor and what was emitted since it from the checkpoint (start does this). */
  async restore(): Promise<void> {
    const saved = await this.#o.storage.loadCheckpoint(this.#consumer, 0);
    if (saved) {
      const state = JSON.parse(saved.state) as PollerState;
      if (state.version !== STATE_VERSION) {
        throw new AgentwatchError(
          "configInvalid",
          `provider ${this.#o.provider.name}: its ${this.#report} cursor has version ${state.version}, this agentwatch reads ${STATE_VERSION}`,
        );
      }
      this.#state = state;
    }
  }

  /** Stops polling; waits for a poll in flight (which saves its cursor). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One poll, now (tests, `agentwatch providers check`): resolves with how many events it appended. */
  async pollOnce(): Promise<number> {
    const provider = this.#o.provider;
    const cost = this.#report === "cost";
    // Cost reports come in days, revised for a day or two; usage in the configured width.
    const width = cost ? DAY_MS : BUCKET_MS[provider.bucket_width];
    const now = this.#now();
    // A day's cost counts toward that day's caps: on a first start, cost is read from the day's start.
    const backfill = cost ? Math.max(provider.backfill, now % DAY_MS) : provider.backfill;
    const reread = cost ? Math.max(provider.reread, 2 * DAY_MS) : provider.reread;
    const state = this.#state ?? {
      version: STATE_VERSION,
      cursor: Math.floor((now - backfill) / width) * width,
      emitted: {},
    };
    const to = Math.floor(now / width) * width + width;
    const readings = cost ? await this.#readCost(state.cursor, to) : await this.#readUsage(state.cursor, to);

    const emitted = { ...state.emitted };
    const events: AgentEvent[] = [];
    const receivedAt = new Date(now).toISOString();
    for (const reading of readings) {
      if (reading.bucketStart < state.cursor) continue; // final already (a provider that ignored the start)
      const before = emitted[reading.group] ?? [0, 0, 0];
      const after: [number, number, number] = [
        Math.max(before[0], reading.totals[0]),
        Math.max(before[1], reading.totals[1]),
        Math.max(before[2], reading.totals[2]),
      ];
      emitted[reading.group] = after;
      if (after[0] === before[0] && after[1] === before[1]) continue;
      const id = `prov-${createHash("sha256")
        .update(`${provider.name}\u0000${this.#report}\u0000${reading.group}\u0000${after.join(",")}`)
        .digest("hex")
        .slice(0, 40)}`;
      events.push(reading.event(id, after, before[0] + before[1] > 0));
    }

    if (events.length > 0) {
      const valid: IngestedEvent[] = [];
      for (const event of events) {
        const result = this.#validator.validate(event, now);
        if (!result.ok) {
          // A row agentwatch cannot represent (a model name past the limits, a bucket older than
          // max_event_time_behind): logged and skipped, never a stuck poller.
          this.#o.logger.warn(
            { provider: this.#o.provider.name, event_id: event.id, error: result.error },
            "provider usage row skipped",
          );
          continue;
        }
        valid.push({
          event: result.event,
          received_at: receivedAt,
          token: `provider:${this.#o.provider.name}`,
        });
      }
      if (valid.length > 0) {
        await this.#o.bus.append(
          Topics.events,
          valid.map((ingested) => ({
            key: ingested.event.agent_id,
            dedupeId: `${ingested.event.agent_id}/${ingested.event.id}`,
            value: JSON.stringify(ingested),
          })),
        );
      }
      this.#o.metrics.providerEvents.inc(
        { provider: this.#o.provider.name, report: this.#report },
        valid.length,
      );
    }
    const latest = readings.reduce((m, r) => Math.max(m, r.bucketStart), Number.NEGATIVE_INFINITY);
    if (Number.isFinite(latest) && !cost)
      this.#o.metrics.providerLatestBucket.set({ provider: this.#o.provider.name }, latest / 1000);

    // Buckets older than the re-read window are final: the cursor moves past them.
    const cursor = Math.max(state.cursor, Math.floor((now - reread) / width) * width);
    for (const group of Object.keys(emitted)) {
      if (Number(group.slice(0, group.indexOf("|"))) < cursor) delete emitted[group];
    }
    const next: PollerState = { version: STATE_VERSION, cursor, emitted };
    await this.#o.storage.saveCheckpoint({
      consumer: this.#consumer,
      partition: 0,
      offset: cursor,
      state: JSON.stringify(next),
      saved_at: now,
    });
    this.#state = next;
    return events.length;
  }

  /** Every page of a report, from `from` to `to`. */
  async #pages<Row>(
    fetch: (page: string | undefined) => Promise<{ rows: Row[]; nextPage: string | undefined }>,
  ): Promise<Row[]> {
    const rows: Row[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const answer = await fetch(page);
      rows.push(...answer.rows);
      page = answer.nextPage;
      pages += 1;
      if (pages > 10_000) {
        throw new AgentwatchError(
          "deliveryRejected",
          `provider ${this.#o.provider.name}: more than 10,000 pages in one read`,
        );
      }
    } while (page !== undefined);
    return rows;
  }

  async #readUsage(from: number, to: number): Promise<Reading[]> {
    const provider = this.#o.provider;
    const rows = await this.#pages((page) => this.#o.client.usagePage(from, to, provider.bucket_width, page));
    return rows.map((row) => ({
      bucketStart: row.bucketStart,
      group: `${row.bucketStart}|${row.apiKeyId ?? ""}|${row.model ?? ""}|${row.workspaceId ?? ""}`,
      totals: [row.inputTokens, row.outputTokens, row.cachedInputTokens],
      event: (id, totals, revision) => this.#usageEvent(row, id, totals, revision),
    }));
  }

  async #readCost(from: number, to: number): Promise<Reading[]> {
    const rows = await this.#pages((page) => this.#o.client.costPage(from, to, page));
    // Micro-dollars: whole numbers, so totals compare exactly.
    return rows.map((row) => ({
      bucketStart: row.bucketStart,
      group: `${row.bucketStart}|${row.apiKeyId ?? ""}|${row.item ?? ""}|${row.workspaceId ?? ""}`,
      totals: [Math.round(row.usd * 1e6), 0, 0],
      event: (id, totals, revision) => this.#costEvent(row, id, totals, revision),
    }));
  }

  #usageEvent(row: UsageRow, id: string, totals: [number, number, number], revision: boolean): AgentEvent {
    return this.#event(
      row,
      id,
      revision,
      {
        model: row.model ?? "unknown",
        input_tokens: totals[0],
        output_tokens: totals[1],
      },
      {
        bucket_width: this.#o.provider.bucket_width,
        cached_input_tokens: totals[2],
        ...(row.apiKeyId === null ? { api_key: "none" } : {}),
      },
    );
  }

  /**
   * A day's cost so far for a group (workspace or project, line item, key): an llm_usage event
   * with no tokens and `cost_usd`, `attributes.report: "cost"`. It counts for workspace and
   * project spend caps only (detectors/spend-cap.ts): a key's spend is its usage, priced.
   */
  #costEvent(row: CostRow, id: string, totals: [number, number, number], revision: boolean): AgentEvent {
    return this.#event(
      row,
      id,
      revision,
      { model: row.item ?? "cost", input_tokens: 0, output_tokens: 0, cost_usd: totals[0] / 1e6 },
      { report: "cost", bucket_width: "1d", ...(row.item !== null ? { line_item: row.item } : {}) },
    );
  }

  /** The event of a bucket row: what every provider record says, and what its report adds. */
  #event(
    row: Pick<UsageRow, "bucketStart" | "bucketEnd" | "apiKeyId" | "workspaceId">,
    id: string,
    revision: boolean,
    usage: { model: string; input_tokens: number; output_tokens: number; cost_usd?: number },
    attributes: Record<string, unknown>,
  ): AgentEvent {
    const provider = this.#o.provider;
    return {
      id,
      time: new Date(row.bucketStart).toISOString(),
      type: "llm_usage",
      agent_id: agentForKey(provider, row.apiKeyId),
      usage: {
        provider: provider.type,
        ...usage,
        ...(row.apiKeyId !== null ? { api_key_id: row.apiKeyId } : {}),
      },
      attributes: {
        reported_by: "provider",
        provider: provider.name,
        bucket_start: new Date(row.bucketStart).toISOString(),
        bucket_end: new Date(row.bucketEnd).toISOString(),
        cumulative: true,
        ...attributes,
        ...(row.workspaceId !== null ? { workspace_id: row.workspaceId } : {}),
        ...(revision ? { revision: true } : {}),
      },
    } as AgentEvent;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#poll().finally(() => {
        this.#running = undefined;
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const name = this.#o.provider.name;
    let delay =
      this.#report === "cost" ? this.#o.provider.cost_poll_interval : this.#o.provider.poll_interval;
    try {
      await this.pollOnce();
      this.#o.metrics.providerPolls.inc({ provider: name, report: this.#report, outcome: "ok" });
      if (this.#lastFailure !== undefined)
        this.#o.logger.info({ provider: name }, "provider usage readable again");
      this.#lastFailure = undefined;
      this.#unauthorizedReported = false;
      this.#backoffMs = 0;
    } catch (err) {
      const error =
        err instanceof AgentwatchError ? err : new AgentwatchError("internal", String(err), { cause: err });
      if (error.code === "providerUnauthorized") {
        this.#o.metrics.providerPolls.inc({ provider: name, report: this.#report, outcome: "unauthorized" });
        if (!this.#unauthorizedReported) {
          this.#o.logger.error(
            { provider: name, error: error.message },
            "provider refused the admin key; trying again every 10 minutes",
          );
          this.#unauthorizedReported = true;
        }
        delay = Math.max(delay, UNAUTHORIZED_RETRY_MS);
      } else {
        this.#o.metrics.providerPolls.inc({
          provider: name,
          report: this.#report,
          outcome: error.retryable ? "unavailable" : "rejected",
        });
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.#backoffMs * 2));
        delay = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : this.#backoffMs;
        if (this.#lastFailure !== error.message) {
          this.#o.logger.warn(
            { provider: name, error: error.message, retry_in_ms: delay },
            "provider usage read failed",
          );
        }
      }
      this.#lastFailure = error.message;
    }
    this.#schedule(delay);
  }
}
