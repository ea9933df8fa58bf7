/**
 * Every regular expression the project ships runs in time linear in its input (issue: one crafted
 * prompt of newlines froze the process for 45 s). Three checks, over every regex literal in
 * detectors/, services/ and bin/, found by scanning the source, so a pattern added later is
 * checked without anyone listing it:
 *
 * 1. The lint: recheck (an automaton and fuzzing ReDoS checker) must find the pattern safe, or, for
 *    a bounded window such as `[^.\n]{0,60}` that it reports as polynomial in the bound, its own
 *    attack string pumped to the largest input we accept must still run in milliseconds. Nested
 *    or overlapping unbounded quantifiers fail here.
 * 2. Adversarial inputs at the maximum size: long runs of each character class a pattern repeats,
 *    after each word the pattern needs, with and without a near-miss tail.
 * 3. The detectors' entry points (injection classifier, PII/secret scanner) on the same inputs.
 *
 * Times are the best of three runs. Over the limit, the same input at half the size is timed beside
 * it: linear work halves, quadratic work quarters, so a busy machine (which slows both alike) does
 * not fail a linear pattern that matches 30,000 times, and a quadratic one, seconds on these
 * sizes, still fails.
 */
import { fileURLToPath } from "node:url";
import { check } from "recheck";
import { describe, expect, it } from "vitest";
import { classifyInjection } from "../detectors/injection/index.ts";
import { loadInjectionModel } from "../detectors/injection/model.ts";
import { findSensitive } from "../detectors/sensitive.ts";
import { type RegexLiteral, regexLiteralsUnder } from "./helpers/regex-literals.ts";

// fileURLToPath, not URL.pathname: a checkout under a folder with a space must work too.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAX_INPUT = 64 * 1024; // limits.max_text_bytes, and the cap on scanned tool arguments
const LIMIT_MS = 30;

const literals = regexLiteralsUnder(ROOT, ["detectors", "services", "bin"]);

function compile(literal: RegexLiteral): RegExp {
  return new RegExp(literal.source, literal.flags);
}

/**
 * Runs `regex` over `input` as the code does (every match for /g; one try at the start for a
 * sticky one, which the code runs at chosen positions; the first match otherwise); best of three, in ms.
 */
function timeRegex(regex: RegExp, input: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    if (regex.sticky && !regex.global) {
      regex.lastIndex = 0;
      regex.exec(input);
    } else if (regex.global) {
      regex.lastIndex = 0;
      for (const _ of input.matchAll(regex)) {
        // every match, as findSensitive does
      }
    } else {
      regex.test(input);
    }
    best = Math.min(best, performance.now() - started);
    if (best < LIMIT_MS) break;
  }
  return best;
}

function timeCall(call: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    call();
    best = Math.min(best, performance.now() - started);
    if (best < LIMIT_MS) break;
  }
  return best;
}

/** The same make of input at half the size: its first half, and its end (where a failing tail sits). */
function halved(input: string): string {
  return input.slice(0, Math.floor(input.length / 2)) + input.slice(-64);
}

/**
 * Whether the work on `input` grows faster than the input: over `limit` ms and more than three
 * times the time on half of it (linear work doubles, quadratic quadruples), or over ten times the
 * limit whatever the ratio. Both sizes are timed again side by side: a loaded machine slows them
 * alike, where an absolute limit alone failed patterns that are linear but match 30,000 times.
 */
function superlinear(time: (input: string) => number, input: string, ms: number, limit: number): boolean {
  if (ms <= limit) return false;
  const full = Math.min(ms, time(input));
  if (full <= limit) return false;
  if (full > 10 * limit) return true;
  return full > 3 * Math.max(time(halved(input)), 0.05);
}

/** Characters standing for the classes patterns repeat: letters, digits, blanks, punctuation, other scripts, invisibles. */
const ALPHABET = [
  "a",
  "Z",
  "0",
  "_",
  ".",
  "-",
  "@",
  ":",
  "/",
  "+",
  "=",
  "#",
  "*",
  "<",
  "|",
  "'",
  '"',
  " ",
  "\n",
  "\t",
  "\r\n",
  "\u00a0",
  "а", // Cyrillic
  "α", // Greek
  "\u200b",
  "a ",
  "0 ",
  "0-",
  "00-",
  "a.",
  "a@",
  "${A:-",
  "\udb40\udc41", // a Unicode tag character
];

/** Words a pattern needs before its repeated part: a run after them reaches the part that could backtrack. */
function wordsOf(source: string): string[] {
  const words = new Set<string>();
  for (const m of source.replace(/\\[a-zA-Z]/g, " ").matchAll(/[A-Za-z_][A-Za-z_ -]{1,30}/g)) {
    const word = m[0].trim();
    if (word.length >= 2) words.add(word);
  }
  return [...words].slice(0, 12);
}

