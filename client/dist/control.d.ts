import type { IncomingMessage, ServerResponse } from "node:http";
export declare const TIMESTAMP_HEADER = "x-agentwatch-timestamp";
export declare const SIGNATURE_HEADER = "x-agentwatch-signature";
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
export type HeadersLike = {
    get(name: string): string | null;
} | Record<string, string | string[] | undefined>;
export interface VerifyOptions {
    /** Oldest (and furthest in the future) timestamp accepted, in seconds. Default 300. */
    toleranceSeconds?: number;
    /** The current time in ms since the epoch (default `Date.now()`). */
    now?: number;
}
export type VerifyFailure = "missing_signature" | "bad_timestamp" | "stale_timestamp" | "bad_signature";
export type VerifyResult = {
    ok: true;
    timestamp: number;
} | {
    ok: false;
    reason: VerifyFailure;
};
/** The signature agentwatch sends for this body at this timestamp: `sha256=<hex>`. */
export declare function controlSignature(secret: string, timestamp: number | string, rawBody: string | Uint8Array): string;
/**
 * Whether a request is a genuine, fresh control request: both headers present, a timestamp of
 * unix seconds within the window, and the signature of `"<timestamp>.<rawBody>"` under `secret`.
 * Pass the body exactly as received (bytes or their UTF-8 text), never re-serialised JSON.
 */
export declare function verifyControlRequest(secret: string, headers: HeadersLike, rawBody: string | Uint8Array, options?: VerifyOptions): VerifyResult;
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
export declare function controlHandler(options: ControlHandlerOptions): RequestHandler;
