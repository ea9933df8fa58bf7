/**
 * OpenAI's organization usage and costs, as documented: `Authorization: Bearer` with an admin
 * key; `start_time` and `end_time` (unix seconds, the end exclusive), `bucket_width`, `group_by`
 * (repeated), `limit` (buckets per page) and `page` (the previous answer's `next_page`); answers
 * `{object: "page", data[], has_more, next_page}`, each bucket `{object: "bucket", start_time,
 * end_time, results[]}`, the dimensions not grouped by null.
 *
 * - Usage (GET /v1/organization/usage/completions), grouped by api_key_id, model and project_id:
 *   `input_tokens` (cached included), `input_cached_tokens`, `output_tokens`, `num_model_requests`.
 * - Costs (GET /v1/organization/costs), 1d buckets only, at most 180 a page, grouped by
 *   project_id, line_item and api_key_id: `amount: {value, currency}` in dollars ("usd").
 */

import type { Secret } from "../../lib/secret.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import { count, dimension, isRecord, type ProviderDialect } from "./usage-api.ts";

const USAGE = "openai organization usage";
const COST = "openai organization costs";

export const openai: ProviderDialect = {
  type: "openai",
  apiUrl: "https://api.openai.com",
  range: (from, to) => ({
    start_time: String(Math.floor(from / 1000)),
    end_time: String(Math.floor(to / 1000)),
  }),
  groupParam: "group_by",
  headers: (adminKey: Secret) => ({ authorization: `Bearer ${adminKey.reveal()}` }),
  bucketTimes: (bucket) => {
    const { start_time: start, end_time: end } = bucket;
    return typeof start === "number" && typeof end === "number" && Number.isInteger(start)
      ? [start * 1000, end * 1000]
      : undefined;
  },
  usage: {
    path: "/v1/organization/usage/completions",
    what: USAGE,
    groupBy: ["api_key_id", "model", "project_id"],
    row: (result, bucketStart, bucketEnd) => ({
      bucketStart,
      bucketEnd,
      apiKeyId: dimension(result, "api_key_id", USAGE),
      model: dimension(result, "model", USAGE),
      workspaceId: dimension(result, "project_id", USAGE),
      inputTokens: count(result, "input_tokens", USAGE),
      outputTokens: count(result, "output_tokens", USAGE),
      cachedInputTokens: count(result, "input_cached_tokens", USAGE),
      cacheCreationTokens: 0,
      requests: count(result, "num_model_requests", USAGE),
    }),
  },
  cost: {
    path: "/v1/organization/costs",
    what: COST,
    groupBy: ["project_id", "line_item", "api_key_id"],
    maxBuckets: 180,
    row: (result, bucketStart, bucketEnd) => {
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
        throw new AgentwatchError(
          "deliveryRejected",
          `${COST}: currency ${currency}, only usd is understood`,
        );
      }
      return {
        bucketStart,
        bucketEnd,
        apiKeyId: dimension(result, "api_key_id", COST),
        workspaceId: dimension(result, "project_id", COST),
        item: dimension(result, "line_item", COST),
        usd: value,
      };
    },
  },
};
