/**
 * A local server that answers as Slack's Web API does (https://api.slack.com/web): `POST
 * /api/<method>` with the bot token as `Authorization: Bearer`, arguments form-encoded (objects
 * such as `blocks` as JSON strings) or as JSON; HTTP 200 with `{ ok: true, … }` or
 * `{ ok: false, error }`; HTTP 429 with `Retry-After` when rate limited. It implements the methods
 * agentwatch calls (chat.postMessage, chat.update, chat.postEphemeral) with Slack's documented
 * answers and errors, checks blocks against Block Kit's documented limits (invalid_blocks), and
 * records every call for the tests to read.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  at: number;
}

interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
}

const BLOCK_TYPES = new Set([
  "section",
  "actions",
  "context",
  "divider",
  "header",
  "image",
  "input",
  "rich_text",
]);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly messages: StoredMessage[] = [];
  /** The bot token it accepts. */
  readonly token: string;
  /** Channel name (without #) → id. */
  readonly channels = new Map<string, string>([["agent-incidents", "C0AGENTINC"]]);
  #server: Server | undefined;
  #seq = 0;
  #rateLimited: { calls: number; retryAfter: number } | undefined;

  constructor(token = "xoxb-test-0123456789-abcdefghijkl") {
    this.token = token;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The Web API's base URL (a receiver's api_url). */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (!address) throw new Error("the fake Slack server is not started");
    return `http://127.0.0.1:${address.port}/api/`;
  }

  /** The next `calls` calls are refused with 429 and this Retry-After (seconds), as Slack's rate limiter does. */
  rateLimitNext(calls: number, retryAfter: number): void {
    this.#rateLimited = { calls, retryAfter };
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
    const auth = req.headers.authorization;
    const args = parseArgs(raw, req.headers["content-type"] ?? "");
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : (args.token as string | undefined);
    this.calls.push({ method, token, args, at: Date.now() });
    if (this.#rateLimited && this.#rateLimited.calls > 0) {
      this.#rateLimited.calls -= 1;
      res.writeHead(429, {
        "retry-after": String(this.#rateLimited.retryAfter),
        "content-type": "application/json",
      });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const answer = (body: Record<string, unknown>) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" && req.method !== "GET")
      return answer({ ok: false, error: "method_not_supported" });
    if (token === undefined) return answer({ ok: false, error: "not_authed" });
    if (token !== this.token) return answer({ ok: false, error: "invalid_auth" });
    switch (method) {
      case "chat.postMessage":
        return answer(this.#postMessage(args));
      case "chat.update":
        return answer(this.#update(args));
      case "chat.postEphemeral":
        return answer(this.#postEphemeral(args));
      default:
        return answer({ ok: false, error: "unknown_method" });
    }
  }

  #channelId(channel: unknown): string | undefined {
    if (typeof channel !== "string") return undefined;
    if ([...this.channels.values()].includes(channel)) return channel;
    return this.channels.get(channel.replace(/^#/, ""));
  }

  #postMessage(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.#channelId(args.channel);
    if (!channel) return { ok: false, error: "channel_not_found" };
    const blocks = (args.blocks as unknown[] | undefined) ?? [];
    if (!args.text && blocks.length === 0) return { ok: false, error: "no_text" };
    const invalid = invalidBlocks(blocks);
    if (invalid) return { ok: false, error: "invalid_blocks", errors: [invalid] };
    const thread = typeof args.thread_ts === "string" ? args.thread_ts : undefined;
    if (thread && !this.messages.some((m) => m.channel === channel && m.ts === thread)) {
      return { ok: false, error: "thread_not_found" };
    }
    const ts = this.#ts();
    const message: StoredMessage = {
      channel,
      ts,
      text: String(args.text ?? ""),
      blocks,
      ...(thread ? { thread_ts: thread } : {}),
    };
    this.messages.push(message);
    return {
      ok: true,
      channel,
      ts,
      message: {
        type: "message",
        subtype: "bot_message",
        text: message.text,
        ts,
        bot_id: "B0AGENTWATCH",
        blocks,
      },
    };
  }

  #update(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.#channelId(args.channel);
    if (!channel) return { ok: false, error: "channel_not_found" };
    const message = this.messages.find((m) => m.channel === channel && m.ts === args.ts);
    if (!message) return { ok: false, error: "message_not_found" };
    const blocks = (args.blocks as unknown[] | undefined) ?? message.blocks;
    const invalid = invalidBlocks(blocks);
    if (invalid) return { ok: false, error: "invalid_blocks", errors: [invalid] };
    message.text = String(args.text ?? message.text);
    message.blocks = blocks;
    return { ok: true, channel, ts: message.ts, text: message.text, message: { text: message.text, blocks } };
  }

  #postEphemeral(args: Record<string, unknown>): Record<string, unknown> {
    const channel = this.#channelId(args.channel);
    if (!channel) return { ok: false, error: "channel_not_found" };
    if (typeof args.user !== "string") return { ok: false, error: "user_not_in_channel" };
    if (!args.text && !args.blocks) return { ok: false, error: "no_text" };
    return { ok: true, message_ts: this.#ts() };
  }

  #ts(): string {
    this.#seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.#seq).padStart(6, "0")}`;
  }

  /** The message as it stands now (edits applied). */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json"))
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
  // Form-encoded calls carry objects as JSON strings (what Slack reads them as).
  for (const key of ["blocks", "attachments", "metadata"]) {
    if (typeof args[key] === "string") args[key] = JSON.parse(args[key] as string);
  }
  return args;
}

/** Why Slack would refuse these blocks (Block Kit's documented limits), or undefined. */
function invalidBlocks(blocks: unknown[]): string | undefined {
  if (blocks.length > 50) return "no more than 50 items allowed [json-pointer:/blocks]";
  for (const [i, block] of blocks.entries()) {
    const b = block as Record<string, unknown>;
    if (!BLOCK_TYPES.has(String(b.type))) return `unsupported type [json-pointer:/blocks/${i}/type]`;
    const text = b.text as { type?: string; text?: string } | undefined;
    if (text && (typeof text.text !== "string" || text.text.length > 3000 || text.text.length === 0)) {
      return `must be between 1 and 3000 characters [json-pointer:/blocks/${i}/text]`;
    }
    const fields = (b.fields as { text?: string }[] | undefined) ?? [];
    if (fields.length > 10) return `no more than 10 items allowed [json-pointer:/blocks/${i}/fields]`;
    for (const [j, f] of fields.entries()) {
      if (!f.text || f.text.length > 2000) return `invalid field [json-pointer:/blocks/${i}/fields/${j}]`;
    }
    if (b.type === "actions") {
      const elements = (b.elements as Record<string, unknown>[] | undefined) ?? [];
      if (elements.length === 0 || elements.length > 25)
        return `invalid elements [json-pointer:/blocks/${i}/elements]`;
      const ids = new Set<string>();
      for (const [j, e] of elements.entries()) {
        const label = (e.text as { type?: string; text?: string } | undefined) ?? {};
        const actionId = String(e.action_id ?? "");
        if (e.type !== "button") return `unsupported element [json-pointer:/blocks/${i}/elements/${j}]`;
        if (label.type !== "plain_text" || !label.text || label.text.length > 75) {
          return `invalid button text [json-pointer:/blocks/${i}/elements/${j}/text]`;
        }
        if (actionId.length === 0 || actionId.length > 255 || ids.has(actionId)) {
          return `invalid or duplicate action_id [json-pointer:/blocks/${i}/elements/${j}/action_id]`;
        }
        ids.add(actionId);
        if (typeof e.value === "string" && e.value.length > 2000) {
          return `must be less than 2001 characters [json-pointer:/blocks/${i}/elements/${j}/value]`;
        }
        if (e.style !== undefined && e.style !== "primary" && e.style !== "danger") {
          return `invalid style [json-pointer:/blocks/${i}/elements/${j}/style]`;
        }
      }
    }
  }
  return undefined;
}
