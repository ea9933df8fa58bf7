import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Secret } from "../../lib/secret.ts";
import { Receiver } from "../../test/helpers/receiver.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { Delivery } from "../runtime/model.ts";
import { postSigned } from "../runtime/outbound.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { alertPriority, backoff, DeliveryDispatcher } from "./dispatcher.ts";

describe("delivery dispatcher", () => {
  let receiver: Receiver;
  let dir: string;
  let storage: EmbeddedStorage;
  let now: number;
  let dispatcher: DeliveryDispatcher;
  const attempts: Delivery[] = [];

  beforeEach(async () => {
    receiver = await new Receiver().start();
    dir = mkdtempSync(join(tmpdir(), "aw-dispatch-"));
    storage = new EmbeddedStorage(dir);
    await storage.start();
    now = Date.parse("2026-11-20T10:00:00Z");
    attempts.length = 0;
    dispatcher = createDispatcher();
  });

  /** A dispatcher over the test's storage and clock that sends to the receiver, path = target. */
  function createDispatcher(): DeliveryDispatcher {
    return new DeliveryDispatcher({
      storage,
      metrics: new Metrics(),
      logger: createLogger("silent"),
      now: () => now,
      pollIntervalMs: 20,
      senderFor: (_kind, target) =>
        target === "unconfigured"
          ? undefined
          : (body) => postSigned(`${receiver.url}/${target}`, new Secret("s"), body, 1000),
      onAttempt: async (d) => {
        attempts.push(d);
      },
    });
  }

  afterEach(async () => {
    await dispatcher.stop();
    await storage.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs polls until `id` is no longer pending or `rounds` passed, moving the clock past each backoff. */
  async function drive(id: string, rounds: number): Promise<Delivery> {
    dispatcher.start();
    for (let i = 0; i < rounds; i += 1) {
      const current = await storage.getDelivery(id);
      if (current && current.status !== "pending") return current;
      now += 400_000; // past any backoff
      await new Promise((r) => setTimeout(r, 60));
    }
    return (await storage.getDelivery(id)) as Delivery;
  }

  it("delivers at once and records the attempt", async () => {
    const d = await dispatcher.enqueue({ kind: "alert", target: "ok", body: '{"a":1}', maxAttempts: 3 });
    const after = await dispatcher.attemptNow(d.id);
    expect(after).toMatchObject({ status: "delivered", attempts: 1, last_error: null });
    expect(receiver.on("/ok")[0]?.body).toBe('{"a":1}');
    expect(attempts.map((a) => a.status)).toEqual(["delivered"]);
  });

  it("waits as long as a 429's Retry-After asks (seconds or a date), even past its own backoff", async () => {
    receiver.status.set("/limited", 429);
    receiver.headers.set("/limited", { "retry-after": "120" });
    const d = await dispatcher.enqueue({ kind: "alert", target: "limited", body: "{}", maxAttempts: 5 });
    const first = await dispatcher.attemptNow(d.id);
    expect(first.status).toBe("pending");
    expect(first.next_attempt_at - now).toBeGreaterThanOrEqual(120_000);
    receiver.headers.set("/limited", { "retry-after": new Date(Date.now() + 600_000).toUTCString() });
    const second = await dispatcher.attemptNow(d.id);
    expect(second.next_attempt_at - now).toBeGreaterThanOrEqual(598_000);
    // Nonsense is ignored: the usual backoff.
    receiver.headers.set("/limited", { "retry-after": "soon" });
    const third = await dispatcher.attemptNow(d.id);
    expect(third.next_attempt_at - now).toBeLessThan(10_000);
  });

  it("retries a retryable failure with backoff and gives an alert up after max_attempts", async () => {
    receiver.status.set("/down", 503);
    const d = await dispatcher.enqueue({ kind: "alert", target: "down", body: "{}", maxAttempts: 3 });
    const first = await dispatcher.attemptNow(d.id);
    expect(first.status).toBe("pending");
    expect(first.next_attempt_at).toBeGreaterThan(now);
    const final = await drive(d.id, 20);
    expect(final).toMatchObject({ status: "failed", attempts: 3 });
    expect(final.last_error).toMatch(/answered 503/);
    expect(receiver.on("/down")).toHaveLength(3);
  });

  it("gives an alert up at once when the receiver refuses it for good", async () => {
    receiver.status.set("/gone", 410);
    const d = await dispatcher.enqueue({ kind: "alert", target: "gone", body: "{}", maxAttempts: 10 });
    expect(await dispatcher.attemptNow(d.id)).toMatchObject({ status: "failed", attempts: 1 });
    const unconfigured = await dispatcher.enqueue({
      kind: "alert",
      target: "unconfigured",
      body: "{}",
      maxAttempts: 10,
    });
    const after = await dispatcher.attemptNow(unconfigured.id);
    expect(after.status).toBe("failed");
    expect(after.last_error).toMatch(/not configured/);
  });

  it("retries a control command until a 2xx, whatever the failure", async () => {
    receiver.status.set("/agent", 400);
    const d = await dispatcher.enqueue({
      kind: "control",
      target: "agent",
      body: "{}",
      supersedeKey: "control:a",
    });
    await dispatcher.attemptNow(d.id);
    const still = await drive(d.id, 5);
    expect(still.status).toBe("pending");
    expect(still.attempts).toBeGreaterThanOrEqual(4);
    receiver.status.set("/agent", 200);
    const done = await drive(d.id, 10);
    expect(done.status).toBe("delivered");
  });

  it("lets a newer command supersede a pending one", async () => {
    receiver.status.set("/agent", 503);
    const pause = await dispatcher.enqueue({
      kind: "control",
      target: "agent",
      body: '"pause"',
      supersedeKey: "k",
    });
    await dispatcher.attemptNow(pause.id);
    const resume = await dispatcher.enqueue({
      kind: "control",
      target: "agent",
      body: '"resume"',
      supersedeKey: "k",
    });
    expect((await storage.getDelivery(pause.id))?.status).toBe("superseded");
    receiver.status.set("/agent", 200);
    expect((await drive(resume.id, 10)).status).toBe("delivered");
    expect(receiver.on("/agent").map((r) => r.body)).toEqual(['"pause"', '"resume"']);
  });

  it("resumes pending deliveries after a restart", async () => {
    receiver.status.set("/later", 503);
    const d = await dispatcher.enqueue({ kind: "alert", target: "later", body: "{}", maxAttempts: 5 });
    await dispatcher.attemptNow(d.id);
    await dispatcher.stop();
    receiver.status.set("/later", 200);
    dispatcher = createDispatcher();
    expect((await drive(d.id, 10)).status).toBe("delivered");
  });

  it("backs off exponentially with jitter, capped per kind", () => {
    for (let i = 0; i < 50; i += 1) {
      expect(backoff("alert", 1)).toBeGreaterThanOrEqual(800);
      expect(backoff("alert", 1)).toBeLessThanOrEqual(1200);
      expect(backoff("alert", 4)).toBeGreaterThanOrEqual(6400);
      expect(backoff("alert", 30)).toBeLessThanOrEqual(360_000);
      expect(backoff("control", 30)).toBeLessThanOrEqual(72_000);
    }
  });

  it("keeps sending after every slot was busy at once (the outbox used to stop after its first 8)", async () => {
    receiver.delayMs.set("/busy", 60); // slow enough that polls come while all slots are taken
    const many = await dispatcher.enqueueAll(
      Array.from({ length: 40 }, (_, i) => ({ kind: "alert" as const, target: "busy", body: `{"n":${i}}` })),
    );
    dispatcher.start();
    const deadline = Date.now() + 10_000;
    let delivered = 0;
    while (Date.now() < deadline) {
      delivered = (await Promise.all(many.map((d) => storage.getDelivery(d.id)))).filter(
        (d) => d?.status === "delivered",
      ).length;
      if (delivered === many.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(delivered).toBe(40);
  });

  it("sends a critical alert before a backlog of warnings, even while slow receivers hold the slots", async () => {
    receiver.delayMs.set("/slow", 400);
    const warnings = await dispatcher.enqueueAll(
      Array.from({ length: 30 }, (_, i) => ({
        kind: "alert" as const,
        target: "slow",
        body: `{"warning":${i}}`,
        priority: alertPriority("warning"),
      })),
    );
    dispatcher.start();
    await new Promise((r) => setTimeout(r, 50)); // every warning slot is taken now
    const critical = await dispatcher.enqueue({
      kind: "alert",
      target: "ok",
      body: '{"critical":true}',
      priority: alertPriority("critical"),
    });
    const deadline = Date.now() + 5000;
    while ((await storage.getDelivery(critical.id))?.status !== "delivered" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await storage.getDelivery(critical.id))?.status).toBe("delivered");
    const warningsDone = (await Promise.all(warnings.map((d) => storage.getDelivery(d.id)))).filter(
      (d) => d?.status === "delivered",
    ).length;
    expect(warningsDone).toBeLessThan(warnings.length);
  });
});
