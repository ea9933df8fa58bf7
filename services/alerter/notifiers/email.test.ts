/** The email notifier against a real SMTP server (smtp-server) on 127.0.0.1. */
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentFor, parseReceiver, rejection } from "../../../test/helpers/notifiers.ts";
import type { EmailReceiverConfig } from "../../runtime/config.ts";
import { AgentwatchError } from "../../runtime/errors.ts";
import { EmailNotifier } from "./email.ts";
import type { AlertNotification } from "./notifier.ts";

const incident = incidentFor({
  id: "inc_42",
  severity: "critical",
  detector: "secret_leak",
  agent_id: "support-bot",
  title: "Secret in a response\r\nBcc: victim@example.com",
  summary: "an AWS access key (AKIA****************) in a response",
  labels: { type: "aws_access_key" },
  findings: [
    { id: "f1", detector: "secret_leak", time: "2026-11-20T10:00:00.000Z", summary: "AKIA**** in response" },
  ],
});
const firing: AlertNotification = { version: "1", status: "firing", incident };

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** The header block, unfolded (long headers continue on lines that start with a space, RFC 5322 §2.2.3). */
const headersOf = (raw: string) => (raw.split(/\r?\n\r?\n/)[0] ?? "").replace(/\r?\n(?=[ \t])/g, "");

describe("email notifier", () => {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "agentwatch" && auth.password === "right-password")
        return callback(null, { user: "agentwatch" });
      return callback(new Error("bad credentials"));
    },
    onRcptTo(address, _session, callback) {
      const fail = (code: number, text: string) =>
        callback(Object.assign(new Error(text), { responseCode: code }));
      if (address.address.startsWith("gone@")) return fail(550, "no such mailbox");
      if (address.address.startsWith("full@")) return fail(452, "mailbox full, try later");
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  let port = 0;

  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const notifier = (extra: Record<string, unknown> = {}, to = ["oncall@example.com", "sec@example.com"]) =>
    new EmailNotifier(
      parseReceiver<EmailReceiverConfig>({
        name: "mail",
        type: "email",
        to,
        from: "agentwatch@example.com",
        smarthost: `127.0.0.1:${port}`,
        require_tls: false,
        timeout: "3s",
        ...extra,
      }),
    );

  it("mails firing and resolved in one thread, to every address, with a one-line subject", async () => {
    await notifier().send(firing);
    await notifier().send({ ...firing, status: "resolved" });
    expect(received).toHaveLength(2);
    const [first, second] = received as [Received, Received];
    expect(first.from).toBe("agentwatch@example.com");
    expect(first.to).toEqual(["oncall@example.com", "sec@example.com"]);
    // The title's line break did not become a header: no Bcc, one subject line.
    const headers = headersOf(first.raw);
    expect(headers).toMatch(
      /^Subject: \[agentwatch\] \[CRITICAL\] support-bot \/ secret_leak: Secret in a response Bcc: victim@example\.com\r?$/m,
    );
    expect(headers).not.toMatch(/^Bcc:/m);
    expect(headers).toMatch(/^In-Reply-To: <inc_42@agentwatch>\r?$/m);
    expect(headers).toMatch(/^X-Agentwatch-Status: firing\r?$/m);
    expect(first.raw).toContain("Firing: Secret in a response Bcc: victim@example.com\r\n");
    expect(first.raw).toContain("Severity:  critical");
    expect(first.raw).toContain("AKIA**** in response");
    expect(headersOf(second.raw)).toMatch(/^Subject: \[agentwatch\] \[RESOLVED\] /m);
    expect(headersOf(second.raw)).toMatch(/^References: <inc_42@agentwatch>\r?$/m);
  });

  it("sends an HTML part beside the text, every value escaped, with the incident's link", async () => {
    const before = received.length;
    const linked = new EmailNotifier(
      parseReceiver<EmailReceiverConfig>({
        name: "mail",
        type: "email",
        to: ["oncall@example.com"],
        from: "agentwatch@example.com",
        smarthost: `127.0.0.1:${port}`,
        require_tls: false,
      }),
      "https://aw.example.com",
    );
    const acked = {
      ...incident,
      title: 'Leak <img src="https://evil.example/x.png">',
      status: "acknowledged" as const,
      acknowledged_by: "slack:U1 (amy)",
      acknowledged_at: "2026-11-20T10:02:00.000Z",
    };
    await linked.send({ version: "1", status: "firing", incident: acked });
    const raw = (received[before] as Received).raw;
    expect(headersOf(raw)).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toMatch(/^Content-Type: text\/plain/m);
    expect(raw).toMatch(/^Content-Type: text\/html/m);
    // Quoted-printable may fold lines: unfold before reading.
    const html = (raw.split(/^Content-Type: text\/html.*$/m)[1] ?? "")
      .replace(/=\r?\n/g, "")
      .replace(/=3D/g, "=");
    expect(html).toContain("Leak &lt;img src=&quot;https://evil.example/x.png&quot;&gt;");
    expect(html).not.toContain('<img src="https://evil.example');
    expect(html).toContain('<a href="https://aw.example.com/ui/#/incidents/inc_42">');
    expect(html).toContain("Acknowledged by slack:U1 (amy)");
    expect(raw.replace(/=\r?\n/g, "")).toContain(
      "Open it in agentwatch: https://aw.example.com/ui/#/incidents/inc_42",
    );
  });

  it("logs in when given credentials; wrong ones are not retried", async () => {
    const before = received.length;
    await notifier({ auth_username: "agentwatch", auth_password: "right-password" }).send(firing);
    expect(received).toHaveLength(before + 1);
    const err = await rejection(
      notifier({ auth_username: "agentwatch", auth_password: "wrong" }).send(firing),
    );
    expect(err.code).toBe("deliveryRejected");
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain("wrong");
  });

  it("retries a 4xx reply and a refused connection, not a 5xx reply", async () => {
    const full = await rejection(notifier({}, ["full@example.com"]).send(firing));
    expect(full.retryable).toBe(true);
    expect(full.message).toMatch(/452/);
    const gone = await rejection(notifier({}, ["gone@example.com"]).send(firing));
    expect(gone.retryable).toBe(false);
    expect(gone.message).toMatch(/550/);

    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = await rejection(notifier({ smarthost: `127.0.0.1:${closedPort}` }).send(firing));
    expect(refused.retryable).toBe(true);
  });

  it("will not send in the clear when TLS is required and the server offers none", async () => {
    const err = await rejection(notifier({ require_tls: true }).send(firing));
    expect(err.retryable).toBe(false);
  });

  it("checks the receiver's config", () => {
    expect(() => notifier({ smarthost: "mail.example.com" })).toThrow(/smarthost: must be host:port/);
    expect(() => notifier({ auth_username: "x" })).toThrow(AgentwatchError);
    expect(() => notifier({}, ["not-an-address"])).toThrow(/to\[0\]: must be an email address/);
  });
});
