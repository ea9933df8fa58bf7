import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentFor, parseReceiver, rejection } from "../../../test/helpers/notifiers.ts";
import { Receiver } from "../../../test/helpers/receiver.ts";
import type { SlackReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import type { AlertNotification } from "./notifier.ts";
import { SlackNotifier } from "./slack.ts";

const incident = incidentFor({
  severity: "critical",
  detector: "auth_bruteforce",
  agent_id: "support-bot",
  title: "Brute force on <alice> & co",
  summary: "12 failures in 5m",
  labels: { principal: "alice" },
  updated_at: "2026-11-20T10:01:00.000Z",
  finding_count: 12,
  findings: [
    { id: "f1", detector: "auth_bruteforce", time: "2026-11-20T10:00:00.000Z", summary: "12 failures" },
  ],
});

function notifierFor(url: string): SlackNotifier {
  return new SlackNotifier(parseReceiver<SlackReceiverConfig>({ name: "team-slack", type: "slack", url }));
}

describe("slack notifier", () => {
  const receiver = new Receiver();
  beforeAll(async () => {
    await receiver.start();
    receiver.status.set("/services/T0/B0/revoked", 404);
    receiver.status.set("/services/T0/B0/limited", 429);
  });
  afterAll(() => receiver.stop());

  it("posts one readable message: the headline, the fields, the latest findings, escaped", async () => {
    await notifierFor(`${receiver.url}/services/T0/B0/ok`).send({ version: "1", status: "firing", incident });
    const body = JSON.parse(receiver.on("/services/T0/B0/ok")[0]?.body ?? "{}");
    expect(body.text).toBe("[CRITICAL] Brute force on &lt;alice&gt; &amp; co (support-bot)");
    const [attachment] = body.attachments;
    expect(attachment.color).toBe("#d7263d");
    const texts = JSON.stringify(attachment.blocks);
    expect(texts).toContain(":rotating_light: [CRITICAL] Brute force on &lt;alice&gt; &amp; co");
    expect(texts).toContain("*Agent*\\nsupport-bot");
    expect(texts).toContain("*Findings*\\n12");
    expect(texts).toContain("12 failures");
    expect(texts).toContain("inc_1");

    const resolved: AlertNotification = { version: "1", status: "resolved", incident };
    await notifierFor(`${receiver.url}/services/T0/B0/ok`).send(resolved);
    const second = JSON.parse(receiver.on("/services/T0/B0/ok")[1]?.body ?? "{}");
    expect(second.text).toMatch(/^\[RESOLVED\] /);
    expect(second.attachments[0].color).toBe("#2e933c");
  });

  it("retries a rate limit, not a revoked hook, and never shows the hook URL (it is the credential)", async () => {
    const fail = (path: string) =>
      rejection(notifierFor(`${receiver.url}${path}`).send({ version: "1", status: "firing", incident }));
    const limited = await fail("/services/T0/B0/limited");
    expect(limited.retryable).toBe(true);
    const revoked = await fail("/services/T0/B0/revoked");
    expect(revoked.retryable).toBe(false);
    expect(revoked.message).toMatch(/^POST the Slack webhook of receiver team-slack answered 404/);
    expect(`${limited.message} ${revoked.message}`).not.toContain("/services/");
  });

  it("keeps the webhook URL secret in the config", () => {
    const config = parseReceiver({
      name: "s",
      type: "slack",
      url: "https://hooks.slack.com/services/T0/B0/XYZ",
    });
    expect(JSON.stringify(config)).not.toContain("XYZ");
    expect(() => parseReceiver({ name: "s", type: "slack", url: "hooks.slack.com/x" })).toThrow(
      AgentwatchError,
    );
  });
});
