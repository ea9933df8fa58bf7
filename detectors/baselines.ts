/**
 * Baselines: the pure, serializable building blocks detectors learn "normal" with. Every state
 * here is plain JSON data of bounded size, updated in place by functions that take the time as an
 * argument (no clock), so detectors stay pure and the runner can checkpoint them.
 *
 * Memory per tracked entity is what keeps 100,000 entities cheap: an Ewma is 4 numbers, a
 * RobustWindow at most `capacity` numbers, a SlidingCounter `buckets` numbers.
 */
import { median, medianAbsoluteDeviation } from "simple-statistics";
import { newRecord } from "./record.ts";

// ---------------------------------------------------------------------------------------------
// Exponentially weighted mean and variance

/** Exponentially weighted mean and variance of a series. */
export interface Ewma {
  mean: number;
  variance: number;
  /** Observations folded in (capped, used for warm-up). */
  n: number;
}

export function newEwma(): Ewma {
  return { mean: 0, variance: 0, n: 0 };
}

/**
 * Folds `x` in with weight `alpha` (0..1; larger forgets faster). The first observation sets the
 * mean. Uses the incremental form of West (1979) so variance never goes negative.
 */
export function updateEwma(state: Ewma, x: number, alpha: number): void {
  if (state.n === 0) {
    state.mean = x;
    state.variance = 0;
  } else {
    const diff = x - state.mean;
    const increment = alpha * diff;
    state.mean += increment;
    state.variance = (1 - alpha) * (state.variance + diff * increment);
  }
  state.n = Math.min(state.n + 1, 1_000_000);
}

/** The weight that halves an observation's influence after `halfLife` further observations. */
export function alphaForHalfLife(halfLife: number): number {
  return 1 - 2 ** (-1 / halfLife);
}

/**
 * How many standard deviations `x` is above the mean. `floor` is the smallest standard deviation
 * assumed, so a perfectly flat history does not make every small change infinite.
 */
export function zScore(state: Ewma, x: number, floor: number): number {
  return (x - state.mean) / Math.max(Math.sqrt(state.variance), floor);
}

// ---------------------------------------------------------------------------------------------
// Robust scores over recent values

/** The last `capacity` values of a series (a ring), for median/MAD scores one burst cannot poison. */
export interface RobustWindow {
  values: number[];
  /** Next slot to overwrite once full. */
  next: number;
}

export function newRobustWindow(): RobustWindow {
  return { values: [], next: 0 };
}

export function pushRobust(state: RobustWindow, x: number, capacity: number): void {
  if (state.values.length < capacity) {
    state.values.push(x);
  } else {
    state.values[state.next] = x;
    state.next = (state.next + 1) % capacity;
  }
}

/**
 * The robust z-score of `x` against the window: (x − median) / (1.4826 × MAD), the MAD scaled to
 * match a standard deviation for normal data. `floor` bounds the scale from below. Undefined when
 * the window is empty.
 */
export function robustScore(state: RobustWindow, x: number, floor: number): number | undefined {
  if (state.values.length === 0) return undefined;
  const m = median(state.values);
  const scale = Math.max(1.4826 * medianAbsoluteDeviation(state.values), floor);
  return (x - m) / scale;
}

/** 1.4826 × MAD: the robust counterpart of a standard deviation. Undefined when the window is empty. */
export function robustSpread(state: RobustWindow): number | undefined {
  return state.values.length === 0 ? undefined : 1.4826 * medianAbsoluteDeviation(state.values);
}

export function robustMedian(state: RobustWindow): number | undefined {
  return state.values.length === 0 ? undefined : median(state.values);
}

// ---------------------------------------------------------------------------------------------
// Window counters

/**
 * A sliding-window counter made of `buckets` sub-windows: the count over the last `windowMs`
 * to within one bucket's width, in constant memory and time.
 */
export interface SlidingCounter {
  counts: number[];
  /** Start (epoch ms) of the bucket at `head`. */
  head_start: number;
  head: number;
}

export function newSlidingCounter(buckets: number): SlidingCounter {
  return { counts: new Array(buckets).fill(0), head_start: 0, head: 0 };
}

