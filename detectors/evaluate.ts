/**
 * Quality measurement of the content detectors on labelled public data (../shared/datasets, see
 * its README). Used by the tests that hold the quality floors and by `bench/eval-content.ts`,
 * which prints the figures.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { findSensitive, type SensitiveType } from "./sensitive.ts";

export interface PresidioDocument {
  full_text: string;
  spans: { entity_type: string; entity_value: string; start_position: number; end_position: number }[];
}

/** Presidio's entity types and ours. */
export const PRESIDIO_TYPES: Record<string, SensitiveType> = {
  EMAIL_ADDRESS: "email",
  CREDIT_CARD: "credit_card",
  US_SSN: "us_ssn",
  IBAN_CODE: "iban",
  PHONE_NUMBER: "phone",
};

export interface TypeScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

/**
 * Where the labelled data lives: `../shared/datasets` beside the project (as CI and the developers'
 * machines have it), or AGENTWATCH_DATASETS. Throws a clear error when it is not there.
 */
export function datasetsDir(): string {
  const dir = process.env.AGENTWATCH_DATASETS ?? resolve(import.meta.dirname, "../../shared/datasets");
  if (!existsSync(dir)) {
    throw new Error(
      `the labelled datasets are not at ${dir}: the project expects shared/ beside its folder (or set AGENTWATCH_DATASETS)`,
    );
  }
  return dir;
}

export function loadPresidio(path: string): PresidioDocument[] {
  return JSON.parse(readFileSync(path, "utf8")) as PresidioDocument[];
}

/**
 * Span-level precision and recall per type: a found span is right when it overlaps a labelled
 * span of the same type; a labelled span is found when a found span of its type overlaps it.
 */
export function scorePii(documents: PresidioDocument[]): Record<SensitiveType, TypeScore> {
  const scores = {} as Record<SensitiveType, TypeScore>;
  const score = (type: SensitiveType) => {
    scores[type] ??= { truePositives: 0, falsePositives: 0, falseNegatives: 0, precision: 0, recall: 0 };
    return scores[type];
  };
  for (const ours of Object.values(PRESIDIO_TYPES)) score(ours);
  for (const doc of documents) {
    const found = findSensitive(doc.full_text).filter((m) => m.category === "pii");
    const labels = doc.spans
      .filter((s) => PRESIDIO_TYPES[s.entity_type] !== undefined)
      .map((s) => ({
        type: PRESIDIO_TYPES[s.entity_type] as SensitiveType,
        start: s.start_position,
        end: s.end_position,
      }));
    for (const m of found) {
      const hit = labels.some((l) => l.type === m.type && m.start < l.end && m.end > l.start);
      if (hit) score(m.type).truePositives += 1;
      else score(m.type).falsePositives += 1;
    }
    for (const l of labels) {
      if (!found.some((m) => m.type === l.type && m.start < l.end && m.end > l.start))
        score(l.type).falseNegatives += 1;
    }
  }
  for (const s of Object.values(scores)) {
    s.precision =
      s.truePositives + s.falsePositives === 0 ? 1 : s.truePositives / (s.truePositives + s.falsePositives);
    s.recall =
      s.truePositives + s.falseNegatives === 0 ? 1 : s.truePositives / (s.truePositives + s.falseNegatives);
  }
  return scores;
}

export interface LabelledText {
  source: string;
  text: string;
  origin: "user" | "tool";
  attack: boolean;
}

/** BIPIA contents as a tool would return them. Code contexts are lists of lines. */
function bipiaContexts(dir: string, file: string): string[] {
  return readFileSync(`${dir}/bipia/${file}`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as { context: string | string[] };
      return Array.isArray(row.context) ? row.context.join("\n") : row.context;
    });
}

function bipiaAttacks(dir: string, file: string): string[] {
  const byCategory = JSON.parse(readFileSync(`${dir}/bipia/${file}`, "utf8")) as Record<string, string[]>;
  return Object.values(byCategory).flat();
}

/** Inserts `attack` at the start, in the middle (at a sentence or line break) or at the end. */
export function insertAttack(context: string, attack: string, where: "start" | "middle" | "end"): string {
  if (where === "start") return `${attack}\n${context}`;
  if (where === "end") return `${context}\n${attack}`;
  const half = Math.floor(context.length / 2);
  const breakAt = context.slice(half).search(/[.\n]\s/);
  const at = breakAt < 0 ? half : half + breakAt + 1;
  return `${context.slice(0, at)} ${attack} ${context.slice(at)}`;
}

/**
 * The labelled set: every BIPIA context clean (negative) and with one attack inserted (positive;
 * attacks and positions taken in turn), as tool output; and the Alpaca instructions as user
 * prompts (negative).
 */
export function injectionDataset(dir: string): LabelledText[] {
  const out: LabelledText[] = [];
  const textAttacks = bipiaAttacks(dir, "text_attack_train.json");
  const codeAttacks = bipiaAttacks(dir, "code_attack_train.json");
  const positions = ["start", "middle", "end"] as const;
  for (const [source, file, attacks] of [
    ["bipia/email", "email_train.jsonl", textAttacks],
    ["bipia/table", "table_train.jsonl", textAttacks],
    ["bipia/code", "code_train.jsonl", codeAttacks],
  ] as const) {
    bipiaContexts(dir, file).forEach((context, i) => {
      out.push({ source, text: context, origin: "tool", attack: false });
      const attack = attacks[i % attacks.length] as string;
      out.push({
        source,
        text: insertAttack(context, attack, positions[i % 3] as "start"),
        origin: "tool",
        attack: true,
      });
    });
  }
  for (const line of readFileSync(`${dir}/alpaca/seed_tasks.jsonl`, "utf8").split("\n").filter(Boolean)) {
    const task = JSON.parse(line) as { instruction: string; instances: { input: string }[] };
    const input = task.instances
      .map((i) => i.input)
      .filter(Boolean)
      .join("\n");
    out.push({
      source: "alpaca",
      text: input ? `${task.instruction}\n${input}` : task.instruction,
      origin: "user",
      attack: false,
    });
  }
  return out;
}

export interface DetectionScore {
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
  falsePositiveRate: number;
}

/** Precision, recall and false-positive rate per source for a classifier at a threshold. */
export function scoreClassifier(
  items: LabelledText[],
  classify: (text: string, origin: LabelledText["origin"]) => number,
  threshold: number,
): Record<string, DetectionScore> {
  const scores: Record<string, DetectionScore> = {};
  for (const item of items) {
    const s = scores[item.source] ?? {
      positives: 0,
      negatives: 0,
      truePositives: 0,
      falsePositives: 0,
      precision: 1,
      recall: 1,
      falsePositiveRate: 0,
    };
    scores[item.source] = s;
    const flagged = classify(item.text, item.origin) >= threshold;
    if (item.attack) {
      s.positives += 1;
      if (flagged) s.truePositives += 1;
    } else {
      s.negatives += 1;
      if (flagged) s.falsePositives += 1;
    }
  }
  for (const s of Object.values(scores)) {
    s.precision =
      s.truePositives + s.falsePositives === 0 ? 1 : s.truePositives / (s.truePositives + s.falsePositives);
    s.recall = s.positives === 0 ? 1 : s.truePositives / s.positives;
    s.falsePositiveRate = s.negatives === 0 ? 0 : s.falsePositives / s.negatives;
  }
  return scores;
}
