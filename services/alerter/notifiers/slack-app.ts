/**
 * Slack as an app (a receiver with `token` and `channel`), through Slack's Web API
 * (`@slack/web-api`): one message per incident, posted with `chat.postMessage` as Block Kit, with
 * buttons on-call can press (Acknowledge, Resolve, Silence 1h, Pause agent or Resume agent; the
 * clicks come back to `POST /v1/slack/interactions`, services/control/slack-interactions.ts). Every
 * later notification of the incident (new findings, acknowledged, silenced, paused, resolved)
 * edits the message with `chat.update` to show the incident's state now, and is told in the
 * message's thread.
 *
 * The incident is rendered as stored now (already redacted by the alerter), not as it was when the
 * notification was queued, so a late retry never shows an older state. Which message belongs to
 * which incident is stored (MessageRefs), so a restart keeps threading.
 *
 * Failures: Slack's 429 is retried after its Retry-After; network failures, 5xx and Slack's own
 * transient errors are retried; anything else (a revoked token, an unknown channel, the app not
 * in the channel) is not, and its Slack error code is in the message.
 */

import {
  ErrorCode,
  LogLevel,
  type Logger as SlackLogger,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  WebClient,
} from "@slack/web-api";
import type { SlackReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import type { Logger } from "../../runtime/logger.ts";
import type { AgentState, Incident } from "../../runtime/model.ts";
import type { AlertNotification, IncidentUpdate, Notifier } from "./notifier.ts";
import { escapeSlack, incidentLink, slackFields, slackRecentFindings } from "./text.ts";

/** What the buttons say; the interactions endpoint reads them back. */
export const SLACK_ACTIONS = {
  ack: "agentwatch_ack",
  resolve: "agentwatch_resolve",
  silence: "agentwatch_silence_1h",
  pause: "agentwatch_pause",
  resume: "agentwatch_resume",
} as const;
export type SlackAction = keyof typeof SLACK_ACTIONS;

/** A button's value: which receiver's message, which incident, which agent. */
export interface SlackButtonValue {
  receiver: string;
  incident: string;
  agent: string;
}

/** Slack error codes that a later attempt can get past (https://api.slack.com/web, "Errors"). */
const TRANSIENT_ERRORS = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);
const SEVERITY_ICON = { critical: ":rotating_light:", warning: ":warning:", info: ":information_source:" };
const MAX_FINDINGS_SHOWN = 5;
/** Slack's limit on a section's text. */
const MAX_SECTION_TEXT = 3000;

/** A Block Kit block (https://api.slack.com/reference/block-kit/blocks). */
export type SlackBlock = { type: string } & Record<string, unknown>;

/** Where an incident's message is in Slack. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** Durable incident → message of each Slack receiver. */
export interface MessageRefs {
  get(receiver: string, incidentId: string): Promise<MessageRef | undefined>;
  put(receiver: string, incidentId: string, ref: MessageRef): Promise<void>;
}

export interface SlackAppDependencies {
  refs: MessageRefs;
  /** The incident as stored now, or undefined if it is not (then the notification's copy is shown). */
  incident(id: string): Promise<Incident | undefined>;
  agent(id: string): Promise<Pick<AgentState, "state" | "by" | "reason" | "since"> | undefined>;
  /** `server.external_url`: the message links to the incident in the console there. */
  externalUrl: string | undefined;
  logger: Logger;
}

