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
import { adversarialSuffix } from "./adversarial-suffix.ts";
import {
  calibratedModelScore,
  type InjectionModel,
  type ModelReading,
  readingOfLoaded,
  readingText,
  topPhrases,
} from "./injection-model.ts";
import { emptyShape, loaded, loadText, type Shape } from "./injection-text.ts";

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
  // Instruction override ("disregard the typo in my last message", "ignore the error message" are not one).
  {
    name: "override",
    hints: ["ignore", "disregard", "forget", "skip", "override", "bypass", "abandon", "drop"],
    weight: 0.9,
    pattern:
      /\b(?:ignore|disregard|forget|skip|override|bypass|abandon|drop)\b(?![^.\n]{0,40}\b(?:typos?|mistakes?|misspellings?|spelling)\b)[^.\n]{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|your|the|initial|original|system)\b[^.\n]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|guardrails|context|(?<!\b(?:error|warning|exception|log|status|commit|spam|e-?mail|text|chat|notification)\s)messages?|commands?|constraints|programming)\b/i,
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
      /\b(?:reveal|print|show|display|output|repeat|recite|leak|tell me|give me|what (?:is|are|was|were))\b[^.\n?]{0,40}\b(?:system prompt|system message|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|(?:your|the) (?:original |initial |secret )?instructions(?!\s+(?:for|on|about)\s+(?!(?:this|the|our|these)\s+(?:conversation|chat|session|prompt)\b)(?:the\s+|a\s+|an\s+|my\s+)?[a-z])|developer (?:message|prompt))/i,
  },
  // The same asked in code: console.log(systemPrompt), print(self.system_prompt).
  {
    name: "prompt_extraction",
    hints: ["prompt", "instruction"],
    weight: 0.8,
    pattern:
      /\b(?:console\.log|print(?:ln|f)?|echo|puts|alert|System\.out\.println|dump|repr|str)\s*\(\s*(?:[\w$]+\.)?(?:system_?prompt|system_?instructions?|initial_?prompt|hidden_?prompt|developer_?prompt|(?:your|the)_?instructions)\b/i,
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
      /\b(?:do anything now|developer mode (?:enabled|activated|on\b(?!\s+(?:my|your|the|a|an|this|his|her|our)\b))|jailbreak(?:ed|ing)? (?:mode|prompt)|god ?mode|unrestricted mode|evil (?:mode|assistant|confidant))\b/i,
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
  // "Ignore the above" in Chinese, Japanese, Korean, Bengali and Hindi.
  {
    name: "override_multilingual",
    hints: ["忽略", "無視", "무시", "উপেক্ষা", "अनदेखा", "नज़रअंदाज़", "नजरअंदाज"],
    weight: 0.85,
    pattern:
      /위의?.{0,10}무시|(?:上面|以上|之前|上述).{0,6}忽略|忽略.{0,6}(?:上面|以上|之前|上述)|上記.{0,10}無視|উপরের.{0,30}উপেক্ষা|উপেক্ষা.{0,30}(?:নির্দেশ|উপরের)|ऊपर.{0,30}(?:अनदेखा|नज़रअंदाज़|नजरअंदाज)|(?:अनदेखा|नज़रअंदाज़|नजरअंदाज).{0,30}(?:निर्देश|ऊपर)/,
  },
  // ...and in Vietnamese, Indonesian, Turkish and Tagalog.
  {
    name: "override_multilingual",
    hints: ["bỏ qua", "abaikan", "yok say", "görmezden", "huwag"],
    weight: 0.85,
    pattern:
      /\bbỏ qua\b.{0,30}(?:hướng dẫn|chỉ dẫn|ở trên|trước đó)|\babaikan\b.{0,30}(?:instruksi|petunjuk|di atas|sebelumnya)|(?:yukarıdaki|önceki|talimatları).{0,30}(?:yok say|görmezden gel)|\bhuwag (?:pansinin|intindihin)\b.{0,30}(?:tagubilin|itaas|nauna)/i,
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
    // Content that turns to the assistant reading it ("Note to the AI:", "Dear assistant,", "If
    // you are an AI model", "AI assistant reading this:"): an instruction addressed to the
    // assistant inside content is the attack, whatever it then asks (issue 21). A speaker label
    // of a transcript ("Assistant:" at a line's start) is no address: the forms need a greeting
    // or a "note to" ending in a colon or comma ("Note to the AI:", not "note to the AI team"), an
    // "if you are", or the assistant named as the reader.
    name: "addresses_assistant",
    hints: [
      "assistant",
      "chatbot",
      "llm",
      "language model",
      "agent",
      "copilot",
      "summari",
      "model",
      "ai ",
      "ai,",
      "ai:",
      "ai.",
      "a.i",
      "bot",
    ],
    weight: 0.8,
    externalOnly: true,
    pattern:
      /\b(?:dear|hey|hi|hello|attention|note (?:to|for)|message (?:to|for)|(?:important |special |additional |hidden )?instructions? (?:to|for)|important (?:note )?(?:to|for))\s+(?:the |any |an? |all |you,? )?(?:ai|a\.i\.|assistants?|chatbots?|llms?|language models?|ai models?|ai agents?|agents?|copilots?|summari[sz]ers?|models?|bots?)(?=\s*[:,!\-–—])|\bif you are (?:an? |the )?(?:ai|a\.i\.|assistant|chatbot|llm|large language model|language model|ai model|ai agent|model|bot)\b|\b(?:ai|assistant|llm|agent|summari[sz]er|chatbot|model|bot)s? (?:that is |who is |currently )?(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|handling|reviewing|ingesting) (?:this|these|the following|it)\b/i,
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

/** ROT13_NAMED's words: they gate it (hints are found anyway, a pattern is one more pass). */
const ROT13_HINTS = ["rot13", "rot-13", "rot 13", "caesar"];

/** Words that say a text is written backwards (REVERSED_NAMED), gating that pattern. */
const REVERSED_NAMED_HINTS = ["reversed", "backwards", "in reverse"];
const REVERSED_NAMED = /\b(?:reversed|backwards|in reverse)\b/i;

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

/** Every hint, longest first (where two start at the same place, the longer one is the match). */
export const ALL_HINTS = [
  ...new Set([...RULES.flatMap((r) => r.hints), ...REVERSED_HINTS, ...ROT13_HINTS, ...REVERSED_NAMED_HINTS]),
].sort((a, b) => b.length - a.length);

/**
 * The hints as a trie: the first two code units of a text position lead to the node of the hints
 * that start with them (ASCII pairs through a table, others through a map), and from there one
 * step per further character, each node's few children in flat arrays. Finding the hints is then
 * one look-up per character of the text and a step or two more where a hint could start (one
 * alternation of 150 literals, tried by the regular-expression engine at every position, was a
 * fifth of the classifier's time; a list of candidates per pair, compared one by one, a sixth).
 */
const HINT_TRIE = (() => {
  const children: Map<number, number>[] = [new Map()];
  const terminal: (string | undefined)[] = [undefined];
  const pairs = new Uint16Array(128 * 128);
  const otherPairs = new Map<number, number>();
  const node = () => {
    children.push(new Map());
    terminal.push(undefined);
    return children.length - 1;
  };
  for (const hint of ALL_HINTS) {
    const first = hint.charCodeAt(0);
    const second = hint.charCodeAt(1);
    let at: number;
    if (first < 128 && second < 128) {
      at = pairs[first * 128 + second] as number;
      if (at === 0) {
        at = node();
        pairs[first * 128 + second] = at;
      }
    } else {
      at = otherPairs.get(first * 65536 + second) ?? node();
      otherPairs.set(first * 65536 + second, at);
    }
    for (let j = 2; j < hint.length; j += 1) {
      const code = hint.charCodeAt(j);
      let next = children[at]?.get(code);
      if (next === undefined) {
        next = node();
        children[at]?.set(code, next);
      }
      at = next;
    }
    terminal[at] = hint;
  }
  // Flattened: node n's children are codes[start[n], start[n] + count[n]) and their nodes.
  const start = new Int32Array(children.length);
  const count = new Int32Array(children.length);
  const codes: number[] = [];
  const nodes: number[] = [];
  children.forEach((map, n) => {
    start[n] = codes.length;
    count[n] = map.size;
    for (const [code, next] of map) {
      codes.push(code);
      nodes.push(next);
    }
  });
  return {
    pairs,
    otherPairs,
    start,
    count,
    codes: Int32Array.from(codes),
    nodes: Int32Array.from(nodes),
    terminal,
  };
})();

/**
 * The hints in `codes[0, length)` (a lower-cased text) as a global alternation of them, longest
 * first, would find them in it: the leftmost, the longest there, the search going on after each
 * one found (so they never overlap).
 */
export function findHints(codes: Uint16Array, length: number, found: (hint: string) => void): void {
  const { pairs, otherPairs, start, count, codes: childCodes, nodes, terminal } = HINT_TRIE;
  const end = length - 1;
  let i = 0;
  while (i < end) {
    const first = codes[i] as number;
    const second = codes[i + 1] as number;
    let at: number;
    if (first < 128 && second < 128) {
      at = pairs[first * 128 + second] as number;
      if (at === 0) {
        i += 1;
        continue;
      }
    } else {
      at = otherPairs.get(first * 65536 + second) ?? 0;
      if (at === 0) {
        i += 1;
        continue;
      }
    }
    let longest = terminal[at];
    for (let j = i + 2; j < length; j += 1) {
      const code = codes[j] as number;
      const from = start[at] as number;
      const to = from + (count[at] as number);
      let next = 0;
      for (let k = from; k < to; k += 1) {
        if (childCodes[k] === code) {
          next = nodes[k] as number;
          break;
        }
      }
      if (next === 0) break;
      at = next;
      const hint = terminal[at];
      if (hint !== undefined) longest = hint;
    }
    if (longest !== undefined) {
      found(longest);
      i += longest.length;
    } else i += 1;
  }
}

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
  // The learned stage's strongest reading, of the text or of something decoded from it.
  let best: ModelReading = { margin: Number.NEGATIVE_INFINITY, from: 0, to: 0 };
  let bestText = text;
  let bestVia: string | undefined;
  /** Loads `candidate` (with `shape`, fills it), runs the rules its hints call for and the model; returns its hints. */
  const scan = (candidate: string, via?: string, shape?: Shape): Set<string> => {
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
  if (!model) return { score: Math.round(rules * 1000) / 1000, evidence };
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

/** The hints present in the text last loaded (injection-text.ts), with the hints they contain. */
function hintsInLoaded(): Set<string> {
  const present = new Set<string>();
  findHints(loaded.codes, loaded.length, (found) => {
    for (const hint of IMPLIED.get(found) ?? [found]) present.add(hint);
  });
  return present;
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

/**
 * Ascii85 (btoa, Adobe's "<~ ~>" form, Python's a85encode): each group of five characters from
 * "!" to "u" is four bytes in base 85, "z" four zero bytes, a last group of n characters n - 1
 * bytes. Undefined when it is not valid Ascii85 or not printable text.
 */
export function decodeAscii85(candidate: string): string | undefined {
  let from = candidate.startsWith("<~") ? 2 : 0;
  const to = candidate.endsWith("~>") ? candidate.length - 2 : candidate.length;
  if (to - from < 10) return undefined;
  const bytes = new Uint8Array(4 * (to - from)); // at most four per character ("z")
  let length = 0;
  let group = 0;
  let count = 0;
  for (; from < to; from += 1) {
    const c = candidate.charCodeAt(from);
    if (c === 122 && count === 0) {
      length += 4; // four zero bytes (already zero)
      continue;
    }
    if (c < 33 || c > 117) return undefined;
    group = group * 85 + (c - 33);
    count += 1;
    if (count === 5) {
      if (group > 0xffffffff) return undefined;
      bytes[length++] = group >>> 24;
      bytes[length++] = (group >>> 16) & 0xff;
      bytes[length++] = (group >>> 8) & 0xff;
      bytes[length++] = group & 0xff;
      group = 0;
      count = 0;
    }
  }
  if (count === 1) return undefined;
  if (count > 1) {
    for (let k = count; k < 5; k += 1) group = group * 85 + 84; // padded with "u"
    if (group > 0xffffffff) return undefined;
    const tail = [group >>> 24, (group >>> 16) & 0xff, (group >>> 8) & 0xff, group & 0xff];
    for (let k = 0; k < count - 1; k += 1) bytes[length++] = tail[k] as number;
  }
  const decoded = Buffer.from(bytes.buffer, 0, length).toString("utf8");
  return printable(decoded) ? decoded : undefined;
}

function decodeHex(candidate: string): string | undefined {
  const digits = candidate.replace(/[\s:]/g, "");
  if (digits.length < 24) return undefined;
  const decoded = Buffer.from(digits, "hex").toString("utf8");
  return printable(decoded) ? decoded : undefined;
}

const PRINTABLE = /[\p{L}\p{N}\p{P}\s]/u;

/** Mostly printable text with some letters and spaces: something a model would read. */
function printable(text: string): boolean {
  if (text.length < 8) return false;
  // Stops at the first tenth that is not (junk from a run that was not an encoding: most runs).
  const allowed = text.length * 0.1;
  let bad = 0;
  for (const ch of text) {
    if (!PRINTABLE.test(ch)) {
      bad += 1;
      if (bad >= allowed) return false;
    }
  }
  return /\s/.test(text) && /\p{L}{3}/u.test(text);
}
