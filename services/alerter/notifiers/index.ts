/** The notifier of each receiver type. */
import type { ReceiverConfig } from "../../runtime/config.ts";
import type { Logger } from "../../runtime/logger.ts";
import type { Storage } from "../../runtime/storage/storage.ts";
import { EmailNotifier } from "./email.ts";
import type { Notifier } from "./notifier.ts";
import { PagerdutyNotifier } from "./pagerduty.ts";
import { SlackNotifier } from "./slack.ts";
import { type MessageRef, type MessageRefs, SlackAppNotifier } from "./slack-app.ts";
import { WebhookNotifier } from "./webhook.ts";

export interface NotifierDependencies {
  storage: Storage;
  logger: Logger;
  /** server.external_url: notifications link to the incident in the console there. */
  externalUrl: string | undefined;
}

export function notifierFor(receiver: ReceiverConfig, deps: NotifierDependencies): Notifier {
  switch (receiver.type) {
    case "webhook":
      return new WebhookNotifier(receiver);
    case "slack":
      if (receiver.url) return new SlackNotifier(receiver);
      return new SlackAppNotifier(receiver, {
        refs: storedMessageRefs(deps.storage),
        incident: async (id) => (await deps.storage.getIncident(id))?.incident,
        agent: (id) => deps.storage.getAgent(id),
        externalUrl: deps.externalUrl,
        logger: deps.logger,
      });
    case "pagerduty":
      return new PagerdutyNotifier(receiver);
    case "email":
      return new EmailNotifier(receiver, deps.externalUrl);
  }
}

/**
 * Which Slack message is an incident's, kept in the storage's checkpoints (a small durable
 * key-value store both backends have), under `slack-message:<receiver>:<incident id>`.
 */
function storedMessageRefs(storage: Storage): MessageRefs {
  const key = (receiver: string, incidentId: string) => `slack-message:${receiver}:${incidentId}`;
  return {
    async get(receiver, incidentId) {
      const saved = await storage.loadCheckpoint(key(receiver, incidentId), 0);
      return saved ? (JSON.parse(saved.state) as MessageRef) : undefined;
    },
    put(receiver, incidentId, ref) {
      return storage.saveCheckpoint({
        consumer: key(receiver, incidentId),
        partition: 0,
        offset: 0,
        state: JSON.stringify(ref),
        saved_at: Date.now(),
      });
    },
  };
}