function pad(prefix: string, unit: string, tail: string): string {
  const count = Math.max(1, Math.floor((MAX_INPUT - prefix.length - tail.length) / unit.length));
  return prefix + unit.repeat(count) + tail;
}

/** The adversarial inputs for one pattern, each at the maximum size. */
function attacksFor(source: string): string[] {
  const inputs: string[] = [];
  for (const unit of ALPHABET) {
    inputs.push(pad("", unit, ""), pad("", unit, "!"));
  }
  for (const word of wordsOf(source)) {
    for (const unit of [" ", "\n", "a", "0", "=", "-", "a ", ".", "@"]) {
      inputs.push(pad(`${word}`, unit, ""), pad(`${word}: `, unit, "!"), pad("", `${word}${unit}`, "\u0000"));
    }
  }
  return inputs;
}

/** recheck's own attack string, pumped until it is as large as our largest input. */
function pumped(attack: { pumps: { prefix: string; pump: string }[]; suffix: string }): string {
  const fixed = attack.pumps.reduce((n, p) => n + p.prefix.length, attack.suffix.length);
  const perRepeat = attack.pumps.reduce((n, p) => n + p.pump.length, 0);
  const repeats = Math.max(1, Math.floor((MAX_INPUT - fixed) / Math.max(1, perRepeat)));
  return attack.pumps.map((p) => p.prefix + p.pump.repeat(repeats)).join("") + attack.suffix;
}

describe("regex safety", () => {
  it("finds the patterns it checks (the scanner works)", () => {
    expect(literals.length).toBeGreaterThan(60);
    const files = new Set(literals.map((l) => l.file));
    expect(files).toContain("detectors/injection/rules.ts");
    expect(files).toContain("detectors/sensitive.ts");
    for (const literal of literals)
      expect(() => compile(literal), `${literal.file}:${literal.line}`).not.toThrow();
  });

  it("lint: no pattern has nested or overlapping quantifiers that blow up with the input (recheck)", {
    timeout: 600_000,
  }, async () => {
    const problems: string[] = [];
    for (const literal of literals) {
      // recheck does not know the `d` flag (match indices); it does not change what matches.
      const result = await check(literal.source, literal.flags.replace("d", ""), {
        randomSeed: 42,
        timeout: 20_000,
      });
      if (result.status === "safe") continue;
      const where = `${literal.file}:${literal.line} /${literal.source.slice(0, 80)}/`;
      if (result.status !== "vulnerable" || !result.attack) {
        problems.push(`${where}: recheck could not decide (${result.status}); write it so it can`);
        continue;
      }
      const regex = compile(literal);
      const attack = pumped(result.attack);
      const ms = timeRegex(regex, attack);
      if (superlinear((input) => timeRegex(regex, input), attack, ms, LIMIT_MS)) {
        problems.push(
          `${where}: ${result.complexity.summary}, ${ms.toFixed(0)} ms on a ${MAX_INPUT}-character attack`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it("every pattern runs in linear time on adversarial inputs of the maximum size", {
    timeout: 600_000,
  }, () => {
    const slow: string[] = [];
    for (const literal of literals) {
      const regex = compile(literal);
      for (const input of attacksFor(literal.source)) {
        const ms = timeRegex(regex, input);
        if (superlinear((text) => timeRegex(regex, text), input, ms, LIMIT_MS)) {
          slow.push(
            `${literal.file}:${literal.line} /${literal.source.slice(0, 60)}/ took ${ms.toFixed(0)} ms on ${JSON.stringify(input.slice(0, 30))}…`,
          );
          break;
        }
      }
    }
    expect(slow).toEqual([]);
  });

  it("the content detectors stay fast on the same inputs, in every origin", { timeout: 600_000 }, () => {
    const model = loadInjectionModel();
    const slow: string[] = [];
    const inputs = [...new Set(literals.flatMap((l) => attacksFor(l.source)))];
    // The classifier decodes and rescans hidden text: feed it what it decodes too.
    inputs.push(
      pad("", "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnMg", ""),
      pad("erongi ", "snoitcurtsni ", ""),
    );
    for (const input of inputs) {
      for (const origin of ["user", "tool"] as const) {
        // As the detector runs it: rules, decoding and the learned model.
        const classify = (text: string) => timeCall(() => classifyInjection(text, origin, model));
        const ms = classify(input);
        if (superlinear(classify, input, ms, 4 * LIMIT_MS))
          slow.push(
            `classifyInjection(${origin}) ${ms.toFixed(0)} ms on ${JSON.stringify(input.slice(0, 30))}…`,
          );
      }
      // findSensitive remembers recent texts: a fresh copy each time measures the scan.
      const scan = (text: string) => timeCall(() => findSensitive(`${text} `));
      const ms = scan(input);
      if (superlinear(scan, input, ms, 4 * LIMIT_MS))
        slow.push(`findSensitive ${ms.toFixed(0)} ms on ${JSON.stringify(input.slice(0, 30))}…`);
    }
    expect(slow).toEqual([]);
  });
});
