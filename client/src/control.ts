/**
 * The agent's side of the kill switch: checking a control request agentwatch sends to the agent's
 * `control.url` (contract §3 and §5), and a ready request handler for Node's `http`.
 *
 * agentwatch signs `"<timestamp>.<raw body>"` with HMAC-SHA256 and the agent's control secret and
 * sends `X-Agentwatch-Timestamp: <unix seconds>` and `X-Agentwatch-Signature: sha256=<hex>`
 * (services/runtime/signing.ts). The check here is the same, over the raw bytes as received, in
 * constant time, and refuses a timestamp more than `toleranceSeconds` (300) away from now.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export const TIMESTAMP_HEADER = "x-agentwatch-timestamp";
export const SIGNATURE_HEADER = "x-agentwatch-signature";

/** The body of a control request (contract §3). */
export interface ControlCommand {
  action: "pause" | "resume";
  agent_id: string;
  reason: string | null;
  incident_id: string | null;
  /** When agentwatch issued it (RFC 3339). */
  time: string;
  /** Grows with every command to the agent: a command not above the last one acted on is a replay. */
  sequence?: number;
}

/** Headers as Node gives them (lower-case keys), a plain record in any case, or a Fetch `Headers`. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Oldest (and furthest in the future) timestamp accepted, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The current time in ms since the epoch (default `Date.now()`). */
  now?: number;
}

export type VerifyFailure = "missing_signature" | "bad_timestamp" | "stale_timestamp" | "bad_signature";

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

/** The signature agentwatch sends for this body at this timestamp: `sha256=<hex>`. */
export function controlSignature(
  secret: string,
  timestamp: number | string,
  rawBody: string | Uint8Array,
): string {
  const hmac = createHmac("sha256", secret).update(`${timestamp}.`);
  hmac.update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody);
  return `sha256=${hmac.digest("hex")}`;
}

/**
 * Whether a request is a genuine, fresh control request: both headers present, a timestamp of
 * unix seconds within the window, and the signature of `"<timestamp>.<rawBody>"` under `secret`.
 * Pass the body exactly as received (bytes or their UTF-8 text), never re-serialised JSON.
 */
export function verifyControlRequest(
  secret: string,
  headers: HeadersLike,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): VerifyResult {
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: "missing_signature" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const age = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  if (!(age <= (options.toleranceSeconds ?? 300))) return { ok: false, reason: "stale_timestamp" };
  const expected = Buffer.from(controlSignature(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "bad_signature" };
  }
  return { ok: true, timestamp: Number(timestamp) };
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  return Array.isArray(value) ? value[0] : value;
}

/** What the handler needs from a client (AgentwatchClient implements it). */
export interface ControlTarget {
  readonly agentId: string;
  /** Applies a verified, fresh command to the cached state. */
  applyControl(command: ControlCommand): void;
}

export interface ControlHandlerOptions {
  /** The agent's `control.secret` in agentwatch's config. */
  secret: string;
  /** The client whose cached state (`paused()`, `guard()`) the commands update. */
  client?: ControlTarget;
  /** Without a client: the agent id commands must name (others are answered 400). */
  agentId?: string;
  onPause?: (command: ControlCommand) => void | Promise<void>;
  onResume?: (command: ControlCommand) => void | Promise<void>;
  toleranceSeconds?: number;
  /** Largest body read (bytes); a larger one is answered 413. Default 64 KiB. */
  maxBodyBytes?: number;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A handler for `http.createServer(handler)` (or a route of one) at the agent's `control.url`:
 * 405 for another method than POST; 401 for a missing or wrong signature or a timestamp outside
 * the window; 400 for a bad timestamp or body, or a command for another agent; 200 once the
 * command is applied (the client's cached state updated, then `onPause`/`onResume` awaited) or
 * when it is a replay of one already applied (acted on once); 500 when the callback throws, so
 * agentwatch retries.
 */
export function controlHandler(options: ControlHandlerOptions): RequestHandler {
  const agentId = options.client?.agentId ?? options.agentId;
  let lastSequence = 0;
  return (req, res) => {
    void handle(req).then(
      ([status, message]) => answer(res, status, message),
      () => answer(res, 500, "internal_error"),
    );
  };

  async function handle(req: IncomingMessage): Promise<[number, string]> {
    if (req.method !== "POST") {
      req.resume();
      return [405, "method_not_allowed"];
    }
    const raw = await readBody(req, options.maxBodyBytes ?? 65_536);
    if (raw === undefined) return [413, "body_too_large"];
    const verified = verifyControlRequest(options.secret, req.headers, raw, {
      ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
    });
    if (!verified.ok) return [verified.reason === "bad_timestamp" ? 400 : 401, verified.reason];
    let command: ControlCommand;
    try {
      command = JSON.parse(raw.toString("utf8")) as ControlCommand;
    } catch {
      return [400, "bad_body"];
    }
    if (command === null || typeof command !== "object" || !["pause", "resume"].includes(command.action)) {
      return [400, "bad_body"];
    }
    if (agentId !== undefined && command.agent_id !== agentId) return [400, "wrong_agent"];
    const sequence = typeof command.sequence === "number" ? command.sequence : undefined;
    if (sequence !== undefined && sequence <= lastSequence) return [200, "replay_ignored"];
    options.client?.applyControl(command);
    try {
      await (command.action === "pause" ? options.onPause : options.onResume)?.(command);
    } catch {
      return [500, "callback_failed"];
    }
    if (sequence !== undefined) lastSequence = Math.max(lastSequence, sequence);
    return [200, "ok"];
  }
}

function answer(res: ServerResponse, status: number, code: string): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(
    JSON.stringify(status < 300 ? { status: code } : { error: { code, message: code.replaceAll("_", " ") } }),
  );
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
