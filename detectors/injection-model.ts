/**
 * The learned prompt-injection stage: a logistic regression over hashed word and character
 * n-grams, trained here (`npm run train:injection`, scripts/train-injection.ts) on the public
 * data in ../shared/datasets/injection-train, shipped as detectors/models/injection-model.json
 * (its card beside it). Pure, deterministic and in-process: featurizing a 1 KiB text is a few
 * thousand hash steps into a reused buffer, scoring is a sparse dot product.
 *
 * Features, each hashed (FNV-1a) into 2^BITS buckets, counts damped with log(1 + n), and the
 * vector L2-normalized:
 * - word unigrams and bigrams of the lower-cased text (words are runs of letters and digits);
 * - character 4-grams of the lower-cased text with runs of spaces folded to one.
 */

import { readFileSync } from "node:fs";

export const BITS = 18;
const SIZE = 1 << BITS;
const MASK = SIZE - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** A text longer than this is judged on its first part (64 KiB texts: bounded work). */
export const MAX_CHARS = 16_384;
const CHAR_GRAMS = [4];

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A feature's bucket and what it was, for explanations. */
export interface NamedFeature {
  index: number;
  phrase: string;
}

// Reused between calls (the detector runs one text at a time): counts per bucket and the buckets touched.
const counts = new Float64Array(SIZE);
const touched: number[] = [];

function add(index: number): void {
  if (counts[index] === 0) touched.push(index);
  counts[index] = (counts[index] as number) + 1;
}

/** The text the features are read from: lower-cased, whitespace runs folded, bounded. */
export function normalize(text: string): string {
  return text.slice(0, MAX_CHARS).toLowerCase().replace(/\s+/g, " ");
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
      if (previous >= 0) {
        const pair = Math.imul((previous ^ Math.imul(word, 0x9e3779b1)) >>> 0, FNV_PRIME) >>> 0;
        visit(pair & MASK, named ? `${previousWord} ${phrase}` : undefined);
      }
      previous = word;
      previousWord = phrase ?? "";
      start = -1;
    }
  }
  // Character n-grams.
  for (const n of CHAR_GRAMS) {
    for (let i = 0; i + n <= text.length; i += 1) {
      let h = FNV_OFFSET ^ (0x63 + n); // "c" and the length: a 3-gram and a 5-gram never share a hash by design
      for (let j = i; j < i + n; j += 1) {
        h ^= text.charCodeAt(j);
        h = Math.imul(h, FNV_PRIME);
      }
      visit((h >>> 0) & MASK, named ? text.slice(i, i + n) : undefined);
    }
  }
}

/** The feature vector of a text (sparse, L2-normalized, log-damped counts). */
export function featurize(raw: string): SparseVector {
  const text = normalize(raw);
  visitFeatures(text, false, add);
  let norm = 0;
  const values: number[] = new Array(touched.length);
  for (let k = 0; k < touched.length; k += 1) {
    const v = Math.log1p(counts[touched[k] as number] as number);
    values[k] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  const indices = touched.slice();
  for (let k = 0; k < touched.length; k += 1) {
    values[k] = (values[k] as number) / norm;
    counts[touched[k] as number] = 0;
  }
  touched.length = 0;
  return { indices, values };
}

export interface InjectionModel {
  bias: number;
  weights: Float32Array;
  /** Probability at or above which the model alone calls a text an attack (chosen on the valid split). */
  threshold: number;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
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
  return { bias: file.bias, weights, threshold: file.threshold };
}

let shipped: InjectionModel | undefined;

/** The model shipped in detectors/models (read once; the detectors' factory and `scan` call it). */
export function loadInjectionModel(): InjectionModel {
  shipped ??= decodeModel(
    JSON.parse(readFileSync(new URL("./models/injection-model.json", import.meta.url), "utf8")) as ModelFile,
  );
  return shipped;
}
