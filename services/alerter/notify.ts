/**
 * The alerter's notify stage: which notifications an incident is due now, to which receivers.
 * The first firing notification at once, updates at most every `group_interval`; none while a
 * silence or an inhibiting incident holds it back (held back, not dropped: its `notify` record is
 * unchanged, so it is due again once that ends); a resolution to every receiver that heard it
 * fire. Records what it decided in the incident's `notify`; the caller queues the deliveries,
 * then stores the incident (a crash in between re-queues them under the same ids: a no-op).
 */

import { randomUUID } from "node:crypto";
import type { Config, ReceiverConfig } from "../runtime/config.ts";
import type { Incident, StoredIncident } from "../runtime/model.ts";
import { alertPriority, type NewDelivery } from "./dispatcher.ts";
import { SEVERITY_RANK } from "./grouping.ts";
import type { AlertNotification, IncidentUpdate } from "./notifiers/notifier.ts";
import { receiversFor } from "./router.ts";

export interface NotifyStageOptions {
  alerting: Config["alerting"];
  receivers: readonly ReceiverConfig[];
  /** The updates a receiver shows (Notifier.updatesTaken). */
  updatesTaken(receiver: string): ReadonlySet<IncidentUpdate["kind"]>;
  /** Whether a silence or an inhibit rule holds the incident back now. */
  heldBack(incident: Incident): boolean;
}

/** Whether the incident is more severe now than when receivers were last told it fired. */
function escalated(incident: Incident, notify: StoredIncident["notify"]): boolean {
  return (
    notify.notified_severity !== undefined &&
    SEVERITY_RANK[incident.severity] > SEVERITY_RANK[notify.notified_severity]
  );
}

export class NotifyStage {
  readonly #o: NotifyStageOptions;

  constructor(options: NotifyStageOptions) {
    this.#o = options;
  }

  due(stored: StoredIncident, now: number): NewDelivery[] {
    const { incident, notify } = stored;
    let status: AlertNotification["status"] | undefined;
    if (incident.status === "resolved") {
      if (notify.last_firing_at !== null && !notify.resolved_sent) status = "resolved";
    } else if (this.#o.heldBack(incident)) {
      return [];
    } else if (notify.last_firing_at === null) {
      status = "firing";
    } else if (
      incident.finding_count > notify.notified_findings &&
      (now - notify.last_firing_at >= this.#o.alerting.group_interval || escalated(incident, notify))
    ) {
      // Updates wait for group_interval, but an escalation (a warning that became critical)
      // pages at once: on-call must not learn 60 s late that a prompt injection leaked a key.
      status = "firing";
    }
    if (!status) return [];
    // Stage: route (router.ts). A resolution goes to whoever heard it was firing, wherever the
    // incident routes now.
    const routed = receiversFor(incident, this.#o.alerting.routes, this.#o.receivers);
    const told = notify.notified_receivers;
    const targets =
      status === "resolved" && told ? this.#o.receivers.filter((r) => told.includes(r.name)) : routed;
    if (status === "firing") {
      notify.notified_receivers = [...new Set([...(told ?? []), ...routed.map((r) => r.name)])];
    }
    const body = JSON.stringify({ version: "1", status, incident } satisfies AlertNotification);
    const notifications = targets.map(
      (receiver): NewDelivery => ({
        id: `alert:${incident.id}:${receiver.name}:${status}:${incident.finding_count}`,
        kind: "alert",
        target: receiver.name,
        body,
        supersedeKey: `alert:${incident.id}:${receiver.name}`,
        maxAttempts: receiver.max_attempts,
        priority: alertPriority(incident.severity),
      }),
    );
    if (status === "resolved") {
      notify.resolved_sent = true;
    } else {
      notify.last_firing_at = now;
      notify.notified_findings = incident.finding_count;
      notify.notified_severity = incident.severity;
    }
    return notifications;
  }

  /**
   * An update of an incident (acknowledged, silenced, its agent paused or resumed), for the
   * receivers that heard it fire and show such updates (a Slack app edits its message, PagerDuty
   * acknowledges). Not for `except`, the receiver the update came from (PagerDuty's own webhook).
   */
  updates(stored: StoredIncident, update: IncidentUpdate, except?: string): NewDelivery[] {
    const { incident, notify } = stored;
    const told = new Set(notify.notified_receivers ?? []);
    const status: AlertNotification["status"] = incident.status === "resolved" ? "resolved" : "firing";
    const body = JSON.stringify({ version: "1", status, incident, update } satisfies AlertNotification);
    return this.#o.receivers
      .filter((r) => told.has(r.name) && r.name !== except && this.#o.updatesTaken(r.name).has(update.kind))
      .map(
        (receiver): NewDelivery => ({
          id: `update:${incident.id}:${receiver.name}:${update.kind}:${randomUUID()}`,
          kind: "alert",
          target: receiver.name,
          body,
          maxAttempts: receiver.max_attempts,
          priority: alertPriority(incident.severity),
        }),
      );
  }
}
