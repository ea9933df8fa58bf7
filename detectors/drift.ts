/**
 * Drift: the long-horizon reference every baseline detector keeps beside its short window
 * (issue 26, "baselines that cannot be walked up").
 *
 * A short window (token_spike's last 32 minutes, error_rate's last 4 hours) follows whatever the
 * entity does, so a level raised slowly enough is never far above it: tokens ramped from 1x to
 * 10x over 12 hours raised nothing. Beside it, each entity keeps what it did over days:
 * - **the reference**: per UTC hour of the day, an EWMA over days of that hour's level (the
 *   hourly total of a count such as tokens or errors, or the geometric mean of a measure such as
 *   latency), with a half-life of `halfLifeDays`. Each hour of the day learns once a day, and no
 *   hour teaches more than `teach` times the reference (in the floored scale below): an hour far
 *   above it teaches at that bounded rate, so a level raised by an attacker moves the reference
 *   by at most a factor 1 + alpha (teach - 1) a day (alpha = 1 - 2^(-1/halfLifeDays): 9.4% a day
 *   at the defaults), however long or steep the ramp;
 * - **the decision**: a one-sided CUSUM (Page, 1954) on the hourly log-ratio of level to
 *   reference, x = ln((level + c) / (reference + c)), with allowance k = ln(`ratio`) and decision
 *   interval `evidence`: S = max(0, S + x - k), a finding when S reaches `evidence`. An hour
 *   within `ratio` of its reference adds nothing (a level that settles at 2x never alerts,
 *   however long it lasts); a level far above adds ln(level / reference) - ln(ratio) an hour, so
 *   a steep rise alerts within an hour or two and a slow one once its excess has added up. The
 *   floor c (pseudo-count) is `floorShare` of the entity's mean hourly reference, at least
 *   `minLevel`: it keeps quiet hours (a night with one conversation where none is usual) from
 *   counting as a tenfold rise. Hours below `minLevel` add no evidence.
 * `since` is the start of the hour the excess began (S left zero), `hours` how many hours it has
 * lasted; S back at zero ends the episode. One finding when S first reaches `evidence` in an
 * episode, then at most one per `cooldownMs` while it lasts.
 *
 * Time: hours are event time, in the entity's own timeline, which only moves forward. An event
 * of an hour already closed is not counted (it cannot re-teach a closed hour); an event more than
 * `MAX_AHEAD` ahead of its arrival is not counted either (the runner already clamps event time to
 * 5 minutes ahead of arrival; this holds where it does not); a jump over idle hours closes at most
 * a day of them, as empty hours for counts. So no event time, however hostile, teaches an hour
 * twice, raises the reference faster than the bound, or moves another entity's timeline (each
 * entity has its own).
 *
 * Memory: one `DriftTrack` per entity, 24 reference numbers (rounded to 4 significant digits) and
 * eight scalars: about 250 bytes of JSON. Plain data, updated in place, no clock: detectors stay
 * pure and the runner checkpoints it with the rest of their state.
 */

import { z } from "zod";
import { duration, type Severity, severity } from "../lib/settings.ts";
import {
  type DecayingDistribution,
  decayDistribution,
  distributionTotal,
  jensenShannon,
  OTHER,
} from "./baselines.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { defineDetector, type Finding } from "./types.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events dated further than this ahead of their arrival are not counted by the reference. */
export const MAX_AHEAD = HOUR;
/** The most idle hours one event closes (as empty hours, for counts): a day, one per hour of the day. */
const MAX_FILL = 24;

export interface DriftOptions {
  /** `sum`: the hour's level is the total of the amounts (tokens, errors); `mean`: the geometric mean of the samples (latency). */
  kind: "sum" | "mean";
  /** Allowance: an hour within this multiple of its reference adds no evidence (CUSUM k = ln ratio). */
  ratio: number;
  /** Decision interval: the excess (sum over hours of ln(level / reference) - ln ratio) that raises a finding. */
  evidence: number;
  /** Hours below this level add no evidence; also the least floor (pseudo-count) of the ratio. */
  minLevel: number;
  /** The floor of the ratio is this share of the entity's mean hourly reference (at least minLevel). */
  floorShare: number;
  /** The most any hour teaches, as a multiple of the reference (floored): the bounded rate. */
  teach: number;
  /** Half-life of the reference, in days (each hour of the day learns once a day). */
  halfLifeDays: number;
  /** Days of history before an entity is judged. */
  warmupDays: number;
  /** While an episode lasts, at most one finding this often. */
  cooldownMs: number;
  /** `mean` only: hours with fewer samples are neither judged nor learned. */
  minSamples?: number;
}

