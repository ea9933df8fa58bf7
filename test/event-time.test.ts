/**
 * Event-time discipline: one event dated far in the future must not blind the detectors for
 * everyone (it used to: watermarks took the newest event time and evicted every other entity
 * against it, and spend_cap dropped every entity of an "older" day, and the checkpoint kept it so).
 *
 * - The collector refuses events outside the configured skew, with a message a person can act on.
 * - A record that reached the log another way (older version, another producer) is clamped by the
 *   runner: a brute force on another agent is still raised, also after a restart.
 * - At the detector level, eviction and day ends go by agentwatch's clock, never event time.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createDetectors } from "../detectors/index.ts";
import type { Detector, ObservedEvent } from "../detectors/types.ts";
import { parseConfig } from "../services/runtime/config.ts";
import type { AgentEvent, Finding } from "../services/runtime/model.ts";
import {
  type AgentwatchProcess,
  eventually,
  type Json,
  launch,
  openEmbeddedLog,
  startAgentwatch,
} from "./helpers/process.ts";
import { AGENT, bearer, OTHER_AGENT, TOKENS } from "./helpers/tokens.ts";

const FAR_FUTURE = "9999-12-31T23:59:59Z";

describe("event time at the collector", () => {
  let aw: AgentwatchProcess;
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const post = (events: unknown[]) =>
    aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(events),
    });

  it("refuses times beyond the skew in both directions, names the limit, and takes the rest", async () => {
    aw = await startAgentwatch({
      config: { limits: { max_event_time_ahead: "5m", max_event_time_behind: "1d" } },
    });
    const now = Date.now();
    const base = { type: "prompt", agent_id: AGENT, text: "hello" };
    const response = await post([
      { ...base, id: "future", time: FAR_FUTURE },
      { ...base, id: "past", time: new Date(now - 2 * 86_400_000).toISOString() },
      { ...base, id: "slightly-ahead", time: new Date(now + 4 * 60_000).toISOString() },
      { ...base, id: "on-time", time: new Date(now).toISOString() },
    ]);
    expect(response.status).toBe(202);
    const body: Json = await response.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: Json) => r.id)).toEqual(["future", "past"]);
    expect(body.rejected[0].error).toMatch(
      /^time: 9999-12-31T23:59:59Z is \d+ years ahead of agentwatch's clock/,
    );
    expect(body.rejected[0].error).toContain("limits.max_event_time_ahead");
    expect(body.rejected[1].error).toMatch(/2 days behind .*limits\.max_event_time_behind/);
  });

  it("a far-future record already in the log is clamped: a brute force on another agent still raises its incident, before and after a restart", async () => {
    await aw.stop();
    // Planted straight into the log, as a record from another producer or an older version would be.
    const bus = await openEmbeddedLog(aw.dataDir);
    const received = new Date().toISOString();
    const planted = (id: string, event: Record<string, unknown>) => ({
      key: OTHER_AGENT,
      value: JSON.stringify({
        event: { id, time: FAR_FUTURE, agent_id: OTHER_AGENT, ...event },
        received_at: received,
        token: "other-producer",
      }),
    });
    await bus.append("events", [
      planted("liar-auth", {
        type: "auth",
        source_ip: "192.0.2.9",
        auth: { outcome: "failure", principal: "x" },
      }),
      planted("liar-usage", {
        type: "llm_usage",
        usage: { provider: "openai", model: "gpt-4o", input_tokens: 10, output_tokens: 10, api_key_id: "k" },
      }),
    ]);
    await bus.stop();
    await launch(aw);

    const bruteForce = async (principal: string) => {
      for (let i = 0; i < 10; i += 1) {
        // Spread over a few seconds, so the detector ticks (and would evict) in between.
        const response = await post([
          {
            id: `${principal}-${i}`,
            time: new Date().toISOString(),
            type: "auth",
            agent_id: AGENT,
            source_ip: "203.0.113.7",
            auth: { outcome: "failure", principal },
          },
        ]);
        expect(response.status).toBe(202);
        await new Promise((resolve) => setTimeout(resolve, 350));
      }
      return eventually(async () => {
        const list: Json = await (
          await aw.fetch(`/v1/incidents?status=open&agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
        ).json();
        return list.incidents.find(
          (i: Json) => i.detector === "auth_bruteforce" && JSON.stringify(i).includes(principal),
        );
      });
    };
    expect(await bruteForce("alice")).toBeDefined();
    // The detectors' entity tables are visible (a flood of distinct values would show here).
    const metrics = await eventually(async () => {
      const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
      return /agentwatch_detector_entities\{detector="auth_bruteforce"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/agentwatch_detector_state_bytes \d+/);

    // The checkpoint must not have kept anything that blinds: restart and attack again.
    expect(await aw.stop()).toBe(0);
    await launch(aw);
    expect(await bruteForce("bob")).toBeDefined();
  });
});

describe("event time at the detectors", () => {
  const config = parseConfig(
    {
      auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
      detectors: { spend_cap: { daily_cap_usd: { agent: 5 } } },
    },
    {},
  );
  const NOW = Date.parse("2026-11-20T10:00:00Z");

  function run(detectors: Detector[], states: unknown[], observed: ObservedEvent): Finding[] {
    return detectors.flatMap((d, i) =>
      d.eventTypes === undefined || d.eventTypes.includes(observed.event.type)
        ? d.update(states[i], observed)
        : [],
    );
  }

  it("an event dated 9999 moves no other entity's windows, evictions or days", () => {
    const detectors = createDetectors(config.detectors, config.agents, config.agent_detectors);
    const states = detectors.map((d) => d.initialState());
    const liar = (id: string, extra: Partial<AgentEvent>): ObservedEvent => ({
      event: { id, time: FAR_FUTURE, agent_id: "liar", ...extra } as AgentEvent,
      time: Date.parse(FAR_FUTURE),
      received: NOW,
    });
    run(detectors, states, liar("l1", { type: "auth", auth: { outcome: "failure", principal: "p" } }));
    run(
      detectors,
      states,
      liar("l2", {
        type: "llm_usage",
        usage: { provider: "openai", model: "gpt-4o", input_tokens: 1, output_tokens: 1, cost_usd: 1 },
      }),
    );

    const findings: Finding[] = [];
    for (let i = 0; i < 10; i += 1) {
      const at = NOW + 1000 + i * 20_000; // one failure every 20 s, ticks in between
      for (const [j, d] of detectors.entries()) findings.push(...(d.tick?.(states[j], at) ?? []));
      findings.push(
        ...run(detectors, states, {
          event: {
            id: `bf-${i}`,
            time: new Date(at).toISOString(),
            type: "auth",
            agent_id: "victim",
            auth: { outcome: "failure", principal: "alice" },
          } as AgentEvent,
          time: at,
          received: at,
        }),
      );
    }
    expect(findings.filter((f) => f.detector === "auth_bruteforce").map((f) => f.agent_id)).toEqual([
      "victim",
    ]);

    const spend = [1, 2, 3].flatMap((i) => {
      const at = NOW + 300_000 + i * 1000;
      for (const [j, d] of detectors.entries()) d.tick?.(states[j], at);
      return run(detectors, states, {
        event: {
          id: `spend-${i}`,
          time: new Date(at).toISOString(),
          type: "llm_usage",
          agent_id: "victim",
          usage: { provider: "openai", model: "gpt-4o", input_tokens: 1, output_tokens: 1, cost_usd: 2 },
        } as AgentEvent,
        time: at,
        received: at,
      });
    });
    expect(spend.filter((f) => f.detector === "spend_cap" && f.severity === "critical")).toHaveLength(1);
  });
});
