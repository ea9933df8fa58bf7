/**
 * The spine end to end, through the real `agentwatch start` process and real HTTP: events in,
 * a brute-force incident out to a signed webhook, the kill switch to the agent's control URL,
 * and the incident, agent state, events and audit trail read back through the API.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually } from "./helpers/process.ts";
import { signedWith } from "./helpers/receiver.ts";
import { AGENT, bearer, postJson, TOKENS } from "./helpers/tokens.ts";
import {
  agentwatchWithReceiver,
  CONTROL_SECRET,
  controlledAgent,
  HOOK_SECRET,
} from "./helpers/with-receiver.ts";

function authFailure(i: number, principal = "alice") {
  return {
    id: `auth-${principal}-${i}`,
    time: new Date(Date.now() - 1000 + i).toISOString(),
    type: "auth",
    agent_id: AGENT,
    source_ip: "203.0.113.7",
    auth: { outcome: "failure", principal, method: "password" },
  };
}

describe("agentwatch end to end (embedded)", () => {
  const setup = agentwatchWithReceiver((receiver) => ({
    agents: [controlledAgent(receiver, AGENT)],
    detectors: { auth_bruteforce: { threshold: 10, window: "5m" } },
  }));
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  let incidentId = "";

  it("raises a brute-force incident and delivers it to the signed webhook", async () => {
    const events = Array.from({ length: 10 }, (_, i) => authFailure(i));
    const posted = await aw.fetch("/v1/events", postJson(TOKENS.ingest, events));
    expect(posted.status).toBe(202);
    expect(await posted.json()).toEqual({ accepted: 10, duplicates: 0, conflicts: [], rejected: [] });
    const sentAt = Date.now();

    // The ten failures share a principal and a source IP: one incident for each entity.
    const alert = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "alice",
    );
    const byIp = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.source_ip === "203.0.113.7",
    );
    expect(JSON.parse(byIp.body).incident.title).toBe(`Brute force from 203.0.113.7 on ${AGENT}`);
    console.log(`brute force → signed webhook in ${alert.at - sentAt} ms`);
    expect(signedWith(alert, HOOK_SECRET)).toBe(true);
    expect(signedWith(alert, "wrong")).toBe(false);

    const body = JSON.parse(alert.body);
    expect(body.version).toBe("1");
    expect(body.status).toBe("firing");
    expect(body.incident).toMatchObject({
      status: "open",
      severity: "critical",
      detector: "auth_bruteforce",
      agent_id: AGENT,
      labels: expect.objectContaining({ detector: "auth_bruteforce" }),
    });
    const finding = body.incident.findings[0];
    expect(finding.detector).toBe("auth_bruteforce");
    expect(finding.observed).toEqual({ failures: 10, window_seconds: 300 });
    expect(finding.event_ids).toEqual(expect.arrayContaining(events.map((e) => e.id)));
    incidentId = body.incident.id;
  });

  it("serves the incident through the API", async () => {
    const list = await (
      await aw.fetch("/v1/incidents?status=open", { headers: bearer(TOKENS.viewer) })
    ).json();
    const ids = list.incidents.map((i: { id: string }) => i.id);
    expect(ids).toContain(incidentId);
    const one = await aw.fetch(`/v1/incidents/${incidentId}`, { headers: bearer(TOKENS.viewer) });
    expect(one.status).toBe(200);
    const incident = await one.json();
    expect(incident).toMatchObject({
      id: incidentId,
      status: "open",
      detector: "auth_bruteforce",
      agent_id: AGENT,
    });
    expect(typeof incident.started_at).toBe("string");
    expect(typeof incident.updated_at).toBe("string");
    expect(incident.findings).toHaveLength(incident.finding_count);
  });

  it("pauses the agent, calls its control URL signed, and keeps the first pause on a repeat", async () => {
    const paused = await aw.fetch(
      `/v1/agents/${AGENT}/pause`,
      postJson(TOKENS.operator, { reason: "brute force on login", incident_id: incidentId }),
    );
    expect(paused.status).toBe(200);
    const state = await paused.json();
    expect(state).toMatchObject({
      agent_id: AGENT,
      state: "paused",
      by: "oncall",
      reason: "brute force on login",
      incident_id: incidentId,
      control: { delivered: true, attempts: 1 },
    });

    const control = await receiver.waitFor((r) => r.path === "/control");
    expect(signedWith(control, CONTROL_SECRET)).toBe(true);
    expect(JSON.parse(control.body)).toMatchObject({
      action: "pause",
      agent_id: AGENT,
      reason: "brute force on login",
      incident_id: incidentId,
    });

    const again = await (
      await aw.fetch(`/v1/agents/${AGENT}/pause`, postJson(TOKENS.admin, { reason: "second opinion" }))
    ).json();
    expect(again.since).toBe(state.since);
    expect(again.by).toBe("oncall");
    expect(again.reason).toBe("brute force on login");
  });

  it("reports the agent's state to viewers and to the agent's own ingest token", async () => {
    for (const token of [TOKENS.viewer, TOKENS.ingest]) {
      const res = await aw.fetch(`/v1/agents/${AGENT}`, { headers: bearer(token) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ agent_id: AGENT, state: "paused", by: "oncall" });
    }
    const all = await (await aw.fetch("/v1/agents", { headers: bearer(TOKENS.viewer) })).json();
    expect(all.agents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ agent_id: AGENT, state: "paused", open_incidents: 2 }),
      ]),
    );
  });

  it("finds the events by agent, type, time and free text", async () => {
    const page = await (
      await aw.fetch(`/v1/events?agent_id=${AGENT}&type=auth&limit=4`, { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(page.events).toHaveLength(4);
    expect(page.events[0].id).toBe("auth-alice-9"); // newest first
    expect(page.next_cursor).toEqual(expect.any(String));
    const seen = new Set(page.events.map((e: { id: string }) => e.id));
    let cursor = page.next_cursor;
    while (cursor) {
      const next = await (
        await aw.fetch(`/v1/events?agent_id=${AGENT}&type=auth&limit=4&cursor=${cursor}`, {
          headers: bearer(TOKENS.viewer),
        })
      ).json();
      for (const e of next.events) seen.add(e.id);
      cursor = next.next_cursor;
    }
    expect(seen.size).toBe(10);

    await aw.fetch(
      "/v1/events",
      postJson(TOKENS.ingest, {
        id: "tool-1",
        time: new Date().toISOString(),
        type: "tool_call",
        agent_id: AGENT,
        tool: {
          name: "http_get",
          arguments: { url: "https://pastebin.example/raw/xyz" },
          target: "pastebin.example",
        },
      }),
    );
    const found = await eventually(async () => {
      const res = await (await aw.fetch("/v1/events?q=pastebin", { headers: bearer(TOKENS.viewer) })).json();
      return res.events.length > 0 ? res.events : undefined;
    });
    expect(found.map((e: { id: string }) => e.id)).toEqual(["tool-1"]);
    const none = await (
      await aw.fetch("/v1/events?q=nothing-matches-this", { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(none.events).toEqual([]);
  });

  it("resolves the incident and tells the receiver", async () => {
    const res = await aw.fetch(
      `/v1/incidents/${incidentId}/resolve`,
      postJson(TOKENS.operator, { comment: "blocked IP" }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "resolved", resolved_by: "oncall" });
    const resolved = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).status === "resolved",
    );
    expect(JSON.parse(resolved.body).incident).toMatchObject({ id: incidentId, status: "resolved" });
  });

  it("resumes the agent and records every action in the audit trail", async () => {
    const resumed = await (
      await aw.fetch(`/v1/agents/${AGENT}/resume`, postJson(TOKENS.operator, { reason: "attacker blocked" }))
    ).json();
    expect(resumed).toMatchObject({ state: "active", by: "oncall", reason: "attacker blocked" });
    await receiver.waitFor((r) => r.path === "/control" && JSON.parse(r.body).action === "resume");
    // Every command carries a larger sequence than the one before, inside the signed body: a
    // runtime that keeps the highest it acted on refuses a replayed one.
    const sequences = receiver.on("/control").map((r) => JSON.parse(r.body).sequence as number);
    expect(sequences.length).toBeGreaterThanOrEqual(3); // pause, the repeated pause, resume
    for (const [i, sequence] of sequences.entries()) {
      expect(Number.isSafeInteger(sequence)).toBe(true);
      if (i > 0) expect(sequence).toBeGreaterThan(sequences[i - 1] as number);
    }

    const audit = await (await aw.fetch("/v1/audit", { headers: bearer(TOKENS.viewer) })).json();
    const actions = audit.entries.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`);
    // Evidence holds placed along the way (the critical incident, the pause) are audited too.
    expect(actions.filter((a: string) => !a.startsWith("hold_place:"))).toEqual([
      "resume:oncall",
      "resolve:oncall",
      "pause:root",
      "pause:oncall",
    ]);
    expect(actions.some((a: string) => a.startsWith("hold_place:"))).toBe(true);
    const pauses = audit.entries.filter((e: { action: string }) => e.action === "pause");
    expect(pauses.at(-1)).toMatchObject({
      action: "pause",
      target: `agent:${AGENT}`,
      reason: "brute force on login",
      incident_id: incidentId,
    });
    const filtered = await (
      await aw.fetch("/v1/audit?action=pause&actor=oncall", { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(filtered.entries).toHaveLength(1);
  });

  it("exports metrics and reports readiness", async () => {
    const ready = await aw.fetch("/readyz", { headers: bearer(TOKENS.viewer) });
    expect(await ready.json()).toMatchObject({ ready: true, checks: { bus: true, storage: true } });
    const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
    expect(text).toMatch(/agentwatch_ingest_events_total\{outcome="accepted"\} 11/);
    expect(text).toMatch(
      /agentwatch_detector_findings_total\{detector="auth_bruteforce",severity="critical"\} 2/,
    );
    expect(text).toMatch(
      /agentwatch_incidents_opened_total\{detector="auth_bruteforce",severity="critical"\} 2/,
    );
    expect(text).toMatch(
      /agentwatch_notification_attempts_total\{kind="alert",target="hook",outcome="success"\} 3/,
    );
    expect(text).toMatch(/agentwatch_incidents_open 1/);
    expect(text).toMatch(/agentwatch_http_request_duration_seconds_bucket/);
    expect(text).toMatch(/agentwatch_bus_consumer_lag_records/);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    expect(await aw.stop()).toBe(0);
    expect(aw.logged("stopped")).toHaveLength(1);
  });
});
