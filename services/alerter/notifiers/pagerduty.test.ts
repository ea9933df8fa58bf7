import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentFor, parseReceiver, rejection } from "../../../test/helpers/notifiers.ts";
import { Receiver } from "../../../test/helpers/receiver.ts";
import type { PagerdutyReceiverConfig } from "../../runtime/config.ts";
import { PagerdutyNotifier } from "./pagerduty.ts";

const incident = incidentFor({
  id: "inc_7",
  severity: "warning",
  detector: "exfiltration",
  agent_id: "coder",
  session_id: "s-1",
  title: "Tool call to a paste host",
  summary: "http_get to pastebin.com",
  labels: { tool: "http_get" },
});

function notifierFor(url: string): PagerdutyNotifier {
  return new PagerdutyNotifier(
    parseReceiver<PagerdutyReceiverConfig>({
      name: "pager",
      type: "pagerduty",
      routing_key: "R0UT1NGKEY",
      url,
    }),
  );
}

describe("pagerduty notifier", () => {
  const receiver = new Receiver();
  beforeAll(async () => {
    await receiver.start();
    receiver.status.set("/v2/enqueue", 202);
    receiver.status.set("/bad", 400);
    receiver.status.set("/busy", 503);
  });
  afterAll(() => receiver.stop());

  it("triggers with the incident id as dedup key, and resolves the same key", async () => {
    const pager = notifierFor(`${receiver.url}/v2/enqueue`);
    await pager.send({ version: "1", status: "firing", incident });
    await pager.send({ version: "1", status: "resolved", incident });
    const [trigger, resolve] = receiver.on("/v2/enqueue").map((r) => JSON.parse(r.body));
    expect(trigger).toMatchObject({
      routing_key: "R0UT1NGKEY",
      event_action: "trigger",
      dedup_key: "inc_7",
      payload: {
        summary: "[warning] Tool call to a paste host (coder)",
        source: "coder",
        severity: "warning",
        timestamp: "2026-11-20T10:00:00.000Z",
        component: "exfiltration",
        group: "s-1",
        custom_details: {
          summary: "http_get to pastebin.com",
          labels: { tool: "http_get" },
          finding_count: 1,
        },
      },
    });
    expect(resolve).toEqual({ routing_key: "R0UT1NGKEY", event_action: "resolve", dedup_key: "inc_7" });
  });

  it("acknowledges the same key when the incident is acknowledged in agentwatch, and takes no other update", async () => {
    const pager = notifierFor(`${receiver.url}/v2/enqueue`);
    expect([...pager.updatesTaken]).toEqual(["acknowledged"]);
    const before = receiver.on("/v2/enqueue").length;
    await pager.send({
      version: "1",
      status: "firing",
      incident: { ...incident, status: "acknowledged" },
      update: { kind: "acknowledged", by: "slack:U1 (amy)", at: "2026-11-20T10:01:00.000Z", reason: null },
    });
    const sent = receiver
      .on("/v2/enqueue")
      .slice(before)
      .map((r) => JSON.parse(r.body));
    expect(sent).toEqual([{ routing_key: "R0UT1NGKEY", event_action: "acknowledge", dedup_key: "inc_7" }]);
  });

  it("retries a 5xx, not a 400 (a bad key or payload)", async () => {
    const fail = (path: string) =>
      rejection(notifierFor(`${receiver.url}${path}`).send({ version: "1", status: "firing", incident }));
    expect((await fail("/busy")).retryable).toBe(true);
    const bad = await fail("/bad");
    expect(bad.retryable).toBe(false);
    expect(bad.message).not.toContain("R0UT1NGKEY");
  });
});