export interface DriftTrack {
  /** Start (epoch ms, event time) of the running hour; 0 before the first event. */
  hour: number;
  /** The running hour's total (`sum`), or the sum of the samples' natural logarithms (`mean`). */
  value: number;
  /** Samples in the running hour (`mean`). */
  n: number;
  /** The reference per UTC hour of the day (empty until the first hour is learned). */
  ref: number[];
  /** Hours learned (capped): warm-up, and the early weights of the EWMA. */
  hours: number;
  /** The CUSUM statistic. */
  cusum: number;
  /** Start of the hour the current episode began (0: none). */
  since: number;
  /** Start of the hour of the episode's last finding (0: none in this episode). */
  alerted: number;
}

export function newDriftTrack(): DriftTrack {
  return { hour: 0, value: 0, n: 0, ref: [], hours: 0, cusum: 0, since: 0, alerted: 0 };
}

/** A closed hour that raised a finding: what the finding says. */
export interface DriftVerdict {
  /** Start of the closed hour judged. */
  hour: number;
  /** Its level (total, or geometric mean). */
  level: number;
  /** The reference for that hour of the day. */
  reference: number;
  /** level / reference, floored as judged. */
  ratio: number;
  /** Start of the hour the episode began. */
  since: number;
  /** Hours the episode has lasted, the judged hour included. */
  hours: number;
  cusum: number;
  /** Days of history behind the reference. */
  days: number;
}

/** How a drift is judged and taught: the options with the EWMA weight and allowance worked out once. */
export interface DriftJudge extends DriftOptions {
  alpha: number;
  k: number;
}

export function driftJudge(options: DriftOptions): DriftJudge {
  return { ...options, alpha: 1 - 2 ** (-1 / options.halfLifeDays), k: Math.log(options.ratio) };
}

/**
 * Adds `amount` (a count, or a sample for `mean`) at event time `time`, arrived at `received`.
 * When `time` is in a later hour, the running hour (and up to a day of idle hours before `time`)
 * is closed: judged, then learned. Returns the verdict of a closed hour that raised a finding.
 */
export function observeDrift(
  track: DriftTrack,
  time: number,
  amount: number,
  judge: DriftJudge,
  received = time,
): DriftVerdict | undefined {
  // The usual case, first and cheap: an event of the running hour (set under the checks below).
  if (time >= track.hour && time - track.hour < HOUR && track.hour !== 0) {
    add(track, amount, judge);
    return undefined;
  }
  if (time > received + MAX_AHEAD || !Number.isFinite(time)) return undefined;
  const hour = time - mod(time, HOUR);
  let verdict: DriftVerdict | undefined;
  if (track.hour === 0) {
    track.hour = hour;
  } else if (hour < track.hour) {
    return undefined; // an hour already closed: not counted, cannot teach it again
  } else if (hour > track.hour) {
    verdict = closeHour(track, judge);
    const idle = (hour - track.hour) / HOUR - 1;
    // Idle hours between: empty hours for counts (a day of them at most); no data for a mean.
    if (judge.kind === "sum") {
      const fill = Math.min(idle, MAX_FILL);
      for (let i = fill; i >= 1; i -= 1) {
        track.hour = hour - i * HOUR;
        verdict = closeHour(track, judge) ?? verdict;
      }
    }
    track.hour = hour;
  }
  add(track, amount, judge);
  return verdict;
}

function add(track: DriftTrack, amount: number, judge: DriftJudge): void {
  if (judge.kind === "sum") {
    track.value += amount;
  } else if (amount > 0) {
    track.value += Math.log(amount);
    track.n += 1;
  }
}

