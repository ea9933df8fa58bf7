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
export declare function backoffDelay(attempt: number, options: BackoffOptions): number;
/**
 * A `Retry-After` header in milliseconds from `nowMs`: delta-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`; a date in the past is 0). Undefined when absent or
 * unparseable (the caller then uses its backoff); capped at `maxMs`.
 */
export declare function parseRetryAfter(header: string | null | undefined, nowMs?: number, maxMs?: number): number | undefined;
