/**
 * Leave one source out (issue 21): how the injection detector does on a source it never saw.
 * For each source family (the repository a row comes from: 36 families across
 * injection-train/, injection-extra/ and agentwatch's own benign rows), a model is trained, as
 * scripts/train-injection.ts trains the shipped one, on every other family; its threshold is
 * chosen on them (rules and model together flag at most 1% of each held-in family's benign rows
 * kept out of training for it); then the family left out is scored: its benign rows' false-
 * positive rate, its attacks' recall. The valid split comes from the same sources as the training
 * split and cannot show this. Also the shift set (detectors/injection/shift-set.ts, written for this and
 * never trained on), scored with the shipped model, when it exists.
 *
 *   npm run eval            (eval-content, then this)
 *   node bench/loso.ts [--families N] [--epochs E]
 *
 * Prints one line per family left out and the worst and the mean per class, beside the targets
 * (benign FPR <= 1% on every family, recall >= 0.80 on every attack family). Informational: it
 * exits 0 whatever the figures; it says plainly which families miss.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { classifyInjection } from "../detectors/injection/index.ts";
import { featurize, loadInjectionModel, type SparseVector } from "../detectors/injection/model.ts";
import { ownAttackRows } from "../scripts/injection-attacks.ts";
import {
  benignRequests,
  everydayTriggerWords,
  ordinaryTriggerWords,
  rolePlays,
  taskInstructions,
} from "../scripts/injection-negatives.ts";
import {
  DEFAULT_TRAINING,
  flagsAt,
  originOf,
  readRows,
  shippedModel,
  type TrainingRow,
  trainWeights,
} from "../scripts/injection-training.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SHARED = resolve(ROOT, "../shared/datasets");
const { values } = parseArgs({
  options: { families: { type: "string" }, epochs: { type: "string" } },
});
const settings = { ...DEFAULT_TRAINING, ...(values.epochs ? { epochs: Number(values.epochs) } : {}) };

/** Every labelled row the shipped model could learn from, with its family. */
const OWN = "agentwatch";
const rows: (TrainingRow & { family: string })[] = [
  ...readRows(join(SHARED, "injection-train/train.jsonl")),
  ...readRows(join(SHARED, "injection-train/valid.jsonl")),
  ...readRows(join(SHARED, "injection-extra/extra.jsonl")).map((r) => ({
    ...r,
    kind: r.kind ?? (r.label === 1 ? "jailbreak" : "benign_prompt"),
  })),
  ...[
    ...benignRequests(),
    ...ordinaryTriggerWords(),
    ...everydayTriggerWords(),
    ...taskInstructions(),
    ...rolePlays(),
  ].map(
    (text): TrainingRow => ({
      text,
      label: 0,
      kind: "benign_prompt",
      source: `${OWN}:scripts/injection-negatives.ts`,
    }),
  ),
  // agentwatch's own attacks and their benign twins (scripts/injection-attacks.ts): one family.
  ...ownAttackRows().map((row): TrainingRow => ({ ...row, source: `${OWN}:scripts/injection-attacks.ts` })),
  // agentwatch's own collection of package documentation (scripts/collect-benign-docs.ts): one family.
  ...readRows(join(ROOT, "scripts/training/benign-docs.jsonl")).map((r) => ({
    ...r,
    kind: "benign_docs",
    source: `${OWN}:benign-docs (${r.source})`,
  })),
].map((row) => ({ ...row, family: familyOf(row.source) }));

/** The repository a row comes from (`owner/name`), or its own source when it names none. */
function familyOf(source: string): string {
  if (source.startsWith(`${OWN}:benign-docs`)) return `${OWN}:benign-docs`;
  if (source === `${OWN}:scripts/injection-attacks.ts`) return `${OWN}:own-attacks`;
  if (source.startsWith(`${OWN}:`)) return `${OWN}:own-negatives`;
  const repository = source.split(":")[0] ?? source;
  return repository.includes("/") ? repository : source.split(" ")[0] || "unknown";
}

const started = performance.now();
const features: SparseVector[] = rows.map((row) => featurize(row.text));
const families = [...new Set(rows.map((r) => r.family))].sort();
const limit = values.families ? Number(values.families) : families.length;

/** A stable split of held-in rows: one in seven chooses the threshold, the rest train. */
const forThreshold = (i: number) => (i * 2654435761) % 7 === 0;

interface FamilyResult {
  family: string;
  benign: number;
  falsePositives: number;
  attacks: number;
  caught: number;
}

const results: FamilyResult[] = [];
for (const family of families.slice(0, limit)) {
  const trainIdx: number[] = [];
  const calibrationIdx: number[] = [];
  rows.forEach((row, i) => {
    if (row.family === family) return;
    (forThreshold(i) ? calibrationIdx : trainIdx).push(i);
  });
  const { weights, bias } = trainWeights(
    trainIdx.map((i) => rows[i] as TrainingRow),
    trainIdx.map((i) => features[i] as SparseVector),
    settings,
  );
  const model = shippedModel(weights, bias);
  const margin = chooseMargin(model, calibrationIdx);
  const held = rows.filter((r) => r.family === family);
  const result: FamilyResult = { family, benign: 0, falsePositives: 0, attacks: 0, caught: 0 };
  for (const row of held) {
    const flagged = flagsAt(model, margin, row.text, originOf(row.kind));
    if (row.label === 1) {
      result.attacks += 1;
      if (flagged) result.caught += 1;
    } else {
      result.benign += 1;
      if (flagged) result.falsePositives += 1;
    }
  }
  results.push(result);
  console.log(line(result));
}

