/**
 * The built-in prompt-injection classifier: weighted rules over the text, and over what the text
 * decodes to when it hides something (base64, hex, reversed text, zero-width and Unicode tag
 * characters, homoglyphs). Pure and fast (regular expressions only), so it runs on every prompt
 * and tool result. Score 0..1 combines the rules that fired as 1 − Π(1 − weight).
 *
 * Two kinds of evidence:
 * - direct injection, wherever it appears: instruction overrides, system-prompt extraction,
 *   role-play jailbreaks, chat-template and delimiter tricks, in several languages;
 * - indirect injection, only in content that came from outside (tool results, retrieved
 *   documents): sentences that address the assistant or its answer ("in your response", "add
 *   ... to your reply", "incorporate the following code"), and code that ships data out or runs
 *   downloaded code. A user asking for the same thing directly is not an injection.
 */

import { adversarialSuffix } from "./adversarial-suffix.ts";
import {
  CONFUSABLE_CHARS,
  CONFUSABLES,
  decimalAscii,
  decodeAscii85,
  decodeBase32,
  decodeBase64,
  decodeHex,
  decodeMorse,
  INVISIBLE,
  MAY_BE_DECIMAL,
  mixedScriptWords,
  morseRuns,
  ROT13_NAMED,
  rot13,
  TAGS,
  unmask,
} from "./decode.ts";
import { jsonStrings } from "./json-strings.ts";
import {
  calibratedModelScore,
  type InjectionModel,
  type ModelReading,
  normalize,
  readingOfLoaded,
  readingText,
  topPhrases,
} from "./model.ts";
import {
  findHints,
  IMPLIED,
  REVERSED_HINTS,
  REVERSED_NAMED,
  REVERSED_NAMED_HINTS,
  ROT13_HINTS,
  RULES,
} from "./rules.ts";
import { emptyShape, loaded, loadText, type Shape } from "./text.ts";

export type Origin = "user" | "tool" | "retrieval" | "system";

export interface InjectionEvidence {
  rule: string;
  /** The matched text, at most 120 characters. */
  match: string;
  /** How the text was hidden, when the rule fired on decoded text. */
  via?: string;
}

export interface InjectionVerdict {
  score: number;
  evidence: InjectionEvidence[];
  /** Each stage on its own, when asked for (`explain`): what `agentwatch scan --explain` prints. */
  stages?: InjectionStages;
}

/** The two stages' verdicts, each read against 0.5 on its own; `score` combines them as 1 − (1 − rules)(1 − model). */
export interface InjectionStages {
  rules: { score: number; fired: { rule: string; weight: number; via?: string }[] };
  /** The learned stage's strongest reading: of the text whole, one window of it, or what was decoded from it (`via`). */
  model?: {
    score: number;
    margin: number;
    thresholdMargin: number;
    text: string;
    whole: boolean;
    via?: string;
  };
}

/**
 * Scores `text`; `origin` says whether it came from outside (tool, retrieval) or from a user.
 * With `model` (the learned stage, model.ts), the text and everything the rules
 * decoded from it are also scored by the model, and the verdict combines both stages.
 */