/** Judges the running hour against its reference, then teaches it (bounded); resets the running hour. */
function closeHour(track: DriftTrack, judge: DriftJudge): DriftVerdict | undefined {
  const at = track.hour;
  const mean = judge.kind === "mean";
  const samples = track.n;
  const level = mean ? (samples > 0 ? Math.exp(track.value / samples) : 0) : track.value;
  track.value = 0;
  track.n = 0;
  if (mean && samples < (judge.minSamples ?? 1)) return undefined; // no data for this hour
  const slot = hourOfDay(at);
  const ref = track.ref;
  const learned = ref.length === 24;
  const reference = learned ? (ref[slot] as number) : 0;
  const floor = Math.max(judge.minLevel, learned ? judge.floorShare * meanOf(ref) : 0);
  let verdict: DriftVerdict | undefined;
  if (learned && track.hours >= judge.warmupDays * 24) {
    const x = Math.log((level + floor) / (reference + floor));
    const step = level < judge.minLevel ? Math.min(0, x - judge.k) : x - judge.k;
    track.cusum = Math.max(0, track.cusum + step);
    if (track.cusum === 0) {
      track.since = 0;
      track.alerted = 0;
    } else {
      if (track.since === 0) track.since = at;
      const due = track.alerted === 0 || at - track.alerted >= judge.cooldownMs;
      if (track.cusum >= judge.evidence && due) {
        track.alerted = at;
        verdict = {
          hour: at,
          level,
          reference,
          ratio: (level + floor) / (reference + floor),
          since: track.since,
          hours: (at - track.since) / HOUR + 1,
          cusum: track.cusum,
          days: Math.floor(track.hours / 24),
        };
      }
    }
  }
  // Teach: the first day sets each hour, then an EWMA over days (a running mean while young);
  // no hour teaches more than `teach` times its reference (floored), however far above it is.
  if (!learned) track.ref = new Array(24).fill(0);
  const days = Math.floor(track.hours / 24);
  const taught = days === 0 ? level : Math.min(level, (reference + floor) * judge.teach - floor);
  const weight = Math.max(judge.alpha, 1 / (days + 1));
  track.ref[slot] = compact(reference + weight * (taught - reference));
  track.hours = Math.min(track.hours + 1, 1_000_000);
  return verdict;
}

