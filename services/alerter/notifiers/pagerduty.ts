/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * a firing notification triggers (or updates) the alert whose dedup_key is the incident id, an
 * acknowledgement in agentwatch acknowledges it, a resolved one resolves it. (The other way, PagerDuty's
 * v3 webhooks acknowledge and resolve agentwatch's incidents: services/control/pagerduty-webhook.ts.) PagerDuty answers 202; 429 and 5xx are retried, 400 (a bad key or
 * payload) is not.
 */
import type { PagerdutyReceiverConfig } from "../../runtime/config.ts";
import { postJson } from "../../runtime/outbound.ts";
import type { AlertNotification, IncidentUpdate, Notifier } from "./notifier.ts";
import { oneLine } from "./text.ts";

const ACKNOWLEDGED: ReadonlySet<IncidentUpdate["kind"]> = new Set(["acknowledged"]);

/** PagerDuty's limit on payload.summary. */
const MAX_SUMMARY = 1024;

export class PagerdutyNotifier implements Notifier {
  readonly name: string;
  readonly updatesTaken = ACKNOWLEDGED;
  readonly #config: PagerdutyReceiverConfig;

  constructor(config: PagerdutyReceiverConfig) {
    this.name = config.name;
    this.#config = config;
  }

  send(notification: AlertNotification): Promise<void> {
    return postJson(
      this.#config.url,
      JSON.stringify(pagerdutyEvent(notification, this.#config.routing_key.reveal())),
      this.#config.timeout,
    );
  }
}

export function pagerdutyEvent(
  { status, incident, update }: AlertNotification,
  routingKey: string,
): Record<string, unknown> {
  if (update?.kind === "acknowledged" && status !== "resolved") {
    return { routing_key: routingKey, event_action: "acknowledge", dedup_key: incident.id };
  }
  if (status === "resolved") {
    return { routing_key: routingKey, event_action: "resolve", dedup_key: incident.id };
  }
  const summary = oneLine(`[${incident.severity}] ${incident.title} (${incident.agent_id})`);
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: incident.id,
    client: "agentwatch",
    payload: {
      summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary,
      source: incident.agent_id,
      // PagerDuty's severities are critical, error, warning and info: agentwatch's map onto them.
      severity: incident.severity,
      timestamp: incident.started_at,
      component: incident.detector,
      ...(incident.session_id ? { group: incident.session_id } : {}),
      class: incident.detector,
      custom_details: {
        summary: incident.summary,
        labels: incident.labels,
        finding_count: incident.finding_count,
        latest_findings: incident.findings.slice(-5),
      },
    },
  };
}
