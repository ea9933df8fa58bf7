/**
 * Anthropic's Admin API usage and cost reports, as documented: headers `x-api-key` (an Admin API
 * key) and `anthropic-version: 2023-06-01`; `starting_at` and `ending_at` (RFC 3339; buckets that
 * start on or after the one and end before the other, snapped to the minute, hour or day in UTC),
 * `bucket_width`, `group_by[]`, `limit` (buckets per page) and `page` (the previous answer's
 * `next_page`); answers `{data[], has_more, next_page}`, each bucket `{starting_at, ending_at,
 * results[]}`, the dimensions not grouped by null (`api_key_id` null for Console usage).
 *
 * - Usage (GET /v1/organizations/usage_report/messages), grouped by api_key_id, model and
 *   workspace_id: `uncached_input_tokens`, `cache_creation.{ephemeral_1h_input_tokens,
 *   ephemeral_5m_input_tokens}`, `cache_read_input_tokens`, `output_tokens`, `server_tool_use`.
 * - Cost (GET /v1/organizations/cost_report), 1d buckets only, at most 31 a page, grouped by
 *   workspace_id and description: `amount` a decimal string in the currency's lowest unit (cents:
 *   "123.45" is $1.23) with `currency` "USD". It is not grouped by key.
 */

import type { Secret } from "../../lib/secret.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import { count, dimension, isRecord, type ProviderDialect } from "./usage-api.ts";

export const ANTHROPIC_VERSION = "2023-06-01";
const USAGE = "anthropic usage_report";
const COST = "anthropic cost_report";

export const anthropic: ProviderDialect = {
  type: "anthropic",
  apiUrl: "https://api.anthropic.com",
  range: (from, to) => ({ starting_at: new Date(from).toISOString(), ending_at: new Date(to).toISOString() }),
  groupParam: "group_by[]",
  headers: (adminKey: Secret) => ({ "x-api-key": adminKey.reveal(), "anthropic-version": ANTHROPIC_VERSION }),
  bucketTimes: (bucket) => {
    const start = Date.parse(String(bucket.starting_at));
    const end = Date.parse(String(bucket.ending_at));
    return Number.isFinite(start) && Number.isFinite(end) ? [start, end] : undefined;
  },
  usage: {
    path: "/v1/organizations/usage_report/messages",
    what: USAGE,
    groupBy: ["api_key_id", "model", "workspace_id"],
    row: (result, bucketStart, bucketEnd) => {
      const cache = isRecord(result.cache_creation) ? result.cache_creation : {};
      const uncached = count(result, "uncached_input_tokens", USAGE);
      const created =
        count(cache, "ephemeral_1h_input_tokens", USAGE) + count(cache, "ephemeral_5m_input_tokens", USAGE);
      const read = count(result, "cache_read_input_tokens", USAGE);
      return {
        bucketStart,
        bucketEnd,
        apiKeyId: dimension(result, "api_key_id", USAGE),
        model: dimension(result, "model", USAGE),
        workspaceId: dimension(result, "workspace_id", USAGE),
        inputTokens: uncached + created + read,
        outputTokens: count(result, "output_tokens", USAGE),
        cachedInputTokens: read,
        cacheCreationTokens: created,
        requests: null,
      };
    },
  },
  cost: {
    path: "/v1/organizations/cost_report",
    what: COST,
    groupBy: ["workspace_id", "description"],
    maxBuckets: 31,
    row: (result, bucketStart, bucketEnd) => {
      const currency = dimension(result, "currency", COST) ?? "USD";
      if (currency.toUpperCase() !== "USD") {
        throw new AgentwatchError(
          "deliveryRejected",
          `${COST}: currency ${currency}, only USD is understood`,
        );
      }
      const amount = Number(result.amount);
      if (typeof result.amount !== "string" || !Number.isFinite(amount) || amount < 0) {
        throw new AgentwatchError(
          "deliveryRejected",
          `${COST}: amount ${JSON.stringify(result.amount)} is not a decimal string`,
        );
      }
      return {
        bucketStart,
        bucketEnd,
        apiKeyId: null,
        workspaceId: dimension(result, "workspace_id", COST),
        item: dimension(result, "description", COST),
        usd: amount / 100,
      };
    },
  },
};
