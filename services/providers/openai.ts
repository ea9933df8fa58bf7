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
  count,
  dimension,
  getJson,
  isRecord,
  MAX_BUCKETS,
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
}

export function parseOpenAIUsage(body: unknown): UsagePage {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new AgentwatchError("deliveryRejected", `${WHAT}: the answer has no data array`);
  }
  const rows: UsageRow[] = [];
  for (const bucket of body.data) {
    if (!isRecord(bucket) || !Array.isArray(bucket.results)) {
      throw new AgentwatchError("deliveryRejected", `${WHAT}: a bucket has no results array`);
    }
    const start = bucket.start_time;
    const end = bucket.end_time;
    if (typeof start !== "number" || typeof end !== "number" || !Number.isInteger(start) || end <= start) {
      throw new AgentwatchError(
        "deliveryRejected",
        `${WHAT}: a bucket's start_time/end_time are not unix seconds in order`,
      );
    }
    for (const result of bucket.results) {
      if (!isRecord(result))
        throw new AgentwatchError("deliveryRejected", `${WHAT}: a result is not an object`);
      rows.push({
        bucketStart: start * 1000,
        bucketEnd: end * 1000,
        apiKeyId: dimension(result, "api_key_id", WHAT),
        model: dimension(result, "model", WHAT),
        workspaceId: dimension(result, "project_id", WHAT),
        inputTokens: count(result, "input_tokens", WHAT),
        outputTokens: count(result, "output_tokens", WHAT),
        cachedInputTokens: count(result, "input_cached_tokens", WHAT),
        cacheCreationTokens: 0,
        requests: count(result, "num_model_requests", WHAT),
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
