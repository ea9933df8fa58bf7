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
  count,
  dimension,
  getJson,
  isRecord,
  MAX_BUCKETS,
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
}

/** The documented answer as UsageRows; a body of another shape is a deliveryRejected error. */
export function parseAnthropicUsage(body: unknown): UsagePage {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new AgentwatchError("deliveryRejected", `${WHAT}: the answer has no data array`);
  }
  const rows: UsageRow[] = [];
  for (const bucket of body.data) {
    if (!isRecord(bucket) || !Array.isArray(bucket.results)) {
      throw new AgentwatchError("deliveryRejected", `${WHAT}: a bucket has no results array`);
    }
    const bucketStart = Date.parse(String(bucket.starting_at));
    const bucketEnd = Date.parse(String(bucket.ending_at));
    if (!Number.isFinite(bucketStart) || !Number.isFinite(bucketEnd) || bucketEnd <= bucketStart) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${WHAT}: a bucket's starting_at/ending_at are not RFC 3339 times in order`,
      );
    }
    for (const result of bucket.results) {
      if (!isRecord(result))
        throw new AgentwatchError("deliveryRejected", `${WHAT}: a result is not an object`);
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
    }
  }
  const more = body.has_more === true;
  const next = typeof body.next_page === "string" && body.next_page !== "" ? body.next_page : undefined;
  if (more && next === undefined) {
    throw new AgentwatchError("deliveryRejected", `${WHAT}: has_more is true but next_page is missing`);
  }
  return { rows, nextPage: more ? next : undefined };
}
