/**
 * Proof that a pause took effect, through the real process: once an agent's runtime has
 * acknowledged its pause, events that still arrive from it (past a grace period) are accepted as
 * evidence and raise a critical `paused_agent_active` incident naming them. Another agent's
 * events do not.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, type Json } from "./helpers/process.ts";
import { AGENT, bearer, OTHER_AGENT, postJson, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver, controlledAgent } from "./helpers/with-receiver.ts";

describe("paused_agent_active", () => {
  const setup = agentwatchWithReceiver((receiver) => ({
    agents: [controlledAgent(receiver, AGENT)],
    detectors: { paused_agent_active: { grace: "1s" } },
  }));
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  const post = (agent: string, id: string) =>
    aw.fetch("/v1/events", {
      method: "POST",
      headers: {
        ...bearer(agent === AGENT ? TOKENS.ingest : TOKENS.admin),
        "content-type": "application/json",
      },
      body: JSON.stringify([
        {
          id,
          time: new Date().toISOString(),
          type: "tool_call",
          agent_id: agent,
          tool: { name: "send_email" },
        },
      ]),
    });

  it("raises a critical incident when a paused agent's runtime keeps going, with the events as evidence", async () => {
    const paused = await aw.fetch(
      `/v1/agents/${AGENT}/pause`,
      postJson(TOKENS.operator, { reason: "suspected hijack" }),
    );
    expect(paused.status).toBe(200);
    const state: Json = await eventually(async () => {
      const view: Json = await (
        await aw.fetch(`/v1/agents/${AGENT}`, { headers: bearer(TOKENS.viewer) })
      ).json();
      return view.control?.delivered ? view : undefined;
    });
    expect(state.control.delivered_at).toEqual(expect.any(String));
    await new Promise((r) => setTimeout(r, 2500)); // past the grace, and the collector has read the pause

    expect((await post(OTHER_AGENT, "other-1")).status).toBe(202);
    expect((await post(AGENT, "after-pause-1")).status).toBe(202); // accepted: it is evidence
    const alert = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.detector === "paused_agent_active",
    );
    const { incident } = JSON.parse(alert.body);
    expect(incident).toMatchObject({ agent_id: AGENT, severity: "critical" });
    expect(incident.findings[0].event_ids).toEqual(["after-pause-1"]);
    expect(incident.title).toBe(`${AGENT} is still active after its pause was delivered`);
    const list: Json = await (
      await aw.fetch(`/v1/incidents?agent_id=${OTHER_AGENT}`, { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(list.incidents.filter((i: Json) => i.detector === "paused_agent_active")).toEqual([]);
  });
});
