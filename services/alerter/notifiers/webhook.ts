/** The signed webhook receiver of contract §5: the alert body as JSON, HMAC-signed. */
import type { ReceiverConfig } from "../../runtime/config.ts";
import { postSigned } from "../../runtime/outbound.ts";
import type { AlertNotification, Notifier } from "./notifier.ts";

export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly #config: ReceiverConfig;

  constructor(config: ReceiverConfig) {
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
