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

/** The most daily cost buckets a page may ask for: Anthropic 31, OpenAI 180. */
export const MAX_COST_BUCKETS = { anthropic: 31, openai: 180 } as const;

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
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new AgentwatchError("deliveryFailed", `${what}: GET ${shown} failed: ${reason}`, { cause: err });
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
