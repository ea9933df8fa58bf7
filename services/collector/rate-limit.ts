/**
 * A token bucket per API token: `ratePerSecond` sustained, `burst` at once. Counted in events,
 * so one request of 1,000 events costs 1,000.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(ratePerSecond: number, burst: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
  }

  /** Takes `cost` if available; otherwise returns the seconds to wait before it would be. */
  take(
    key: string,
    cost: number,
    now: number,
  ): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    // A request larger than the burst could never pass; it is charged the whole burst instead.
    const charge = Math.min(cost, this.#burst);
    if (charge <= bucket.tokens) {
      bucket.tokens -= charge;
      return { allowed: true };
    }
    const deficit = charge - bucket.tokens;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(deficit / this.#rate)) };
  }
}