function hourOfDay(time: number): number {
  return Math.floor(mod(time, DAY) / HOUR);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function meanOf(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return values.length === 0 ? 0 : total / values.length;
}

/** Four significant digits: the reference's noise is far larger, and the JSON stays short. */
function compact(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return 0;
  const digits = 3 - Math.floor(Math.log10(Math.abs(x)));
  // Integer powers of ten either way, so the result prints as short as it is (no 12350.000000000002).
  if (digits <= 0) {
    const step = 10 ** -digits;
    return Math.round(x / step) * step;
  }
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

// ---------------------------------------------------------------------------------------------
// A mix (tool_shift's tool calls): the same decision on the hourly divergence from the usual mix

/**
 * The reference of a categorical mix is the usual distribution the detector keeps (tool_shift's
 * `baseline`, decaying with its half-life), taught here an hour at a time rather than a call at a
 * time, and bounded: an hour adds at most `teach` times the reference's mean hourly mass, and an
 * hour whose divergence d passes the allowance teaches only allowance / d of that. The decision
 * is the CUSUM above on the hour's Jensen-Shannon divergence from the reference (0..1) with the
 * allowance `divergence`, for hours with at least `minCalls` calls (fewer: too few to tell a mix,
 * the hour still teaches).
 */
export interface MixDrift {
  /** Start (event time) of the running hour; 0 before the first call. */
  hour: number;
  /** The running hour's calls per category (at most `maxCategories`, the rest in "(other)"). */
  counts: Record<string, number>;
  /** Start of the first hour: warm-up. */
  first: number;
  cusum: number;
  since: number;
  alerted: number;
}

export interface MixJudge {
  divergence: number;
  evidence: number;
  minCalls: number;
  teach: number;
  halfLifeMs: number;
  warmupMs: number;
  cooldownMs: number;
  maxCategories: number;
}

export interface MixVerdict {
  hour: number;
  divergence: number;
  calls: number;
  /** The hour's mix, for the finding (the reference is the detector's). */
  counts: Record<string, number>;
  since: number;
  hours: number;
  cusum: number;
}

export function newMixDrift(): MixDrift {
  return { hour: 0, counts: newRecord(), first: 0, cusum: 0, since: 0, alerted: 0 };
}

/**
 * Counts one call of `category` at event time `time` into the running hour; a call in a later hour
 * first closes the running one: judged against `reference`, then taught into it (bounded).
 */
export function observeMix(
  drift: MixDrift,
  reference: DecayingDistribution,
  category: string,
  time: number,
  judge: MixJudge,
  received = time,
): MixVerdict | undefined {
  if (time > received + MAX_AHEAD || !Number.isFinite(time)) return undefined;
  const hour = time - mod(time, HOUR);
  let verdict: MixVerdict | undefined;
  if (drift.hour === 0) {
    drift.hour = hour;
    drift.first = hour;
  } else if (hour < drift.hour) {
    return undefined; // an hour already closed
  } else if (hour > drift.hour) {
    verdict = closeMixHour(drift, reference, judge);
    drift.hour = hour;
  }
  const counts = drift.counts;
  const before = counts[category];
  if (before !== undefined) {
    counts[category] = before + 1;
  } else if (countOf(counts) < judge.maxCategories - 1) {
    counts[category] = 1;
  } else {
    counts[OTHER] = (counts[OTHER] ?? 0) + 1; // sprayed names cannot grow the hour
  }
  return verdict;
}

function closeMixHour(
  drift: MixDrift,
  reference: DecayingDistribution,
  judge: MixJudge,
): MixVerdict | undefined {
  const counts = drift.counts;
  drift.counts = newRecord();
  const at = drift.hour;
  const calls = sumOf(counts);
  if (calls === 0) return undefined;
  const end = at + HOUR;
  decayDistribution(reference, end, judge.halfLifeMs);
  const mass = distributionTotal(reference);
  let verdict: MixVerdict | undefined;
  let divergence = 0;
  const warm = mass > 0 && at - drift.first >= judge.warmupMs;
  if (warm && calls >= judge.minCalls) {
    divergence = jensenShannon(counts, reference.counts);
    drift.cusum = Math.max(0, drift.cusum + divergence - judge.divergence);
    if (drift.cusum === 0) {
      drift.since = 0;
      drift.alerted = 0;
    } else {
      if (drift.since === 0) drift.since = at;
      const due = drift.alerted === 0 || at - drift.alerted >= judge.cooldownMs;
      if (drift.cusum >= judge.evidence && due) {
        drift.alerted = at;
        verdict = {
          hour: at,
          divergence,
          calls,
          counts,
          since: drift.since,
          hours: (at - drift.since) / HOUR + 1,
          cusum: drift.cusum,
        };
      }
    }
  }
  // Teach: at most `teach` times the reference's mean hourly mass; past the allowance, less.
  let weight = 1;
  if (warm) {
    const hourly = mass * (1 - 2 ** (-HOUR / judge.halfLifeMs));
    weight = Math.min(1, (judge.teach * hourly) / calls);
    if (divergence > judge.divergence) weight *= judge.divergence / divergence;
  }
  for (const key in counts) {
    if (reference.counts[key] === undefined && countOf(reference.counts) >= judge.maxCategories) {
      reference.counts[OTHER] = (reference.counts[OTHER] ?? 0) + (counts[key] as number) * weight;
    } else {
      reference.counts[key] = (reference.counts[key] ?? 0) + (counts[key] as number) * weight;
    }
  }
  return verdict;
}

function countOf(record: Record<string, number>): number {
  let n = 0;
  for (const _ in record) n += 1;
  return n;
}

function sumOf(record: Record<string, number>): number {
  let total = 0;
  for (const key in record) total += record[key] as number;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Settings and the finding

/** The settings every drift finding takes (`detectors.<metric>_drift`), with its own defaults. */
export function driftSettings(defaults: {
  ratio: number;
  evidence: number;
  min_level: number;
  floor_share: number;
}) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    /** Hours within this multiple of their reference add no evidence. */
    ratio: z.number().gt(1).default(defaults.ratio),
    /** The excess, summed over hours as ln(level / reference) - ln(ratio), that raises a finding. */
    evidence: z.number().positive().default(defaults.evidence),
    /** Hours below this level add no evidence (and it floors the ratio of quiet hours). */
    min_level: z.number().min(0).default(defaults.min_level),
    /** The ratio's floor is this share of the entity's mean hourly reference (at least min_level). */
    floor_share: z.number().min(0).max(10).default(defaults.floor_share),
    /** No hour teaches the reference more than this multiple of it: the rate an attacker can raise it by. */
    teach: z.number().gt(1).default(2),
    /** How fast the reference forgets (each hour of the day learns once a day, so a day at least). */
    half_life: duration.refine((ms) => ms >= DAY, "must be at least 1d").prefault("7d"),
    /** History an entity needs before it is judged. */
    warmup: duration.prefault("3d"),
    /** While a drift lasts, at most one finding this often. */
    cooldown: duration.prefault("24h"),
    severity: severity.default("warning"),
  });
}

export type DriftSettings = z.output<ReturnType<typeof driftSettings>>;

/**
 * `detectors.<key>` of a drift finding: its settings only. The detector that keeps the entities
 * (token_spike for token_drift, ...) keeps their references too and raises it, so this one
 * creates nothing.
 */
export function driftDefinition<const Key extends string, Schema extends z.ZodType>(
  key: Key,
  settings: Schema,
) {
  return defineDetector(key, { settings, create: () => [] });
}

