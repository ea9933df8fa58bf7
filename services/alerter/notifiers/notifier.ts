import type { Incident } from "../../runtime/model.ts";

/** The alert body of contract §5. */
export interface AlertNotification {
  version: "1";
  status: "firing" | "resolved";
  incident: Incident;
}

/**
 * A receiver of alert notifications. `send` resolves once the receiver took the notification and
 * rejects with an AgentwatchError whose `retryable` says whether the dispatcher should try again.
 */
export interface Notifier {
  readonly name: string;
  send(notification: AlertNotification): Promise<void>;
}
