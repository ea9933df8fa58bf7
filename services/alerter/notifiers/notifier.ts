import type { Incident } from "../../runtime/model.ts";

/** What happened to an incident after it fired, told to the receivers that can show it. */
export interface IncidentUpdate {
  kind: "acknowledged" | "silenced" | "agent_paused" | "agent_resumed";
  /** Who did it (a token name, `slack:<user id> (<name>)`, `hook:<name>`, `pagerduty:<user>`). */
  by: string;
  at: string;
  reason: string | null;
}

/**
 * The alert body of contract §5. `update` is agentwatch's own addition, and only receivers that
 * take updates (`updatesTaken`) are sent one: webhooks and email see §5's body unchanged.
 */
export interface AlertNotification {
  version: "1";
  status: "firing" | "resolved";
  incident: Incident;
  update?: IncidentUpdate;
}

/**
 * A receiver of alert notifications. `send` resolves once the receiver took the notification and
 * rejects with an AgentwatchError whose `retryable` says whether the dispatcher should try again
 * (and its `retryAfterSeconds`, when the receiver said how long to wait).
 */
export interface Notifier {
  readonly name: string;
  /** The updates this receiver shows (none: it hears of firing and resolved only). */
  readonly updatesTaken: ReadonlySet<IncidentUpdate["kind"]>;
  send(notification: AlertNotification): Promise<void>;
}

export const NO_UPDATES: ReadonlySet<IncidentUpdate["kind"]> = new Set();
