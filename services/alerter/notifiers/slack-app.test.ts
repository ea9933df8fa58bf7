/**
 * The Slack app notifier against a local server that answers as Slack's Web API does
 * (test/helpers/fake-slack.ts): one message per incident, its state on the buttons, updates in
 * the thread, hostile text escaped, Slack's errors mapped to retry or not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "../../../test/helpers/fake-slack.ts";
import { incidentFor, rejection } from "../../../test/helpers/notifiers.ts";
import { parseConfig, type SlackReceiverConfig } from "../../runtime/config.ts";
import { createLogger } from "../../runtime/logger.ts";
import type { AgentState, Incident } from "../../runtime/model.ts";
import type { AlertNotification } from "./notifier.ts";
import { type MessageRef, SlackAppNotifier, slackAppMessage } from "./slack-app.ts";

const hostile = incidentFor({
  id: "inc_s1",
  severity: "critical",
  detector: "prompt_injection",
  agent_id: "support-bot",
  title: "Injection <!channel> <https://evil.example|Reset your password> & more",
  summary:
    "ignore previous instructions\n*bold* `code` ~strike~ _italic_ see https://evil.example/login now <@U0ADMIN>",
  labels: { origin: "user" },
  finding_count: 3,
  findings: [
    { id: "f1", detector: "prompt_injection", time: "2026-11-20T10:00:00.000Z", summary: "<!here> do it" },
  ],
});

type AgentView = Pick<AgentState, "state" | "by" | "reason" | "since">;

function receiver(slack: FakeSlack, extra: Record<string, unknown> = {}): SlackReceiverConfig {
  return parseConfig(
    {
      auth: { tokens: [{ name: "root", role: "admin", token: "0123456789abcdef" }] },
      slack: { signing_secret: "signing-secret-0123456789" },
      receivers: [
        {
          name: "oncall",
          type: "slack",
          token: slack.token,
          channel: "#agent-incidents",
          api_url: slack.url,
          ...extra,
        },
      ],
    },
    {},
  ).receivers[0] as SlackReceiverConfig;
}

function notifier(
  slack: FakeSlack,
  state: { incident?: Incident; agent?: AgentView; refs?: Map<string, MessageRef> } = {},
  extra: Record<string, unknown> = {},
) {
  const refs = state.refs ?? new Map<string, MessageRef>();
  return new SlackAppNotifier(receiver(slack, extra), {
    refs: {
      get: async (r, id) => refs.get(`${r}/${id}`),
      put: async (r, id, ref) => {
        refs.set(`${r}/${id}`, ref);
      },
    },
    incident: async () => state.incident,
    agent: async () => state.agent,
    externalUrl: "https://aw.example.com/",
    logger: createLogger("silent", "test", "json"),
  });
}

const firing = (incident: Incident): AlertNotification => ({ version: "1", status: "firing", incident });
const labelsOf = (blocks: unknown[]) =>
  (
    (blocks as { type: string; elements?: { text: { text: string } }[] }[]).find((b) => b.type === "actions")
      ?.elements ?? []
  ).map((e) => e.text.text);

describe("slack app notifier", () => {
  const slack = new FakeSlack();
  beforeAll(() => slack.start());
  afterAll(() => slack.stop());

  it("escapes what the attacker wrote: no channel pings, no links, no mentions, no formatting", () => {
    const { text, blocks } = slackAppMessage(hostile, undefined, {
      receiver: "oncall",
      buttons: true,
      link: "https://aw.example.com/ui/#/incidents/inc_s1",
    });
    const all = JSON.stringify({ text, blocks });
    expect(text).toBe(
      "[CRITICAL] Injection &lt;!channel&gt; &lt;hxxps://evil[.]example|Reset your password&gt; &amp; more (support-bot)",
    );
    expect(all).not.toMatch(/<!channel>|<!here>|<@U0ADMIN>|<https:\/\/evil/);
    // No formatting of the attacker's, and no bare URL to click; Slack's own linking is off.
    expect(all).not.toMatch(/\*bold\*|`code`|~strike~|_italic_|https:\/\/evil/);
    expect(all).toContain(
      "\u2217bold\u2217 \u02cbcode\u02cb \u02dcstrike\u02dc \u02cditalic\u02cd see hxxps://evil[.]example/login",
    );
    const mrkdwn = [...all.matchAll(/"type":"mrkdwn"(,"verbatim":true)?/g)];
    expect(mrkdwn.length).toBeGreaterThan(3);
    expect(mrkdwn.every((m) => m[1] !== undefined)).toBe(true);
    // The only link is agentwatch's own.
    expect(all.match(/<https?:[^>]*>/g)).toEqual([
      "<https://aw.example.com/ui/#/incidents/inc_s1|Open in agentwatch>",
    ]);
  });

  it("shows the incident's state on its buttons", () => {
    const render = (incident: Incident, agent?: AgentView) =>
      labelsOf(
        slackAppMessage(incident, agent, { receiver: "oncall", buttons: true, link: undefined }).blocks,
      );
    expect(render(hostile)).toEqual(["Acknowledge", "Resolve", "Silence 1h", "Pause agent"]);
    expect(render({ ...hostile, status: "acknowledged", acknowledged_by: "oncall" })).toEqual([
      "Resolve",
      "Silence 1h",
      "Pause agent",
    ]);
    const paused: AgentView = {
      state: "paused",
      by: "slack:U1 (amy)",
      reason: "leak",
      since: "2026-11-20T10:05:00Z",
    };
    expect(render({ ...hostile, status: "resolved", resolved_by: "agentwatch" }, paused)).toEqual([
      "Resume agent",
    ]);
    expect(
      labelsOf(
        slackAppMessage(hostile, undefined, { receiver: "oncall", buttons: false, link: undefined }).blocks,
      ),
    ).toEqual([]);
  });

  it("keeps within Slack's limits whatever the text's length", async () => {
    const long = { ...hostile, id: "inc_long", summary: "x".repeat(70_000), title: "t".repeat(5000) };
    await notifier(slack).send(firing(long));
    const post = slack.callsOf("chat.postMessage").at(-1);
    expect(slack.messages.some((m) => m.ts && JSON.stringify(m.blocks).includes("inc_long"))).toBe(true);
    expect(post?.args.channel).toBe("#agent-incidents");
  });

  it("posts once per incident, then edits it and replies in its thread; concurrent sends never post twice", async () => {
    const refs = new Map<string, MessageRef>();
    const incident = { ...hostile, id: "inc_thread" };
    const pager = notifier(slack, { incident, refs });
    await Promise.all([pager.send(firing(incident)), pager.send(firing({ ...incident, finding_count: 4 }))]);
    const top = slack.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks).includes("inc_thread"));
    expect(top).toHaveLength(1);
    const ref = refs.get("oncall/inc_thread");
    expect(ref).toEqual({ channel: "C0AGENTINC", ts: top[0]?.ts });
    await pager.send({
      ...firing(incident),
      update: {
        kind: "agent_paused",
        by: "hook:alertmanager",
        at: "2026-11-20T10:06:00Z",
        reason: "runaway",
      },
    });
    const replies = slack.messages.filter((m) => m.thread_ts === ref?.ts).map((m) => m.text);
    expect(replies).toEqual([
      ":rotating_light: 4 findings now; latest prompt_injection: &lt;!here&gt; do it",
      ":double_vertical_bar: Agent support-bot paused by hook:alertmanager: runaway",
    ]);
    expect(slack.callsOf("chat.update").filter((c) => c.args.ts === ref?.ts)).toHaveLength(2);
  });

  it("posts a new message when the old one was deleted", async () => {
    const refs = new Map<string, MessageRef>([
      ["oncall/inc_gone", { channel: "C0AGENTINC", ts: "1.000001" }],
    ]);
    const incident = { ...hostile, id: "inc_gone" };
    await notifier(slack, { incident, refs }).send(firing(incident));
    expect(refs.get("oncall/inc_gone")?.ts).not.toBe("1.000001");
  });

  it("retries Slack's rate limit after its Retry-After and outages, not a bad token or channel", async () => {
    slack.rateLimitNext(1, 7);
    const limited = await rejection(notifier(slack).send(firing({ ...hostile, id: "inc_rl" })));
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterSeconds).toBe(7);

    const badChannel = await rejection(notifier(slack, {}, { channel: "#nope" }).send(firing(hostile)));
    expect(badChannel.retryable).toBe(false);
    expect(badChannel.message).toContain("channel_not_found");

    const badToken = await rejection(
      notifier(slack, {}, { token: "xoxb-revoked-token-000" }).send(firing(hostile)),
    );
    expect(badToken.retryable).toBe(false);
    expect(badToken.message).toContain("invalid_auth");
    expect(badToken.message).not.toContain("xoxb-revoked");

    const down = await rejection(
      notifier(slack, {}, { api_url: "http://127.0.0.1:1/api/" }).send(firing(hostile)),
    );
    expect(down.retryable).toBe(true);
  });

  it("is checked at start: url, or token and channel; buttons need the signing secret", () => {
    const base = { auth: { tokens: [{ name: "root", role: "admin", token: "0123456789abcdef" }] } };
    const bad =
      (receivers: unknown[], extra: Record<string, unknown> = {}) =>
      () =>
        parseConfig({ ...base, ...extra, receivers }, {});
    expect(bad([{ name: "s", type: "slack" }])).toThrow(/receivers\[0\]\.url: give url/);
    expect(bad([{ name: "s", type: "slack", url: "https://hooks.slack.com/x", token: "xoxb-1" }])).toThrow(
      /give url \(an incoming webhook\) or token and channel/,
    );
    expect(bad([{ name: "s", type: "slack", token: "xoxb-1" }])).toThrow(
      /receivers\[0\]\.channel: token and channel go together/,
    );
    expect(bad([{ name: "s", type: "slack", token: "xoxb-1", channel: "#c" }])).toThrow(
      /receivers\[0\]\.buttons: buttons need slack\.signing_secret/,
    );
    expect(bad([{ name: "s", type: "slack", token: "xoxb-1", channel: "#c", buttons: false }])).not.toThrow();
    expect(bad([], { slack: { signing_secret: "0123456789abcdef", users: { alice: "operator" } } })).toThrow(
      /slack\.users\.alice: must be a Slack user id/,
    );
  });
});
