/** The notifier of each receiver type. */
import type { ReceiverConfig } from "../../runtime/config.ts";
import { EmailNotifier } from "./email.ts";
import type { Notifier } from "./notifier.ts";
import { PagerdutyNotifier } from "./pagerduty.ts";
import { SlackNotifier } from "./slack.ts";
import { WebhookNotifier } from "./webhook.ts";

export function notifierFor(receiver: ReceiverConfig): Notifier {
  switch (receiver.type) {
    case "webhook":
      return new WebhookNotifier(receiver);
    case "slack":
      return new SlackNotifier(receiver);
    case "pagerduty":
      return new PagerdutyNotifier(receiver);
    case "email":
      return new EmailNotifier(receiver);
  }
}
