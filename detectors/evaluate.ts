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
