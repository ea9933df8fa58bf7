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
import { BUCKET_MS, type UsageClient, type UsageRow } from "./usage-api.ts";

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

export interface PollerOptions {
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
    this.#consumer = `provider:${options.provider.name}:usage`;
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
          `provider ${this.#o.provider.name}: its usage cursor has version ${state.version}, this agentwatch reads ${STATE_VERSION}`,
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
    const width = BUCKET_MS[this.#o.provider.bucket_width];
    const now = this.#now();
    const state = this.#state ?? {
      version: STATE_VERSION,
      cursor: Math.floor((now - this.#o.provider.backfill) / width) * width,
      emitted: {},
    };
    const to = Math.floor(now / width) * width + width;
    const rows: UsageRow[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const answer = await this.#o.client.usagePage(state.cursor, to, this.#o.provider.bucket_width, page);
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

    const emitted = { ...state.emitted };
    const events: AgentEvent[] = [];
    const receivedAt = new Date(now).toISOString();
    for (const row of rows) {
      if (row.bucketStart < state.cursor) continue; // final already (a provider that ignored starting_at)
      const group = `${row.bucketStart}|${row.apiKeyId ?? ""}|${row.model ?? ""}|${row.workspaceId ?? ""}`;
      const before = emitted[group] ?? [0, 0, 0];
      const after: [number, number, number] = [
        Math.max(before[0], row.inputTokens),
        Math.max(before[1], row.outputTokens),
        Math.max(before[2], row.cachedInputTokens),
      ];
      emitted[group] = after;
      if (after[0] === before[0] && after[1] === before[1]) continue;
      events.push(this.#event(row, group, after, before[0] + before[1] > 0));
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
      this.#o.metrics.providerEvents.inc({ provider: this.#o.provider.name }, valid.length);
    }
    const latest = rows.reduce((m, r) => Math.max(m, r.bucketStart), Number.NEGATIVE_INFINITY);
    if (Number.isFinite(latest))
      this.#o.metrics.providerLatestBucket.set({ provider: this.#o.provider.name }, latest / 1000);

    // Buckets older than the re-read window are final: the cursor moves past them.
    const cursor = Math.max(state.cursor, Math.floor((now - this.#o.provider.reread) / width) * width);
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

  #event(row: UsageRow, group: string, totals: [number, number, number], revision: boolean): AgentEvent {
    const provider = this.#o.provider;
    const id = `prov-${createHash("sha256")
      .update(`${provider.name}\u0000${group}\u0000${totals.join(",")}`)
      .digest("hex")
      .slice(0, 40)}`;
    return {
      id,
      time: new Date(row.bucketStart).toISOString(),
      type: "llm_usage",
      agent_id: agentForKey(provider, row.apiKeyId),
      usage: {
        provider: provider.type,
        model: row.model ?? "unknown",
        input_tokens: totals[0],
        output_tokens: totals[1],
        ...(row.apiKeyId !== null ? { api_key_id: row.apiKeyId } : {}),
      },
      attributes: {
        reported_by: "provider",
        provider: provider.name,
        bucket_width: provider.bucket_width,
        bucket_start: new Date(row.bucketStart).toISOString(),
        bucket_end: new Date(row.bucketEnd).toISOString(),
        cached_input_tokens: totals[2],
        cumulative: true,
        ...(row.workspaceId !== null ? { workspace_id: row.workspaceId } : {}),
        ...(row.apiKeyId === null ? { api_key: "none" } : {}),
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
    let delay = this.#o.provider.poll_interval;
    try {
      await this.pollOnce();
      this.#o.metrics.providerPolls.inc({ provider: name, outcome: "ok" });
      if (this.#lastFailure !== undefined)
        this.#o.logger.info({ provider: name }, "provider usage readable again");
      this.#lastFailure = undefined;
      this.#unauthorizedReported = false;
      this.#backoffMs = 0;
    } catch (err) {
      const error =
        err instanceof AgentwatchError ? err : new AgentwatchError("internal", String(err), { cause: err });
      if (error.code === "providerUnauthorized") {
        this.#o.metrics.providerPolls.inc({ provider: name, outcome: "unauthorized" });
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
