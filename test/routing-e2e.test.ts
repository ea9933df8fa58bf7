/**
 * Routing and the receiver types through the real process: a critical brute force on one agent
 * pages PagerDuty and posts to that team's Slack, the catch-all webhook does not hear of it; the
 * other agent's incident, which no route takes, reaches every receiver. Resolving an incident
 * resolves it in PagerDuty and says so in Slack. The receivers are local HTTP servers speaking
 * the two services' formats.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, startAgentwatch } from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { AGENT, bearer, OTHER_AGENT, TOKENS } from "./helpers/tokens.ts";

const SLACK_PATH = "/services/T000/B000/team-secret";

function authFailures(agent: string, principal: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `auth-${agent}-${principal}-${i}`,
    time: new Date(Date.now() - 1000 + i).toISOString(),
    type: "auth",
    agent_id: agent,
    auth: { outcome: "failure", principal, method: "password" },
  }));
}

describe("routing to webhook, Slack and PagerDuty receivers", () => {
  const receiver = new Receiver();
  let aw: AgentwatchProcess;

  beforeAll(async () => {
    await receiver.start();
    receiver.status.set("/v2/enqueue", 202);
    aw = await startAgentwatch({
      config: {
        receivers: [
          {
            name: "catch-all",
            type: "webhook",
            url: `${receiver.url}/alerts`,
            secret: "hook-secret-0123456789",
          },
          { name: "support-slack", type: "slack", url: `${receiver.url}${SLACK_PATH}` },
          { name: "pager", type: "pagerduty", routing_key: "R0UT1NG", url: `${receiver.url}/v2/enqueue` },
        ],
        alerting: {
          routes: [
            {
              matchers: [
                { name: "severity", value: "critical" },
                { name: "agent_id", value: AGENT },
              ],
              receivers: ["pager"],
              continue: true,
            },
            { matchers: [{ name: "agent_id", value: "support-.*", op: "=~" }], receivers: ["support-slack"] },
          ],
        },
        detectors: { auth_bruteforce: { threshold: 5, window: "5m" } },
      },
    });
  });

  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
  });

  it("sends each incident where its routes say, and everywhere when none holds", async () => {
    const ours = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      body: JSON.stringify([...authFailures(AGENT, "alice", 5), ...authFailures(OTHER_AGENT, "bob", 5)]),
    });
    expect(ours.status).toBe(202);

    const paged = await receiver.waitFor(
      (r) => r.path === "/v2/enqueue" && JSON.parse(r.body).payload?.source === AGENT,
    );
    const trigger = JSON.parse(paged.body);
    expect(trigger).toMatchObject({
      routing_key: "R0UT1NG",
      event_action: "trigger",
      payload: { source: AGENT },
    });
    const slack = await receiver.waitFor(
      (r) => r.path === SLACK_PATH && JSON.parse(r.body).text.includes(`(${AGENT})`),
    );
    expect(JSON.parse(slack.body).text).toMatch(new RegExp(`^\\[CRITICAL\\] .*\\(${AGENT}\\)$`));

    // The other agent's incident: no route holds, so every receiver hears of it.
    const other = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.agent_id === OTHER_AGENT,
    );
    await receiver.waitFor((r) => r.path === SLACK_PATH && JSON.parse(r.body).text.includes(OTHER_AGENT));
    await receiver.waitFor(
      (r) => r.path === "/v2/enqueue" && JSON.parse(r.body).payload?.source === OTHER_AGENT,
    );
    expect(JSON.parse(other.body).status).toBe("firing");
    // ...and the catch-all webhook never heard of ours.
    expect(receiver.on("/alerts").filter((r) => JSON.parse(r.body).incident.agent_id === AGENT)).toEqual([]);

    const resolved = await aw.fetch(`/v1/incidents/${trigger.dedup_key}/resolve`, {
      method: "POST",
      headers: { ...bearer(TOKENS.operator), "content-type": "application/json" },
      body: JSON.stringify({ comment: "password reset" }),
    });
    expect(resolved.status).toBe(200);
    const resolve = await receiver.waitFor(
      (r) => r.path === "/v2/enqueue" && JSON.parse(r.body).event_action === "resolve",
    );
    expect(JSON.parse(resolve.body)).toEqual({
      routing_key: "R0UT1NG",
      event_action: "resolve",
      dedup_key: trigger.dedup_key,
    });
    await receiver.waitFor((r) => r.path === SLACK_PATH && JSON.parse(r.body).text.startsWith("[RESOLVED]"));
  });
});
