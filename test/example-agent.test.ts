/**
 * The example agent (examples/agent.ts) against the real agentwatch: it reports its events,
 * obeys a pause from the kill switch (a signed control call), calls no tool while paused,
 * refuses a replayed or forged command, and resumes.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleAgent } from "../examples/agent.ts";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const SECRET = "control-secret-0123456789";

describe("example agent", () => {
  let aw: AgentwatchProcess;
  const agent = new ExampleAgent({
    agentId: AGENT,
    agentwatchUrl: "",
    ingestToken: TOKENS.ingest,
    controlSecret: SECRET,
  });
  beforeAll(async () => {
    await agent.start();
    aw = await startAgentwatch({
      config: { agents: [{ id: AGENT, control: { url: `${agent.url}/control`, secret: SECRET } }] },
    });
    agent.useAgentwatch(aw.url);
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await agent.stop();
  });

  const act = (action: "pause" | "resume") =>
    aw.fetch(`/v1/agents/${AGENT}/${action}`, {
      method: "POST",
      headers: { ...bearer(TOKENS.operator), "content-type": "application/json" },
      body: JSON.stringify({ reason: "demo" }),
    });

  it("reports its events, obeys pause and resume, calls no tool while paused, refuses replays and forgeries", async () => {
    expect(await agent.chat("u-1", "where is my order?")).toContain("ships tomorrow");
    expect(agent.toolCalls).toEqual(["lookup_order"]);

    expect((await act("pause")).status).toBe(200);
    await eventually(async () => (agent.paused ? true : undefined));
    expect(await agent.chat("u-1", "and now?")).toMatch(/paused/);
    expect(agent.toolCalls).toEqual(["lookup_order"]); // no tool call while paused

    expect((await act("resume")).status).toBe(200);
    await eventually(async () => (agent.paused ? undefined : true));

    // A captured pause replayed later: a valid signature, an old sequence. It changes nothing.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const replay = JSON.stringify({
      action: "pause",
      agent_id: AGENT,
      reason: "x",
      incident_id: null,
      time: "t",
      sequence: 1,
    });
    const signature = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${replay}`).digest("hex")}`;
    const sent = (sig: string) =>
      fetch(`${agent.url}/control`, {
        method: "POST",
        headers: { "x-agentwatch-timestamp": timestamp, "x-agentwatch-signature": sig },
        body: replay,
      });
    expect((await sent(signature)).status).toBe(200);
    expect(agent.paused).toBe(false);
    expect((await sent("sha256=00")).status).toBe(401);

    // What it did reached agentwatch.
    const types: string[] = await eventually(async () => {
      const page: Json = await (
        await aw.fetch(`/v1/events?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
      ).json();
      return page.events.length >= 4 ? page.events.map((e: Json) => e.type) : undefined;
    });
    expect(types).toEqual(expect.arrayContaining(["prompt", "tool_call", "response"]));
  });
});
