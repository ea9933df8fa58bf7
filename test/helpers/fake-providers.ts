/**
 * Local servers that answer as Anthropic's Admin API usage report and OpenAI's organization
 * usage API are documented to (the real ones cannot be reached from here): the admin key in
 * `x-api-key` (with `anthropic-version`) or `Authorization: Bearer`, 401 without it; buckets
 * snapped to the start of the minute, hour or day in UTC; `limit` at most 1440 / 168 / 31 buckets
 * for 1m / 1h / 1d (400 above); pages chained by `next_page` while `has_more`; grouping by
 * `group_by[]=` or repeated `group_by=`, the dimensions not grouped by null (and aggregated over);
 * every bucket of the range listed, with empty results where nothing was used. Tests add usage
 * (also to past buckets: a late revision) and queue failures (429 with Retry-After, 500).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface UsageRecord {
  /** Epoch ms. */
  time: number;
  apiKeyId: string | null;
  model: string;
  workspaceId: string | null;
  /** Anthropic: uncached input; OpenAI: input (cached included). */
  input: number;
  output: number;
  cacheRead?: number;
  cacheCreation5m?: number;
  cacheCreation1h?: number;
}

/** A cost the provider bills (Anthropic reports it in cents, OpenAI in dollars). */
export interface CostRecord {
  time: number;
  workspaceId: string | null;
  /** OpenAI only (Anthropic's cost report does not group by key). */
  apiKeyId?: string | null;
  /** Anthropic's description, OpenAI's line item. */
  item: string;
  usd: number;
}