export class SlackAppNotifier implements Notifier {
  readonly name: string;
  readonly updatesTaken: ReadonlySet<IncidentUpdate["kind"]> = new Set([
    "acknowledged",
    "silenced",
    "agent_paused",
    "agent_resumed",
  ]);
  readonly #config: SlackReceiverConfig & {
    token: NonNullable<SlackReceiverConfig["token"]>;
    channel: string;
  };
  readonly #deps: SlackAppDependencies;
  readonly #client: WebClient;
  /** One send at a time per incident: a second must find the first one's message, not post another. */
  readonly #sending = new Map<string, Promise<void>>();

  constructor(config: SlackReceiverConfig, deps: SlackAppDependencies) {
    if (!config.token || !config.channel) {
      throw new AgentwatchError(
        "configInvalid",
        `receiver ${config.name}: the Slack app needs token and channel`,
      );
    }
    this.name = config.name;
    this.#config = { ...config, token: config.token, channel: config.channel };
    this.#deps = deps;
    this.#client = new WebClient(config.token.reveal(), {
      ...(config.api_url
        ? { slackApiUrl: config.api_url.endsWith("/") ? config.api_url : `${config.api_url}/` }
        : {}),
      // The outbox retries (with its backoff, and Slack's Retry-After): the client must not too.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: config.timeout,
      logger: slackLogger(deps.logger.child({ component: "slack", receiver: config.name })),
      // Only Slack's API (or api_url): a method name that is a URL must not send the token elsewhere.
      allowAbsoluteUrls: false,
    });
  }

  send(notification: AlertNotification): Promise<void> {
    const id = notification.incident.id;
    const previous = this.#sending.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#send(notification));
    this.#sending.set(id, next);
    return next.finally(() => {
      if (this.#sending.get(id) === next) this.#sending.delete(id);
    });
  }

  /** A message only `user` sees, in `channel` (a refused click, an action that failed). */
  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.#call("chat.postEphemeral", () =>
      this.#client.chat.postEphemeral({ channel, user, text: escapeSlack(text) }),
    );
  }

  async #send(notification: AlertNotification): Promise<void> {
    const { refs } = this.#deps;
    const incident = (await this.#deps.incident(notification.incident.id)) ?? notification.incident;
    const agent = await this.#deps.agent(incident.agent_id);
    const message = slackAppMessage(incident, agent, {
      receiver: this.name,
      buttons: this.#config.buttons,
      link: incidentLink(this.#deps.externalUrl, incident.id),
    });
    let ref = await refs.get(this.name, incident.id);
    if (ref) {
      try {
        const at = ref;
        await this.#call("chat.update", () =>
          this.#client.chat.update({
            channel: at.channel,
            ts: at.ts,
            text: message.text,
            blocks: message.blocks,
          }),
        );
      } catch (err) {
        // Someone deleted the message: the incident gets a new one.
        if ((err as AgentwatchError).details?.slack_error !== "message_not_found") throw err;
        ref = undefined;
      }
    }
    if (!ref) {
      const posted = await this.#call("chat.postMessage", () =>
        this.#client.chat.postMessage({
          channel: this.#config.channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
        }),
      );
      const channel = typeof posted.channel === "string" ? posted.channel : this.#config.channel;
      if (typeof posted.ts !== "string") {
        throw new AgentwatchError("deliveryFailed", `Slack answered chat.postMessage without a message ts`);
      }
      await refs.put(this.name, incident.id, { channel, ts: posted.ts });
      return;
    }
    const threadText = threadReply(notification, incident);
    if (threadText) {
      const at = ref;
      await this.#call("chat.postMessage", () =>
        this.#client.chat.postMessage({ channel: at.channel, thread_ts: at.ts, text: threadText }),
      );
    }
  }

  async #call<T extends { ok?: boolean }>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw slackFailure(err, method, this.name);
    }
  }
}

/** The message of an incident, as it stands: Block Kit blocks and the notification text. */
export function slackAppMessage(
  incident: Incident,
  agent: Pick<AgentState, "state" | "by" | "reason" | "since"> | undefined,
  options: { receiver: string; buttons: boolean; link: string | undefined },
): { text: string; blocks: SlackBlock[] } {
  const resolved = incident.status === "resolved";
  const paused = agent?.state === "paused";
  const tag = resolved ? "RESOLVED" : incident.severity.toUpperCase();
  const icon = resolved ? ":white_check_mark:" : SEVERITY_ICON[incident.severity];
  const title = escapeSlack(incident.title);
  const fields = slackFields(incident, paused ? " (paused)" : "");
  const recent = slackRecentFindings(incident, MAX_FINDINGS_SHOWN);
  const state = stateLines(incident, agent);
  const blocks: SlackBlock[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        verbatim: true,
        text: cap(`${icon} *[${tag}] ${title}*\n${escapeSlack(incident.summary)}`),
      },
    },
    { type: "section", fields },
  ];
  if (recent)
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", verbatim: true, text: cap(`*Latest findings*\n${recent}`) },
    });
  if (state.length > 0)
    blocks.push({ type: "section", text: { type: "mrkdwn", verbatim: true, text: cap(state.join("\n")) } });
  if (options.buttons) {
    const value = JSON.stringify({
      receiver: options.receiver,
      incident: incident.id,
      agent: incident.agent_id,
    } satisfies SlackButtonValue);
    const button = (action: SlackAction, text: string, extra: Record<string, unknown> = {}) => ({
      type: "button",
      action_id: SLACK_ACTIONS[action],
      text: { type: "plain_text", text },
      value,
      ...extra,
    });
    const buttons = [
      ...(incident.status === "open" ? [button("ack", "Acknowledge")] : []),
      ...(resolved ? [] : [button("resolve", "Resolve"), button("silence", "Silence 1h")]),
      paused
        ? button("resume", "Resume agent")
        : button("pause", "Pause agent", {
            style: "danger",
            confirm: {
              title: { type: "plain_text", text: "Pause the agent?" },
              text: {
                type: "mrkdwn",
                verbatim: true,
                text: cap(`Agent *${escapeSlack(incident.agent_id)}* stops until someone resumes it.`),
              },
              confirm: { type: "plain_text", text: "Pause" },
              deny: { type: "plain_text", text: "Cancel" },
              style: "danger",
            },
          }),
    ];
    blocks.push({ type: "actions", block_id: "agentwatch_actions", elements: buttons });
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        verbatim: true,
        text: `agentwatch incident \`${incident.id}\`${options.link ? ` · <${options.link}|Open in agentwatch>` : ""} · blast radius: \`GET /v1/incidents/${incident.id}/blast-radius\``,
      },
    ],
  });
  return {
    // The notification text (push notifications, clients without blocks).
    text: `[${tag}] ${title} (${escapeSlack(incident.agent_id)})`,
    blocks,
  };
}

