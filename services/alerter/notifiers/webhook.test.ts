import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseReceiver, rejection } from "../../../test/helpers/notifiers.ts";
import { Receiver, signedWith } from "../../../test/helpers/receiver.ts";
import type { WebhookReceiverConfig } from "../../runtime/config.ts";
import type { Incident } from "../../runtime/model.ts";
import type { AlertNotification } from "./notifier.ts";
import { WebhookNotifier } from "./webhook.ts";

const notification: AlertNotification = {
  version: "1",
  status: "firing",
  incident: { id: "inc_1", title: "Brute force", agent_id: "bot" } as Incident,
};

function notifierFor(url: string, timeout = "2s") {
  return new WebhookNotifier(
    parseReceiver<WebhookReceiverConfig>({
      name: "hook",
      type: "webhook",
      url,
      secret: "hook-secret-0123456789",
      timeout,
    }),
  );
}

describe("webhook notifier", () => {
  const receiver = new Receiver();
  const hanging = createServer(() => undefined); // accepts and never answers
  beforeAll(async () => {
    await receiver.start();
    receiver.status.set("/500", 500);
    receiver.status.set("/429", 429);
    receiver.status.set("/400", 400);
    receiver.status.set("/410", 410);
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await receiver.stop();
    hanging.closeAllConnections();
    hanging.close();
  });

  it("POSTs the alert as signed JSON", async () => {
    await notifierFor(`${receiver.url}/ok`).send(notification);
    const request = receiver.on("/ok")[0];
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual(notification);
    expect(request && signedWith(request, "hook-secret-0123456789")).toBe(true);
  });

  it("says a 5xx or 429 is retryable and another 4xx is not", async () => {
    for (const path of ["/500", "/429"]) {
      const err = await rejection(notifierFor(`${receiver.url}${path}`).send(notification));
      expect(err.code).toBe("deliveryFailed");
      expect(err.retryable).toBe(true);
      expect(err.message).toContain(`answered ${path.slice(1)}`);
    }
    for (const path of ["/400", "/410"]) {
      const err = await rejection(notifierFor(`${receiver.url}${path}`).send(notification));
      expect(err.code).toBe("deliveryRejected");
      expect(err.retryable).toBe(false);
    }
  });

  it("says a refused connection or a timeout is retryable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = await rejection(notifierFor(`http://127.0.0.1:${port}/x`).send(notification));
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/ECONNREFUSED/);

    const slowPort = (hanging.address() as AddressInfo).port;
    const timedOut = await rejection(
      notifierFor(`http://127.0.0.1:${slowPort}/x`, "200ms").send(notification),
    );
    expect(timedOut.retryable).toBe(true);
    expect(timedOut.message).toMatch(/no answer within 200 ms/);
  });
});