/** Moves the window so that `time` falls in its newest bucket, clearing the buckets left behind. */
export function advanceSliding(state: SlidingCounter, time: number, windowMs: number): void {
  const width = windowMs / state.counts.length;
  if (state.head_start === 0) {
    state.head_start = Math.floor(time / width) * width;
    return;
  }
  const steps = Math.floor((time - state.head_start) / width);
  if (steps <= 0) return;
  const clear = Math.min(steps, state.counts.length);
  for (let i = 1; i <= clear; i += 1) state.counts[(state.head + i) % state.counts.length] = 0;
  state.head = (state.head + steps) % state.counts.length;
  state.head_start += steps * width;
}

/** Adds `amount` at `time`. Times older than the window are ignored; slightly late ones land in their bucket. */
export function addSliding(state: SlidingCounter, time: number, windowMs: number, amount = 1): void {
  advanceSliding(state, time, windowMs);
  const width = windowMs / state.counts.length;
  const back = Math.floor((state.head_start - Math.floor(time / width) * width) / width);
  if (back < 0 || back >= state.counts.length) return;
  const index = (state.head - back + state.counts.length) % state.counts.length;
  state.counts[index] = (state.counts[index] as number) + amount;
}

export function slidingTotal(state: SlidingCounter): number {
  let total = 0;
  for (const c of state.counts) total += c;
  return total;
}

/** A tumbling (fixed, non-overlapping) window counter. */
export interface TumblingCounter {
  window_start: number;
  count: number;
}

/**
 * Adds `amount` at `time`. When `time` is past the current window, returns the count of the
 * window that just closed (and its start) before starting the new one.
 */
export function addTumbling(
  state: TumblingCounter,
  time: number,
  windowMs: number,
  amount = 1,
): { start: number; count: number } | undefined {
  const start = Math.floor(time / windowMs) * windowMs;
  let closed: { start: number; count: number } | undefined;
  if (start > state.window_start) {
    if (state.window_start > 0) closed = { start: state.window_start, count: state.count };
    state.window_start = start;
    state.count = 0;
  }
  if (start === state.window_start) state.count += amount;
  return closed;
}

// ---------------------------------------------------------------------------------------------
// Categorical distributions

/** Counts per category that decay with time, keeping at most a bounded number of categories. */
export interface DecayingDistribution {
  counts: Record<string, number>;
  /** Time (epoch ms) the counts were last decayed to. */
  at: number;
}

export function newDistribution(): DecayingDistribution {
  return { counts: newRecord(), at: 0 };
}

/** Decays every count by 2^(−elapsed/halfLife) up to `time`, and drops what decayed to nothing. */
export function decayDistribution(state: DecayingDistribution, time: number, halfLifeMs: number): void {
  if (state.at === 0 || time <= state.at) {
    state.at = Math.max(state.at, time);
    return;
  }
  const factor = 2 ** (-(time - state.at) / halfLifeMs);
  // for-in rather than Object.entries: this runs for every tool call, and allocates nothing.
  const counts = state.counts;
  for (const key in counts) {
    const decayed = (counts[key] as number) * factor;
    if (decayed < 1e-3) delete counts[key];
    else counts[key] = decayed;
  }
  state.at = time;
}

/**
 * Counts one `category` at `time`. With more than `maxCategories` categories, the smallest is
 * folded into `"(other)"`, so an attacker spraying names cannot grow the state.
 */
export function observeCategory(
  state: DecayingDistribution,
  category: string,
  time: number,
  halfLifeMs: number,
  maxCategories: number,
): void {
  decayDistribution(state, time, halfLifeMs);
  const before = state.counts[category];
  state.counts[category] = (before ?? 0) + 1;
  // Only a new category can break the cap. Creating "(other)" is itself a key, so fold until
  // within the cap (at most twice).
  if (before !== undefined) return;
  while (countKeys(state.counts) > maxCategories) {
    let smallest: string | undefined;
    for (const key of Object.keys(state.counts)) {
      if (key === category || key === OTHER) continue;
      if (smallest === undefined || (state.counts[key] as number) < (state.counts[smallest] as number))
        smallest = key;
    }
    if (smallest === undefined) break;
    state.counts[OTHER] = (state.counts[OTHER] ?? 0) + (state.counts[smallest] as number);
    delete state.counts[smallest];
  }
}

