/**
 * What agentwatch reads from an LLM provider's organization usage API (Anthropic's Admin API
 * usage report, OpenAI's organization usage): token counts per time bucket, grouped by API key,
 * model and workspace or project. Each provider's client (anthropic.ts, openai.ts) follows its
 * documented parameters and shapes and turns its rows into UsageRow.
 *
 * The contract of a client: `usagePage` asks for one page of buckets that start in [from, to)
 * and resolves with its rows and the next page's token; it rejects with an AgentwatchError:
 * `providerUnauthorized` (401, 403: the admin key is wrong or lacks the scope; retried slowly),
 * `deliveryFailed` (network, timeout, 429 or 5xx: retryable, `retryAfterSeconds` from the
 * provider's Retry-After when it sent one), `deliveryRejected` (any other answer, or a body that
 * is not the documented shape: repeating will not fix it).
 */

import type { Secret } from "../../lib/secret.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import { failureReason } from "../runtime/outbound.ts";

export type BucketWidth = "1m" | "1h" | "1d";

export const BUCKET_MS: Record<BucketWidth, number> = { "1m": 60_000, "1h": 3_600_000, "1d": 86_400_000 };

/** The most buckets a page may ask for, per width (both providers document the same maxima). */
export const MAX_BUCKETS: Record<BucketWidth, number> = { "1m": 1440, "1h": 168, "1d": 31 };

/** One result row of one bucket: a group's usage in that bucket. */
export interface UsageRow {
  /** Epoch milliseconds, UTC. */
  bucketStart: number;
  bucketEnd: number;
  /** Null when the usage was not made with an API key (Anthropic's console) or not grouped. */
  apiKeyId: string | null;
  model: string | null;
  /** Anthropic's workspace, OpenAI's project. */
  workspaceId: string | null;
  /** Every input token: uncached, written to the cache and read from it. */
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, those read from the cache. */
  cachedInputTokens: number;
  /** Of inputTokens, those written to the cache (Anthropic). */
  cacheCreationTokens: number;
  /** OpenAI's num_model_requests; Anthropic does not report it. */
  requests: number | null;
}

export interface UsagePage {
  rows: UsageRow[];
  /** The token for the next page, undefined on the last. */
  nextPage: string | undefined;
}

/** One result row of one day of a cost report: what a group cost that day so far. */
export interface CostRow {
  bucketStart: number;
  bucketEnd: number;
  /** OpenAI groups costs by key; Anthropic does not (null). */
  apiKeyId: string | null;
  /** Anthropic's workspace, OpenAI's project. */
  workspaceId: string | null;
  /** Anthropic's description, OpenAI's line item. */
  item: string | null;
  /** US dollars (Anthropic reports cents, OpenAI dollars). */
  usd: number;
}

export interface CostPage {
  rows: CostRow[];
  nextPage: string | undefined;
}

export interface UsageClient {
  readonly type: "anthropic" | "openai";
  usagePage(from: number, to: number, width: BucketWidth, page: string | undefined): Promise<UsagePage>;
  /** One page of daily cost buckets that start in [from, to) (cost reports have 1d buckets only). */
  costPage(from: number, to: number, page: string | undefined): Promise<CostPage>;
}

/**
 * What differs between the providers' reports: how a range is asked for, how `group_by` is
 * spelled, the auth headers, how a bucket states its times, and how a result becomes a row. The
 * rest (the query, the call, the pages, the shape checks) is ReportClient's, for both.
 */
export interface ProviderDialect {
  readonly type: "anthropic" | "openai";
  /** The provider's own API URL (`api_url` overrides it). */
  readonly apiUrl: string;
  /** Query parameters of the buckets that start in [from, to). */
  range(from: number, to: number): Record<string, string>;
  /** `group_by[]` (Anthropic) or `group_by` (OpenAI), repeated per field. */
  readonly groupParam: string;
  headers(adminKey: Secret): Record<string, string>;
  /** A bucket's [start, end) in epoch ms, or undefined when its times are not the documented ones. */
  bucketTimes(bucket: Record<string, unknown>): [number, number] | undefined;
  readonly usage: ReportSpec<UsageRow>;
  readonly cost: ReportSpec<CostRow> & { maxBuckets: number };
}

export interface ReportSpec<Row> {
  path: string;
  /** Names the report in errors ("anthropic usage_report"). */
  what: string;
  groupBy: readonly string[];
  row(result: Record<string, unknown>, bucketStart: number, bucketEnd: number): Row;
}

/** A provider's usage client: the dialect says what is the provider's own. */
export class ReportClient implements UsageClient {
  readonly type: "anthropic" | "openai";
  readonly #dialect: ProviderDialect;
  readonly #o: ClientOptions;

  constructor(dialect: ProviderDialect, options: ClientOptions) {
    this.type = dialect.type;
    this.#dialect = dialect;
    this.#o = options;
  }

  async usagePage(
    from: number,
    to: number,
    width: BucketWidth,
    page: string | undefined,
  ): Promise<UsagePage> {
    const rows: UsageRow[] = [];
    const nextPage = await this.#read(this.#dialect.usage, from, to, width, MAX_BUCKETS[width], page, rows);
    return { rows, nextPage };
  }

