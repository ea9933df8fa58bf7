/**
 * The outbox of outbound calls (alert notifications and agent control commands). A delivery is
 * stored before it is first tried, so a restart resumes every pending one. Failures that can
 * succeed later are retried with exponential backoff and jitter; an alert gives up after its
 * receiver's `max_attempts` (logged and counted as failed), a control command never does (the
 * contract says: until a 2xx), and a newer command for the same agent supersedes a pending one.
 * A receiver's Retry-After (Slack's and PagerDuty's 429) is honoured: no attempt before it.
 */
import { randomUUID } from "node:crypto";
import { AgentwatchError, asAgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { Delivery, DeliveryKind } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";

/** Sends one delivery's body; rejects with an AgentwatchError that says if a retry can help. */
export type Sender = (body: string) => Promise<void>;

export interface DispatcherOptions {
  storage: Storage;
  metrics: Metrics;
  logger: Logger;
  /** The sender for a delivery's target, or undefined when the target is no longer configured. */
  senderFor(kind: DeliveryKind, target: string): Sender | undefined;
  /** Told after every attempt, with the delivery as stored after it. */
  onAttempt?(delivery: Delivery): Promise<void>;
  now?: () => number;
  pollIntervalMs?: number;
  concurrency?: number;
}

const BASE_BACKOFF_MS = 1000;
/** Slots only urgent deliveries (priority 0) may take. */
const RESERVED_URGENT = 2;
const MAX_BACKOFF_MS: Record<DeliveryKind, number> = { alert: 300_000, control: 60_000 };

export interface NewDelivery {
  kind: DeliveryKind;
  target: string;
  body: string;
  /** Deterministic id, so enqueueing the same notification twice (a replay) stores it once. */
  id?: string;
  supersedeKey?: string;
  maxAttempts?: number;
  /** See Delivery.priority; control commands are always 0. */
  priority?: number;
}

/** The delivery priority of an alert of this severity (Delivery.priority). */
export function alertPriority(severity: string): number {
  return severity === "critical" ? 0 : severity === "warning" ? 1 : 2;
}

export class DeliveryDispatcher {
  readonly #o: DispatcherOptions & { now: () => number; pollIntervalMs: number; concurrency: number };
  readonly #inFlight = new Map<string, Promise<Delivery>>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#o = {
      now: Date.now,
      pollIntervalMs: 250,
      concurrency: 8,
      ...options,
      logger: options.logger.child({ component: "dispatcher" }),
    };
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#timer = setInterval(() => this.#poll(), this.#o.pollIntervalMs);
    this.#timer.unref();
  }

  /** Stops polling and waits for attempts in flight; pending deliveries stay stored. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#polling;
    await Promise.allSettled(this.#inFlight.values());
  }

  async enqueue(input: NewDelivery): Promise<Delivery> {
    return (await this.enqueueAll([input]))[0] as Delivery;
  }

  /** Queues deliveries in one storage write, in order (a later one supersedes an earlier one of its key). */
  async enqueueAll(inputs: NewDelivery[]): Promise<Delivery[]> {
    const now = this.#o.now();
    const deliveries = inputs.map(
      (input): Delivery => ({
        id: input.id ?? randomUUID(),
        kind: input.kind,
        target: input.target,
        supersede_key: input.supersedeKey ?? null,
        body: input.body,
        status: "pending",
        attempts: 0,
        max_attempts: input.maxAttempts ?? null,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        updated_at: now,
        priority: input.kind === "control" ? 0 : (input.priority ?? 1),
      }),
    );
    if (deliveries.length === 0) return deliveries;
    await this.#o.storage.enqueueDeliveries(deliveries);
    queueMicrotask(() => this.#poll());
    return deliveries;
  }

  /** Makes one attempt now (or joins the one in flight) and returns the delivery after it. */
  async attemptNow(id: string): Promise<Delivery> {
    const running = this.#inFlight.get(id);
    if (running) return running;
    const delivery = await this.#o.storage.getDelivery(id);
    if (!delivery) throw new AgentwatchError("notFound", `delivery ${id} does not exist`);
    if (delivery.status !== "pending") return delivery;
    return this.#attempt(delivery);
  }

  #poll(): void {
    if (!this.#started || this.#stopped || this.#polling) return;
    // Nothing to start while every slot is busy: a finished attempt polls again. (This check used
    // to sit inside the async body below, whose early return ran its `finally` before #polling
    // was assigned, leaving #polling set for good: the outbox stopped after its first 8 sends.)
    if (this.#inFlight.size >= this.#o.concurrency) return;
    const polling = this.#pollOnce().finally(() => {
      if (this.#polling === polling) this.#polling = undefined;
    });
    this.#polling = polling;
  }

  async #pollOnce(): Promise<void> {
    try {
      // Due deliveries come most urgent first (priority, then due time). Warnings and info may
      // fill all but RESERVED_URGENT slots, so a critical alert or a control command always
      // finds one free even while slow receivers hold the others.
      const due = await this.#o.storage.dueDeliveries(
        this.#o.now(),
        this.#o.concurrency + this.#inFlight.size,
      );
      for (const delivery of due) {
        if (this.#inFlight.size >= this.#o.concurrency) break;
        if (this.#inFlight.has(delivery.id)) continue;
        const urgent = (delivery.priority ?? 1) === 0;
        if (!urgent && this.#inFlight.size >= this.#o.concurrency - RESERVED_URGENT) continue;
        this.#attempt(delivery).catch((err) =>
          this.#o.logger.error({ err, delivery: delivery.id }, "recording a delivery attempt failed"),
        );
      }
      this.#o.metrics.pendingDeliveries.set(await this.#o.storage.pendingDeliveries());
    } catch (err) {
      this.#o.logger.error({ err }, "reading the delivery outbox failed; trying again shortly");
    }
  }

  /** The single place an attempt starts: synchronous up to registering it, so one delivery is never sent twice at once. */
  #attempt(delivery: Delivery): Promise<Delivery> {
    const running = this.#inFlight.get(delivery.id);
    if (running) return running;
    const attempt = this.#send(delivery).finally(() => {
      this.#inFlight.delete(delivery.id);
      queueMicrotask(() => this.#poll()); // a slot is free: the next due delivery need not wait for the timer
    });
    this.#inFlight.set(delivery.id, attempt);
    return attempt;
  }

  async #send(delivery: Delivery): Promise<Delivery> {
    const sender = this.#o.senderFor(delivery.kind, delivery.target);
    let error: AgentwatchError | undefined;
    if (!sender) {
      error = new AgentwatchError(
        "deliveryRejected",
        `${delivery.kind} target "${delivery.target}" is not configured`,
      );
    } else {
      try {
        await sender(delivery.body);
      } catch (err) {
        error = asAgentwatchError(err, "deliveryFailed");
      }
    }
    // The delivery may have been superseded while the attempt ran: keep that status then.
    const current = (await this.#o.storage.getDelivery(delivery.id)) ?? delivery;
    const now = this.#o.now();
    const attempts = delivery.attempts + 1;
    const updated: Delivery = { ...current, attempts, updated_at: now, last_error: error?.message ?? null };
    const labels = { kind: delivery.kind, target: delivery.target };
    if (!error) {
      updated.status = current.status === "superseded" ? "superseded" : "delivered";
      this.#o.metrics.deliveries.inc({ ...labels, outcome: "success" });
    } else {
      const giveUp =
        delivery.kind === "alert" &&
        (!error.retryable || (delivery.max_attempts !== null && attempts >= delivery.max_attempts));
      if (current.status === "pending") updated.status = giveUp ? "failed" : "pending";
      // A receiver that said how long to wait (429 with Retry-After) is not asked again sooner.
      updated.next_attempt_at =
        now + Math.max(backoff(delivery.kind, attempts), (error.retryAfterSeconds ?? 0) * 1000);
      this.#o.metrics.deliveries.inc({ ...labels, outcome: giveUp ? "failed" : "retry" });
      const log = {
        delivery: delivery.id,
        kind: delivery.kind,
        target: delivery.target,
        attempts,
        error: error.message,
      };
      if (giveUp) this.#o.logger.error(log, "delivery failed for good; no more attempts");
      else
        this.#o.logger.warn(
          { ...log, retry_at: new Date(updated.next_attempt_at).toISOString() },
          "delivery failed; will retry",
        );
    }
    await this.#o.storage.updateDelivery(updated);
    await this.#o.onAttempt?.(updated);
    return updated;
  }
}

/** Exponential backoff from 1 s, capped per kind, with ±20% jitter so retries do not synchronise. */
export function backoff(kind: DeliveryKind, attempts: number): number {
  const raw = Math.min(MAX_BACKOFF_MS[kind], BASE_BACKOFF_MS * 2 ** Math.min(attempts - 1, 20));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}
