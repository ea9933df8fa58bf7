/**
 * The auth matrix (contract §1): every endpoint × no token, a wrong token, each role, and an
 * ingest token for another agent, with the status each gets. test/auth-matrix.test.ts checks
 * the statuses; test/shutdown.test.ts replays the same traffic before a SIGTERM.
 */
import type { AgentwatchProcess, TestResponse } from "./process.ts";
import { AGENT, TOKENS } from "./tokens.ts";

export type Caller = "none" | "wrong" | "ingest" | "ingestOther" | "viewer" | "operator" | "admin";
export const CALLERS: Caller[] = ["none", "wrong", "ingest", "ingestOther", "viewer", "operator", "admin"];
export const WRONG = "not-a-configured-token-at-all";

export interface Endpoint {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  /** Status for each caller that is let through; every other authenticated caller gets 403. */
  allowed: Partial<Record<Caller, number>>;
}

export const event = {
  id: "e-1",
  time: "2026-11-20T10:00:00Z",
  type: "prompt",
  agent_id: AGENT,
  text: "hello",
};
const reads = (status: number) => ({ viewer: status, operator: status, admin: status });

export const ENDPOINTS: Endpoint[] = [
  { method: "GET", path: "/healthz", allowed: Object.fromEntries(CALLERS.map((c) => [c, 200])) },
  // Probes send no token: they get the status alone (a reader's token gets the checks too).
  { method: "GET", path: "/readyz", allowed: { none: 200, ...reads(200) } },
  { method: "GET", path: "/metrics", allowed: reads(200) },
  { method: "GET", path: "/v1/whoami", allowed: reads(200) },
  // The console's static files are public; its data comes from the routes here.
  { method: "GET", path: "/ui/", allowed: Object.fromEntries(CALLERS.map((c) => [c, 200])) },
  { method: "GET", path: "/ui/console.js", allowed: Object.fromEntries(CALLERS.map((c) => [c, 200])) },
  { method: "POST", path: "/v1/events", body: [event], allowed: { ingest: 202, admin: 202 } },
  { method: "GET", path: "/v1/events", allowed: reads(200) },
  { method: "GET", path: "/v1/audit", allowed: reads(200) },
  { method: "GET", path: "/v1/incidents", allowed: reads(200) },
  { method: "GET", path: "/v1/incidents/inc_missing", allowed: reads(404) },
  { method: "POST", path: "/v1/incidents/inc_missing/ack", body: {}, allowed: { operator: 404, admin: 404 } },
  {
    method: "POST",
    path: "/v1/incidents/inc_missing/resolve",
    body: {},
    allowed: { operator: 404, admin: 404 },
  },
  { method: "GET", path: "/v1/silences", allowed: reads(200) },
  { method: "GET", path: "/v1/silences/sil_missing", allowed: reads(404) },
  { method: "POST", path: "/v1/silences", body: {}, allowed: { operator: 400, admin: 400 } },
  { method: "DELETE", path: "/v1/silences/sil_missing", allowed: { operator: 404, admin: 404 } },
  { method: "GET", path: "/v1/agents", allowed: reads(200) },
  { method: "GET", path: `/v1/agents/${AGENT}`, allowed: { ...reads(200), ingest: 200 } },
  {
    method: "POST",
    path: `/v1/agents/${AGENT}/pause`,
    body: { reason: "auth matrix" },
    allowed: { operator: 200, admin: 200 },
  },
  { method: "POST", path: `/v1/agents/${AGENT}/resume`, body: {}, allowed: { operator: 200, admin: 200 } },
];

export function expected(endpoint: Endpoint, caller: Caller): number {
  const allowed = endpoint.allowed[caller];
  if (allowed !== undefined) return allowed;
  return caller === "none" || caller === "wrong" ? 401 : 403;
}

export function headersFor(caller: Caller, body: boolean): Record<string, string> {
  const headers: Record<string, string> = body ? { "content-type": "application/json" } : {};
  if (caller === "wrong") headers.authorization = `Bearer ${WRONG}`;
  else if (caller !== "none") headers.authorization = `Bearer ${TOKENS[caller]}`;
  return headers;
}

/** Every case of the matrix, in order. */
export const MATRIX_CASES = ENDPOINTS.flatMap((endpoint) =>
  CALLERS.map((caller) => ({ endpoint, caller, status: expected(endpoint, caller) })),
);

/** Sends one case as the matrix test does (the answer's body is left unread). */
export function sendCase(aw: AgentwatchProcess, endpoint: Endpoint, caller: Caller): Promise<TestResponse> {
  return aw.fetch(endpoint.path, {
    method: endpoint.method,
    headers: headersFor(caller, endpoint.body !== undefined),
    ...(endpoint.body !== undefined ? { body: JSON.stringify(endpoint.body) } : {}),
  });
}
