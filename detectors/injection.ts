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

import { isWhitespaceCode } from "../lib/chars.ts";
import {
  calibratedModelScore,
  type InjectionModel,
  type ModelReading,
  modelReading,
  readingText,
  topPhrases,
} from "./injection-model.ts";

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
}

interface Rule {
  name: string;
  weight: number;
  /** Lower-case words one of which must occur before the pattern runs: most text has none. */
  hints: string[];
  pattern: RegExp;
  /** Only in external content (tool results, retrieval). */
  externalOnly?: boolean;
}

const RULES: Rule[] = [
  // Instruction override.
  {
    name: "override",
    hints: ["ignore", "disregard", "forget", "skip", "override", "bypass", "abandon", "drop"],
    weight: 0.9,
    pattern:
      /\b(?:ignore|disregard|forget|skip|override|bypass|abandon|drop)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|your|the|initial|original|system)\b[^.\n]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|guardrails|context|messages?|commands?|constraints|programming)\b/i,
  },
  {
    name: "override",
    hints: ["instruction", "task", "rules", "system prompt"],
    weight: 0.8,
    pattern: /\b(?:new|updated|revised|real|actual) (?:instructions?|task|rules|system prompt)\s*[:-]/i,
  },
  {
    name: "override",
    hints: ["from now on"],
    weight: 0.7,
    pattern: /\bfrom now on\b[^.\n]{0,60}\b(?:you (?:are|will|must|should)|respond|answer|act|only)\b/i,
  },
  {
    name: "override",
    hints: ["stop", "cease"],
    weight: 0.7,
    pattern: /\b(?:stop|cease) (?:being|acting as) (?:an? )?(?:assistant|ai|helpful)/i,
  },
  // System prompt extraction.
  {
    name: "prompt_extraction",
    hints: ["prompt", "instruction", "system message", "developer"],
    weight: 0.85,
    pattern:
      /\b(?:reveal|print|show|display|output|repeat|recite|leak|tell me|give me|what (?:is|are|was|were))\b[^.\n?]{0,40}\b(?:system prompt|system message|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|(?:your|the) (?:original |initial |secret )?instructions|developer (?:message|prompt))/i,
  },
  {
    name: "prompt_extraction",
    hints: ["repeat"],
    weight: 0.8,
    pattern: /\brepeat (?:the |all )?(?:words|text|everything|lines?) (?:above|before|preceding)\b/i,
  },
  // Role-play jailbreaks.
  {
    name: "jailbreak",
    hints: ["anything now", "developer mode", "jailbreak", "god", "unrestricted", "evil"],
    weight: 0.9,
    pattern:
      /\b(?:do anything now|developer mode (?:enabled|on|activated)|jailbreak(?:ed|ing)? (?:mode|prompt)|god ?mode|unrestricted mode|evil (?:mode|assistant|confidant))\b/i,
  },
  // DAN in capitals and in context: "Dan" is also a name.
  {
    name: "jailbreak",
    hints: [
      "as dan",
      "are dan",
      "become dan",
      "enable dan",
      "activate dan",
      "in dan",
      "dan mode",
      "dan prompt",
      "dan jailbreak",
    ],
    weight: 0.9,
    pattern:
      /\b(?:you are|act as|become|enable|activate|stay in|as)\s+DAN\b|\bDAN (?:mode|prompt|jailbreak)\b/,
  },
  {
    name: "jailbreak",
    hints: ["pretend", "imagine", "act as", "act like", "acting as", "behave", "role"],
    weight: 0.75,
    pattern:
      /\b(?:pretend|imagine|act|behave|role-?play)\b[^.\n]{0,30}\b(?:you (?:are|have)|to be|as)\b[^.\n]{0,40}\b(?:no (?:rules|restrictions|limits|filters|guidelines|ethics|morals)|unfiltered|uncensored|unrestricted|without (?:any )?(?:rules|restrictions|limits|filters|ethics))/i,
  },
  {
    name: "jailbreak",
    hints: ["bound", "restricted", "limited"],
    weight: 0.7,
    pattern: /\byou are (?:no longer|not) (?:bound|restricted|limited) by\b/i,
  },
  {
    name: "jailbreak",
    hints: ["ethical", "moral", "safety", "content"],
    weight: 0.6,
    pattern:
      /\b(?:no|without) (?:ethical|moral|safety|content) (?:guidelines|restrictions|filters|constraints|policies)\b/i,
  },
  // Chat-template and delimiter tricks.
  {
    name: "delimiter",
    hints: ["<|", "[inst", "[/inst", "<<sys", "<</sys"],
    weight: 0.85,
    pattern: /<\|(?:im_start|im_end|system|endoftext|start_header_id|eot_id)\|>|\[\/?INST\]|<<\/?SYS>>/i,
  },
  {
    name: "delimiter",
    hints: ["##", "===", "---", "***"],
    weight: 0.7,
    // `^` per line and blanks within the line only: `\s*` across lines restarted at every newline (quadratic).
    pattern: /^[ \t]*(?:#{2,}|={3,}|-{3,}|\*{3,})[ \t]*(?:system|instructions?|admin|developer|new task)\b/im,
  },
  {
    name: "delimiter",
    hints: [
      "<system",
      "</system",
      "<instruction",
      "</instruction",
      "<admin",
      "</admin",
      "<im_start",
      "begin system",
      "begin admin",
      "begin developer",
      "end system",
      "end admin",
      "end developer",
    ],
    weight: 0.7,
    pattern:
      /<\/?(?:system|instructions?|admin|im_start)>|\b(?:BEGIN|END) (?:SYSTEM|ADMIN|DEVELOPER) (?:PROMPT|MESSAGE|OVERRIDE|INSTRUCTIONS?)\b/i,
  },
  {
    name: "delimiter",
    hints: ["system", "assistant"],
    weight: 0.6,
    pattern: /^[ \t]*(?:system|assistant)[ \t]*:[ \t]*(?:you|ignore|from now|new)/im,
  },
  // Other languages (instruction override).
  {
    name: "override_multilingual",
    hints: ["ignor", "olvid", "vergiss", "игнор", "забуд", "忽略", "無視", "指示", "무시", "instru"],
    weight: 0.85,
    pattern:
      /\b(?:ignora|ignore|olvida|olvide)\b.{0,30}\binstrucciones\b|\bignor(?:ez|e|er)\s+(?:les|toutes|tous|vos|tes)\b.{0,30}\b(?:instructions|consignes)\b|\bignorier(?:e|en)?\b.{0,30}\b(?:anweisungen|instruktionen|befehle)\b|\bvergiss\b.{0,30}\b(?:anweisungen|alles)\b|\bignora\b.{0,30}\b(?:istruzioni|le istruzioni)\b|\bignore\b.{0,20}\binstruções\b|(?:игнорируй|игнорировать|забудь).{0,40}(?:инструкции|указания|правила)|忽略.{0,12}(?:指令|指示|说明|提示|规则)|無視.{0,12}(?:指示|命令|ルール)|(?:前の|以前の).{0,6}指示.{0,6}無視|이전.{0,10}(?:지시|명령).{0,10}무시/i,
  },
  // Indirect: content that addresses the assistant or its answer.
  {
    name: "addresses_assistant",
    hints: ["your", "the response", "the answer", "the reply", "the output", "the summary"],
    weight: 0.65,
    externalOnly: true,
    pattern:
      /\b(?:in|into|to|within|throughout|at the (?:end|start|beginning) of) (?:(?:your|the) (?:response|answer|reply|summary)|your (?:output|message|reply text))\b/i,
  },
  {
    name: "addresses_assistant",
    hints: ["response", "answer", "reply", "output"],
    weight: 0.6,
    externalOnly: true,
    pattern: /\b(?:your|the) (?:response|answer|reply|output) (?:should|must|needs to|has to|will)\b/i,
  },
  {
    // An instruction about the reader's answer: "modify your response", "remove spaces from your reply".
    // (Plain "your reply" is common in e-mail: "looking forward to your reply"; the verb is what counts.)
    name: "addresses_assistant",
    hints: ["response", "answer", "reply", "message", "output"],
    weight: 0.65,
    externalOnly: true,
    pattern:
      /\b(?:modify|augment|enhance|provide|render|remove|add|include|integrate|convert|replace|use|introduce|misspell|scramble|jumble|rearrange|anagram|group|combine|substitute|translate|format|end|start|begin|conclude|append|prefix|structure|tailor|adjust|change|alter|insert|embed|put|make|write|reverse|encode|encrypt|capitali[sz]e|spell|sign|finish|close)\b[^.\n]{0,60}\b(?:your (?:response|answer|reply|message|output)|the (?:answer|reply))(?:'s)?\b/i,
  },
  {
    name: "addresses_assistant",
    hints: [
      "ai ",
      "ai,",
      "ai:",
      "assistant",
      "chatbot",
      "model",
      "llm",
      "bot ",
      "bot,",
      "bot:",
      "gpt",
      "claude",
    ],
    weight: 0.75,
    externalOnly: true,
    pattern:
      /\b(?:ai|assistant|chatbot|language model|llm|model|bot|gpt|claude)\b[,:]?\s+(?:please\s+)?(?:ignore|you (?:must|should|will|are)|do not|don't|always|never|stop|instead|now)\b/i,
  },
  {
    name: "addresses_assistant",
    hints: ["when you", "when the", "respond", "reply", "answer", "write"],
    weight: 0.6,
    externalOnly: true,
    pattern:
      /\bwhen (?:you|the assistant|the ai) (?:summari[sz]e|respond|reply|answer|read|process)\b|\b(?:respond|reply|answer|write) (?:only )?(?:in|using|with) (?:a |an )?(?:\w+ ){0,3}(?:language|style|emoji|format|code|cipher|base64|reverse)\b/i,
  },
  {
    name: "embedded_code",
    hints: ["code", "snippet", "block", "excerpt", "script", "section", "segment", "fragment"],
    weight: 0.6,
    externalOnly: true,
    pattern:
      /\b(?:incorporate|integrate|utili[sz]e|use|blend|embed|append|leverage|include|insert|add|absorb|enlist|inject|execute|run|apply|meld|weave|adopt|employ|ensure|implement)\b[^.\n]{0,60}\b(?:following|subsequent|below|this|given|provided)\b[^.\n]{0,20}\b(?:code|snippet|block|excerpt|script|section|segment|fragment)\b/i,
  },
  {
    // "Fuse the following code block into your solution", "Your code should embody the following code excerpt".
    name: "embedded_code",
    hints: ["code"],
    weight: 0.55,
    externalOnly: true,
    pattern:
      /\b(?:following|subsequent|below|given|provided) code (?:block|snippet|excerpt|section|segment|fragment)\b[^.\n]{0,80}\byour (?:code|codebase|implementation|solution|algorithm|response|elucidation|program|script)\b|\byour (?:code|codebase|implementation|solution|algorithm|response|program|script)\b[^.\n]{0,80}\b(?:following|subsequent|below) code (?:block|snippet|excerpt|section|segment|fragment)\b/i,
  },
  {
    name: "risky_code",
    hints: [
      "requests.",
      "urllib",
      "http.client",
      "socket.",
      "smtplib",
      "ftplib",
      "subprocess",
      "os.system",
      "os.popen",
      "exec(",
      "eval(",
      "pynput",
      "keyboard.",
      "psutil",
      "shutil.",
      "os.environ",
      "curl",
      "wget",
      "chmod",
      "/dev/sd",
      "rm -rf",
      "fernet",
    ],
    weight: 0.35,
    externalOnly: true,
    pattern:
      /\b(?:requests\.(?:post|put)|urllib\.request|http\.client|socket\.(?:socket|connect)|smtplib|ftplib|subprocess\.|os\.system|os\.popen|exec\(|eval\(|pynput|keyboard\.|psutil|shutil\.(?:move|rmtree)|os\.environ|curl\s+-|wget\s+|chmod \+x|\/dev\/sd[a-z]|rm -rf|cryptography\.fernet|Fernet\()/i,
  },
  {
    name: "persuasion_payload",
    hints: ["http", "www.", "won't believe", "weird trick", "act now", "limited time", "urgent"],
    weight: 0.45,
    externalOnly: true,
    pattern:
      /\b(?:click|visit|download|go to|check out|sign up|install|log ?in)\b[^.\n]{0,40}\b(?:https?:\/\/|www\.)\S+|\b(?:you won't believe|one weird trick|act now|limited time|urgent(?:ly)?:)/i,
  },
];

const REVERSED_HINTS = [
  "erongi",
  "dragersid",
  "tegrof",
  "snoitcurtsni",
  "tpmorp",
  "metsys",
  "ssapyb",
  "edirrevo",
  "kaerbliaj",
];

const ALL_HINTS = new RegExp(
  [...new Set([...RULES.flatMap((r) => r.hints), ...REVERSED_HINTS])]
    .sort((a, b) => b.length - a.length)
    .map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("|"),
  "g",
);

/** A found hint also means every hint inside it ("ignorez" matched as "ignore" implies "ignor"). */
const IMPLIED = new Map(
  [...new Set(RULES.flatMap((r) => r.hints))].map((hint, _, all) => [
    hint,
    all.filter((other) => hint.includes(other)),
  ]),
);

/** Zero-width and bidirectional control characters: invisible, and a common way to hide text. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
/** Unicode tag characters (U+E0000–U+E007F): invisible ASCII, used to smuggle instructions. */
const TAGS = /[\u{E0000}-\u{E007F}]/gu;

/** Look-alikes from Cyrillic and Greek mapped to the Latin letters they imitate. */
const CONFUSABLES: Record<string, string> = {
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  һ: "h",
  ӏ: "l",
  ԛ: "q",
  ԝ: "w",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  І: "I",
  α: "a",
  ο: "o",
  ρ: "p",
  ν: "v",
  ι: "i",
  κ: "k",
  τ: "t",
  υ: "u",
  Α: "A",
  Β: "B",
  Ε: "E",
  Η: "H",
  Ι: "I",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Χ: "X",
  Υ: "Y",
  Ζ: "Z",
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");

/**
 * Scores `text`; `origin` says whether it came from outside (tool, retrieval) or from a user.
 * With `model` (the learned stage, injection-model.ts), the text and everything the rules
 * decoded from it are also scored by the model, and the verdict combines both stages.
 */
export function classifyInjection(
  text: string,
  origin: Origin = "user",
  model?: InjectionModel,
): InjectionVerdict {
  const external = origin === "tool" || origin === "retrieval";
  const evidence: InjectionEvidence[] = [];
  const fired = new Map<string, number>();
  /** What the model reads: the text, and each thing decoded from it. */
  const variants: [string, string | undefined][] = [];
  const scan = (candidate: string, via?: string, present = hintsIn(candidate)) => {
    if (via !== undefined) variants.push([candidate, via]);
    if (present.size === 0) return;
    for (const rule of RULES) {
      if (rule.externalOnly && !external) continue;
      if (!rule.hints.some((hint) => present.has(hint))) continue;
      const m = rule.pattern.exec(candidate);
      if (!m) continue;
      const key = `${rule.name}:${via ?? ""}`;
      const weight = via ? Math.min(0.95, rule.weight + 0.1) : rule.weight; // hiding it is itself a signal
      if ((fired.get(key) ?? 0) >= weight) continue;
      fired.set(key, weight);
      evidence.push({ rule: rule.name, match: m[0].slice(0, 120), ...(via ? { via } : {}) });
    }
  };

  const hints = hintsIn(text);
  variants.push([text, undefined]);
  scan(text, undefined, hints);
  const shape = inspect(text);
  const invisible = shape.invisible;
  const tags = shape.tags ? [...text.matchAll(TAGS)] : [];
  if (tags.length > 0) {
    const hidden = tags.map((t) => String.fromCodePoint((t[0].codePointAt(0) as number) - 0xe0000)).join("");
    fired.set("hidden_tags", 0.8);
    evidence.push({ rule: "hidden_text", match: hidden.slice(0, 120), via: "unicode_tags" });
    scan(hidden, "unicode_tags");
  }
  if (invisible >= 3) {
    fired.set("invisible", 0.4);
    evidence.push({ rule: "invisible_characters", match: `${invisible} zero-width or bidi characters` });
    scan(text.replace(INVISIBLE, ""), "zero_width");
  }
  if (shape.greekOrCyrillic && mixedScriptWords(text)) {
    scan(
      text.replace(CONFUSABLE_CHARS, (c) => CONFUSABLES[c] ?? c),
      "homoglyphs",
    );
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
  // Reversed text is scanned only when a reversed keyword is there ("snoitcurtsni", "erongi", ...).
  if (REVERSED_HINTS.some((hint) => hints.has(hint))) scan([...text].reverse().join(""), "reversed");
  // ROT13 when the text names it (the encoding is otherwise plain letters); Morse wherever a run of it is.
  if (ROT13_NAMED.test(text)) scan(rot13(text), "rot13");
  // Gated by a native pattern: the character loops cost more than the rest of the rules on text
  // that has neither.
  if (MAY_BE_MORSE.test(text)) {
    for (const run of morseRuns(text)) {
      const decoded = decodeMorse(run);
      if (decoded) scan(decoded, "morse");
    }
  }
  if (MAY_BE_DECIMAL.test(text)) for (const decoded of decimalAscii(text)) scan(decoded, "decimal");

  let keep = 1;
  for (const weight of fired.values()) keep *= 1 - weight;
  const rules = 1 - keep;
  if (!model) return { score: Math.round(rules * 1000) / 1000, evidence };
  // The learned stage on the text and on what was decoded from it, each whole and in windows:
  // its strongest reading.
  let best: ModelReading = { margin: Number.NEGATIVE_INFINITY, from: 0, to: 0 };
  let bestText = text;
  let bestVia: string | undefined;
  for (const [candidate, via] of variants) {
    const reading = modelReading(model, candidate);
    if (reading.margin > best.margin) {
      best = reading;
      bestText = candidate;
      bestVia = via;
    }
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
  return { score: Math.floor(score * 1000) / 1000, evidence };
}

/** The hints present in `candidate` (one regular-expression pass), with the hints they contain. */
function hintsIn(candidate: string): Set<string> {
  const present = new Set<string>();
  for (const found of candidate.toLowerCase().match(ALL_HINTS) ?? []) {
    for (const hint of IMPLIED.get(found) ?? [found]) present.add(hint);
  }
  return present;
}

interface Shape {
  /** Runs of 24+ base64 characters, and of 24+ hex digits with optional separators. */
  base64: string[];
  hex: string[];
  invisible: number;
  tags: boolean;
  greekOrCyrillic: boolean;
}

/** One pass over the character codes for everything that hides text (regular expressions would restart inside every word). */
function inspect(text: string): Shape {
  const shape: Shape = { base64: [], hex: [], invisible: 0, tags: false, greekOrCyrillic: false };
  let b64Start = -1;
  let hexStart = -1;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    const alnum = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (alnum || c === 43 || c === 47 || c === 61) {
      if (b64Start < 0) b64Start = i;
    } else if (b64Start >= 0) {
      if (i - b64Start >= 24) shape.base64.push(text.slice(b64Start, i));
      b64Start = -1;
    }
    const hexDigit = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (hexDigit || ((c === 32 || c === 58) && hexStart >= 0)) {
      if (hexStart < 0) hexStart = i;
    } else if (hexStart >= 0) {
      if (i - hexStart >= 24) shape.hex.push(text.slice(hexStart, i));
      hexStart = -1;
    }
    if (c < 0x370) continue;
    if (
      (c >= 0x200b && c <= 0x200f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x2064) ||
      c === 0xfeff
    ) {
      shape.invisible += 1;
    } else if (c === 0xdb40) {
      shape.tags = true; // high surrogate of U+E0000-U+E007F
    } else if (c <= 0x4ff) {
      shape.greekOrCyrillic = true;
    }
  }
  return shape;
}

/**
 * A word (a run of 3+ non-space characters) mixing Latin letters with Cyrillic or Greek
 * look-alikes. One pass over the characters: the look-ahead regex this replaces restarted at every
 * character of a long word, quadratic in its length.
 */
export function mixedScriptWords(text: string): boolean {
  let length = 0;
  let latin = false;
  let other = false;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (isWhitespaceCode(c)) {
      if (length >= 3 && latin && other) return true;
      length = 0;
      latin = false;
      other = false;
      continue;
    }
    length += 1;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) latin = true;
    else if (c >= 0x370 && c <= 0x4ff) other = true;
  }
  return false;
}

const ROT13_NAMED = /\brot[- ]?13\b|\bcaesar\b/i;
/** A run of 24 dots, dashes, slashes and spaces (morseRuns asks for 24). */
const MAY_BE_MORSE = /[./ -]{24}/;
/** Eight numbers in a row (decimalAscii asks for eight codes). */
const MAY_BE_DECIMAL = /(?:\d{2,3}[ ,]+){7}\d{2,3}/;

function rot13(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) out += String.fromCharCode(((c - 65 + 13) % 26) + 65);
    else if (c >= 97 && c <= 122) out += String.fromCharCode(((c - 97 + 13) % 26) + 97);
    else out += text[i];
  }
  return out;
}

const MORSE: Record<string, string> = {
  ".-": "a",
  "-...": "b",
  "-.-.": "c",
  "-..": "d",
  ".": "e",
  "..-.": "f",
  "--.": "g",
  "....": "h",
  "..": "i",
  ".---": "j",
  "-.-": "k",
  ".-..": "l",
  "--": "m",
  "-.": "n",
  "---": "o",
  ".--.": "p",
  "--.-": "q",
  ".-.": "r",
  "...": "s",
  "-": "t",
  "..-": "u",
  "...-": "v",
  ".--": "w",
  "-..-": "x",
  "-.--": "y",
  "--..": "z",
  "-----": "0",
  ".----": "1",
  "..---": "2",
  "...--": "3",
  "....-": "4",
  ".....": "5",
  "-....": "6",
  "--...": "7",
  "---..": "8",
  "----.": "9",
};

/** Runs of at least 24 characters made only of dots, dashes, slashes and spaces: Morse, perhaps. One pass. */
function morseRuns(text: string): string[] {
  const runs: string[] = [];
  let start = -1;
  let marks = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const morse = c === 46 || c === 45 || c === 47 || c === 32;
    if (morse) {
      if (start < 0) {
        start = i;
        marks = 0;
      }
      if (c === 46 || c === 45) marks += 1;
    } else if (start >= 0) {
      if (i - start >= 24 && marks >= 12) runs.push(text.slice(start, i));
      start = -1;
    }
  }
  return runs;
}

/** Morse (letters split by spaces, words by slashes) as text, when most of it decodes. */
function decodeMorse(run: string): string | undefined {
  const words = run.trim().split("/");
  let known = 0;
  let total = 0;
  const text = words
    .map((word) =>
      word
        .trim()
        .split(/ +/)
        .map((letter) => {
          total += 1;
          const decoded = MORSE[letter];
          if (decoded) known += 1;
          return decoded ?? "";
        })
        .join(""),
    )
    .join(" ");
  return total > 0 && known / total > 0.9 && printable(text) ? text : undefined;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (upper case, optional padding), when it decodes to readable text. */
function decodeBase32(candidate: string): string | undefined {
  // Padding stripped by hand: /=+$/ retries from every "=" of a long run of them (quadratic).
  let end = candidate.length;
  while (end > 0 && candidate.charCodeAt(end - 1) === 61) end -= 1;
  const body = candidate.slice(0, end);
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of body) {
    const digit = BASE32.indexOf(ch);
    if (digit < 0) return undefined;
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const decoded = Buffer.from(bytes).toString("utf8");
  return printable(decoded) ? decoded : undefined;
}

/** Runs of at least 8 decimal character codes (32-126) split by spaces or commas, as text. One pass. */
function decimalAscii(text: string): string[] {
  const found: string[] = [];
  let chars = "";
  let number = -1;
  // Mostly letters and spaces, as text is: a table of numbers in 32-126 decodes to symbol soup.
  const flush = () => {
    if (chars.length >= 8 && printable(chars) && (chars.match(/[a-z ]/gi)?.length ?? 0) >= 0.8 * chars.length)
      found.push(chars);
    chars = "";
  };
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c >= 48 && c <= 57) {
      number = number < 0 ? c - 48 : number * 10 + (c - 48);
      if (number > 999) number = 1000; // not a character code; capped so it cannot grow
      continue;
    }
    if (number >= 0) {
      if (number >= 32 && number <= 126) chars += String.fromCharCode(number);
      else flush();
      number = -1;
    }
    if (c !== 32 && c !== 44) flush();
  }
  return found;
}

function decodeBase64(candidate: string): string | undefined {
  const decoded = Buffer.from(candidate, "base64").toString("utf8");
  return printable(decoded) ? decoded : undefined;
}

function decodeHex(candidate: string): string | undefined {
  const digits = candidate.replace(/[\s:]/g, "");
  if (digits.length < 24) return undefined;
  const decoded = Buffer.from(digits, "hex").toString("utf8");
  return printable(decoded) ? decoded : undefined;
}

/** Mostly printable text with some letters and spaces: something a model would read. */
function printable(text: string): boolean {
  if (text.length < 8) return false;
  let good = 0;
  for (const ch of text) if (/[\p{L}\p{N}\p{P}\s]/u.test(ch)) good += 1;
  return good / text.length > 0.9 && /\s/.test(text) && /\p{L}{3}/u.test(text);
}
