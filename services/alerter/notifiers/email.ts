/**
 * Email over SMTP (nodemailer), as Alertmanager's email receiver: one message per notification,
 * to every address of the receiver, in plain text and HTML with the same content as Slack's
 * (summary, agent, detector, findings, state, a link to the incident when server.external_url is
 * set), under a subject one can triage from a phone's lock screen: severity, agent, detector first. Messages of one incident share a thread
 * (In-Reply-To and References point at the incident), so firing, updates and resolved read as
 * one conversation. SMTP says what is worth retrying: a 4xx reply, a refused or dropped
 * connection, a timeout are retried; a 5xx reply (an unknown mailbox, a refused sender) or
 * rejected credentials are not.
 */
import { createTransport, type Transporter } from "nodemailer";
import type { EmailReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import type { Incident } from "../../runtime/model.ts";
import { type AlertNotification, NO_UPDATES, type Notifier } from "./notifier.ts";
import { incidentFacts, incidentLink, oneLine } from "./text.ts";

/** Failures that the same message, sent again later, will meet again. */
const PERMANENT_CODES = new Set(["EAUTH", "ENOAUTH", "EENVELOPE", "EMESSAGE", "EREQUIRETLS", "ECONFIG"]);

export class EmailNotifier implements Notifier {
  readonly name: string;
  readonly updatesTaken = NO_UPDATES;
  readonly #config: EmailReceiverConfig;
  readonly #transport: Transporter;
  readonly #externalUrl: string | undefined;

  constructor(config: EmailReceiverConfig, externalUrl?: string) {
    this.name = config.name;
    this.#config = config;
    this.#externalUrl = externalUrl;
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
        text: emailText(notification, incidentLink(this.#externalUrl, incident.id)),
        html: emailHtml(notification, incidentLink(this.#externalUrl, incident.id)),
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
  return oneLine(`[agentwatch] [${tag}] ${incident.agent_id} / ${incident.detector}: ${incident.title}`);
}

export function emailText({ status, incident }: AlertNotification, link?: string): string {
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
  const state = stateOf(incident);
  if (state.length > 0) lines.push("", ...state);
  lines.push("", `Incident ${incident.id}. Evidence in this message is redacted.`);
  if (link) lines.push(`Open it in agentwatch: ${link}`);
  lines.push(
    `Blast radius (sessions, users, hosts, data types, other agents): GET /v1/incidents/${incident.id}/blast-radius`,
  );
  return `${lines.join("\n")}\n`;
}

/** The same message as HTML: every value escaped (it is the attacker's text), no remote content. */
export function emailHtml({ status, incident }: AlertNotification, link?: string): string {
  const resolved = status === "resolved";
  const color = resolved ? "#2e933c" : SEVERITY_COLOR[incident.severity];
  const rows = fields(incident)
    .map(
      ([name, value]) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${html(name)}</th><td>${html(oneLine(value))}</td></tr>`,
    )
    .join("");
  const latest = incident.findings
    .slice(-5)
    .map(
      (f) =>
        `<li><code>${html(f.time)}</code> <b>${html(f.detector)}</b>: ${html(oneLine(f.summary ?? ""))}</li>`,
    )
    .join("");
  const state = stateOf(incident)
    .map((line) => `<p>${html(line)}</p>`)
    .join("");
  return [
    "<!doctype html>",
    '<html><body style="font-family:sans-serif;font-size:14px">',
    `<h2 style="border-left:6px solid ${color};padding-left:8px">${resolved ? "Resolved" : html(incident.severity.toUpperCase())}: ${html(oneLine(incident.title))}</h2>`,
    `<p>${html(oneLine(incident.summary))}</p>`,
    `<table>${rows}</table>`,
    latest ? `<h3>Latest findings</h3><ul>${latest}</ul>` : "",
    state,
    link ? `<p><a href="${html(link)}">Open the incident in agentwatch</a></p>` : "",
    `<p style="color:#666">Incident <code>${html(incident.id)}</code>. Evidence in this message is redacted.</p>`,
    "</body></html>",
  ].join("\n");
}

const SEVERITY_COLOR = { critical: "#d7263d", warning: "#f49d37", info: "#3f88c5" } as const;

function stateOf(incident: Incident): string[] {
  return [
    ...(incident.acknowledged_by
      ? [`Acknowledged by ${oneLine(incident.acknowledged_by)} at ${incident.acknowledged_at ?? "?"}`]
      : []),
    ...(incident.status === "resolved"
      ? [`Resolved by ${oneLine(incident.resolved_by ?? "?")} at ${incident.resolved_at ?? "?"}`]
      : []),
  ];
}

function html(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function fields(incident: Incident): [string, string][] {
  return [
    ...incidentFacts(incident),
    ...Object.entries(incident.labels)
      .filter(([name]) => name !== "agent_id" && name !== "detector")
      .map(([name, value]): [string, string] => [name, String(value)]),
  ];
}
