/**
 * Prints the quality of the content detectors on the labelled development data in
 * ../shared/datasets (see its README): precision and recall per entity type on Presidio, and the
 * false-positive rate on the benign Alpaca instructions.
 *
 *   npm run eval
 */
import { readFileSync } from "node:fs";
import {
  datasetsDir,
  injectionDataset,
  loadPresidio,
  scoreClassifier,
  scorePii,
} from "../detectors/evaluate.ts";
import { classifyInjection } from "../detectors/injection.ts";
import { findSensitive } from "../detectors/sensitive.ts";

const datasets = datasetsDir();
const documents = loadPresidio(`${datasets}/presidio/generated_large.json`);
console.log(`PII on presidio/generated_large.json (${documents.length} documents), span overlap:`);
console.log("type          labelled  found  true+  false+  false-  precision  recall");
for (const [type, s] of Object.entries(scorePii(documents))) {
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

const items = injectionDataset(datasets);
const started = performance.now();
const injection = scoreClassifier(items, (text, origin) => classifyInjection(text, origin).score, 0.5);
const perItem = (performance.now() - started) / items.length;
console.log(
  `\nprompt injection (built-in classifier, threshold 0.5), ${items.length} texts, ${perItem.toFixed(3)} ms each:`,
);
console.log("source        positives  negatives  true+  false+  precision  recall  false-positive rate");
for (const [source, r] of Object.entries(injection)) {
  console.log(
    `${source.padEnd(13)} ${String(r.positives).padStart(9)}  ${String(r.negatives).padStart(9)}  ${String(r.truePositives).padStart(5)}  ${String(
      r.falsePositives,
    ).padStart(
      6,
    )}  ${r.precision.toFixed(3).padStart(9)}  ${r.recall.toFixed(3).padStart(6)}  ${(100 * r.falsePositiveRate).toFixed(2).padStart(18)}%`,
  );
}

// The learned stage (detectors/injection-model.ts), not yet enabled in the detector: where it
// stands, rules and model together, on the same data, on the valid split of its training data,
// and on agentwatch's own hard negatives (scripts/injection-negatives.ts, held out of training).
{
  const { loadInjectionModel } = await import("../detectors/injection-model.ts");
  const { hardNegatives } = await import("../scripts/injection-negatives.ts");
  const model = loadInjectionModel();
  const combined = scoreClassifier(
    items,
    (text, origin) => classifyInjection(text, origin, model).score,
    0.5,
  );
  console.log("\nrules + learned model (not enabled yet), threshold 0.5:");
  for (const [source, r] of Object.entries(combined)) {
    console.log(
      `${source.padEnd(13)} recall ${r.recall.toFixed(3)}  false-positive rate ${(100 * r.falsePositiveRate).toFixed(2)}%`,
    );
  }
  const negatives = hardNegatives();
  const flaggedNegatives = negatives.filter((t) => classifyInjection(t, "user", model).score >= 0.5).length;
  console.log(
    `hard negatives   false-positive rate ${((100 * flaggedNegatives) / negatives.length).toFixed(2)}% of ${negatives.length} (rules alone: ${((100 * negatives.filter((t) => classifyInjection(t, "user").score >= 0.5).length) / negatives.length).toFixed(2)}%)`,
  );
  const valid = readFileSync(`${datasets}/injection-train/valid.jsonl`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { text: string; kind: string });
  const byKind = new Map<string, [number, number]>();
  for (const row of valid) {
    const origin = row.kind === "benign_content" || row.kind === "indirect_injection" ? "tool" : "user";
    const counts = byKind.get(row.kind) ?? [0, 0];
    counts[0] += 1;
    if (classifyInjection(row.text, origin, model).score >= 0.5) counts[1] += 1;
    byKind.set(row.kind, counts);
  }
  console.log("injection-train valid split, rules + learned model (flagged share per kind):");
  for (const [kind, [n, flagged]] of byKind)
    console.log(`  ${kind.padEnd(20)} ${(flagged / n).toFixed(3)} of ${n}`);
}
