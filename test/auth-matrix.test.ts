/**
 * Every endpoint × no token, a wrong token, each role, and an ingest token for another agent:
 * the status codes of contract §1. Tokens never reach the logs; refusals are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, headersFor, MATRIX_CASES, sendCase, WRONG } from "./helpers/auth-matrix.ts";
import { type AgentwatchProcess, startAgentwatch } from "./helpers/process.ts";
import { AGENT, TOKENS } from "./helpers/tokens.ts";

describe("auth matrix", () => {
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    aw = await startAgentwatch({ config: { agents: [{ id: AGENT }] } });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  it.each(MATRIX_CASES)(
    "$endpoint.method $endpoint.path as $caller → $status",
    async ({ endpoint, caller, status }) => {
      const res = await sendCase(aw, endpoint, caller);
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