export interface FakeProvider {
  url: string;
  records: UsageRecord[];
  costs: CostRecord[];
  /** Every request's path and query, for assertions. */
  requests: URL[];
  /** Answers to give before the normal ones: a status and headers. */
  failures: { status: number; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const WIDTH_MS: Record<string, number> = { "1m": 60_000, "1h": 3_600_000, "1d": 86_400_000 };
const MAX_LIMIT: Record<string, number> = { "1m": 1440, "1h": 168, "1d": 31 };
const DEFAULT_LIMIT: Record<string, number> = { "1m": 60, "1h": 24, "1d": 7 };

export async function startFakeProvider(
  kind: "anthropic" | "openai",
  adminKey: string,
): Promise<FakeProvider> {
  const state: Omit<FakeProvider, "url" | "close"> = { records: [], costs: [], requests: [], failures: [] };
  const server: Server = createServer((req, res) => {
    try {
      handle(kind, adminKey, state, req, res);
    } catch (err) {
      send(res, 500, { error: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // The arrays are the server's own: tests push into them (never replace them).
  return {
    url: `http://127.0.0.1:${port}`,
    records: state.records,
    costs: state.costs,
    requests: state.requests,
    failures: state.failures,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): undefined {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
  return undefined;
}

function error(
  kind: "anthropic" | "openai",
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): undefined {
  return send(
    res,
    status,
    kind === "anthropic"
      ? { type: "error", error: { type, message } }
      : { error: { message, type, param: null, code: null } },
    headers,
  );
}

function handle(
  kind: "anthropic" | "openai",
  adminKey: string,
  state: Omit<FakeProvider, "url" | "close">,
  req: IncomingMessage,
  res: ServerResponse,
): undefined {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  state.requests.push(url);
  const paths =
    kind === "anthropic"
      ? { usage: "/v1/organizations/usage_report/messages", cost: "/v1/organizations/cost_report" }
      : { usage: "/v1/organization/usage/completions", cost: "/v1/organization/costs" };
  const report = url.pathname === paths.usage ? "usage" : url.pathname === paths.cost ? "cost" : undefined;
  if (req.method !== "GET" || report === undefined)
    return error(kind, res, 404, "not_found_error", "Not found");
  const authorized =
    kind === "anthropic"
      ? req.headers["x-api-key"] === adminKey
      : req.headers.authorization === `Bearer ${adminKey}`;
  if (!authorized) {
    return error(
      kind,
      res,
      401,
      "authentication_error",
      kind === "anthropic" ? "invalid x-api-key" : "Incorrect API key provided",
    );
  }
  if (kind === "anthropic" && req.headers["anthropic-version"] === undefined) {
    return error(kind, res, 400, "invalid_request_error", "anthropic-version: header is required");
  }
  const failure = state.failures.shift();
  if (failure)
    return error(
      kind,
      res,
      failure.status,
      failure.status === 429 ? "rate_limit_error" : "api_error",
      "try again",
      failure.headers,
    );

  const query = url.searchParams;
  const width = query.get("bucket_width") ?? "1d";
  const bucket = WIDTH_MS[width];
  if (report === "cost" && width !== "1d") {
    return error(kind, res, 400, "invalid_request_error", "bucket_width: cost reports support 1d only");
  }
  if (bucket === undefined)
    return error(kind, res, 400, "invalid_request_error", `bucket_width: ${width} is not one of 1m, 1h, 1d`);
  const limitText = query.get("limit");
  const limit = limitText === null ? (DEFAULT_LIMIT[width] as number) : Number(limitText);
  // OpenAI's costs take up to 180 daily buckets a page; the usage reports 31.
  const maxLimit = report === "cost" && kind === "openai" ? 180 : (MAX_LIMIT[width] as number);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    return error(
      kind,
      res,
      400,
      "invalid_request_error",
      `limit: must be between 1 and ${maxLimit} for bucket_width ${width}`,
    );
  }
  const startText = kind === "anthropic" ? query.get("starting_at") : query.get("start_time");
  if (startText === null) return error(kind, res, 400, "invalid_request_error", "a start time is required");
  const parseTime = (text: string) => (kind === "anthropic" ? Date.parse(text) : Number(text) * 1000);
  const start = parseTime(startText);
  const endText = kind === "anthropic" ? query.get("ending_at") : query.get("end_time");
  const end = endText === null ? Date.now() : parseTime(endText);
  if (!Number.isFinite(start) || !Number.isFinite(end))
    return error(kind, res, 400, "invalid_request_error", "times must be valid");
  const groupBy = new Set([...query.getAll("group_by[]"), ...query.getAll("group_by")]);
  const known =
    report === "cost"
      ? kind === "anthropic"
        ? ["workspace_id", "description"]
        : ["project_id", "line_item", "api_key_id"]
      : kind === "anthropic"
        ? ["api_key_id", "model", "workspace_id", "service_tier", "context_window"]
        : ["api_key_id", "model", "project_id", "user_id", "batch"];
  for (const field of groupBy) {
    if (!known.includes(field)) {
      return error(kind, res, 400, "invalid_request_error", `group_by: ${field} is not supported`);
    }
  }
  // Buckets snapped to the start of the minute/hour/day in UTC; pages start where the last ended.
  const page = query.get("page");
  const first =
    page === null ? Math.floor(start / bucket) * bucket : Number(Buffer.from(page, "base64").toString());
  const data: unknown[] = [];
  let at = first;
  while (at + bucket <= end && data.length < limit) {
    if (report === "cost") {
      data.push(costBucket(kind, state.costs, groupBy, at, bucket));
      at += bucket;
      continue;
    }
    const inBucket = state.records.filter((r) => r.time >= at && r.time < at + bucket);
    const groups = new Map<string, UsageRecord[]>();
    for (const r of inBucket) {
      const key = JSON.stringify([
        groupBy.has("api_key_id") ? r.apiKeyId : null,
        groupBy.has("model") ? r.model : null,
        groupBy.has(kind === "anthropic" ? "workspace_id" : "project_id") ? r.workspaceId : null,
      ]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const results = [...groups].map(([key, rs]) => {
      const [apiKeyId, model, workspace] = JSON.parse(key) as (string | null)[];
      const sum = (f: (r: UsageRecord) => number) => rs.reduce((s, r) => s + f(r), 0);
      return kind === "anthropic"
        ? {
            uncached_input_tokens: sum((r) => r.input),
            cache_creation: {
              ephemeral_1h_input_tokens: sum((r) => r.cacheCreation1h ?? 0),
              ephemeral_5m_input_tokens: sum((r) => r.cacheCreation5m ?? 0),
            },
            cache_read_input_tokens: sum((r) => r.cacheRead ?? 0),
            output_tokens: sum((r) => r.output),
            server_tool_use: { web_search_requests: 0 },
            api_key_id: apiKeyId,
            workspace_id: workspace,
            model,
            service_tier: null,
            context_window: null,
          }
        : {
            object: "organization.usage.completions.result",
            input_tokens: sum((r) => r.input + (r.cacheRead ?? 0)),
            output_tokens: sum((r) => r.output),
            input_cached_tokens: sum((r) => r.cacheRead ?? 0),
            num_model_requests: rs.length,
            project_id: workspace,
            user_id: null,
            api_key_id: apiKeyId,
            model,
            batch: null,
          };
    });
    data.push(
      kind === "anthropic"
        ? { starting_at: new Date(at).toISOString(), ending_at: new Date(at + bucket).toISOString(), results }
        : { object: "bucket", start_time: at / 1000, end_time: (at + bucket) / 1000, results },
    );
    at += bucket;
  }
  const more = at + bucket <= end;
  const next = more ? Buffer.from(String(at)).toString("base64") : null;
  send(
    res,
    200,
    kind === "anthropic"
      ? { data, has_more: more, next_page: next }
      : { object: "page", data, has_more: more, next_page: next },
  );
}

/** One day of a cost report: each group's costs so far, the dimensions not grouped by null. */
function costBucket(
  kind: "anthropic" | "openai",
  costs: CostRecord[],
  groupBy: Set<string>,
  at: number,
  bucket: number,
) {
  const groups = new Map<string, number>();
  for (const c of costs.filter((r) => r.time >= at && r.time < at + bucket)) {
    const key = JSON.stringify(
      kind === "anthropic"
        ? [groupBy.has("workspace_id") ? c.workspaceId : null, groupBy.has("description") ? c.item : null]
        : [
            groupBy.has("project_id") ? c.workspaceId : null,
            groupBy.has("line_item") ? c.item : null,
            groupBy.has("api_key_id") ? (c.apiKeyId ?? null) : null,
          ],
    );
    groups.set(key, (groups.get(key) ?? 0) + c.usd);
  }
  const results = [...groups].map(([key, usd]) => {
    const [workspace, item, apiKeyId] = JSON.parse(key) as (string | null)[];
    return kind === "anthropic"
      ? {
          currency: "USD",
          amount: (usd * 100).toFixed(4), // cents, as a decimal string
          workspace_id: workspace,
          description: item,
          cost_type: item === null ? null : "tokens",
          context_window: null,
          model: null,
          service_tier: null,
          token_type: null,
        }
      : {
          object: "organization.costs.result",
          amount: { value: usd, currency: "usd" },
          line_item: item,
          project_id: workspace,
          api_key_id: apiKeyId ?? null,
        };
  });
  return kind === "anthropic"
    ? { starting_at: new Date(at).toISOString(), ending_at: new Date(at + bucket).toISOString(), results }
    : { object: "bucket", start_time: at / 1000, end_time: (at + bucket) / 1000, results };
}