/** A detector's drift finding as configured: how it is judged, and its severity. */
export interface DriftConfig {
  judge: DriftJudge;
  severity: Severity;
}

/** The drift config of a finding's settings (`detectors.<metric>_drift`), for a metric of `kind`; undefined when disabled. */
export function driftConfig(
  s: (DriftSettings & { min_samples?: number }) | undefined,
  kind: "sum" | "mean",
): DriftConfig | undefined {
  if (!s?.enabled) return undefined;
  return { judge: driftJudgeFrom(s, kind), severity: s.severity };
}

function driftJudgeFrom(s: DriftSettings & { min_samples?: number }, kind: "sum" | "mean"): DriftJudge {
  return driftJudge({
    kind,
    ratio: s.ratio,
    evidence: s.evidence,
    minLevel: s.min_level,
    floorShare: s.floor_share,
    teach: s.teach,
    halfLifeDays: s.half_life / DAY,
    warmupDays: s.warmup / DAY,
    cooldownMs: s.cooldown,
    ...(s.min_samples === undefined ? {} : { minSamples: s.min_samples }),
  });
}

/** What a detector says about the entity whose drift it found. */
export interface DriftSubject {
  detector: string;
  agentId: string;
  /** The finding's key: the entity within its agent (`agent`, `user:u-1`, ...). */
  key: string;
  /** How the entity is named in the title and summary (`agent support-bot`, `user u-1 on support-bot`). */
  name: string;
  /** What is measured (`tokens`, `errors`, ...), its unit per hour as the summary says it. */
  metric: string;
  unit: string;
  labels: Record<string, string>;
  eventIds: string[];
  eventId: string;
  /** Event time of the event that closed the hour. */
  time: number;
}

/**
 * One event's step for an entity's drift reference, as every baseline detector takes it: the
 * track made on first use (absent in checkpoints before version 3), `value` read into the hour
 * of `time` (`seen`: agentwatch's clock), and the finding pushed when the drift is found. The
 * subject is built only then: the common case costs no object.
 */
export function driftStep(
  holder: { drift?: DriftTrack },
  config: DriftConfig,
  at: { time: number; seen: number; value: number },
  findings: Finding[],
  subject: () => Omit<DriftSubject, "time">,
): void {
  holder.drift ??= newDriftTrack();
  const verdict = observeDrift(holder.drift, at.time, at.value, config.judge, at.seen);
  if (verdict) findings.push(driftFinding({ ...subject(), time: at.time }, verdict, config));
}

/** The finding of a drift: the reference, the current level and since when. */
export function driftFinding(subject: DriftSubject, verdict: DriftVerdict, config: DriftConfig): Finding {
  const judge = config.judge;
  const ratio = Math.round(verdict.ratio * 10) / 10;
  const slot = new Date(verdict.hour).toISOString().slice(11, 16);
  const since = new Date(verdict.since).toISOString();
  const level = round(verdict.level);
  const reference = round(verdict.reference);
  const halfLife = Math.round(judge.halfLifeDays * 10) / 10;
  return {
    id: findingId(subject.detector, `${subject.agentId}|${subject.key}`, subject.eventId),
    detector: subject.detector,
    agent_id: subject.agentId,
    key: subject.key,
    time: new Date(subject.time).toISOString(),
    severity: config.severity,
    score: Math.min(1, verdict.cusum / (2 * judge.evidence)),
    observed: {
      metric: subject.metric,
      level,
      hour: new Date(verdict.hour).toISOString(),
      since,
      hours: verdict.hours,
      ratio,
      cusum: Math.round(verdict.cusum * 100) / 100,
    },
    baseline: {
      reference,
      reference_is: `EWMA over days of the ${slot} UTC hour (half-life ${halfLife} d, ${verdict.days} d of history)`,
      allowance_ratio: judge.ratio,
      evidence: judge.evidence,
    },
    event_ids: subject.eventIds,
    title: `${capitalize(subject.metric)} drifting up: ${subject.name}`,
    summary:
      `${subject.name}: ${format(level)} ${subject.unit} in the hour from ${slot} UTC, ${ratio}x its ` +
      `reference of ${format(reference)} for that hour (learned over ${verdict.days} d); above ` +
      `${judge.ratio}x its reference since ${since} (${verdict.hours} h)`,
    labels: { metric: subject.metric, ...subject.labels },
  };
}

function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100;
}

function format(x: number): string {
  return x.toLocaleString("en", { maximumFractionDigits: 2 });
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
