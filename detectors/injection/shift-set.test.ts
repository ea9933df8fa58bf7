import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { datasetsDir } from "../evaluate.ts";
import { type ShiftRow, shiftSet } from "./shift-set.ts";

const BENIGN_FAMILIES = [
  "support",
  "hr-compliance",
  "security-howto",
  "roleplay-fiction",
  "hypothetical-long",
  "code-review",
  "sysadmin",
  "email",
  "table",
  "trigger-words",
  "multilingual",
];
const ATTACK_FAMILIES = [
  "planted-email",
  "planted-table",
  "planted-web",
  "planted-code",
  "planted-json",
  "planted-calendar",
  "planted-pdf",
  "multilingual-override",
  "polite-override",
  "persona",
  "exfiltration",
  "obfuscated",
  "hidden-text",
];
const REQUIRED_LANGS = ["en", "de", "fr", "es", "pt", "it", "nl"];

const norm = (text: string) => text.trim().toLowerCase();
const rows = shiftSet();
const benign = rows.filter((row) => row.label === 0);
const attacks = rows.filter((row) => row.label === 1);

function countBy(list: readonly ShiftRow[], key: (row: ShiftRow) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of list) out.set(key(row), (out.get(key(row)) ?? 0) + 1);
  return out;
}

describe("shift set (issue 21)", () => {
  it("has at least 1,500 benign rows and 300 attacks", () => {
    expect(benign.length).toBeGreaterThanOrEqual(1500);
    expect(attacks.length).toBeGreaterThanOrEqual(300);
  });

  it("is the same on every call", () => {
    expect(shiftSet()).toEqual(rows);
    expect(JSON.stringify(shiftSet())).toBe(JSON.stringify(rows));
  });

  it("has well-formed rows", () => {
    for (const row of rows) {
      expect([0, 1]).toContain(row.label);
      expect(["user", "tool"]).toContain(row.origin);
      expect(row.family).toMatch(/^[a-z-]+$/);
      expect(row.lang).toMatch(/^[a-z]+$/);
      expect(row.text).not.toMatch(/\{\{\w+\}\}|%%%/);
    }
  });

  it("has no duplicate texts and no row shorter than 10 characters", () => {
    expect(new Set(rows.map((row) => norm(row.text))).size).toBe(rows.length);
    expect(rows.filter((row) => row.text.trim().length < 10)).toEqual([]);
  });

  it("has every family, each with at least 20 rows, and each family has one label", () => {
    const families = countBy(rows, (row) => row.family);
    for (const family of [...BENIGN_FAMILIES, ...ATTACK_FAMILIES]) {
      expect(families.get(family) ?? 0, family).toBeGreaterThanOrEqual(20);
    }
    expect([...families.keys()].sort()).toEqual([...BENIGN_FAMILIES, ...ATTACK_FAMILIES].sort());
    for (const row of rows) expect(row.label, row.family).toBe(BENIGN_FAMILIES.includes(row.family) ? 0 : 1);
  });

  it("covers at least 8 languages, with the required ones in both labels", () => {
    const langs = countBy(rows, (row) => row.lang);
    expect(langs.size).toBeGreaterThanOrEqual(8);
    for (const lang of REQUIRED_LANGS) {
      expect(
        benign.some((row) => row.lang === lang),
        `benign ${lang}`,
      ).toBe(true);
      expect(
        attacks.some((row) => row.lang === lang),
        `attack ${lang}`,
      ).toBe(true);
    }
  });

  it("has both origins among attacks and at least 150 long benign rows (300+ characters)", () => {
    expect(attacks.filter((row) => row.origin === "user").length).toBeGreaterThanOrEqual(50);
    expect(attacks.filter((row) => row.origin === "tool").length).toBeGreaterThanOrEqual(50);
    expect(benign.filter((row) => row.text.length >= 300).length).toBeGreaterThanOrEqual(150);
  });

  it("shares no text with the training data", () => {
    const dir = datasetsDir();
    const trained = new Set<string>();
    for (const file of [
      "injection-train/train.jsonl",
      "injection-train/valid.jsonl",
      "injection-extra/extra.jsonl",
    ]) {
      for (const line of readFileSync(`${dir}/${file}`, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        trained.add(norm((JSON.parse(line) as { text: string }).text));
      }
    }
    expect(trained.size).toBeGreaterThan(20_000);
    expect(rows.filter((row) => trained.has(norm(row.text))).map((row) => row.text)).toEqual([]);
  });
});