/** The state lines under the findings: acknowledged, resolved, agent paused (who, when, why). */
function stateLines(
  incident: Incident,
  agent: Pick<AgentState, "state" | "by" | "reason" | "since"> | undefined,
): string[] {
  const lines: string[] = [];
  if (incident.acknowledged_by) {
    lines.push(
      `:eyes: Acknowledged by ${escapeSlack(incident.acknowledged_by)} at ${incident.acknowledged_at ?? "?"}`,
    );
  }
  if (incident.status === "resolved") {
    lines.push(
      `:white_check_mark: Resolved by ${escapeSlack(incident.resolved_by ?? "?")} at ${incident.resolved_at ?? "?"}`,
    );
  }
  if (agent?.state === "paused") {
    lines.push(
      `:double_vertical_bar: Agent paused by ${escapeSlack(agent.by ?? "?")} at ${agent.since ?? "?"}${agent.reason ? `: ${escapeSlack(agent.reason)}` : ""}`,
    );
  }
  return lines;
}

/** What the thread is told of a notification after the first. */
export function threadReply(notification: AlertNotification, incident: Incident): string | undefined {
  const { update } = notification;
  if (update) {
    const by = escapeSlack(update.by);
    const why = update.reason ? `: ${escapeSlack(update.reason)}` : "";
    switch (update.kind) {
      case "acknowledged":
        return `:eyes: Acknowledged by ${by}${why}`;
      case "silenced":
        return `:no_bell: Silenced by ${by}${why}`;
      case "agent_paused":
        return `:double_vertical_bar: Agent ${escapeSlack(incident.agent_id)} paused by ${by}${why}`;
      case "agent_resumed":
        return `:arrow_forward: Agent ${escapeSlack(incident.agent_id)} resumed by ${by}${why}`;
    }
  }
  if (notification.status === "resolved") {
    return `:white_check_mark: Resolved by ${escapeSlack(incident.resolved_by ?? "agentwatch")}`;
  }
  const latest = notification.incident.findings.at(-1);
  return `:rotating_light: ${notification.incident.finding_count} findings now${
    latest ? `; latest ${escapeSlack(latest.detector)}: ${escapeSlack(latest.summary ?? "")}` : ""
  }`;
}

function cap(text: string): string {
  return text.length > MAX_SECTION_TEXT ? `${text.slice(0, MAX_SECTION_TEXT - 1)}…` : text;
}

/** A Web API failure as an AgentwatchError that says whether to retry, and after how long. */
export function slackFailure(err: unknown, method: string, receiver: string): AgentwatchError {
  const where = `Slack ${method} for receiver ${receiver}`;
  const code = (err as { code?: string }).code;
  if (code === ErrorCode.RateLimitedError) {
    const seconds = (err as WebAPIRateLimitedError).retryAfter;
    return new AgentwatchError("deliveryFailed", `${where}: rate limited; retry after ${seconds} s`, {
      cause: err,
      retryAfterSeconds: seconds,
    });
  }
  if (code === ErrorCode.PlatformError) {
    const slackError = (err as WebAPIPlatformError).data.error;
    return new AgentwatchError(
      TRANSIENT_ERRORS.has(slackError) ? "deliveryFailed" : "deliveryRejected",
      `${where}: Slack answered ${slackError}`,
      { cause: err, details: { slack_error: slackError } },
    );
  }
  if (code === ErrorCode.HTTPError) {
    const status = (err as WebAPIHTTPError).statusCode;
    return new AgentwatchError(
      status >= 500 || status === 408 ? "deliveryFailed" : "deliveryRejected",
      `${where}: HTTP ${status}`,
      { cause: err, details: { status } },
    );
  }
  return new AgentwatchError("deliveryFailed", `${where}: ${(err as Error).message}`, { cause: err });
}

/** @slack/web-api's logger, into ours (its own prints to the console). */
function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]) => msg.map(String).join(" ");
  return {
    debug: (...msg) => logger.debug(text(msg)),
    info: (...msg) => logger.debug(text(msg)),
    warn: (...msg) => logger.warn(text(msg)),
    error: (...msg) => logger.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
