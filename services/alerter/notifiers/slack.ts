/**
 * Slack, through an incoming webhook: one message per notification, readable on a phone. The
 * incident is already redacted (evidence masked) by the alerter. Slack's answers map onto the
 * usual outbound rules: 429 and 5xx are retried, 4xx (a revoked hook, an archived channel) is not.
 */
import type { SlackReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import { postJson } from "../../runtime/outbound.ts";
import { type AlertNotification, NO_UPDATES, type Notifier } from "./notifier.ts";
import { escapeSlack as escapeMrkdwn, slackFields, slackRecentFindings } from "./text.ts";

const COLOR = { critical: "#d7263d", warning: "#f49d37", info: "#3f88c5", resolved: "#2e933c" } as const;
const MAX_FINDINGS_SHOWN = 5;

export class SlackNotifier implements Notifier {
  readonly name: string;
  readonly updatesTaken = NO_UPDATES;
  readonly #url: NonNullable<SlackReceiverConfig["url"]>;
  readonly #timeout: number;

  constructor(config: SlackReceiverConfig) {
    if (!config.url)
      throw new AgentwatchError("configInvalid", `receiver ${config.name}: no incoming webhook url`);
    this.name = config.name;
    this.#url = config.url;
    this.#timeout = config.timeout;
  }

  send(notification: AlertNotification): Promise<void> {
    return postJson(
      this.#url.reveal(),
      JSON.stringify(slackMessage(notification)),
      this.#timeout,
      {},
      `the Slack webhook of receiver ${this.name}`,
    );
  }
}

export function slackMessage({ status, incident }: AlertNotification): Record<string, unknown> {
  const resolved = status === "resolved";
  const tag = resolved ? "RESOLVED" : incident.severity.toUpperCase();
  const headline = `${resolved ? ":white_check_mark:" : ":rotating_light:"} [${tag}] ${escapeMrkdwn(incident.title)}`;
  const fields = slackFields(incident);
  const recent = slackRecentFindings(incident, MAX_FINDINGS_SHOWN);
  return {
    // The notification text (push notifications, clients without blocks).
    text: `[${tag}] ${escapeMrkdwn(incident.title)} (${escapeMrkdwn(incident.agent_id)})`,
    attachments: [
      {
        color: resolved ? COLOR.resolved : COLOR[incident.severity],
        blocks: [
          {
            type: "section",
            text: {
              type: "mrkdwn",
              verbatim: true,
              text: `*${headline}*\n${escapeMrkdwn(incident.summary)}`,
            },
          },
          { type: "section", fields },
          ...(recent
            ? [
                {
                  type: "section",
                  text: { type: "mrkdwn", verbatim: true, text: `*Latest findings*\n${recent}` },
                },
              ]
            : []),
          {
            type: "context",
            elements: [{ type: "mrkdwn", verbatim: true, text: `agentwatch incident \`${incident.id}\`` }],
          },
        ],
      },
    ],
  };
}
