import { describe, expect, it } from "vitest";
import { parseConfig } from "../services/runtime/config.ts";
import { AgentwatchError } from "../services/runtime/errors.ts";
import type { AgentEvent } from "../services/runtime/model.ts";
import { createDetectors } from "./index.ts";

const tokens = [{ name: "root", role: "admin", token: "0123456789abcdef" }];
const T0 = Date.parse("2026-11-20T10:00:00Z");

function failures(agent: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    event: {
      id: `${agent}-${i}`,
      time: new Date(T0 + i * 1000).toISOString(),
      type: "auth",
      agent_id: agent,
      auth: { outcome: "failure", principal: "admin" },
    } as AgentEvent,
    time: T0 + i * 1000,
  }));
}

describe("per-agent detector settings", () => {
  const config = parseConfig(
    {
      auth: { tokens },
      detectors: { auth_bruteforce: { threshold: 10 }, message_rate: { max_per_hour: 100 } },
      agents: [
        { id: "admin-bot", detectors: { auth_bruteforce: { threshold: 3, severity: "warning" } } },
        { id: "public-bot", detectors: { auth_bruteforce: { enabled: false } } },
      ],
    },
    {},
  );

  it("merges an agent's settings over the global ones", () => {
    expect(config.agent_detectors["admin-bot"]?.auth_bruteforce).toMatchObject({
      threshold: 3,
      severity: "warning",
      window: 300_000,
    });
    expect(config.agent_detectors["admin-bot"]?.message_rate.max_per_hour).toBe(100);
    expect(config.agent_detectors["public-bot"]?.auth_bruteforce.enabled).toBe(false);
    expect(config.agent_detectors.other).toBeUndefined();
  });

  it("routes each agent's events to detectors built from its own settings, with its own state", () => {
    const detectors = createDetectors(config.detectors, config.agents, config.agent_detectors);
    const bruteforce = detectors.find((d) => d.name === "auth_bruteforce");
    if (!bruteforce) throw new Error("auth_bruteforce missing");
    const state = bruteforce.initialState();
    const raised = (agent: string, n: number) =>
      failures(agent, n).flatMap((e) => bruteforce.update(state, e));
    expect(raised("admin-bot", 3).map((f) => f.severity)).toEqual(["warning"]);
    expect(raised("other-bot", 9)).toEqual([]);
    expect(raised("other-bot-2", 10)).toHaveLength(1);
    expect(raised("public-bot", 50)).toEqual([]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state); // still checkpointable
  });

  it("reports a bad override at its key path", () => {
    let error: unknown;
    try {
      parseConfig(
        {
          auth: { tokens },
          agents: [{ id: "a", detectors: { auth_bruteforce: { threshold: 1, bogus: true }, nope: {} } }],
        },
        {},
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AgentwatchError);
    const message = (error as Error).message;
    expect(message).toMatch(/agents\[0\]\.detectors\.auth_bruteforce\.threshold: /);
    expect(message).toContain("agents[0].detectors.auth_bruteforce.bogus: unknown key");
    expect(message).toContain("agents[0].detectors.nope: unknown key");
  });
});
