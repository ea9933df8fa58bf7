/**
 * Retry timing: exponential backoff with jitter, and the server's `Retry-After` (seconds or an
 * HTTP date, RFC 9110 §10.2.3), which wins over the backoff when the server sends one.
 */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter (ms). */
  initialDelayMs: number;
  /** The exponential part never grows past this (ms). */
  maxDelayMs: number;
  /** A number in [0, 1): `Math.random` unless a test fixes it. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 for the first retry): `initial * 2^(attempt-1)`, capped at
 * `maxDelayMs`, then "equal jitter": a uniform pick in [half of it, all of it], so that clients
 * that failed together do not retry together, and no retry comes sooner than half the backoff.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  const exponential = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(n - 1, 52));
  const random = (options.random ?? Math.random)();
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

/**
 * A `Retry-After` header in milliseconds from `nowMs`: delta-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`; a date in the past is 0). Undefined when absent or
 * unparseable (the caller then uses its backoff); capped at `maxMs`.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  nowMs: number = Date.now(),
  maxMs = 300_000,
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === "") return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else if (/^[A-Za-z]{3},? /.test(value) || /GMT$/.test(value)) {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  } else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(ms, maxMs);
}