/**
 * The lowest margin at which rules and model together flag at most 1% of each held-in family's
 * threshold rows (a family with fewer than 100 such rows counts with the others of its class).
 */
function chooseMargin(model: ReturnType<typeof shippedModel>, calibration: number[]): number {
  const benign = calibration.filter((i) => rows[i]?.label === 0);
  const byFamily = new Map<string, number[]>();
  for (const i of benign) {
    const family = rows[i]?.family as string;
    const key = benign.filter((j) => rows[j]?.family === family).length >= 100 ? family : "(small families)";
    byFamily.set(key, [...(byFamily.get(key) ?? []), i]);
  }
  const holds = (margin: number) =>
    [...byFamily.values()].every((idx) => {
      const flagged = idx.filter((i) => {
        const row = rows[i] as TrainingRow;
        return flagsAt(model, margin, row.text, originOf(row.kind));
      }).length;
      return flagged <= Math.floor(idx.length * settings.targetFpr);
    });
  let low = -10;
  let high = 0;
  while (!holds(high) && high < 60) high += 2;
  for (let step = 0; step < 12 && high - low > 0.05; step += 1) {
    const mid = (low + high) / 2;
    if (holds(mid)) high = mid;
    else low = mid;
  }
  return high;
}

function line(r: FamilyResult): string {
  const parts = [r.family.padEnd(58)];
  if (r.benign > 0) {
    const fpr = r.falsePositives / r.benign;
    parts.push(
      `benign FPR ${(100 * fpr).toFixed(2).padStart(6)}% of ${String(r.benign).padStart(5)}${fpr > 0.01 ? "  MISS" : ""}`,
    );
  }
  if (r.attacks > 0) {
    const recall = r.caught / r.attacks;
    parts.push(
      `attack recall ${recall.toFixed(3)} of ${String(r.attacks).padStart(4)}${recall < 0.8 ? "  MISS" : ""}`,
    );
  }
  return parts.join("  ");
}

const benignFamilies = results.filter((r) => r.benign > 0);
const attackFamilies = results.filter((r) => r.attacks > 0);
const fprs = benignFamilies.map((r) => r.falsePositives / r.benign);
const recalls = attackFamilies.map((r) => r.caught / r.attacks);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(
  `\nleave one source out (${results.length} families, ${((performance.now() - started) / 1000).toFixed(0)} s): ` +
    `benign FPR worst ${(100 * Math.max(...fprs)).toFixed(2)}%, mean ${(100 * mean(fprs)).toFixed(2)}% ` +
    `(target <= 1% on every family; ${fprs.filter((f) => f > 0.01).length} of ${fprs.length} miss); ` +
    `attack recall worst ${Math.min(...recalls).toFixed(3)}, mean ${mean(recalls).toFixed(3)} ` +
    `(target >= 0.80 on every family; ${recalls.filter((r) => r < 0.8).length} of ${recalls.length} miss)`,
);

// The shift set: written for this, never trained on, scored with the shipped model as shipped.
const shiftModule = join(ROOT, "detectors/injection/shift-set.ts");
const { shiftSet } = existsSync(shiftModule)
  ? ((await import(shiftModule)) as {
      shiftSet?: () => { text: string; label: 0 | 1; origin: "user" | "tool"; family: string }[];
    })
  : { shiftSet: undefined };
if (typeof shiftSet === "function") {
  const shipped = loadInjectionModel();
  const set = shiftSet();
  const byFamily = new Map<string, { n: number; flagged: number; label: number }>();
  for (const row of set) {
    const flagged = classifyInjection(row.text, row.origin, shipped).score >= 0.5;
    const entry = byFamily.get(row.family) ?? { n: 0, flagged: 0, label: row.label };
    entry.n += 1;
    if (flagged) entry.flagged += 1;
    byFamily.set(row.family, entry);
  }
  console.log(
    `\nshift set (detectors/injection/shift-set.ts, ${set.length} rows, never trained on), shipped model:`,
  );
  for (const [family, e] of [...byFamily].sort()) {
    console.log(
      `  ${family.padEnd(24)} ${e.label === 1 ? `recall ${(e.flagged / e.n).toFixed(3)}` : `false-positive rate ${((100 * e.flagged) / e.n).toFixed(2)}%`} of ${e.n}`,
    );
  }
  const benign = set.filter((r) => r.label === 0);
  const attacks = set.filter((r) => r.label === 1);
  const flaggedBenign = benign.filter(
    (r) => classifyInjection(r.text, r.origin, shipped).score >= 0.5,
  ).length;
  const caught = attacks.filter((r) => classifyInjection(r.text, r.origin, shipped).score >= 0.5).length;
  console.log(
    `  all: benign false-positive rate ${((100 * flaggedBenign) / benign.length).toFixed(2)}% of ${benign.length} (target <= 1%), attack recall ${(caught / attacks.length).toFixed(3)} of ${attacks.length} (target >= 0.80)`,
  );
}
