/**
 * The learned injection stage's training, shared by scripts/train-injection.ts (which ships the
 * model) and bench/loso.ts (which trains one model per source left out, to measure how the
 * model does on a source it never saw). Deterministic: a seeded shuffle, a fixed number of
 * epochs, no clock or randomness otherwise. Logistic regression with AdaGrad and L2, classes
 * weighted to balance (see scripts/train-injection.ts for why it is written by hand).
 */
import { readFileSync } from "node:fs";
import { classifyInjection, type Origin } from "../detectors/injection/index.ts";
import {
  BITS,
  decodeModel,
  encodeModel,
  type InjectionModel,
  type ModelFile,
  modelMargin,
  type SparseVector,
} from "../detectors/injection/model.ts";
import { seededRandom } from "../lib/random.ts";

export interface TrainingRow {
  text: string;
  label: 0 | 1;
  kind: string;
  source: string;
}

export interface TrainingSettings {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  targetFpr: number;
}

export const DEFAULT_TRAINING: TrainingSettings = {
  epochs: Number(process.env.EPOCHS ?? 20),
  learningRate: Number(process.env.LR ?? 0.2),
  l2: Number(process.env.L2 ?? 1e-4),
  seed: 20261201,
  targetFpr: 0.01,
};

/** Labelled rows of a JSONL file (`{"text", "label", "kind", "source"}` a line). */
export function readRows(path: string): TrainingRow[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TrainingRow);
}

/** Weights and bias of the logistic regression over `features` (one per row), as trained. */
export function trainWeights(
  train: readonly TrainingRow[],
  features: readonly SparseVector[],
  settings: TrainingSettings,
  log: (line: string) => void = () => undefined,
): { weights: Float32Array; bias: number } {
  const SETTINGS = settings;
  const positives = train.filter((r) => r.label === 1).length;
  const classWeight = {
    1: train.length / (2 * positives),
    0: train.length / (2 * (train.length - positives)),
  };
  const size = 1 << BITS;
  const weights = new Float32Array(size);
  const squared = new Float64Array(size); // AdaGrad's sum of squared gradients
  let bias = 0;
  let biasSquared = 0;
  const random = seededRandom(SETTINGS.seed);
  const order = train.map((_, i) => i);
  for (let epoch = 0; epoch < SETTINGS.epochs; epoch += 1) {
    // Fisher-Yates with the seeded generator: the same order every run.
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    let loss = 0;
    for (const i of order) {
      const row = train[i] as TrainingRow;
      const x = features[i] as SparseVector;
      const z = modelMargin({ bias, weights, threshold: 0 }, x);
      const p = 1 / (1 + Math.exp(-z));
      const w = classWeight[row.label];
      loss += -w * (row.label === 1 ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
      const g = w * (p - row.label);
      for (let k = 0; k < x.indices.length; k += 1) {
        const index = x.indices[k] as number;
        const grad = g * (x.values[k] as number) + SETTINGS.l2 * (weights[index] as number);
        squared[index] = (squared[index] as number) + grad * grad;
        weights[index] =
          (weights[index] as number) -
          (SETTINGS.learningRate * grad) / Math.sqrt((squared[index] as number) + 1e-8);
      }
      biasSquared += g * g;
      bias -= (SETTINGS.learningRate * g) / Math.sqrt(biasSquared + 1e-8);
    }
    log(`epoch ${epoch + 1}/${SETTINGS.epochs}: weighted log loss ${(loss / train.length).toFixed(4)}`);
  }

  return { weights, bias };
}

/** The model as shipped (int8 weights) from trained weights, at the margin threshold given. */
export function shippedModel(weights: Float32Array, bias: number, margin = 0): InjectionModel {
  const threshold = 1 / (1 + Math.exp(-margin));
  return decodeModel({ ...encodeModel(weights, bias, threshold), valid: {}, training: {} } as ModelFile);
}

/** Where a row of this kind comes from, as the detector would be told. */
export function originOf(kind: string): Origin {
  return kind === "benign_content" || kind === "indirect_injection" || kind === "benign_docs"
    ? "tool"
    : "user";
}

/** Whether rules and model together flag `text` with the model's threshold at `margin`. */
export function flagsAt(model: InjectionModel, margin: number, text: string, origin: Origin): boolean {
  return classifyInjection(text, origin, { ...model, threshold: 1 / (1 + Math.exp(-margin)) }).score >= 0.5;
}
