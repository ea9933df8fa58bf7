/**
 * The learned prompt-injection stage: a logistic regression over hashed word and character
 * n-grams, trained here (`npm run train:injection`, scripts/train-injection.ts) on the public
 * data in ../shared/datasets/injection-train, shipped as detectors/injection/models/injection-model.json
 * (its card beside it). Pure, deterministic and in-process: featurizing a 1 KiB text is a few
 * thousand hash steps into a reused buffer, scoring is a sparse dot product.
 *
 * Features, each hashed (FNV-1a) into 2^BITS buckets, each count divided by the square root of
 * the text's feature occurrences (featurize):
 * - word unigrams and bigrams of the lower-cased text (words are runs of letters and digits);
 * - character 4-grams of the lower-cased text with runs of spaces folded to one, those with a
 *   character of a non-Latin script in them (NON_LATIN).
 */

import { readFileSync } from "node:fs";
import { loaded, loadedString, loadText } from "./text.ts";

export const BITS = 18;
const SIZE = 1 << BITS;
const MASK = SIZE - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** A text longer than this is judged on its first part (64 KiB texts: bounded work). */
export const MAX_CHARS = 16_384;
const CHAR_GRAM = 4;
/**
 * Character 4-grams are counted only where one of their characters is at or past Greek (U+0370):
 * scripts written without spaces (Chinese, Japanese, Thai) have no words to count otherwise. Not
 * for Latin text: there words and word pairs judge as well at a quarter of the work, and the
 * 4-grams of its symbols ("====", "# ", "``") learned the layout of the sources the attacks came
 * from: with them, reStructuredText and Markdown documents of sources left out were flagged
 * (python/peps 10.6%, fabric's system prompts 20%; without them 0.0% and 14%, attack recall
 * within 0.02; bench/loso.ts). Machine-searched suffixes of symbols have a rule of their own
 * (adversarial-suffix.ts), chat-template and delimiter tricks theirs (rules.ts).
 */
const NON_LATIN = 0x370;
const counted = (c: number): boolean => c >= NON_LATIN;

function hasNonLatin(text: string, at: number, n: number): boolean {
  for (let j = at; j < at + n; j += 1) if (counted(text.charCodeAt(j))) return true;
  return false;
}

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A feature's bucket and what it was, for explanations. */
export interface NamedFeature {
  index: number;
  phrase: string;
}

/**
 * A text's feature counts: a small open-addressing table of the buckets it touched, cleared after
 * each use. A window's few hundred features fit in the CPU's fastest cache, where a dense array
 * of 2^BITS counts would be read at random (most of the time spent, measured).
 */
class FeatureCounts {
  /** Bucket + 1 per slot, 0 for an empty slot. */
  keys = new Int32Array(1024);
  values = new Uint16Array(1024);
  /** The used slots, in the order first used. */
  used = new Int32Array(1024);
  size = 0;
  private shift = 22; // 32 - log2(capacity)

  /** Room for `distinct` features at a load of at most one half; only while empty. */
  reserve(distinct: number): void {
    let capacity = this.keys.length;
    while (capacity < 2 * distinct) capacity *= 2;
    if (capacity === this.keys.length) return;
    this.keys = new Int32Array(capacity);
    this.values = new Uint16Array(capacity);
    this.used = new Int32Array(capacity);
    this.shift = 32 - Math.log2(capacity);
  }

