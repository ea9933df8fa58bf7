/**
 * Outbound resilience through the real process: a control URL that fails at first is retried
 * until it answers 2xx (and the agent's state says so), and an incident with no new finding for
 * `resolve_timeout` is resolved and the receiver told.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually } from "./helpers/process.ts";
import { AGENT, bearer, postJson, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver, controlledAgent } from "./helpers/with-receiver.ts";

describe("deliveries through the real process", () => {
  const setup = agentwatchWithReceiver(
    (receiver) => ({
      agents: [controlledAgent(receiver, AGENT)],
      detectors: { auth_bruteforce: { threshold: 3, window: "1m" } },
      alerting: { resolve_timeout: "2s", group_interval: "1s" },
    }),
    (receiver) => receiver.status.set("/control", 503),
  );
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  it("retries the control call until the agent's runtime answers 2xx", async () => {
    const res = await aw.fetch(
      `/v1/agents/${AGENT}/pause`,
      postJson(TOKENS.operator, { reason: "runtime is down" }),
    );
    expect(res.status).toBe(200);
    const state = await res.json();
    expect(state.state).toBe("paused");
    expect(state.control).toMatchObject({ delivered: false, attempts: 1, configured: true });
    expect(state.control.last_error).toMatch(/answered 503/);

    receiver.status.set("/control", 200);
    const delivered = await eventually(async () => {
      const agent = await (await aw.fetch(`/v1/agents/${AGENT}`, { headers: bearer(TOKENS.viewer) })).json();
      return agent.control.delivered ? agent : undefined;
    });
    expect(delivered.control.attempts).toBeGreaterThanOrEqual(2);
    expect(delivered.control.last_error).toBeUndefined();
    const calls = receiver.on("/control");
    expect(calls.length).toBe(delivered.control.attempts);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1); // the same command each time
  });

  it("resolves an incident after resolve_timeout without findings and tells the receiver", async () => {
    const events = [0, 1, 2].map((i) => ({
      id: `fail-${i}`,
      time: new Date().toISOString(),
      type: "auth",
      agent_id: AGENT,
      auth: { outcome: "failure", principal: "mallory" },
    }));
    const res = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(202);
    const firing = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).status === "firing",
    );
    const id = JSON.parse(firing.body).incident.id;
    const resolved = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).status === "resolved",
      15_000,
    );
    expect(JSON.parse(resolved.body).incident).toMatchObject({
      id,
      status: "resolved",
      resolved_by: "agentwatch",
    });
    expect(resolved.at - firing.at).toBeGreaterThanOrEqual(1500);
    const incident = await (await aw.fetch(`/v1/incidents/${id}`, { headers: bearer(TOKENS.viewer) })).json();
    expect(incident.status).toBe("resolved");
  });
});
