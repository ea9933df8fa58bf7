/**
 * Email over SMTP (nodemailer), as Alertmanager's email receiver: one plain-text message per
 * notification, to every address of the receiver. Messages of one incident share a thread
 * (In-Reply-To and References point at the incident), so firing, updates and resolved read as
 * one conversation. SMTP says what is worth retrying: a 4xx reply, a refused or dropped
 * connection, a timeout are retried; a 5xx reply (an unknown mailbox, a refused sender) or
 * rejected credentials are not.
 */
import { createTransport, type Transporter } from "nodemailer";
import type { EmailReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import type { Incident } from "../../runtime/model.ts";
import type { AlertNotification, Notifier } from "./notifier.ts";
import { oneLine } from "./text.ts";

/** Failures that the same message, sent again later, will meet again. */
const PERMANENT_CODES = new Set(["EAUTH", "ENOAUTH", "EENVELOPE", "EMESSAGE", "EREQUIRETLS", "ECONFIG"]);

export class EmailNotifier implements Notifier {
  readonly name: string;
  readonly #config: EmailReceiverConfig;
  readonly #transport: Transporter;

  constructor(config: EmailReceiverConfig) {
    this.name = config.name;
    this.#config = config;
    const [host, port] = splitHostPort(config.smarthost);
    this.#transport = createTransport({
      host,
      port,
      secure: port === 465,
      requireTLS: config.require_tls && port !== 465,
      // Without require_tls, no STARTTLS at all: local mail sinks offer it with certificates
      // nothing can verify.
      ignoreTLS: !config.require_tls,
      ...(config.auth_username
        ? { auth: { user: config.auth_username, pass: config.auth_password?.reveal() ?? "" } }
        : {}),
      connectionTimeout: config.timeout,
      greetingTimeout: config.timeout,
      socketTimeout: config.timeout,
    });
  }

  async send(notification: AlertNotification): Promise<void> {
    const { incident } = notification;
    const thread = `<${incident.id}@agentwatch>`;
    try {
      await this.#transport.sendMail({
        from: this.#config.from,
        to: this.#config.to,
        subject: emailSubject(notification),
        text: emailText(notification),
        inReplyTo: thread,
        references: [thread],
        headers: { "X-Agentwatch-Incident": incident.id, "X-Agentwatch-Status": notification.status },
      });
    } catch (err) {
      const { code, responseCode, response } = err as {
        code?: string;
        responseCode?: number;
        response?: string;
      };
      const permanent =
        (responseCode !== undefined && responseCode >= 500) ||
        (responseCode === undefined && code !== undefined && PERMANENT_CODES.has(code));
      const reason = response ?? (err as Error).message;
      throw new AgentwatchError(
        permanent ? "deliveryRejected" : "deliveryFailed",
        `email to ${this.#config.to.join(", ")} via ${this.#config.smarthost} failed: ${reason}`,
        {
          cause: err,
          details: { ...(code ? { smtp_code: code } : {}), ...(responseCode ? { reply: responseCode } : {}) },
        },
      );
    }
  }
}

function splitHostPort(smarthost: string): [string, number] {
  const at = smarthost.lastIndexOf(":");
  return [smarthost.slice(0, at), Number(smarthost.slice(at + 1))];
}

export function emailSubject({ status, incident }: AlertNotification): string {
  const tag = status === "resolved" ? "RESOLVED" : incident.severity.toUpperCase();
  return oneLine(`[agentwatch] [${tag}] ${incident.title} (${incident.agent_id})`);
}

export function emailText({ status, incident }: AlertNotification): string {
  const lines = [
    `${status === "resolved" ? "Resolved" : "Firing"}: ${oneLine(incident.title)}`,
    "",
    oneLine(incident.summary),
    "",
    ...fields(incident).map(([name, value]) => `${`${name}:`.padEnd(11)}${oneLine(value)}`),
  ];
  const latest = incident.findings.slice(-5);
  if (latest.length > 0) {
    lines.push("", "Latest findings:");
    for (const f of latest) lines.push(`  ${f.time}  ${f.detector}  ${oneLine(f.summary ?? "")}`);
  }
  lines.push("", `Incident ${incident.id}. Evidence in this message is redacted.`);
  return `${lines.join("\n")}\n`;
}

function fields(incident: Incident): [string, string][] {
  return [
    ["Agent", incident.agent_id],
    ["Detector", incident.detectors?.join(", ") || incident.detector],
    ["Severity", incident.severity],
    ["Findings", String(incident.finding_count ?? incident.findings.length)],
    ["Started", incident.started_at],
    ...(incident.session_id ? ([["Session", incident.session_id]] as [string, string][]) : []),
    ...Object.entries(incident.labels)
      .filter(([name]) => name !== "agent_id" && name !== "detector")
      .map(([name, value]): [string, string] => [name, String(value)]),
  ];
}
