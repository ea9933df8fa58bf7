/**
 * Trains the learned prompt-injection stage (detectors/injection/model.ts) on
 * ../shared/datasets/injection-train/train.jsonl and writes detectors/injection/models/injection-model.json
 * with the figures on valid.jsonl that the model card and test/injection-model.test.ts quote.
 *
 *   npm run train:injection [-- --extra FEEDBACK.ndjson ...]
 *
 * `--extra` adds labelled rows in the same form (`{"text", "label", "kind"}`), such as what
 * `agentwatch export-feedback` exports from a team's own false positives; the shipped model is
 * trained without any.
 *
 * Deterministic: a seeded shuffle, a fixed number of epochs, no clock or randomness otherwise.
 * Logistic regression trained with AdaGrad (a per-feature step size, which suits sparse hashed
 * n-grams: rare phrases move as fast as common ones) and L2 regularization, classes weighted to
 * balance. Hand-written: the numeric libraries on npm that fit (ml-logistic-regression,
 * TensorFlow.js) work on dense matrices, and 2^18 hashed features times 11,000 texts are not a
 * dense matrix; this is 30 lines of arithmetic, checked by the test against the figures it prints.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { encodeModel, featurize, type ModelFile, modelReading } from "../detectors/injection/model.ts";
import { ownAttackRows } from "./injection-attacks.ts";
import {
  benignRequests,
  everydayTriggerWords,
  ordinaryTriggerWords,
  rolePlays,
  taskInstructions,
} from "./injection-negatives.ts";
import {
  DEFAULT_TRAINING,
  flagsAt,
  originOf,
  readRows,
  shippedModel,
  type TrainingRow,
  trainWeights,
} from "./injection-training.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DATA = resolve(ROOT, "../shared/datasets/injection-train");
const OUT = join(ROOT, "detectors/injection/models/injection-model.json");
const SETTINGS = DEFAULT_TRAINING;
type Row = TrainingRow;
const read = (file: string): Row[] => readRows(join(DATA, file));

// The public rows, and agentwatch's own benign requests (injection-negatives.ts: the public
// benign prompts are mostly questions, and imperative requests looked like attacks without them).
const OWN_SOURCE = "agentwatch:scripts/injection-negatives.ts";
const extra = parseArgs({ options: { extra: { type: "string", multiple: true } } }).values.extra ?? [];
const train = [
  ...read("train.jsonl"),
  ...extra.flatMap((file) => readRows(file)),
  ...[
    ...benignRequests(),
    ...ordinaryTriggerWords(),
    ...everydayTriggerWords(),
    ...taskInstructions(),
    ...rolePlays(),
  ].map((text): Row => ({ text, label: 0, kind: "benign_prompt", source: OWN_SOURCE })),
];
// The public extra rows (../shared/datasets/injection-extra: mostly benign prompts that use the
// attack vocabulary the ordinary way, from sources injection-train lacks: system prompts, banking
// and assistant queries, multilingual questions, formatting constraints): every fifth benign row
// is held out to choose the threshold with, the rest train.
const publicExtra = readRows(resolve(ROOT, "../shared/datasets/injection-extra/extra.jsonl")).map((row) => ({
  ...row,
  kind: row.kind ?? (row.label === 1 ? "jailbreak" : "benign_prompt"),
}));
const extraCalibration = publicExtra.filter((row, i) => row.label === 0 && i % 5 === 0);
train.push(...publicExtra.filter((row, i) => !(row.label === 0 && i % 5 === 0)));
// agentwatch's own attacks said in ways the public sources lack, with their benign twins
// (injection-attacks.ts: overrides in other words and languages, instructions planted in content).
train.push(
  ...ownAttackRows().map((row): Row => ({ ...row, source: "agentwatch:scripts/injection-attacks.ts" })),
);
const valid = read("valid.jsonl");
// Benign documentation that uses the words attacks use the ordinary way (collect-benign-docs.ts):
// every fifth row (by position in the file, which is sorted by digest) is held out of training
// to choose the threshold with, as a third benign source beside the valid split's two.
const docs = readRows(join(ROOT, "scripts/training/benign-docs.jsonl"));
train.push(...docs.filter((_, i) => i % 5 !== 0));
const calibration = [
  ...docs.filter((_, i) => i % 5 === 0).map((row) => ({ ...row, kind: "benign_docs" })),
  ...extraCalibration.map((row) => ({ ...row, kind: "benign_extra" })),
];
const started = performance.now();
const features = train.map((row) => featurize(row.text));
const positives = train.filter((r) => r.label === 1).length;
const { weights, bias } = trainWeights(train, features, SETTINGS, (line) => console.error(line));

// The model as shipped (int8 weights): the threshold and figures are those of what is shipped.
const shipped = shippedModel(weights, bias);
// Read as the detector reads it: the whole text and its windows, the strongest reading.
const scored = [...valid, ...calibration].map((row) => ({
  row,
  margin: modelReading(shipped, row.text).margin,
}));
// The threshold: the lowest margin at which the false-positive rate stays at most 1% on each
// benign source (the valid split's prompts and content, the held-out documentation), first for
// the model alone, then for the score the detector gives, rules and model together (raised until
// it holds there too: two half-sure stages must not add up to false alarms).
const thresholdFor = (kind: string) => {
  const margins = scored
    .filter((s) => s.row.label === 0 && s.row.kind === kind)
    .map((s) => s.margin)
    .sort((a, b) => b - a);
  const allowed = Math.floor(margins.length * SETTINGS.targetFpr);
  return (margins[allowed] as number) + 1e-6;
};
const BENIGN_KINDS = ["benign_prompt", "benign_content", "benign_docs", "benign_extra"];
const combinedHolds = (at: number) =>
  BENIGN_KINDS.every((kind) => {
    const rows = scored.filter((s) => s.row.kind === kind);
    const flagged = rows.filter((s) => flagsAt(shipped, at, s.row.text, originOf(kind))).length;
    return flagged <= Math.floor(rows.length * SETTINGS.targetFpr);
  });
let low = Math.max(...BENIGN_KINDS.map(thresholdFor));
let high = low;
while (!combinedHolds(high)) high += 1;
for (let step = 0; step < 30 && high - low > 1e-4; step += 1) {
  const mid = (low + high) / 2;
  if (combinedHolds(mid)) high = mid;
  else low = mid;
}
const margin = high;
const threshold = 1 / (1 + Math.exp(-margin));

const figures: ModelFile["valid"] = {};
for (const kind of [...new Set([...valid, ...calibration].map((r) => r.kind))].sort()) {
  const rows = scored.filter((s) => s.row.kind === kind);
  const flagged = rows.filter((s) => s.margin >= margin).length;
  const attack = rows[0]?.row.label === 1;
  figures[kind] = {
    positives: attack ? rows.length : 0,
    negatives: attack ? 0 : rows.length,
    recall: attack ? round(flagged / rows.length) : 0,
    fpr: attack ? 0 : round(flagged / rows.length),
  };
}
const all = scored.filter((s) => s.row.label === 1);
figures.all_attacks = {
  positives: all.length,
  negatives: 0,
  recall: round(all.filter((s) => s.margin >= margin).length / all.length),
  fpr: 0,
};

const file: ModelFile = {
  ...encodeModel(weights, bias, threshold),
  valid: figures,
  training: {
    data: "../shared/datasets/injection-train/train.jsonl and injection-extra/extra.jsonl (threshold and figures: valid.jsonl, and held-out fifths of extra.jsonl's benign rows and of benign-docs)",
    rows: train.length,
    positives,
    ...(extra.length > 0 ? { extra } : {}),
    ...SETTINGS,
  },
};
writeFileSync(OUT, `${JSON.stringify(file)}\n`);
console.log(
  `wrote ${OUT} (${Math.round(JSON.stringify(file).length / 1024)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s; threshold ${file.threshold}`,
);
console.log("valid split:");
for (const [kind, f] of Object.entries(figures)) {
  console.log(
    `  ${kind.padEnd(20)} ${f.positives > 0 ? `recall ${f.recall.toFixed(3)} of ${f.positives}` : `false-positive rate ${(100 * f.fpr).toFixed(2)}% of ${f.negatives}`}`,
  );
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