export function classifyInjection(
  text: string,
  origin: Origin = "user",
  model?: InjectionModel,
  options: { explain?: boolean } = {},
): InjectionVerdict {
  const external = origin === "tool" || origin === "retrieval";
  const evidence: InjectionEvidence[] = [];
  const fired = new Map<string, number>();
  // The learned stage's strongest reading, of the text or of something decoded from it.
  let best: ModelReading = { margin: Number.NEGATIVE_INFINITY, from: 0, to: 0 };
  let bestText = text;
  let bestVia: string | undefined;
  /**
   * Loads `candidate` (with `shape`, fills it), runs the rules its hints call for and the model; returns its hints.
   * A `sameText` reading (the text unmasked, or its JSON strings) is the text itself read again: a rule
   * that fired on the text counts once, and one that fires only there is the text's own.
   */
  const scan = (candidate: string, via?: string, shape?: Shape, sameText = false): Set<string> => {
    const length = loadText(candidate, shape);
    if (model) {
      const reading = readingOfLoaded(model, length);
      if (reading.margin > best.margin) {
        best = reading;
        bestText = candidate;
        bestVia = via;
      }
    }
    const present = hintsInLoaded();
    if (present.size === 0) return present;
    for (const rule of rulesFor(present)) {
      if (rule.externalOnly && !external) continue;
      const m = rule.pattern.exec(candidate);
      if (!m) continue;
      const key = `${rule.name}:${sameText ? "" : (via ?? "")}`;
      if (sameText && fired.has(key)) continue;
      // Hiding it is itself a signal (not for the JSON strings, which hide nothing; nor for a rule too
      // weak to flag alone, which the bonus must not carry over the threshold).
      const bonus = via && via !== "json" && rule.weight >= 0.5 ? 0.1 : 0;
      const weight = Math.min(0.95, rule.weight + bonus);
      if ((fired.get(key) ?? 0) >= weight) continue;
      fired.set(key, weight);
      evidence.push({ rule: rule.name, match: m[0].slice(0, 120), ...(via ? { via } : {}) });
    }
    return present;
  };

  const shape = emptyShape();
  const hints = scan(text, undefined, shape);
  const suffix = adversarialSuffix(text);
  if (suffix !== undefined) {
    fired.set("adversarial_suffix", 0.75);
    evidence.push({ rule: "adversarial_suffix", match: suffix.slice(-120) });
  }
  const invisible = shape.invisible;
  const tags = shape.tags ? [...text.matchAll(TAGS)] : [];
  if (tags.length > 0) {
    const hidden = tags.map((t) => String.fromCodePoint((t[0].codePointAt(0) as number) - 0xe0000)).join("");
    fired.set("hidden_tags", 0.8);
    evidence.push({ rule: "hidden_text", match: hidden.slice(0, 120), via: "unicode_tags" });
    scan(hidden, "unicode_tags");
  }
  if (invisible >= 3) {
    evidence.push({ rule: "invisible_characters", match: `${invisible} zero-width or bidi characters` });
    const before = fired.size;
    scan(text.replace(INVISIBLE, ""), "zero_width");
    // Hiding counts only when what was hidden is an attack: zero-width joiners and non-joiners
    // are ordinary in Persian, Indic scripts and emoji, and copied web text carries stray ones;
    // alone they added 0.4, so text that used them and a few attack words passed 0.5.
    if (fired.size > before) fired.set("invisible", 0.4);
  }
  const mixedScripts = shape.greekOrCyrillic && mixedScriptWords(text);
  if (mixedScripts) {
    scan(
      text.replace(CONFUSABLE_CHARS, (c) => CONFUSABLES[c] ?? c),
      "homoglyphs",
    );
  }
  // Words in disguise (issue 26): leetspeak, spaced-out letters, fullwidth or mathematical letters,
  // soft hyphens; read again with all of it undone at once (a word may wear two disguises).
  if (shape.leet > 0 || shape.spaced || shape.wide >= 3 || shape.softHyphen >= 2) {
    const unmasked = unmask(text, mixedScripts);
    if (unmasked !== text) scan(unmasked, "disguise", undefined, true);
  }
  // A tool result or a retrieved document that is JSON: its strings read as text of their own,
  // each after its key ("note_to_ai: ..."), one per line (escapes undone, "\n" a line again).
  if (external) {
    const strings = jsonStrings(text);
    if (strings !== undefined) scan(strings, "json", undefined, true);
  }
  for (const run of shape.base64) {
    const decoded = decodeBase64(run);
    if (decoded) scan(decoded, "base64");
    else {
      const base32 = decodeBase32(run);
      if (base32) scan(base32, "base32");
    }
  }
  for (const run of shape.hex) {
    const decoded = decodeHex(run);
    if (decoded) scan(decoded, "hex");
  }
  for (const run of shape.ascii85) {
    const decoded = decodeAscii85(run);
    if (decoded) scan(decoded, "ascii85");
  }
  // Reversed text is scanned only when a reversed keyword is there ("snoitcurtsni", "erongi", ...).
  // Or when the text says it is reversed ("decode the following reversed text").
  if (
    REVERSED_HINTS.some((hint) => hints.has(hint)) ||
    (REVERSED_NAMED_HINTS.some((hint) => hints.has(hint)) && REVERSED_NAMED.test(text))
  ) {
    scan([...text].reverse().join(""), "reversed");
  }
  // ROT13 when the text names it (the encoding is otherwise plain letters); Morse wherever a run of
  // it is; decimal character codes where seven numbers are in a row. The hints and the shape gate
  // the patterns and the character loops, which cost more than the rest on text that has neither.
  if (ROT13_HINTS.some((hint) => hints.has(hint)) && ROT13_NAMED.test(text)) scan(rot13(text), "rot13");
  if (shape.morse) {
    for (const run of morseRuns(text)) {
      const decoded = decodeMorse(run);
      if (decoded) scan(decoded, "morse");
    }
  }
  if (shape.decimal && MAY_BE_DECIMAL.test(text)) {
    for (const decoded of decimalAscii(text)) scan(decoded, "decimal");
  }

  let keep = 1;
  for (const weight of fired.values()) keep *= 1 - weight;
  const rules = 1 - keep;
  const stages = (learned?: number): InjectionStages | undefined => {
    if (!options.explain) return undefined;
    const firedRules = [...fired].map(([key, weight]) => {
      const [rule, via] = key.split(":") as [string, string];
      return { rule, weight, ...(via ? { via } : {}) };
    });
    const rulesStage = { score: Math.round(rules * 1000) / 1000, fired: firedRules };
    if (!model || learned === undefined) return { rules: rulesStage };
    const read = readingText(bestText, best);
    return {
      rules: rulesStage,
      model: {
        score: Math.round(learned * 1000) / 1000,
        margin: best.margin,
        thresholdMargin: Math.log(model.threshold / (1 - model.threshold)),
        text: read,
        whole: bestVia === undefined && read.length === normalize(bestText).length,
        ...(bestVia ? { via: bestVia } : {}),
      },
    };
  };
  if (!model) {
    const verdict: InjectionVerdict = { score: Math.round(rules * 1000) / 1000, evidence };
    const explained = stages();
    return explained ? { ...verdict, stages: explained } : verdict;
  }
  const learned = calibratedModelScore(model, best.margin);
  if (learned >= 0.5) {
    evidence.push({
      rule: "learned_model",
      match:
        `model score ${Math.round(learned * 1000) / 1000}: ${topPhrases(model, readingText(bestText, best)).join("; ")}`.slice(
          0,
          120,
        ),
      ...(bestVia ? { via: bestVia } : {}),
    });
  }
  // One score: either stage alone can call it (each is 0.5 at its own threshold), and the two
  // together are surer than either.
  // Rounded down: a score just under 0.5 must not round up to the threshold.
  const score = 1 - (1 - rules) * (1 - learned);
  const explained = stages(learned);
  return { score: Math.floor(score * 1000) / 1000, evidence, ...(explained ? { stages: explained } : {}) };
}

/** Each hint's rules, by their index in RULES. */
const RULES_BY_HINT = new Map<string, number[]>();
RULES.forEach((rule, index) => {
  for (const hint of rule.hints) {
    const list = RULES_BY_HINT.get(hint) ?? [];
    if (!list.includes(index)) list.push(index);
    RULES_BY_HINT.set(hint, list);
  }
});

/**
 * The rules one of whose hints is present, in RULES' order: looked up from the few hints a text
 * has rather than checking a hundred rules' hints against them.
 */
function rulesFor(present: Set<string>): (typeof RULES)[number][] {
  const indices: number[] = [];
  for (const hint of present) {
    for (const index of RULES_BY_HINT.get(hint) ?? []) if (!indices.includes(index)) indices.push(index);
  }
  indices.sort((a, b) => a - b);
  return indices.map((index) => RULES[index] as (typeof RULES)[number]);
}

/** The hints present in the text last loaded (text.ts), with the hints they contain. */
function hintsInLoaded(): Set<string> {
  const present = new Set<string>();
  findHints(loaded.codes, loaded.length, (found) => {
    for (const hint of IMPLIED.get(found) ?? [found]) present.add(hint);
  });
  return present;
}
