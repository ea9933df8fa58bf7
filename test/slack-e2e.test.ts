/**
 * On-call acting where it already is, through the real process: the Slack app (against a local
 * server that answers as Slack's Web API does) posts one message per incident with buttons,
 * threads its updates and edits the message to show its state; signed clicks acknowledge,
 * silence, pause and resume (the agent's control URL receives the signed command); a wrong
 * signature, a stale timestamp, a replay and a user without a role change nothing. PagerDuty both
 * ways: an acknowledgement in agentwatch acknowledges in PagerDuty, and PagerDuty's v3 webhooks
 * (signed) acknowledge and resolve agentwatch's incident.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pagerdutySignatureFor, slackSignatureFor } from "../services/runtime/signing.ts";
import { FakeSlack } from "./helpers/fake-slack.ts";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { bearer, postJson, TOKENS } from "./helpers/tokens.ts";
import { controlledAgent } from "./helpers/with-receiver.ts";

const SIGNING_SECRET = "slack-signing-secret-0123456789";
const PD_SECRET = "pagerduty-webhook-secret-0123456789";
const OPERATOR = { id: "U0OPERATOR", username: "jdoe", name: "jdoe" };
const LOOKER = { id: "U0LOOKER", username: "curious", name: "curious" };
const CHANNEL = "C0AGENTINC";
const PAUSABLE = "slack-pausable";

describe("Slack app and PagerDuty, both ways", () => {
  const slack = new FakeSlack();
  const receiver = new Receiver();
  let aw: AgentwatchProcess;

  beforeAll(async () => {
    await slack.start();
    await receiver.start();
    aw = await startAgentwatch({
      config: {
        server: { host: "127.0.0.1", port: 0, external_url: "https://agentwatch.example.com" },
        agents: [controlledAgent(receiver, PAUSABLE)],
        receivers: [
          {
            name: "oncall-slack",
            type: "slack",
            token: slack.token,
            channel: "#agent-incidents",
            api_url: slack.url,
          },
          {
            name: "pd",
            type: "pagerduty",
            routing_key: "pd-routing-key-0123456789",
            url: `${receiver.url}/pd`,
            webhook_secret: PD_SECRET,
          },
        ],
        slack: { signing_secret: SIGNING_SECRET, users: { [OPERATOR.id]: "operator" } },
        alerting: { group_interval: "1s" },
      },
    });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
    await slack.stop();
  });

  /** Ten failed logins for `agent`: a brute-force incident. */
  async function attack(agent: string, prefix: string, offsetMs = 0): Promise<Json> {
    const failures = Array.from({ length: 10 }, (_, i) => ({
      id: `${prefix}-${i}`,
      time: new Date(Date.now() + offsetMs).toISOString(),
      type: "auth",
      agent_id: agent,
      auth: { outcome: "failure", principal: `${agent}-victim` },
    }));
    expect((await aw.fetch("/v1/events", postJson(TOKENS.admin, failures))).status).toBe(202);
    return eventually(async () => {
      const all: Json[] = (
        await (await aw.fetch(`/v1/incidents?agent_id=${agent}`, { headers: bearer(TOKENS.viewer) })).json()
      ).incidents;
      if (all.length === 0) throw new Error(`no incident for ${agent} yet`);
      return all[0];
    });
  }

  /** Waits until the assertions in `check` hold. */
  const holds = (check: () => void) =>
    eventually(async () => {
      check();
      return true;
    });

  const incident = async (id: string): Promise<Json> =>
    (await aw.fetch(`/v1/incidents/${id}`, { headers: bearer(TOKENS.viewer) })).json();

  /** The incident's top-level message, once posted. */
  const messageOf = (id: string) =>
    eventually(async () => {
      const found = slack.messages.find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(id));
      if (!found) throw new Error(`no Slack message for ${id} yet`);
      return found;
    });

  const buttonsOf = (blocks: unknown[]): Json[] =>
    (blocks as Json[]).find((b) => b.type === "actions")?.elements ?? [];

  /** A click as Slack posts it: form-encoded `payload`, signed with the signing secret. */
  function click(
    user: typeof OPERATOR,
    message: { ts: string; blocks: unknown[] },
    actionId: string,
    options: { secret?: string; timestamp?: number } = {},
  ) {
    const button = buttonsOf(message.blocks).find((b) => b.action_id === actionId);
    if (!button) throw new Error(`no ${actionId} button on the message`);
    const payload = {
      type: "block_actions",
      user: { ...user, team_id: "T0TEAM" },
      api_app_id: "A0AGENTWATCH",
      container: { type: "message", message_ts: message.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: "123.456.abc",
      team: { id: "T0TEAM", domain: "example" },
      channel: { id: CHANNEL, name: "agent-incidents" },
      message: { type: "message", ts: message.ts, text: "", blocks: message.blocks },
      response_url: "https://hooks.slack.com/actions/T0TEAM/1/xyz",
      actions: [
        {
          type: "button",
          action_id: actionId,
          block_id: "agentwatch_actions",
          value: button.value,
          text: button.text,
          action_ts: String(Date.now() / 1000),
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignatureFor(options.secret ?? SIGNING_SECRET, timestamp, body),
      },
    };
  }

  const send = (request: { body: string; headers: Record<string, string> }) =>
    aw.fetch("/v1/slack/interactions", { method: "POST", ...request });

  const audit = async (): Promise<Json[]> =>
    (await (await aw.fetch("/v1/audit?limit=200", { headers: bearer(TOKENS.viewer) })).json()).entries;

  it("posts one message per incident with its buttons and link, threads a later finding and edits the message", async () => {
    // Dated a window ago (the detector alerts once per 5 minutes), so that it alerts again now.
    const opened = await attack("slack-a", "slack-a-auth", -310_000);
    const message = await messageOf(opened.id);
    expect(message.channel).toBe(CHANNEL);
    expect(message.text).toContain("slack-a");
    const labels = buttonsOf(message.blocks).map((b) => b.text.text);
    expect(labels).toEqual(["Acknowledge", "Resolve", "Silence 1h", "Pause agent"]);
    const pause = buttonsOf(message.blocks).find((b) => b.action_id === "agentwatch_pause");
    expect(pause.confirm.confirm.text).toBe("Pause");
    expect(JSON.parse(pause.value)).toEqual({
      receiver: "oncall-slack",
      incident: opened.id,
      agent: "slack-a",
    });
    expect(JSON.stringify(message.blocks)).toContain(
      `https://agentwatch.example.com/ui/#/incidents/${opened.id}`,
    );
    expect(slack.callsOf("chat.postMessage").every((c) => c.token === slack.token)).toBe(true);

    // More failures in the detector's next window, after group_interval: an update of the same incident.
    await new Promise((r) => setTimeout(r, 1200));
    await attack("slack-a", "slack-a-more");
    await holds(() => {
      const reply = slack.messages.find((m) => m.thread_ts === message.ts);
      if (!reply) throw new Error("no thread reply yet");
      expect(reply.text).toMatch(/findings now/);
    });
    const updates = slack.callsOf("chat.update").filter((c) => c.args.ts === message.ts);
    expect(updates.length).toBeGreaterThan(0);
    // Still one top-level message for the incident.
    expect(
      slack.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(opened.id)),
    ).toHaveLength(1);
  });

  it("refuses a wrong signature, a stale timestamp, a replay and a user without a role; nothing changes", async () => {
    const opened = await attack("slack-b", "slack-b-auth");
    const message = await messageOf(opened.id);
    const updatesBefore = slack.callsOf("chat.update").length;
    expect(
      (await send(click(OPERATOR, message, "agentwatch_ack", { secret: "not-the-signing-secret-0000" })))
        .status,
    ).toBe(401);
    const stale = click(OPERATOR, message, "agentwatch_ack", {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect((await send(stale)).status).toBe(401);
    // The body altered after signing.
    const altered = click(OPERATOR, message, "agentwatch_ack");
    expect((await send({ ...altered, body: altered.body.replace("slack-b", "slack-x") })).status).toBe(401);
    // No signature at all.
    expect(
      (
        await aw.fetch("/v1/slack/interactions", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: altered.body,
        })
      ).status,
    ).toBe(401);

    // Signed, but by a user with no role: answered, told, nothing done.
    const looked = click(LOOKER, message, "agentwatch_pause");
    expect((await send(looked)).status).toBe(200);
    const told = await eventually(async () => {
      const call = slack.callsOf("chat.postEphemeral").find((c) => c.args.user === LOOKER.id);
      if (!call) throw new Error("no ephemeral message yet");
      return call;
    });
    expect(told.args.channel).toBe(CHANNEL);
    expect(String(told.args.text)).toMatch(/no agentwatch role/);
    // The same signed click again is a replay.
    expect((await send(looked)).status).toBe(401);

    expect((await incident(opened.id)).status).toBe("open");
    const agent = await (await aw.fetch("/v1/agents/slack-b", { headers: bearer(TOKENS.viewer) })).json();
    expect(agent.state).toBe("active");
    expect((await audit()).filter((e: Json) => String(e.actor).startsWith("slack:"))).toHaveLength(0);
    expect(slack.callsOf("chat.update").length).toBe(updatesBefore);
  });

  it("acknowledges from Slack: the incident, the audit trail, the edited message, its thread and PagerDuty", async () => {
    const opened = await attack("slack-c", "slack-c-auth");
    const message = await messageOf(opened.id);
    expect((await send(click(OPERATOR, message, "agentwatch_ack"))).status).toBe(200);
    const acked = await eventually(async () => {
      const now = await incident(opened.id);
      if (now.status !== "acknowledged") throw new Error("not acknowledged yet");
      return now;
    });
    expect(acked.acknowledged_by).toBe("slack:U0OPERATOR (jdoe)");
    const entry = (await audit()).find((e: Json) => e.action === "ack" && e.incident_id === opened.id);
    expect(entry.actor).toBe("slack:U0OPERATOR (jdoe)");
    await holds(() => {
      const now = slack.message(CHANNEL, message.ts);
      expect(JSON.stringify(now?.blocks)).toContain("Acknowledged by slack:U0OPERATOR (jdoe)");
      expect(buttonsOf(now?.blocks ?? []).map((b) => b.text.text)).toEqual([
        "Resolve",
        "Silence 1h",
        "Pause agent",
      ]);
      expect(slack.messages.some((m) => m.thread_ts === message.ts && /Acknowledged by/.test(m.text))).toBe(
        true,
      );
    });
    // PagerDuty heard it fire, and now that it is acknowledged.
    const ack = await receiver.waitFor(
      (r) =>
        r.path === "/pd" &&
        JSON.parse(r.body).event_action === "acknowledge" &&
        JSON.parse(r.body).dedup_key === opened.id,
    );
    expect(JSON.parse(ack.body).routing_key).toBe("pd-routing-key-0123456789");
  });

  it("pauses from Slack (the agent's runtime gets the signed pause), then offers Resume, which resumes", async () => {
    const opened = await attack(PAUSABLE, "slack-p-auth");
    const message = await messageOf(opened.id);
    expect((await send(click(OPERATOR, message, "agentwatch_pause"))).status).toBe(200);
    const command = await receiver.waitFor(
      (r) => r.path === "/control" && JSON.parse(r.body).action === "pause",
    );
    expect(JSON.parse(command.body)).toMatchObject({ agent_id: PAUSABLE, incident_id: opened.id });
    expect(command.headers["x-agentwatch-signature"]).toMatch(/^sha256=/);
    const agent = await (await aw.fetch(`/v1/agents/${PAUSABLE}`, { headers: bearer(TOKENS.viewer) })).json();
    expect(agent).toMatchObject({ state: "paused", by: "slack:U0OPERATOR (jdoe)", incident_id: opened.id });
    const edited = await eventually(async () => {
      const now = slack.message(CHANNEL, message.ts);
      const labels = buttonsOf(now?.blocks ?? []).map((b) => b.text.text);
      if (!labels.includes("Resume agent")) throw new Error("no Resume button yet");
      return now;
    });
    expect(JSON.stringify(edited?.blocks)).toContain("Agent paused by slack:U0OPERATOR (jdoe)");
    expect(
      (await send(click(OPERATOR, edited as { ts: string; blocks: unknown[] }, "agentwatch_resume"))).status,
    ).toBe(200);
    await receiver.waitFor((r) => r.path === "/control" && JSON.parse(r.body).action === "resume");
    const actions = (await audit())
      .filter((e: Json) => e.target === `agent:${PAUSABLE}`)
      .map((e: Json) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["pause", "resume"]));
  });

  it("silences the incident's labels for an hour from Slack", async () => {
    const opened = await attack("slack-s", "slack-s-auth");
    const message = await messageOf(opened.id);
    expect((await send(click(OPERATOR, message, "agentwatch_silence_1h"))).status).toBe(200);
    const silence = await eventually(async () => {
      const all: Json[] = (await (await aw.fetch("/v1/silences", { headers: bearer(TOKENS.viewer) })).json())
        .silences;
      const found = all.find((s) => s.created_by === "slack:U0OPERATOR (jdoe)");
      if (!found) throw new Error("no silence yet");
      return found;
    });
    expect(silence.matchers).toEqual(
      expect.arrayContaining([{ name: "agent_id", value: "slack-s", op: "=" }]),
    );
    const hours = (Date.parse(silence.ends_at) - Date.parse(silence.starts_at)) / 3_600_000;
    expect(hours).toBeCloseTo(1, 2);
    await holds(() => {
      expect(slack.messages.some((m) => m.thread_ts === message.ts && /Silenced by/.test(m.text))).toBe(true);
    });
  });

  it("waits out Slack's Retry-After on a 429, then posts", async () => {
    slack.rateLimitNext(1, 2);
    const before = slack.calls.length;
    const opened = await attack("slack-r", "slack-r-auth");
    await messageOf(opened.id);
    const posts = slack.calls.slice(before).filter((c) => c.method === "chat.postMessage");
    expect(posts.length).toBeGreaterThanOrEqual(2);
    // The retry came no sooner than Slack asked.
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  describe("PagerDuty v3 webhooks", () => {
    const delivery = (eventType: string, incidentKey: string, id: string) =>
      JSON.stringify({
        event: {
          id,
          event_type: eventType,
          resource_type: "incident",
          occurred_at: new Date().toISOString(),
          agent: {
            html_url: "https://acme.pagerduty.com/users/PLH1HKV",
            id: "PLH1HKV",
            self: "https://api.pagerduty.com/users/PLH1HKV",
            summary: "Jane Oncall",
            type: "user_reference",
          },
          client: { name: "PagerDuty" },
          data: {
            id: "PGR0VU2",
            type: "incident",
            self: "https://api.pagerduty.com/incidents/PGR0VU2",
            html_url: "https://acme.pagerduty.com/incidents/PGR0VU2",
            number: 2,
            status: eventType === "incident.resolved" ? "resolved" : "acknowledged",
            incident_key: incidentKey,
            created_at: new Date().toISOString(),
            title: "[warning] brute force",
            service: { id: "PF9KMXH", summary: "agentwatch", type: "service_reference" },
            assignees: [],
            urgency: "high",
            resolve_reason: null,
          },
        },
      });
    const post = (body: string, signature?: string) =>
      aw.fetch("/v1/pagerduty/webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(signature === undefined ? {} : { "x-pagerduty-signature": signature }),
        },
        body,
      });

    it("refuses unsigned and wrongly signed deliveries, and changes nothing", async () => {
      const opened = await attack("pd-a", "pd-a-auth");
      const body = delivery("incident.acknowledged", opened.id, "evt-refused");
      expect((await post(body)).status).toBe(401);
      expect((await post(body, pagerdutySignatureFor("another-secret-0123456789", body))).status).toBe(401);
      expect((await post(body, pagerdutySignatureFor(PD_SECRET, `${body} `))).status).toBe(401);
      expect((await post(body, pagerdutySignatureFor(PD_SECRET, body).replace("v1=", "v0="))).status).toBe(
        401,
      );
      expect((await incident(opened.id)).status).toBe("open");
    });

    it("acknowledges, then resolves, the incident of the dedup key (a rotated secret's pair of signatures too)", async () => {
      const opened = await attack("pd-b", "pd-b-auth");
      const message = await messageOf(opened.id);
      await receiver.waitFor((r) => r.path === "/pd" && JSON.parse(r.body).dedup_key === opened.id);
      const ack = delivery("incident.acknowledged", opened.id, "evt-ack-1");
      const rotated = `${pagerdutySignatureFor("old-secret-0123456789abcdef", ack)},${pagerdutySignatureFor(PD_SECRET, ack)}`;
      const res = await post(ack, rotated);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ event: "evt-ack-1", incident: opened.id, outcome: "acknowledged" });
      const now = await incident(opened.id);
      expect(now).toMatchObject({
        status: "acknowledged",
        acknowledged_by: "pagerduty:PLH1HKV (Jane Oncall)",
      });
      // Slack shows it; PagerDuty, where it came from, is not told again.
      await holds(() => {
        expect(JSON.stringify(slack.message(CHANNEL, message.ts)?.blocks)).toContain(
          "pagerduty:PLH1HKV (Jane Oncall)",
        );
      });
      expect(
        receiver
          .on("/pd")
          .filter(
            (r) =>
              JSON.parse(r.body).event_action === "acknowledge" && JSON.parse(r.body).dedup_key === opened.id,
          ),
      ).toHaveLength(0);

      // An event for an incident agentwatch does not have, or of another type: answered, left.
      const other = delivery("incident.acknowledged", "not-ours-123", "evt-other");
      expect(await (await post(other, pagerdutySignatureFor(PD_SECRET, other))).json()).toMatchObject({
        outcome: "ignored",
        incident: null,
      });
      const annotated = delivery("incident.annotated", opened.id, "evt-note");
      expect(await (await post(annotated, pagerdutySignatureFor(PD_SECRET, annotated))).json()).toMatchObject(
        {
          outcome: "ignored",
        },
      );

      const resolved = delivery("incident.resolved", opened.id, "evt-res-1");
      expect(await (await post(resolved, pagerdutySignatureFor(PD_SECRET, resolved))).json()).toMatchObject({
        outcome: "resolved",
      });
      expect(await incident(opened.id)).toMatchObject({
        status: "resolved",
        resolved_by: "pagerduty:PLH1HKV (Jane Oncall)",
      });
      const entries = (await audit())
        .filter((e: Json) => e.incident_id === opened.id)
        .map((e: Json) => [e.action, e.actor]);
      expect(entries).toEqual(
        expect.arrayContaining([
          ["ack", "pagerduty:PLH1HKV (Jane Oncall)"],
          ["resolve", "pagerduty:PLH1HKV (Jane Oncall)"],
        ]),
      );
      await holds(() => {
        const blocks = slack.message(CHANNEL, message.ts)?.blocks ?? [];
        expect(JSON.stringify(blocks)).toContain("Resolved by pagerduty:PLH1HKV (Jane Oncall)");
        expect(buttonsOf(blocks).map((b) => b.text.text)).toEqual(["Pause agent"]);
      });
    });
  });
});
