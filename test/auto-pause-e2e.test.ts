/**
 * A policy pauses an agent without waiting for on-call: a critical brute force on the agent
 * fires, the policy matches, and the kill switch tells the agent's runtime (signed control call),
 * records the state and audits who did it: the policy. Another agent's incident, which the
 * policy does not match, pauses nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually } from "./helpers/process.ts";
import { signedWith } from "./helpers/receiver.ts";
import { AGENT, bearer, OTHER_AGENT, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver, CONTROL_SECRET, controlledAgent } from "./helpers/with-receiver.ts";

function authFailures(agent: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `auth-${agent}-${i}`,
    time: new Date(Date.now() - 1000 + i).toISOString(),
    type: "auth",
    agent_id: agent,
    auth: { outcome: "failure", principal: "alice", method: "password" },
  }));
}

describe("auto-pause policy end to end", () => {
  const setup = agentwatchWithReceiver((receiver) => ({
    agents: [controlledAgent(receiver, AGENT), controlledAgent(receiver, OTHER_AGENT, "/control-other")],
    alerting: {
      auto_pause: [
        {
          name: "support-bruteforce",
          matchers: [
            { name: "agent_id", value: AGENT },
            { name: "detector", value: "auth_.*", op: "=~" },
          ],
        },
      ],
    },
    detectors: { auth_bruteforce: { threshold: 5, window: "5m" } },
  }));
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  it("pauses the matching agent once, as the policy, and leaves the other running", async () => {
    const posted = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      body: JSON.stringify([...authFailures(AGENT, 5), ...authFailures(OTHER_AGENT, 5)]),
    });
    expect(posted.status).toBe(202);

    const control = await receiver.waitFor((r) => r.path === "/control");
    expect(signedWith(control, CONTROL_SECRET)).toBe(true);
    const command = JSON.parse(control.body);
    expect(command).toMatchObject({ action: "pause", agent_id: AGENT });
    expect(command.reason).toMatch(/^auto-pause \(support-bruteforce\): /);

    const state = await eventually(async () => {
      const agent = await (await aw.fetch(`/v1/agents/${AGENT}`, { headers: bearer(TOKENS.viewer) })).json();
      return agent.state === "paused" && agent.control?.delivered ? agent : undefined;
    });
    expect(state).toMatchObject({ by: "policy:support-bruteforce", incident_id: command.incident_id });
    const audit = await (await aw.fetch("/v1/audit?action=pause", { headers: bearer(TOKENS.viewer) })).json();
    expect(audit.entries.map((e: { actor: string; target: string }) => [e.actor, e.target])).toEqual([
      ["policy:support-bruteforce", `agent:${AGENT}`],
    ]);

    // The other agent's incident fired too, and the policy does not cover it.
    await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.agent_id === OTHER_AGENT,
    );
    await new Promise((r) => setTimeout(r, 1500)); // a tick or more
    const other = await (
      await aw.fetch(`/v1/agents/${OTHER_AGENT}`, { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(other.state).toBe("active");
    expect(receiver.on("/control-other")).toEqual([]);
    expect(receiver.on("/control")).toHaveLength(1);
  });
});
