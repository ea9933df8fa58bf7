/**
 * Every endpoint × no token, a wrong token, each role, and an ingest token for another agent:
 * the status codes of contract §1. Tokens never reach the logs; refusals are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, startAgentwatch } from "./helpers/process.ts";
import { AGENT, TOKENS } from "./helpers/tokens.ts";

type Caller = "none" | "wrong" | "ingest" | "ingestOther" | "viewer" | "operator" | "admin";
const CALLERS: Caller[] = ["none", "wrong", "ingest", "ingestOther", "viewer", "operator", "admin"];
const WRONG = "not-a-configured-token-at-all";

interface Endpoint {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  /** Status for each caller that is let through; every other authenticated caller gets 403. */
  allowed: Partial<Record<Caller, number>>;
}

const event = { id: "e-1", time: "2026-11-20T10:00:00Z", type: "prompt", agent_id: AGENT, text: "hello" };
const reads = (status: number) => ({ viewer: status, operator: status, admin: status });

const ENDPOINTS: Endpoint[] = [
  { method: "GET", path: "/healthz", allowed: Object.fromEntries(CALLERS.map((c) => [c, 200])) },
  { method: "GET", path: "/readyz", allowed: reads(200) },
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

function expected(endpoint: Endpoint, caller: Caller): number {
  const allowed = endpoint.allowed[caller];
  if (allowed !== undefined) return allowed;
  return caller === "none" || caller === "wrong" ? 401 : 403;
}

function headersFor(caller: Caller, body: boolean): Record<string, string> {
  const headers: Record<string, string> = body ? { "content-type": "application/json" } : {};
  if (caller === "wrong") headers.authorization = `Bearer ${WRONG}`;
  else if (caller !== "none") headers.authorization = `Bearer ${TOKENS[caller]}`;
  return headers;
}

describe("auth matrix", () => {
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    aw = await startAgentwatch({ config: { agents: [{ id: AGENT }] } });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const cases = ENDPOINTS.flatMap((endpoint) =>
    CALLERS.map((caller) => ({ endpoint, caller, status: expected(endpoint, caller) })),
  );

  it.each(cases)(
    "$endpoint.method $endpoint.path as $caller → $status",
    async ({ endpoint, caller, status }) => {
      const res = await aw.fetch(endpoint.path, {
        method: endpoint.method,
        headers: headersFor(caller, endpoint.body !== undefined),
        ...(endpoint.body !== undefined ? { body: JSON.stringify(endpoint.body) } : {}),
      });
      expect(res.status).toBe(status);
      if (status === 401 || status === 403) {
        const body = await res.json();
        expect(body.error.code).toBe(status === 401 ? "unauthorized" : "forbidden");
        expect(body.error.message).toEqual(expect.any(String));
        if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    },
  );

  it("refuses a token for another agent even in a mixed batch, event by event", async () => {
    const res = await aw.fetch("/v1/events", {
      method: "POST",
      headers: headersFor("ingest", true),
      body: JSON.stringify([
        { ...event, id: "mixed-1" },
        { ...event, id: "mixed-2", agent_id: "coding-agent" },
      ]),
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      {
        index: 1,
        id: "mixed-2",
        error: expect.stringContaining("may not post events for agent coding-agent"),
      },
    ]);
  });

  it("counts refusals and never logs a token", async () => {
    const metrics = await (await aw.fetch("/metrics", { headers: headersFor("viewer", false) })).text();
    expect(metrics).toMatch(/agentwatch_api_auth_failures_total\{reason="missing"\} [1-9]/);
    expect(metrics).toMatch(/agentwatch_api_auth_failures_total\{reason="invalid"\} [1-9]/);
    expect(metrics).toMatch(/agentwatch_api_auth_failures_total\{reason="forbidden"\} [1-9]/);
    expect(aw.logged("authentication failed").length).toBeGreaterThan(0);
    const logs = aw.logs.join("\n");
    for (const token of [WRONG, ...Object.values(TOKENS)]) expect(logs).not.toContain(token);
  });
});
