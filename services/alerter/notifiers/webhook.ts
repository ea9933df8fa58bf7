/** The signed webhook receiver of contract §5: the alert body as JSON, HMAC-signed. */
import type { WebhookReceiverConfig } from "../../runtime/config.ts";
import { postSigned } from "../../runtime/outbound.ts";
import { type AlertNotification, NO_UPDATES, type Notifier } from "./notifier.ts";

export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly updatesTaken = NO_UPDATES;
  readonly #config: WebhookReceiverConfig;

  constructor(config: WebhookReceiverConfig) {
    this.name = config.name;
    this.#config = config;
  }

  send(notification: AlertNotification): Promise<void> {
    return postSigned(
      this.#config.url,
      this.#config.secret,
      JSON.stringify(notification),
      this.#config.timeout,
    );
  }
}
