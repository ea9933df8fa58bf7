/**
 * A token bucket per API token: `ratePerSecond` sustained, `burst` at once. Counted in events,
 * so one request of 1,000 events costs 1,000, whether they are valid or not.
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

  /**
   * Charges work already done for a request that is refused anyway (too many events): takes
   * `cost`, or what is left when that is less, so a stream of such refusals empties the bucket
   * and the next request is refused before its body is read.
   */
  spend(key: string, cost: number, now: number): void {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    bucket.at = now;
    bucket.tokens = Math.max(0, bucket.tokens - cost);
    this.#buckets.set(key, bucket);
  }

  /**
   * When `key`'s bucket has not even one event left: the seconds until it has; undefined
   * otherwise. Takes nothing (the request's cost is known only once its body is read).
   */
  emptyFor(key: string, now: number): number | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    const tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    return tokens >= 1 ? undefined : Math.max(1, Math.ceil((1 - tokens) / this.#rate));
  }
}
