/**
 * Prints the quality of the content detectors on the labelled development data in
 * ../shared/datasets (see its README): precision and recall per entity type on Presidio, and the
 * false-positive rate on the benign Alpaca instructions; prompt injection as shipped and with the
 * rules alone on BIPIA, Alpaca, the model's valid split, the held-out hard negatives and the rules'
 * development set (detectors/injection/rule-dev-set.ts).
 *
 *   npm run eval
 */
import { readFileSync } from "node:fs";
import {
  type DetectionScore,
  datasetsDir,
  injectionDataset,
  type LabelledText,
  loadPresidio,
  type PresidioDocument,
  scoreClassifier,
  scorePii,
} from "../detectors/evaluate.ts";
import { classifyInjection, type Origin } from "../detectors/injection/index.ts";
import { loadInjectionModel } from "../detectors/injection/model.ts";
import { ruleDevSet } from "../detectors/injection/rule-dev-set.ts";
import { numberDenseDocuments } from "../detectors/number-dense.ts";
import { findSensitive } from "../detectors/sensitive.ts";
import { hardNegatives } from "../scripts/injection-negatives.ts";

const datasets = datasetsDir();
/** Span-level scores per type, one line each. */
function printPii(title: string, docs: PresidioDocument[], types?: string[]): void {
  console.log(`${title}, span overlap:`);
  console.log("type          labelled  found  true+  false+  false-  precision  recall");
  for (const [type, s] of Object.entries(scorePii(docs))) {
    if (types && !types.includes(type)) continue;
    const labelled = s.truePositives + s.falseNegatives;
    const found = s.truePositives + s.falsePositives;
    console.log(
      `${type.padEnd(13)} ${String(labelled).padStart(8)}  ${String(found).padStart(5)}  ${String(s.truePositives).padStart(5)}  ${String(
        s.falsePositives,
      ).padStart(
        6,
      )}  ${String(s.falseNegatives).padStart(6)}  ${s.precision.toFixed(3).padStart(9)}  ${s.recall.toFixed(3).padStart(6)}`,
    );
  }
}

const documents = loadPresidio(`${datasets}/presidio/generated_large.json`);
printPii(`PII on presidio/generated_large.json (${documents.length} documents)`, documents);
const dense = numberDenseDocuments();
printPii(
  `\nPII on the number-dense set (detectors/number-dense.ts: ${dense.length} generated invoices, logs, tables, tickets full of other numbers)`,
  dense,
  ["phone", "credit_card"],
);

const texts = readFileSync(`${datasets}/alpaca/seed_tasks.jsonl`, "utf8")
  .split("\n")
  .filter(Boolean)
  .flatMap((line) => {
    const task = JSON.parse(line) as { instruction: string; instances: { input: string; output: string }[] };
    return [task.instruction, ...task.instances.flatMap((i) => [i.input, i.output])];
  });
const flagged = texts.filter((t) => findSensitive(t).some((m) => m.type !== "phone")).length;
const flaggedPhone = texts.filter((t) => findSensitive(t).some((m) => m.type === "phone")).length;
console.log(
  `\nbenign alpaca/seed_tasks.jsonl (${texts.length} texts): PII/secret false-positive rate ${((100 * flagged) / texts.length).toFixed(2)}% (${flagged}), phone ${((100 * flaggedPhone) / texts.length).toFixed(2)}% (${flaggedPhone})`,
);

// Prompt injection, as shipped (rules and the learned model, one score; the detector's default)
// and the rules alone (injection_attempt.model: false), side by side on every source: the BIPIA
// dev data and Alpaca (never trained on), the valid split of the model's training data, and
// agentwatch's own hard negatives (scripts/injection-negatives.ts, held out of training).
const model = loadInjectionModel();
const stages = {
  shipped: (text: string, origin: Origin) => classifyInjection(text, origin, model).score,
  rules: (text: string, origin: Origin) => classifyInjection(text, origin).score,
};
const items: LabelledText[] = [
  ...injectionDataset(datasets),
  ...readFileSync(`${datasets}/injection-train/valid.jsonl`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as { text: string; label: number; kind: string };
      const external = row.kind === "benign_content" || row.kind === "indirect_injection";
      const origin: LabelledText["origin"] = external ? "tool" : "user";
      return { text: row.text, attack: row.label === 1, origin, source: `valid/${row.kind}` };
    }),
  ...hardNegatives().map(
    (text): LabelledText => ({ text, attack: false, origin: "user", source: "hard negatives" }),
  ),
  // The rules' development set (issues 21, 26): per class, attacks and benign twins of the same
  // shapes and languages. The rules were tuned on it: a check that they do what they were written
  // for, not a measure of how they generalise (the shift set and leave-one-source-out are).
  ...ruleDevSet().map(
    (row): LabelledText => ({
      text: row.text,
      attack: row.label === 1,
      origin: row.origin,
      source: `rule-dev/${row.cls}`,
    }),
  ),
];
const started = performance.now();
const shipped = scoreClassifier(items, stages.shipped, 0.5);
const perItem = (performance.now() - started) / items.length;
const rules = scoreClassifier(items, stages.rules, 0.5);
console.log(
  `\nprompt injection (threshold 0.5), ${items.length} texts, ${perItem.toFixed(3)} ms each as shipped; rules and learned model together, and the rules alone:`,
);
console.log(
  "source                       positives  negatives  recall (rules alone)  false-positive rate (rules alone)",
);
for (const [source, r] of Object.entries(shipped)) {
  const alone = rules[source] as DetectionScore;
  const recall = r.positives > 0 ? `${r.recall.toFixed(3)} (${alone.recall.toFixed(3)})` : "-";
  const fpr =
    r.negatives > 0
      ? `${(100 * r.falsePositiveRate).toFixed(2)}% (${(100 * alone.falsePositiveRate).toFixed(2)}%)`
      : "-";
  console.log(
    `${source.padEnd(28)} ${String(r.positives).padStart(9)}  ${String(r.negatives).padStart(9)}  ${recall.padStart(20)}  ${fpr.padStart(33)}`,
  );
}