export const OTHER = "(other)";

function countKeys(counts: Record<string, number>): number {
  let n = 0;
  for (const _ in counts) n += 1;
  return n;
}

export function distributionTotal(state: DecayingDistribution): number {
  let total = 0;
  for (const key in state.counts) total += state.counts[key] as number;
  return total;
}

/**
 * Jensen–Shannon divergence (base 2, so 0..1) between two count vectors over the union of their
 * categories. 0: the same distribution; 1: no category in common.
 */
export function jensenShannon(p: Record<string, number>, q: Record<string, number>): number {
  const pTotal = sum(p);
  const qTotal = sum(q);
  if (pTotal === 0 || qTotal === 0) return 0;
  // Over the union of categories without building it: p's keys, then q's keys p lacks.
  let divergence = 0;
  for (const key in p) divergence += jsTerm((p[key] as number) / pTotal, (q[key] ?? 0) / qTotal);
  for (const key in q) if (!(key in p)) divergence += jsTerm(0, (q[key] as number) / qTotal);
  return Math.min(1, Math.max(0, divergence));
}

function jsTerm(pi: number, qi: number): number {
  const mi = (pi + qi) / 2;
  let term = 0;
  if (pi > 0) term += 0.5 * pi * Math.log2(pi / mi);
  if (qi > 0) term += 0.5 * qi * Math.log2(qi / mi);
  return term;
}