  add(bucket: number, by: number): void {
    const mask = this.keys.length - 1;
    let slot = Math.imul(bucket + 1, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const key = this.keys[slot] as number;
      if (key === bucket + 1) {
        this.values[slot] = Math.min(0xffff, (this.values[slot] as number) + by);
        return;
      }
      if (key === 0) {
        this.keys[slot] = bucket + 1;
        this.values[slot] = Math.min(0xffff, by);
        this.used[this.size] = slot;
        this.size += 1;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  clear(): void {
    for (let k = 0; k < this.size; k += 1) this.keys[this.used[k] as number] = 0;
    this.size = 0;
  }
}

// Reused between calls (the detector runs one text at a time).
const counts = new FeatureCounts();
/**
 * The text the features are read from: lower-cased, whitespace runs folded (text.ts's
 * loadText), at most MAX_CHARS of it.
 */
export function normalize(text: string): string {
  return loadedString(0, Math.min(loadText(text), MAX_CHARS));
}

function isWordChar(c: number): boolean {
  // ASCII letters and digits, and everything past ASCII that is not a space or punctuation
  // commonly seen (good enough for hashing: other scripts' letters count as word characters).
  return (
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x206f) && c !== 0x3000)
  );
}

/**
 * Calls `visit(index, phrase?)` for every feature occurrence of the normalized text; `phrase`
 * only when `named` (explanations), so scoring builds no strings.
 */
function visitFeatures(text: string, named: boolean, visit: (index: number, phrase?: string) => void): void {
  // Words, unigrams and bigrams.
  let previous = -1;
  let previousWord = "";
  let start = -1;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (isWordChar(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      let h = FNV_OFFSET ^ 0x77; // "w"
      for (let j = start; j < i; j += 1) {
        h ^= text.charCodeAt(j);
        h = Math.imul(h, FNV_PRIME);
      }
      const word = h >>> 0;
      const phrase = named ? text.slice(start, i) : undefined;
      visit(word & MASK, phrase);
      if (previous >= 0)
        visit(pairHash(previous, word) & MASK, named ? `${previousWord} ${phrase}` : undefined);
      previous = word;
      previousWord = phrase ?? "";
      start = -1;
    }
  }
  // Character 4-grams with a character of a non-Latin script in them.
  const n = CHAR_GRAM;
  for (let i = 0; i + n <= text.length; i += 1) {
    if (!hasNonLatin(text, i, n)) continue;
    let h = FNV_OFFSET ^ (0x63 + n); // "c" and the length: a 3-gram and a 5-gram never share a hash by design
    for (let j = i; j < i + n; j += 1) {
      h ^= text.charCodeAt(j);
      h = Math.imul(h, FNV_PRIME);
    }
    visit((h >>> 0) & MASK, named ? text.slice(i, i + n) : undefined);
  }
}

/** Per code below NON_LATIN: 1 when it is a word character (isWordChar), 2 when 4-grams with it are counted. */
const CLASS = new Uint8Array(NON_LATIN);
for (let c = 0; c < NON_LATIN; c += 1) CLASS[c] = isWordChar(c) ? 1 : 0;

/** The hash of a word pair, from the words' hashes. */
function pairHash(previous: number, word: number): number {
  return Math.imul((previous ^ Math.imul(word, 0x9e3779b1)) >>> 0, FNV_PRIME) >>> 0;
}

/** The weights of a word and of the pair it makes with the word before (`previous`, -1 for none). */
function wordWeights(weights: Int8Array | Float32Array, word: number, previous: number): number {
  const unigram = weights[word & MASK] as number;
  if (previous < 0) return unigram;
  return (
    unigram +
    (weights[(Math.imul((previous ^ Math.imul(word, 0x9e3779b1)) >>> 0, FNV_PRIME) >>> 0) & MASK] as number)
  );
}

/** What scoreRange read: the sum of the weights of the features it met, and how many it met. */
const range = { dot: 0, occurrences: 0 };

/**
 * Scores codes[from, to) of the loaded text (text.ts) with `weights`: the same features
 * as visitFeatures, in one loop without callbacks, strings or tables, because this is the hot path
 * (every text, every window). A 4-gram is counted when a character counted() was seen in its last
 * four positions. Leaves the sums in `range`.
 */
function scoreRange(weights: Int8Array | Float32Array, from: number, to: number): void {
  const codes = loaded.codes;
  let dot = 0;
  let occurrences = 0;
  let previous = -1;
  let h = 0;
  let inWord = false;
  const seed = FNV_OFFSET ^ (0x63 + CHAR_GRAM);
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let lastCounted = -CHAR_GRAM;
  for (let i = from; i < to; i += 1) {
    const c = codes[i] as number;
    const kind = c < NON_LATIN ? (CLASS[c] as number) : c === 0x3000 || (c >= 0x2000 && c <= 0x206f) ? 2 : 3;
    if ((kind & 2) !== 0) lastCounted = i;
    if (i - lastCounted < CHAR_GRAM && i - from >= CHAR_GRAM - 1) {
      const g = Math.imul(
        Math.imul(Math.imul(Math.imul(seed ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3, FNV_PRIME) ^ c,
        FNV_PRIME,
      );
      dot += weights[(g >>> 0) & MASK] as number;
      occurrences += 1;
    }
    c1 = c2;
    c2 = c3;
    c3 = c;
    if ((kind & 1) !== 0) {
      if (!inWord) {
        inWord = true;
        h = FNV_OFFSET ^ 0x77;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (inWord) {
      inWord = false;
      const word = h >>> 0;
      dot += wordWeights(weights, word, previous);
      occurrences += previous >= 0 ? 2 : 1;
      previous = word;
    }
  }
  // The last word, as at a space (not looped to one step past the end: the check on every
  // character for that step cost a tenth of the model's time).
  if (inWord) {
    dot += wordWeights(weights, h >>> 0, previous);
    occurrences += previous >= 0 ? 2 : 1;
  }
  range.dot = dot;
  range.occurrences = occurrences;
}

/**
 * The feature vector of a text: each feature's count divided by the square root of the number of
 * feature occurrences, so a margin is a sum of weights over occurrences (modelReading adds them up
 * without a table) and a long text is not favoured over a short one.
 */
export function featurize(raw: string): SparseVector {
  const text = normalize(raw);
  counts.reserve(2 * text.length + 2);
  visitFeatures(text, false, (index) => counts.add(index, 1));
  const indices: number[] = new Array(counts.size);
  const values: number[] = new Array(counts.size);
  let occurrences = 0;
  for (let k = 0; k < counts.size; k += 1) {
    const slot = counts.used[k] as number;
    const n = counts.values[slot] as number;
    indices[k] = (counts.keys[slot] as number) - 1;
    values[k] = n;
    occurrences += n;
  }
  const scale = 1 / Math.sqrt(occurrences || 1);
  for (let k = 0; k < values.length; k += 1) values[k] = (values[k] as number) * scale;
  counts.clear();
  return { indices, values };
}

export interface InjectionModel {
  bias: number;
  weights: Float32Array;
  /** The same weights as shipped, int8 times `scale`, for the hot path (modelReading). */
  quantized?: { bytes: Int8Array; scale: number };
  /** Probability at or above which the model alone calls a text an attack (chosen on the valid split). */
  threshold: number;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Texts longer than one and a half of this are also judged in windows of up to WINDOW characters. */
export const WINDOW = 256;

/** A window is at least this long (a run of short sentences is read together). */
const MIN_WINDOW = 64;

/**
 * Where the window starting at `from` ends (the text loaded in `codes`, `length` long): at the
 * first sentence end (". ", "! ", "? ", "; ") at least MIN_WINDOW characters in, at WINDOW
 * characters when there is none. Windows are sentences, or runs of them: a planted sentence
 * starts a window of its own and is read whole, not cut in two halves that each look ordinary
 * or diluted by its neighbours. Looks at each character once: linear.
 */
function windowEnd(length: number, from: number): number {
  const codes = loaded.codes;
  const limit = Math.min(length, from + WINDOW);
  for (let i = from + MIN_WINDOW; i < limit; i += 1) {
    if (codes[i] === 32) {
      const before = codes[i - 1];
      if (before === 46 || before === 33 || before === 63 || before === 59) return i + 1;
    }
  }
  return limit;
}

/** The model's reading of a text: its margin, and which part of the normalized text decided it. */
export interface ModelReading {
  margin: number;
  /** The part of `normalize(text)` read, [from, to): the whole text or one window. */
  from: number;
  to: number;
}

/**
 * The model's strongest reading of `raw`: the whole text and, when it is longer than one and a
 * half windows, each window of up to WINDOW characters, cut at sentence ends. An instruction
 * planted in a long document is diluted by the document's other features, and judged in its
 * window it stands out; so does the "no restrictions" paragraph of a long role-play jailbreak.
 * The threshold is chosen on this same reading (scripts/train-injection.ts). `readingText` gives
 * the text of the reading, for the evidence's phrases.
 *
 * Each character is read once: the whole text's counts are the sum of its windows' (a word or
 * 4-gram cut by a window's edge counts as its pieces, a handful of features in a thousand).
 */
export function modelReading(model: InjectionModel, raw: string): ModelReading {
  return readingOfLoaded(model, loadText(raw));
}

/** modelReading of the text last loaded (text.ts), `length` long. */
export function readingOfLoaded(model: InjectionModel, loadedLength: number): ModelReading {
  const length = Math.min(loadedLength, MAX_CHARS);
  const scale = model.quantized?.scale ?? 1;
  const weights = model.quantized?.bytes ?? model.weights;
  const marginOf = (dot: number, occurrences: number) =>
    model.bias + (occurrences > 0 ? (dot * scale) / Math.sqrt(occurrences) : 0);
  if (length <= WINDOW * 1.5) {
    scoreRange(weights, 0, length);
    return { margin: marginOf(range.dot, range.occurrences), from: 0, to: length };
  }
  let best: ModelReading = { margin: Number.NEGATIVE_INFINITY, from: 0, to: length };
  let dot = 0;
  let occurrences = 0;
  for (let from = 0, to = 0; from < length; from = to) {
    to = windowEnd(length, from);
    scoreRange(weights, from, to);
    dot += range.dot;
    occurrences += range.occurrences;
    const margin = marginOf(range.dot, range.occurrences);
    if (margin > best.margin) best = { margin, from, to };
  }
  // The whole text: the sum of its windows' (a word or 4-gram cut by a window's edge counts as
  // its pieces, a handful of features in a thousand).
  const whole = marginOf(dot, occurrences);
  return whole >= best.margin ? { margin: whole, from: 0, to: length } : best;
}

/** The text of a reading of `raw` (modelReading), normalized as the model read it. */
export function readingText(raw: string, reading: ModelReading): string {
  loadText(raw);
  return loadedString(reading.from, reading.to);
}

export function modelMargin(model: InjectionModel, features: SparseVector): number {
  let z = model.bias;
  for (let k = 0; k < features.indices.length; k += 1) {
    z += (model.weights[features.indices[k] as number] as number) * (features.values[k] as number);
  }
  return z;
}

/**
 * The model's verdict as a score that is 0.5 at its threshold (chosen on the valid split for at
 * most 1% false positives) and runs from 0 to 1 with its margin, so it combines with the rules'
 * score, which is also read against 0.5.
 */
export function calibratedModelScore(model: InjectionModel, margin: number): number {
  const at = Math.log(model.threshold / (1 - model.threshold));
  return sigmoid(margin - at);
}

/** The model's probability that `text` is an attack. */
export function modelScore(model: InjectionModel, text: string): number {
  return sigmoid(modelMargin(model, featurize(text)));
}

/**
 * The phrases that pushed the score up most (weight × value), for the finding's evidence, so
 * on-call sees why. Built only when a text is flagged.
 */
export function topPhrases(model: InjectionModel, raw: string, count = 5): string[] {
  const text = normalize(raw);
  const features = featurize(raw);
  const value = new Map<number, number>();
  features.indices.forEach((index, k) => {
    value.set(index, features.values[k] as number);
  });
  const best = new Map<number, { phrase: string; contribution: number }>();
  visitFeatures(text, true, (index, phrase) => {
    const contribution = (model.weights[index] as number) * (value.get(index) ?? 0);
    if (contribution <= 0 || phrase === undefined) return;
    const current = best.get(index);
    // A word or word pair explains better than a 4-gram inside it.
    if (!current || (phrase.length > current.phrase.length && phrase.includes(" "))) {
      best.set(index, { phrase: phrase.trim(), contribution });
    }
  });
  return [...best.values()]
    .sort((a, b) => b.contribution - a.contribution)
    .map((b) => b.phrase)
    .filter((phrase, i, all) => phrase.length > 1 && all.indexOf(phrase) === i)
    .slice(0, count);
}

/** One feature's share of a reading's margin (explanations: `agentwatch scan --explain`). */
export interface FeatureContribution {
  /** The words, word pair or characters, as the model read them (lower-cased). */
  feature: string;
  count: number;
  weight: number;
  /** weight × count / √(feature occurrences of the reading): the margin is the bias plus their sum. */
  contribution: number;
}

/**
 * How a reading's margin is made: the bias and every feature's contribution (the margin is their
 * sum, as modelReading computes it for a text read whole), strongest first. Features that share a
 * bucket (hashing) are named by the first phrase met.
 */
export function featureContributions(
  model: InjectionModel,
  readText: string,
): { bias: number; margin: number; features: FeatureContribution[] } {
  const text = normalize(readText);
  const byIndex = new Map<number, { feature: string; count: number }>();
  let occurrences = 0;
  visitFeatures(text, true, (index, phrase) => {
    occurrences += 1;
    const entry = byIndex.get(index);
    if (entry) entry.count += 1;
    else byIndex.set(index, { feature: (phrase ?? "").trim(), count: 1 });
  });
  const scale = 1 / Math.sqrt(occurrences || 1);
  const features = [...byIndex].map(([index, { feature, count }]) => {
    const weight = model.weights[index] as number;
    return { feature, count, weight, contribution: weight * count * scale };
  });
  features.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const margin = features.reduce((sum, f) => sum + f.contribution, model.bias);
  return { bias: model.bias, margin, features };
}

/** The model file's form: weights quantized to int8 with one scale, base64; the card's figures. */
export interface ModelFile {
  format: "agentwatch-injection-logreg-v1";
  bits: number;
  bias: number;
  scale: number;
  weights: string;
  threshold: number;
  /** What the training printed, checked by the test (test/injection-model.test.ts). */
  valid: Record<string, { positives: number; negatives: number; recall: number; fpr: number }>;
  training: Record<string, unknown>;
}

export function encodeModel(
  weights: Float32Array,
  bias: number,
  threshold: number,
): Omit<ModelFile, "valid" | "training"> {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max / 127 || 1;
  const bytes = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i += 1) bytes[i] = Math.round((weights[i] as number) / scale);
  return {
    format: "agentwatch-injection-logreg-v1",
    bits: BITS,
    bias,
    scale,
    weights: Buffer.from(bytes.buffer).toString("base64"),
    threshold,
  };
}

export function decodeModel(file: ModelFile): InjectionModel {
  if (file.format !== "agentwatch-injection-logreg-v1" || file.bits !== BITS) {
    throw new Error(`injection model: format ${file.format} with ${file.bits} bits is not this version's`);
  }
  const buffer = Buffer.from(file.weights, "base64");
  const bytes = new Int8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (bytes.length !== SIZE) throw new Error(`injection model: ${bytes.length} weights, expected ${SIZE}`);
  const weights = new Float32Array(SIZE);
  for (let i = 0; i < SIZE; i += 1) weights[i] = (bytes[i] as number) * file.scale;
  return {
    bias: file.bias,
    weights,
    threshold: file.threshold,
    quantized: { bytes: bytes.slice(), scale: file.scale },
  };
}

let shipped: InjectionModel | undefined;

/** The model shipped in detectors/injection/models (read once; the detectors' factory and `scan` call it). */
export function loadInjectionModel(): InjectionModel {
  shipped ??= decodeModel(
    JSON.parse(readFileSync(new URL("./models/injection-model.json", import.meta.url), "utf8")) as ModelFile,
  );
  return shipped;
}
