/**
 * The one error type of agentwatch. Every error that crosses a module boundary is an
 * AgentwatchError with a stable `code` (part of the HTTP contract: `{"error": {"code", "message"}}`),
 * an HTTP status for the API layer, and `retryable`, which tells callers (the HTTP client, the
 * delivery dispatcher, the bus consumer) whether trying the same thing again can succeed.
 */

export const ErrorCodes = {
  // Client errors (not retryable as sent).
  invalidJson: { status: 400, retryable: false },
  invalidRequest: { status: 400, retryable: false },
  noValidEvents: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  /** The token is bound to a client certificate (mTLS) and the request came without a verified one. */
  clientCertificateRequired: { status: 401, retryable: false },
  /** The token is bound to a client certificate and the request came with another. */
  clientCertificateMismatch: { status: 403, retryable: false },
  notFound: { status: 404, retryable: false },
  conflict: { status: 409, retryable: false },
  payloadTooLarge: { status: 413, retryable: false },
  tooManyEvents: { status: 413, retryable: false },
  unsupportedMediaType: { status: 415, retryable: false },
  rateLimited: { status: 429, retryable: true },
  // Server side.
  logUnavailable: { status: 503, retryable: true },
  storageUnavailable: { status: 503, retryable: true },
  /** agentwatch is starting (its workers are not all running yet); GET /readyz says when. */
  notReady: { status: 503, retryable: true },
  notImplemented: { status: 501, retryable: false },
  internal: { status: 500, retryable: false },
  // Start-up and outbound.
  configInvalid: { status: 500, retryable: false },
  deliveryFailed: { status: 502, retryable: true },
  deliveryRejected: { status: 502, retryable: false },
  /** An LLM provider refused agentwatch's admin key (401, 403): retried, slowly, as someone may fix it. */
  providerUnauthorized: { status: 502, retryable: true },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Wire form of a code: snake_case, as clients see it. */
export function wireCode(code: ErrorCode): string {
  return code.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export interface ErrorOptions {
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
  /** Structured extras safe to show to the caller (never secrets). */
  details?: Record<string, unknown>;
}

export class AgentwatchError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AgentwatchError";
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.retryable = options.retryable ?? ErrorCodes[code].retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }

  /** The contract's error body. */
  toBody(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: wireCode(this.code),
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

/** Whether trying the same thing again later may succeed (an outage): only errors that say so. */
export function isRetryable(err: unknown): boolean {
  return err instanceof AgentwatchError && err.retryable;
}

export function isAgentwatchError(err: unknown): err is AgentwatchError {
  return err instanceof AgentwatchError;
}

/** Wraps anything thrown into an AgentwatchError, keeping the original as `cause`. */
export function asAgentwatchError(err: unknown, fallback: ErrorCode = "internal"): AgentwatchError {
  if (err instanceof AgentwatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentwatchError(fallback, message, { cause: err });
}