function sum(counts: Record<string, number>): number {
  let total = 0;
  for (const key in counts) total += counts[key] as number;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Seasonality

/** Hour of the week, 0 (Monday 00:00 UTC) to 167. */
export function hourOfWeek(time: number): number {
  const date = new Date(time);
  return ((date.getUTCDay() + 6) % 7) * 24 + date.getUTCHours();
}

/**
 * An hour-of-week profile: one EWMA per hour of the week, for series that are busy in office
 * hours and quiet at night. Kept per agent (a few hundred numbers), not per user or key.
 */
export interface SeasonalProfile {
  hours: Ewma[];
}

export function newSeasonalProfile(): SeasonalProfile {
  return { hours: Array.from({ length: 168 }, newEwma) };
}

export function seasonalSlot(state: SeasonalProfile, time: number): Ewma {
  return state.hours[hourOfWeek(time)] as Ewma;
}

// ---------------------------------------------------------------------------------------------
// Shares

/**
 * Adds `amount` to `id`'s share, keeping at most `max` ids: past it, the smallest share gives
 * way (the largest are what a finding names). Used for the agents sharing an API key.
 */
export function addShare(shares: Record<string, number>, id: string, amount: number, max: number): void {
  const current = shares[id];
  if (current !== undefined) {
    shares[id] = current + amount;
    return;
  }
  // One pass, no key list built: this runs for every usage event of a shared key.
  let count = 0;
  let smallest: string | undefined;
  let least = Number.POSITIVE_INFINITY;
  for (const other in shares) {
    count += 1;
    const value = shares[other] as number;
    if (value < least) {
      least = value;
      smallest = other;
    }
  }
  if (count >= max && smallest !== undefined) delete shares[smallest];
  shares[id] = amount;
}

// ---------------------------------------------------------------------------------------------
// Entity eviction

/**
 * Entities one detector keeps in one table (users, keys, principals, IPs, tools): a flood of
 * distinct values (a script posting a new `user_id` per event) then costs at most this many
 * (a few hundred bytes each), and the least recently seen go first. Active real fleets stay far
 * below it; evictions are counted (agentwatch_detector_evictions_total).
 */
export const MAX_ENTITIES = 50_000;

/** How many entities a table holds (for the runner's entity gauge). */
export function countEntities(entities: Record<string, unknown>): number {
  let n = 0;
  for (const _ in entities) n += 1;
  return n;
}

/**
 * Removes the entities whose `last_seen` is older than `ttlMs` before `now`, then, while more than
 * `max` remain, the least recently seen. Detectors keep per-entity state in records keyed by
 * values from events (users, keys, IPs): the TTL bounds them to the entities still active, and
 * `max` bounds them when a flood of distinct values is active all at once.
 *
 * `last_seen` and `now` are agentwatch's clock (arrival time, `ObservedEvent.received`), never an
 * event's own time: an entity with a clock far ahead can then neither outlive its TTL nor, by
 * moving a shared watermark, evict everyone else's. Returns how many were evicted.
 */
export function evictIdle<T extends { last_seen: number }>(
  entities: Record<string, T>,
  now: number,
  ttlMs: number,
  max = MAX_ENTITIES,
): number {
  let evicted = 0;
  let remaining = 0;
  for (const key in entities) {
    if (((entities[key] as T).last_seen ?? 0) < now - ttlMs) {
      delete entities[key];
      evicted += 1;
    } else {
      remaining += 1;
    }
  }
  if (remaining > max) evicted += evictOldest(entities, remaining - max, (e) => e.last_seen ?? 0);
  return evicted;
}

/**
 * Removes the `count` entities with the smallest `seenOf` (ties: any of them). One pass to find
 * the cut-off (a sort of the times, not of the entities), one to delete: O(n log n) per call,
 * made once a tick, not per event.
 */
export function evictOldest<T>(
  entities: Record<string, T>,
  count: number,
  seenOf: (entity: T) => number,
): number {
  if (count <= 0) return 0;
  const times: number[] = [];
  for (const key in entities) times.push(seenOf(entities[key] as T));
  times.sort((a, b) => a - b);
  const cutoff = times[Math.min(count, times.length) - 1] as number;
  let evicted = 0;
  for (const key in entities) {
    if (evicted >= count) break;
    if (seenOf(entities[key] as T) <= cutoff) {
      delete entities[key];
      evicted += 1;
    }
  }
  return evicted;
}

// ---------------------------------------------------------------------------------------------
// Count spikes

/**
 * Counts per tumbling window judged against the median/MAD of recent closed windows: the shared
 * shape of "N of something in 5 minutes, far above this agent's usual".
 */
export interface CountSpike {
  window: TumblingCounter;
  history: RobustWindow;
  /** Median and robust spread of `history`, kept when a window closes (not re-sorted per event). */
  median: number;
  spread: number;
  /** Closed windows seen (for warm-up). */
  windows: number;
  /** Start of the window that last alerted (one alert per window). */
  alerted_window: number;
}

export interface CountSpikeOptions {
  windowMs: number;
  /** Closed windows kept as the baseline. */
  historySize: number;
  warmupWindows: number;
  minCount: number;
  robustZ: number;
  /** The spread is at least this share of the median, so a steady series is not judged on noise. */
  minSpreadShare: number;
}

export function newCountSpike(): CountSpike {
  return {
    window: { window_start: 0, count: 0 },
    history: newRobustWindow(),
    median: 0,
    spread: 0,
    windows: 0,
    alerted_window: 0,
  };
}

/**
 * Adds `amount` at `time` and judges the running window. `alert` is true at most once per window,
 * once warmed up, when the count is at least `minCount` and `robustZ` spreads above the median.
 */
export function observeCount(
  state: CountSpike,
  time: number,
  options: CountSpikeOptions,
  amount = 1,
): { count: number; median: number; z: number; alert: boolean } {
  const closed = addTumbling(state.window, time, options.windowMs, amount);
  if (closed) {
    pushRobust(state.history, closed.count, options.historySize);
    state.windows += 1;
    state.median = robustMedian(state.history) ?? 0;
    state.spread = robustSpread(state.history) ?? 0;
  }
  const count = state.window.count;
  const median = state.median;
  const spread = Math.max(state.spread, median * options.minSpreadShare, 1);
  const z = (count - median) / spread;
  const alert =
    state.windows >= options.warmupWindows &&
    count >= options.minCount &&
    z >= options.robustZ &&
    state.alerted_window !== state.window.window_start;
  if (alert) state.alerted_window = state.window.window_start;
  return { count, median, z, alert };
}
