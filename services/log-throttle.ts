/**
 * At most one log line per key per interval, so a client that can make agentwatch log (a
 * request with no token or a wrong one) cannot fill the disk or drown the lines that matter.
 * The next line written for a key says how many were held back since the last one. Keys are a
 * small fixed set (the reasons), so the map stays small.
 */
/** How often a refused request (no or a wrong token or signature) may be logged, per reason. */
export const REFUSAL_LOG_INTERVAL_MS = 5000;

export class LogThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Whether a line for `key` may be written now: `{ suppressed }` (how many were held back since
   * the last one written) when it may, undefined when it is held back and counted.
   */
  admit(key: string): { suppressed: number } | undefined {
    const now = this.#now();
    const state = this.#keys.get(key);
    if (state && now - state.loggedAt < this.#intervalMs) {
      state.suppressed += 1;
      return undefined;
    }
    this.#keys.set(key, { loggedAt: now, suppressed: 0 });
    return { suppressed: state?.suppressed ?? 0 };
  }
}
