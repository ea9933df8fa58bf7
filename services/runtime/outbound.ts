/**
 * Outbound POSTs, shared by the notifiers and the agent control client (signed for the webhook
 * receivers and agent control, contract §5). A 2xx is
 * success; a network failure, timeout, 408, 425, 429 or 5xx is a retryable `deliveryFailed`; any
 * other answer is a `deliveryRejected` that repeating will not fix.
 */

import type { Secret } from "../../lib/secret.ts";
import { AgentwatchError } from "./errors.ts";
import { signedHeaders } from "./signing.ts";

const RETRYABLE_STATUS = new Set([408, 425, 429]);

export function postSigned(url: string, secret: Secret, body: string, timeoutMs: number): Promise<void> {
  return postJson(url, body, timeoutMs, signedHeaders(secret.reveal(), body));
}

/** Why a fetch threw, in a few words: a timeout, or the network's error code or message. */
export function failureReason(err: unknown, timeoutMs: number): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return (err as Error).name === "TimeoutError"
    ? `no answer within ${timeoutMs} ms`
    : (cause?.code ?? cause?.message ?? (err as Error).message);
}

/**
 * POSTs a JSON body; resolves on a 2xx, rejects as described above. `shownUrl` is what errors
 * name instead of the URL, for URLs that are credentials (a Slack webhook's path is its token).
 */
export async function postJson(
  url: string,
  body: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
  shownUrl = url,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "agentwatch", ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    throw new AgentwatchError("deliveryFailed", `POST ${shownUrl} failed: ${failureReason(err, timeoutMs)}`, {
      cause: err,
    });
  }
  // Drain the body so the connection can be reused; keep a little of it for the error message.
  const text = await response.text().catch(() => "");
  if (response.ok) return;
  const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const message = `POST ${shownUrl} answered ${response.status}${snippet ? `: ${snippet}` : ""}`;
  const retryable = response.status >= 500 || RETRYABLE_STATUS.has(response.status);
  const retryAfter = retryable ? retryAfterSeconds(response.headers.get("retry-after")) : undefined;
  throw new AgentwatchError(retryable ? "deliveryFailed" : "deliveryRejected", message, {
    details: { status: response.status },
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
  });
}

/** A Retry-After header (seconds, or an HTTP date) in seconds; at most a day, whatever a receiver says. */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim())
    ? Number(header.trim())
    : (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(Math.ceil(seconds), 86_400);
}