  async costPage(from: number, to: number, page: string | undefined): Promise<CostPage> {
    const rows: CostRow[] = [];
    const spec = this.#dialect.cost;
    const nextPage = await this.#read(spec, from, to, "1d", spec.maxBuckets, page, rows);
    return { rows, nextPage };
  }

  async #read<Row>(
    spec: ReportSpec<Row>,
    from: number,
    to: number,
    width: BucketWidth,
    limit: number,
    page: string | undefined,
    rows: Row[],
  ): Promise<string | undefined> {
    const dialect = this.#dialect;
    const url = new URL(spec.path, this.#o.apiUrl);
    const query = url.searchParams;
    for (const [name, value] of Object.entries(dialect.range(from, to))) query.set(name, value);
    query.set("bucket_width", width);
    for (const field of spec.groupBy) query.append(dialect.groupParam, field);
    query.set("limit", String(limit));
    if (page !== undefined) query.set("page", page);
    const body = await getJson(
      url.toString(),
      dialect.headers(this.#o.adminKey),
      this.#o.timeoutMs,
      spec.what,
    );
    return walkBuckets(body, spec.what, dialect.bucketTimes, (start, end, result) =>
      rows.push(spec.row(result, start, end)),
    );
  }
}

/**
 * Walks `data[].results[]` of a provider's report (both providers page the same way: `has_more`
 * and `next_page`), checking the documented shape; returns the next page's token.
 */
export function walkBuckets(
  body: unknown,
  what: string,
  bucketTimes: ProviderDialect["bucketTimes"],
  visit: (start: number, end: number, result: Record<string, unknown>) => void,
): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new AgentwatchError("deliveryRejected", `${what}: the answer has no data array`);
  }
  for (const bucket of body.data) {
    if (!isRecord(bucket) || !Array.isArray(bucket.results)) {
      throw new AgentwatchError("deliveryRejected", `${what}: a bucket has no results array`);
    }
    const times = bucketTimes(bucket);
    if (times === undefined || times[1] <= times[0]) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${what}: a bucket's start and end are not the documented times in order`,
      );
    }
    for (const result of bucket.results) {
      if (!isRecord(result))
        throw new AgentwatchError("deliveryRejected", `${what}: a result is not an object`);
      visit(times[0], times[1], result);
    }
  }
  const more = body.has_more === true;
  const next = typeof body.next_page === "string" && body.next_page !== "" ? body.next_page : undefined;
  if (more && next === undefined) {
    throw new AgentwatchError("deliveryRejected", `${what}: has_more is true but next_page is missing`);
  }
  return more ? next : undefined;
}

export interface ClientOptions {
  apiUrl: string;
  adminKey: Secret;
  timeoutMs: number;
}

/**
 * GETs `url` (the admin key in `headers`, never in an error) and parses its JSON, rejecting as
 * the contract above says. `what` names the call in errors ("anthropic usage_report").
 */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  what: string,
): Promise<unknown> {
  // Errors name the endpoint, not its query.
  const query = url.indexOf("?");
  const shown = query < 0 ? url : url.slice(0, query);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", "user-agent": "agentwatch", ...headers },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    throw new AgentwatchError(
      "deliveryFailed",
      `${what}: GET ${shown} failed: ${failureReason(err, timeoutMs)}`,
      {
        cause: err,
      },
    );
  }
  const text = await response.text().catch(() => "");
  const snippet = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  if (response.status === 401 || response.status === 403) {
    throw new AgentwatchError(
      "providerUnauthorized",
      `${what}: GET ${shown} answered ${response.status} (the admin key is wrong, revoked or lacks the usage scope)${snippet ? `: ${snippet}` : ""}`,
      { details: { status: response.status } },
    );
  }
  if (response.status === 429 || response.status >= 500) {
    const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
    throw new AgentwatchError(
      "deliveryFailed",
      `${what}: GET ${shown} answered ${response.status}${snippet ? `: ${snippet}` : ""}`,
      {
        details: { status: response.status },
        ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      },
    );
  }
  if (!response.ok) {
    throw new AgentwatchError(
      "deliveryRejected",
      `${what}: GET ${shown} answered ${response.status}${snippet ? `: ${snippet}` : ""}`,
      {
        details: { status: response.status },
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AgentwatchError(
      "deliveryRejected",
      `${what}: GET ${shown} answered 200 with a body that is not JSON`,
      {
        cause: err,
      },
    );
  }
}

/** Retry-After in seconds (delta-seconds or an HTTP date), bounded to an hour; undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : (Date.parse(value) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(3600, Math.max(0, Math.ceil(seconds)));
}

/** A non-negative integer field of a provider row (absent or null: 0); anything else is a shape error. */
export function count(row: Record<string, unknown>, field: string, what: string): number {
  const value = row[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new AgentwatchError(
      "deliveryRejected",
      `${what}: ${field} is ${JSON.stringify(value)}, not a count`,
    );
  }
  return value;
}

/** A string-or-null dimension of a provider row. */
export function dimension(row: Record<string, unknown>, field: string, what: string): string | null {
  const value = row[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    throw new AgentwatchError(
      "deliveryRejected",
      `${what}: ${field} is ${JSON.stringify(value)}, not a string or null`,
    );
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
