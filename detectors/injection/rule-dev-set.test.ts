import { describe, expect, it } from "vitest";
import { type DevRow, ruleDevSet } from "./rule-dev-set.ts";
import { shiftSet } from "./shift-set.ts";

const rows = ruleDevSet();
const count = (cls: DevRow["cls"], label: 0 | 1) =>
  rows.filter((r) => r.cls === cls && r.label === label).length;
const LANGUAGES = [
  "es",
  "fr",
  "de",
  "pt",
  "it",
  "nl",
  "sv",
  "ru",
  "uk",
  "pl",
  "tr",
  "ar",
  "zh",
  "ja",
  "ko",
  "hi",
  "vi",
  "id",
];

describe("the rules' development set", () => {
  it("has the rows it was written with, per class and label", () => {
    expect(rows.length).toBe(567);
    expect([count("multilingual", 1), count("multilingual", 0)]).toEqual([141, 166]);
    expect([count("polite", 1), count("polite", 0)]).toEqual([36, 37]);
    expect([count("exfiltration", 1), count("exfiltration", 0)]).toEqual([24, 25]);
    expect([count("disguise", 1), count("disguise", 0)]).toEqual([62, 76]);
  });

  it("has attacks and benign twins in every language, and every disguise shape on both sides", () => {
    for (const lang of LANGUAGES) {
      const inLang = rows.filter((r) => r.cls === "multilingual" && r.lang === lang);
      expect(inLang.filter((r) => r.label === 1).length, lang).toBeGreaterThanOrEqual(3);
      expect(inLang.filter((r) => r.label === 0).length, lang).toBeGreaterThanOrEqual(4);
    }
    const generated = [
      "leetspeak",
      "spaced",
      "spaced_uniform",
      "dotted",
      "hyphenated",
      "zero_width",
      "homoglyphs",
      "fullwidth",
    ];
    for (const shape of generated) {
      const withShape = rows.filter((r) => r.cls === "disguise" && r.shape === shape);
      expect(withShape.some((r) => r.label === 1) && withShape.some((r) => r.label === 0), shape).toBe(true);
    }
  });

  it("shares no text with itself or with the shift set (a test set, never tuned on)", () => {
    const norm = (text: string) => text.trim().toLowerCase();
    expect(new Set(rows.map((r) => norm(r.text))).size).toBe(rows.length);
    const shift = new Set(shiftSet().map((r) => norm(r.text)));
    expect(rows.filter((r) => shift.has(norm(r.text))).map((r) => r.text)).toEqual([]);
  });
});
