/**
 * What reaches people is built from agent events, so an attacker writes it. A principal such as
 * `<!channel> <https://x|Reset>` must not ping a Slack channel or post a link as the bot, and a
 * title with line breaks or bidi overrides must not add lines (fake headers or fields) to an
 * e-mail or a PagerDuty summary. A test per notifier, on the message each one builds.
 */
import { describe, expect, it } from "vitest";
import { incidentFor } from "../../../test/helpers/notifiers.ts";
import { emailHtml, emailSubject, emailText } from "./email.ts";
import type { AlertNotification } from "./notifier.ts";
import { pagerdutyEvent } from "./pagerduty.ts";
import { slackMessage } from "./slack.ts";
import { slackAppMessage, threadReply } from "./slack-app.ts";
import { escapeSlack } from "./text.ts";

const HOSTILE =
  "<!channel> <https://evil.example/reset|Reset your password>\r\nBcc: victim@example.com\u202Eevil";
const incident = incidentFor({
  severity: "critical",
  detector: "auth_bruteforce",
  agent_id: "support-bot",
  title: `Brute force against principal "${HOSTILE}" on support-bot`,
  summary: `10 failed authentications for principal "${HOSTILE}"`,
  labels: { principal: HOSTILE },
  finding_count: 10,
  findings: [{ id: "f1", detector: "auth_bruteforce", time: "2026-11-20T10:00:00.000Z", summary: HOSTILE }],
});
const firing: AlertNotification = { version: "1", status: "firing", incident };

describe("hostile text in notifications", () => {
  it("Slack: nothing pings, links or breaks lines, in the text or the blocks", () => {
    const message = JSON.stringify(slackMessage(firing));
    expect(message).not.toMatch(/<!channel>|<https?:|<!here>|<@/);
    expect(message).toContain("&lt;!channel&gt; &lt;hxxps://evil[.]example/reset|Reset your password&gt;");
    const text = (slackMessage(firing) as { text: string }).text;
    expect(text).not.toMatch(/[<>\r\n\u202E]/);
  });

  it("Slack: formatting characters become look-alikes, snake_case stays, URLs are defanged", () => {
    expect(escapeSlack("tool send_email by svc_bot: *urgent* `rm` ~x~ _note_ http://a.b.example/p?q=1")).toBe(
      "tool send_email by svc_bot: \u2217urgent\u2217 \u02cbrm\u02cb \u02dcx\u02dc \u02cdnote\u02cd hxxp://a[.]b[.]example/p?q=1",
    );
    // Text that is URLs throughout (64 KiB) is defanged throughout.
    const long = "https://".repeat(8192);
    expect(escapeSlack(long).startsWith("hxxps://")).toBe(true);
  });

  it("Slack app: the message, its buttons' confirm text and its thread replies neither ping nor link", () => {
    const hostileAgent = {
      state: "paused" as const,
      by: HOSTILE,
      reason: HOSTILE,
      since: "2026-11-20T10:00:00Z",
    };
    const message = JSON.stringify(
      slackAppMessage(incident, hostileAgent, { receiver: "oncall", buttons: true, link: undefined }),
    );
    expect(message).not.toMatch(/<!channel>|<https?:|<!here>|<@/);
    const update = {
      kind: "agent_paused" as const,
      by: HOSTILE,
      at: "2026-11-20T10:00:00Z",
      reason: HOSTILE,
    };
    for (const reply of [threadReply(firing, incident), threadReply({ ...firing, update }, incident)]) {
      expect(reply).not.toMatch(/[<>\r\n\u202E]/);
    }
  });

  it("e-mail: the HTML part has no tag, attribute or entity the attacker wrote", () => {
    const html = emailHtml(firing, "https://aw.example.com/ui/#/incidents/x");
    expect(html).not.toMatch(/<!channel>|<https?:|\u202E/);
    expect(html).toContain("&lt;!channel&gt; &lt;https://evil.example/reset|Reset your password&gt;");
  });

  it("e-mail: the subject is one line and no body line is written by the attacker's line breaks", () => {
    expect(emailSubject(firing)).not.toMatch(/[\r\n\u202E]/);
    const body = emailText(firing);
    expect(body.split("\n").filter((line) => line.startsWith("Bcc:"))).toEqual([]);
    expect(body).not.toMatch(/[\r\u202E]/);
  });

  it("PagerDuty: the summary is one line", () => {
    const event = pagerdutyEvent(firing, "key") as { payload: { summary: string } };
    expect(event.payload.summary).not.toMatch(/[\r\n\u202E]/);
    expect(event.payload.summary).toContain("Bcc: victim@example.com");
  });
});
