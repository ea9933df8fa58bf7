/**
 * An example agent runtime for agentwatch, with Node's `http` and nothing else: it reports what
 * it does (prompts, tool calls, responses) to agentwatch, and it obeys the kill switch. It
 * verifies each control call's signature (HMAC-SHA256 of "<timestamp>.<body>", at most five
 * minutes old), refuses a replayed or older command by its `sequence`, and while paused it calls
 * no tool and answers users that it is paused.
 *
 *   AGENTWATCH_URL=http://127.0.0.1:8080 AGENTWATCH_TOKEN=<ingest token> \
 *   CONTROL_SECRET=<agents[].control.secret> node examples/agent.ts
 *
 * It listens for control calls on CONTROL_PORT (default 9100, path /control: the agent's
 * `control.url`) and serves a toy chat endpoint on the same port (POST /chat {"user", "text"}).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ExampleAgentOptions {
  agentId: string;
  /** agentwatch's base URL (see useAgentwatch). */
  agentwatchUrl: string;
  ingestToken: string;
  controlSecret: string;
  port?: number;
}

export class ExampleAgent {
  readonly #o: ExampleAgentOptions;
  #paused = false;
  #lastSequence = 0;
  #seq = 0;
  readonly #server = createServer((req, res) => {
    this.#route(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  /** Tool calls made, for the demo and its test. */
  readonly toolCalls: string[] = [];

  constructor(options: ExampleAgentOptions) {
    this.#o = options;
  }

  /** Where to report (when agentwatch is started after the agent, as in a test). */
  useAgentwatch(url: string): void {
    this.#o.agentwatchUrl = url;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.#o.port ?? 0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** One turn of the toy chat: a prompt, a tool call (unless paused), a response; all reported. */
  async chat(user: string, text: string): Promise<string> {
    await this.#report({ type: "prompt", user_id: user, text });
    if (this.#paused) return "This assistant is paused by its operators. Please try again later.";
    this.toolCalls.push("lookup_order");
    await this.#report({
      type: "tool_call",
      user_id: user,
      tool: { name: "lookup_order", arguments: { q: text } },
    });
    const answer = `You asked: ${text}. Your order ships tomorrow.`;
    await this.#report({ type: "response", user_id: user, text: answer });
    return answer;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method === "POST" && req.url === "/control") {
      res.statusCode = this.#control(req, body);
      res.end();
      return;
    }
    if (req.method === "POST" && req.url === "/chat") {
      const { user, text } = JSON.parse(body) as { user: string; text: string };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ answer: await this.chat(user, text) }));
      return;
    }
    res.statusCode = 404;
    res.end();
  }

  /** A control call: 401 if the signature is wrong or stale; 200 once acted on (or already superseded). */
  #control(req: IncomingMessage, body: string): number {
    const timestamp = String(req.headers["x-agentwatch-timestamp"] ?? "");
    const signature = String(req.headers["x-agentwatch-signature"] ?? "");
    if (!verify(this.#o.controlSecret, timestamp, signature, body)) return 401;
    const command = JSON.parse(body) as { action: "pause" | "resume"; sequence: number; agent_id: string };
    if (command.agent_id !== this.#o.agentId) return 400;
    // A replayed or older command: already superseded. 2xx, so agentwatch stops retrying it.
    if (!(command.sequence > this.#lastSequence)) return 200;
    this.#lastSequence = command.sequence;
    this.#paused = command.action === "pause";
    return 200;
  }

  async #report(event: Record<string, unknown>): Promise<void> {
    this.#seq += 1;
    const response = await fetch(`${this.#o.agentwatchUrl}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.#o.ingestToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: `${this.#o.agentId}-${process.pid}-${this.#seq}`,
        time: new Date().toISOString(),
        agent_id: this.#o.agentId,
        session_id: "demo",
        ...event,
      }),
    });
    await response.arrayBuffer();
  }
}

/** The README's verification: constant-time compare, and at most five minutes old. */
export function verify(secret: string, timestamp: string, signature: string, rawBody: string): boolean {
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(
    `sha256=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`,
  );
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

if (import.meta.main) {
  const agent = new ExampleAgent({
    agentId: process.env.AGENT_ID ?? "support-bot",
    agentwatchUrl: process.env.AGENTWATCH_URL ?? "http://127.0.0.1:8080",
    ingestToken: process.env.AGENTWATCH_TOKEN ?? "dev-ingest-token-change-me",
    controlSecret: process.env.CONTROL_SECRET ?? "dev-control-secret-change-me",
    port: Number(process.env.CONTROL_PORT ?? 9100),
  });
  await agent.start();
  console.log(`example agent on ${agent.url} (POST /chat, control at /control)`);
}
