/**
 * OpenAI's organization usage (GET /v1/organization/usage/completions): `Authorization: Bearer`
 * with an admin key; query `start_time` and `end_time` (unix seconds, the end exclusive),
 * `bucket_width` (1m, 1h, 1d), `group_by` (repeated: api_key_id, model, project_id here), `limit`
 * (buckets per page, at most 1440 / 168 / 31) and `page` (the previous answer's `next_page`). The
 * answer: `{object: "page", data[], has_more, next_page}`, each bucket
 * `{object: "bucket", start_time, end_time, results[]}`, each result
 * `{object: "organization.usage.completions.result", input_tokens (cached included),
 * input_cached_tokens, output_tokens, num_model_requests, project_id, user_id, api_key_id, model,
 * batch}` with the dimensions not grouped by null.
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

export const OPENAI_API_URL = "https://api.openai.com";
const WHAT = "openai organization usage";

export class OpenAIUsageClient implements UsageClient {
  readonly type = "openai" as const;
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
    const url = new URL("/v1/organization/usage/completions", this.#o.apiUrl);
    const query = url.searchParams;
    query.set("start_time", String(Math.floor(from / 1000)));
    query.set("end_time", String(Math.floor(to / 1000)));
    query.set("bucket_width", width);
    for (const field of ["api_key_id", "model", "project_id"]) query.append("group_by", field);
    query.set("limit", String(MAX_BUCKETS[width]));
    if (page !== undefined) query.set("page", page);
    const body = await getJson(
      url.toString(),
      { authorization: `Bearer ${this.#o.adminKey.reveal()}` },
      this.#o.timeoutMs,
      WHAT,
    );
    return parseOpenAIUsage(body);
  }

  /**
   * GET /v1/organization/costs: daily buckets only, grouped here by `project_id`, `line_item` and
   * `api_key_id`; each result's `amount` is `{value, currency}` in dollars ("usd"). `limit` at most 180.
   */
  async costPage(from: number, to: number, page: string | undefined): Promise<CostPage> {
    const url = new URL("/v1/organization/costs", this.#o.apiUrl);
    const query = url.searchParams;
    query.set("start_time", String(Math.floor(from / 1000)));
    query.set("end_time", String(Math.floor(to / 1000)));
    query.set("bucket_width", "1d");
    for (const field of ["project_id", "line_item", "api_key_id"]) query.append("group_by", field);
    query.set("limit", String(MAX_COST_BUCKETS.openai));
    if (page !== undefined) query.set("page", page);
    const body = await getJson(
      url.toString(),
      { authorization: `Bearer ${this.#o.adminKey.reveal()}` },
      this.#o.timeoutMs,
      COST,
    );
    return parseOpenAICost(body);
  }
}

export function parseOpenAIUsage(body: unknown): UsagePage {
  const rows: UsageRow[] = [];
  const nextPage = eachBucket(body, WHAT, (bucketStart, bucketEnd, result) => {
    rows.push({
      bucketStart,
      bucketEnd,
      apiKeyId: dimension(result, "api_key_id", WHAT),
      model: dimension(result, "model", WHAT),
      workspaceId: dimension(result, "project_id", WHAT),
      inputTokens: count(result, "input_tokens", WHAT),
      outputTokens: count(result, "output_tokens", WHAT),
      cachedInputTokens: count(result, "input_cached_tokens", WHAT),
      cacheCreationTokens: 0,
      requests: count(result, "num_model_requests", WHAT),
    });
  });
  return { rows, nextPage };
}

const COST = "openai organization costs";

export function parseOpenAICost(body: unknown): CostPage {
  const rows: CostRow[] = [];
  const nextPage = eachBucket(body, COST, (bucketStart, bucketEnd, result) => {
    const amount = isRecord(result.amount) ? result.amount : undefined;
    const value = amount?.value;
    const currency = typeof amount?.currency === "string" ? amount.currency : "usd";
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${COST}: amount.value ${JSON.stringify(value)} is not an amount`,
      );
    }
    if (currency.toLowerCase() !== "usd") {
      throw new AgentwatchError("deliveryRejected", `${COST}: currency ${currency}, only usd is understood`);
    }
    rows.push({
      bucketStart,
      bucketEnd,
      apiKeyId: dimension(result, "api_key_id", COST),
      workspaceId: dimension(result, "project_id", COST),
      item: dimension(result, "line_item", COST),
      usd: value,
    });
  });
  return { rows, nextPage };
}

/** Walks `data[].results[]` of an OpenAI page (unix-second buckets); returns the next page's token. */
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
    const start = bucket.start_time;
    const end = bucket.end_time;
    if (typeof start !== "number" || typeof end !== "number" || !Number.isInteger(start) || end <= start) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${what}: a bucket's start_time/end_time are not unix seconds in order`,
      );
    }
    for (const result of bucket.results) {
      if (!isRecord(result))
        throw new AgentwatchError("deliveryRejected", `${what}: a result is not an object`);
      visit(start * 1000, end * 1000, result);
    }
  }
  const more = body.has_more === true;
  const next = typeof body.next_page === "string" && body.next_page !== "" ? body.next_page : undefined;
  if (more && next === undefined) {
    throw new AgentwatchError("deliveryRejected", `${what}: has_more is true but next_page is missing`);
  }
  return more ? next : undefined;
}
