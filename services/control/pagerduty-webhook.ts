/**
 * `POST /v1/pagerduty/webhook`: PagerDuty's v3 webhooks
 * (https://developer.pagerduty.com/docs/webhooks/v3-overview/) acknowledge or resolve the
 * agentwatch incident a PagerDuty incident was triggered for. agentwatch triggers with the incident
 * id as dedup key, which PagerDuty gives back as the incident's `incident_key`.
 *
 * Authenticated by `X-PagerDuty-Signature` (one or more `v1=<hex HMAC-SHA256 of the raw body>`)
 * with the `webhook_secret` of a pagerduty receiver; the receiver whose secret signed it is not
 * told of the acknowledgement (it came from there). Audited as `pagerduty:<user id> (<name>)`.
 *
 * PagerDuty retries a delivery that did not get a 2xx, so everything authentic gets one: an event
 * of another type, or for an incident agentwatch does not have, is answered and left. PagerDuty
 * signs no timestamp; a replayed delivery acts again, which changes nothing (acknowledging an
 * acknowledged incident, resolving a resolved one), and its event id is remembered for a while.
 */

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Alerter } from "../alerter/alerter.ts";
import { oneLine } from "../alerter/notifiers/text.ts";
import { LogThrottle, REFUSAL_LOG_INTERVAL_MS } from "../log-throttle.ts";
import type { PagerdutyReceiverConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { PAGERDUTY_SIGNATURE_HEADER, verifyPagerdutySignature } from "../runtime/signing.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput } from "../server.ts";

const MAX_REMEMBERED_EVENTS = 10_000;

const reference = z.looseObject({
  id: z.string().max(64).optional(),
  summary: z.string().max(512).optional(),
});

const webhookSchema = z.looseObject({
  event: z.looseObject({
    id: z.string().max(128),
    event_type: z.string().max(128),
    resource_type: z.string().max(64).optional(),
    occurred_at: z.string().max(64).optional(),
    agent: reference.nullish(),
    client: z.looseObject({ name: z.string().max(256).optional() }).nullish(),
    data: z.looseObject({ incident_key: z.string().max(255).nullish() }).nullish(),
  }),
});

export interface PagerdutyWebhookAnswer {
  event: string;
  /** The agentwatch incident, when the PagerDuty incident is one of agentwatch's. */
  incident: string | null;
  /** What was done: acknowledged, resolved, or nothing (and why). */
  outcome: "acknowledged" | "resolved" | "ignored";
  reason?: string;
}

export interface PagerdutyWebhookOptions {
  receivers: readonly PagerdutyReceiverConfig[];
  alerter: Pick<Alerter, "actions">;
  storage: Storage;
  metrics: Metrics;
  logger: Logger;
}

export function registerPagerdutyWebhook(app: FastifyInstance, options: PagerdutyWebhookOptions): void {
  const signed = options.receivers.filter((r) => r.webhook_secret !== undefined);
  if (signed.length === 0) return;
  const logger = options.logger.child({ component: "pagerduty-webhook" });
  const handled = new Set<string>();
  const refusalLog = new LogThrottle(REFUSAL_LOG_INTERVAL_MS);

  app.post("/v1/pagerduty/webhook", async (request): Promise<PagerdutyWebhookAnswer> => {
    const header = request.headers[PAGERDUTY_SIGNATURE_HEADER];
    const body = (request as { rawBody?: string }).rawBody ?? "";
    const receiver = signed.find((r) =>
      verifyPagerdutySignature(
        (r.webhook_secret as NonNullable<typeof r.webhook_secret>).reveal(),
        Array.isArray(header) ? header.join(",") : header,
        body,
      ),
    );
    if (!receiver) {
      options.metrics.authFailures.inc({ reason: "pagerduty" });
      // Anyone can post here: at most one line every few seconds, the metric counts each.
      const admitted = refusalLog.admit("pagerduty");
      if (admitted) {
        logger.warn(
          { ip: request.ip, suppressed: admitted.suppressed },
          "PagerDuty webhook refused: no valid signature",
        );
      }
      throw new AgentwatchError(
        "unauthorized",
        `not signed by PagerDuty: ${PAGERDUTY_SIGNATURE_HEADER} must hold v1=<HMAC-SHA256 of the body> with a pagerduty receiver's webhook_secret`,
      );
    }
    const { event } = parseInput(webhookSchema, request.body, "body");
    const key = event.data?.incident_key ?? null;
    const answer = (outcome: PagerdutyWebhookAnswer["outcome"], reason?: string, incident = key) => ({
      event: event.id,
      incident,
      outcome,
      ...(reason ? { reason } : {}),
    });
    const kind =
      event.event_type === "incident.acknowledged"
        ? "acknowledged"
        : event.event_type === "incident.resolved"
          ? "resolved"
          : undefined;
    if (!kind)
      return answer(
        "ignored",
        `agentwatch acts on incident.acknowledged and incident.resolved, not ${event.event_type}`,
      );
    if (!key) return answer("ignored", "the incident has no incident_key", null);
    const stored = await options.storage.getIncident(key);
    if (!stored) return answer("ignored", "not an agentwatch incident", null);
    const who = event.agent?.id
      ? `${event.agent.id}${event.agent.summary ? ` (${oneLine(event.agent.summary).slice(0, 64)})` : ""}`
      : oneLine(event.client?.name ?? "PagerDuty").slice(0, 64);
    const actor = `pagerduty:${who}`;
    const comment = `PagerDuty event ${event.id}`;
    if (handled.has(event.id)) return answer("ignored", "this event was handled already");
    if (kind === "acknowledged") {
      if (stored.incident.status !== "open")
        return answer("ignored", `the incident is ${stored.incident.status}`);
      await options.alerter.actions.acknowledge(key, actor, comment, receiver.name);
    } else {
      if (stored.incident.status === "resolved") return answer("ignored", "the incident is resolved");
      await options.alerter.actions.resolve(key, actor, comment);
    }
    if (handled.size >= MAX_REMEMBERED_EVENTS) handled.clear();
    handled.add(event.id);
    logger.info(
      { actor, incident: key, event: event.id, receiver: receiver.name },
      `incident ${kind} from PagerDuty`,
    );
    return answer(kind);
  });
}
