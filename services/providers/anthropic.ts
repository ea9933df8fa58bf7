/**
 * Anthropic's Admin API usage report (GET /v1/organizations/usage_report/messages): headers
 * `x-api-key` (an Admin API key) and `anthropic-version: 2023-06-01`; query `starting_at` and
 * `ending_at` (RFC 3339; buckets that start on or after the one and end before the other, snapped
 * to the minute, hour or day in UTC), `bucket_width`, `group_by[]` (api_key_id, model,
 * workspace_id here), `limit` (buckets per page, at most 1440 / 168 / 31 for 1m / 1h / 1d) and
 * `page` (the previous answer's `next_page`). The answer: `data[]` of buckets
 * `{starting_at, ending_at, results[]}`, each result with `uncached_input_tokens`,
 * `cache_creation.{ephemeral_1h_input_tokens, ephemeral_5m_input_tokens}`,
 * `cache_read_input_tokens`, `output_tokens`, `server_tool_use` and the grouped dimensions (null
 * when not grouped; `api_key_id` null for usage from the Console), then `has_more` and `next_page`.
 */

import { AgentwatchError } from "../runtime/errors.ts";
import {
  type BucketWidth,
  type ClientOptions,
  type CostPage,
  type CostRow,
  count,
  dimension,
  getJson,
  isRecord,
  MAX_BUCKETS,
  MAX_COST_BUCKETS,
  type UsageClient,
  type UsagePage,
  type UsageRow,
} from "./usage-api.ts";

export const ANTHROPIC_API_URL = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
const WHAT = "anthropic usage_report";

export class AnthropicUsageClient implements UsageClient {
  readonly type = "anthropic" as const;
  readonly #o: ClientOptions;

  constructor(options: ClientOptions) {
    this.#o = options;
  }

  async usagePage(
    from: number,
    to: number,
    width: BucketWidth,
    page: string | undefined,
  ): Promise<UsagePage> {
    const url = new URL("/v1/organizations/usage_report/messages", this.#o.apiUrl);
    const query = url.searchParams;
    query.set("starting_at", new Date(from).toISOString());
    query.set("ending_at", new Date(to).toISOString());
    query.set("bucket_width", width);
    for (const field of ["api_key_id", "model", "workspace_id"]) query.append("group_by[]", field);
    query.set("limit", String(MAX_BUCKETS[width]));
    if (page !== undefined) query.set("page", page);
    const body = await getJson(
      url.toString(),
      { "x-api-key": this.#o.adminKey.reveal(), "anthropic-version": ANTHROPIC_VERSION },
      this.#o.timeoutMs,
      WHAT,
    );
    return parseAnthropicUsage(body);
  }

  costPage(from: number, to: number, page: string | undefined): Promise<CostPage> {
    return anthropicCostPage(this.#o, from, to, page);
  }
}

/**
 * Anthropic's cost report (GET /v1/organizations/cost_report): daily buckets only, grouped here by
 * `workspace_id` and `description`; each result's `amount` is a decimal string in the currency's
 * lowest unit (cents: "123.45" is $1.23) with `currency` "USD".
 */
export async function anthropicCostPage(
  options: ClientOptions,
  from: number,
  to: number,
  page: string | undefined,
): Promise<CostPage> {
  const url = new URL("/v1/organizations/cost_report", options.apiUrl);
  const query = url.searchParams;
  query.set("starting_at", new Date(from).toISOString());
  query.set("ending_at", new Date(to).toISOString());
  query.set("bucket_width", "1d");
  for (const field of ["workspace_id", "description"]) query.append("group_by[]", field);
  query.set("limit", String(MAX_COST_BUCKETS.anthropic));
  if (page !== undefined) query.set("page", page);
  const body = await getJson(
    url.toString(),
    { "x-api-key": options.adminKey.reveal(), "anthropic-version": ANTHROPIC_VERSION },
    options.timeoutMs,
    COST,
  );
  return parseAnthropicCost(body);
}

const COST = "anthropic cost_report";

export function parseAnthropicCost(body: unknown): CostPage {
  const rows: CostRow[] = [];
  const page = eachBucket(body, COST, (bucketStart, bucketEnd, result) => {
    const currency = dimension(result, "currency", COST) ?? "USD";
    if (currency.toUpperCase() !== "USD") {
      throw new AgentwatchError("deliveryRejected", `${COST}: currency ${currency}, only USD is understood`);
    }
    const amount = Number(result.amount);
    if (typeof result.amount !== "string" || !Number.isFinite(amount) || amount < 0) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${COST}: amount ${JSON.stringify(result.amount)} is not a decimal string`,
      );
    }
    rows.push({
      bucketStart,
      bucketEnd,
      apiKeyId: null,
      workspaceId: dimension(result, "workspace_id", COST),
      item: dimension(result, "description", COST),
      usd: amount / 100,
    });
  });
  return { rows, nextPage: page };
}

/** Walks `data[].results[]` of an Anthropic report; returns the next page's token. */
function eachBucket(
  body: unknown,
  what: string,
  visit: (start: number, end: number, result: Record<string, unknown>) => void,
): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new AgentwatchError("deliveryRejected", `${what}: the answer has no data array`);
  }
  for (const bucket of body.data) {
    if (!isRecord(bucket) || !Array.isArray(bucket.results)) {
      throw new AgentwatchError("deliveryRejected", `${what}: a bucket has no results array`);
    }
    const start = Date.parse(String(bucket.starting_at));
    const end = Date.parse(String(bucket.ending_at));
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${what}: a bucket's starting_at/ending_at are not RFC 3339 times in order`,
      );
    }
    for (const result of bucket.results) {
      if (!isRecord(result))
        throw new AgentwatchError("deliveryRejected", `${what}: a result is not an object`);
      visit(start, end, result);
    }
  }
  const more = body.has_more === true;
  const next = typeof body.next_page === "string" && body.next_page !== "" ? body.next_page : undefined;
  if (more && next === undefined) {
    throw new AgentwatchError("deliveryRejected", `${what}: has_more is true but next_page is missing`);
  }
  return more ? next : undefined;
}

/** The documented answer as UsageRows; a body of another shape is a deliveryRejected error. */
export function parseAnthropicUsage(body: unknown): UsagePage {
  const rows: UsageRow[] = [];
  const nextPage = eachBucket(body, WHAT, (bucketStart, bucketEnd, result) => {
    const cache = isRecord(result.cache_creation) ? result.cache_creation : {};
    const uncached = count(result, "uncached_input_tokens", WHAT);
    const created =
      count(cache, "ephemeral_1h_input_tokens", WHAT) + count(cache, "ephemeral_5m_input_tokens", WHAT);
    const read = count(result, "cache_read_input_tokens", WHAT);
    rows.push({
      bucketStart,
      bucketEnd,
      apiKeyId: dimension(result, "api_key_id", WHAT),
      model: dimension(result, "model", WHAT),
      workspaceId: dimension(result, "workspace_id", WHAT),
      inputTokens: uncached + created + read,
      outputTokens: count(result, "output_tokens", WHAT),
      cachedInputTokens: read,
      cacheCreationTokens: created,
      requests: null,
    });
  });
  return { rows, nextPage };
}
