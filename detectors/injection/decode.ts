/**
 * What hidden text decodes to, for the classifier to read it again (classify.ts): invisible and
 * tag characters, homoglyphs, ROT13, Morse, base32/base64/hex/ascii85 runs and decimal codes.
 * Each decoder is one pass over its input and returns nothing unless most of it decodes to
 * printable text.
 */

import { isWhitespaceCode } from "../../lib/chars.ts";

/** Zero-width and bidirectional control characters: invisible, and a common way to hide text. */
export const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
/** Unicode tag characters (U+E0000–U+E007F): invisible ASCII, used to smuggle instructions. */
export const TAGS = /[\u{E0000}-\u{E007F}]/gu;

/** Look-alikes from Cyrillic and Greek mapped to the Latin letters they imitate. */
export const CONFUSABLES: Record<string, string> = {
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
export const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");

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

export const ROT13_NAMED = /\brot[- ]?13\b|\bcaesar\b/i;
/** Eight numbers in a row (decimalAscii asks for eight codes). */
export const MAY_BE_DECIMAL = /(?:\d{2,3}[ ,]+){7}\d{2,3}/;

export function rot13(text: string): string {
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
export function morseRuns(text: string): string[] {
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
export function decodeMorse(run: string): string | undefined {
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
export function decodeBase32(candidate: string): string | undefined {
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
export function decimalAscii(text: string): string[] {
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

export function decodeBase64(candidate: string): string | undefined {
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

export function decodeHex(candidate: string): string | undefined {
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

/**
 * Characters that vanish inside a word: zero-width and bidirectional controls, soft hyphens, the
 * combining grapheme joiner and the Mongolian vowel separator.
 */
const VANISHING = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]|\u034F/g;
/** Fullwidth letters and digits, circled letters and mathematical alphanumerics (U+1D400-U+1D7FF). */
const WIDE = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\u24B6-\u24E9]|\uD835[\uDC00-\uDFFF]/g;

/** Digits and symbols written for letters; "1" is "i" unless only "l" makes a word (LEXICON). */
const LEET: Record<string, string> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
  "!": "i",
  "|": "l",
};

/**
 * The words the rules read, the little words between them, and what attacks ask for. A word in
 * disguise is read as letters only when that makes one of these ("1gn0r3" "ignore", "pr3v10u5"
 * "previous"; a gamer's "l33th4x0r", "log4j" or "S U M M E R" stay as they are, so an ordinary text
 * is read as written); a text whose letters were all spaced out ("I g n o r e a l l p r e v i o u s")
 * has lost its word breaks, and is cut back into these words (the longest first).
 */
const LEXICON = new Set(
  `ignore disregard forget skip override bypass abandon drop previous prior above earlier preceding all any
  your the initial original system instructions instruction prompt prompts rules rule directions guidelines
  guidance guardrails context messages message commands constraints programming new updated revised real
  actual task from now on you are will must should respond answer act only stop cease being acting as an
  assistant ai helpful reveal print show display output repeat recite leak tell me give what is was were
  hidden secret developer mode enabled activated do anything jailbreak jailbroken god unrestricted evil dan
  pretend imagine behave roleplay role play to be have no restrictions restriction limits filters filter
  ethics morals unfiltered uncensored without not bound restricted limited by ethical moral safety content
  policies policy and or then admin administrator password passwords key keys api secrets secret credentials
  send forward email conversation chat history user data please it in of for with this that these everything
  words text lines before start starting say said write reply response pwned hacked am my we our can could
  would if at end first last here there free freely yourself follow obey comply access granted confidential
  internal configuration given told set aside up into also still well skills below following fully
  unlimited censored hack hacking hacker malware virus exploit exploits bomb weapon weapons illegal drugs
  steal phishing ransomware keylogger kill poison explosive explosives dangerous harmful unlock sudo root
  token tokens execute run code command shell script delete files database credit card cards bank account
  accounts login url link image markdown click visit`
    .split(/\s+/)
    .filter((word) => word.length >= 2),
);
const LONGEST_WORD = Math.max(...[...LEXICON].map((word) => word.length));

const isUnitCode = (c: number) =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 64 ||
  c === 36 ||
  c === 33 ||
  c === 124;
/** Space, dot, hyphen, underscore, star: what splits the letters of a spaced-out word. */
const isLetterSeparator = (c: number) => c === 32 || c === 46 || c === 45 || c === 95 || c === 42;

/**
 * A word's leetspeak read as letters ("1gn0r3" "ignore", "@ll" "all", "ru1es" "rules": "1" is "l"
 * where only that makes a word), when it is made only of letters and look-alikes, has both, and
 * reads as a LEXICON word; otherwise undefined.
 */
function deleetWord(word: string): string | undefined {
  let letters = 0;
  let lookalikes = 0;
  for (let i = 0; i < word.length; i += 1) {
    const c = word.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) letters += 1;
    else if (LEET[word[i] as string] !== undefined) lookalikes += 1;
    else return undefined;
  }
  if (letters === 0 || lookalikes === 0 || word.length > LONGEST_WORD) return undefined;
  let asI = "";
  for (const ch of word) asI += LEET[ch] ?? ch;
  if (LEXICON.has(asI.toLowerCase())) return asI;
  if (!word.includes("1")) return undefined;
  let asL = "";
  for (const ch of word) asL += ch === "1" ? "l" : (LEET[ch] ?? ch);
  return LEXICON.has(asL.toLowerCase()) ? asL : undefined;
}

/** Leading and trailing punctuation of a word, found by hand (a pattern anchored at the end retries from each character). */
function deleetToken(token: string): string {
  let from = 0;
  while (from < token.length && `"'([{<`.includes(token[from] as string)) from += 1;
  let to = token.length;
  while (to > from && `.,;:?!)]}>"'`.includes(token[to - 1] as string)) to -= 1;
  if (to - from < 2) return token;
  const core = deleetWord(token.slice(from, to));
  return core === undefined ? token : token.slice(0, from) + core + token.slice(to);
}

/**
 * Letters that lost their word breaks, cut into the LEXICON's words, longest first (what is not one
 * stays together); undefined unless those words cover most of the letters.
 */
function segment(letters: string): string | undefined {
  const lower = letters.toLowerCase();
  const words: string[] = [];
  let pending = "";
  let covered = 0;
  let i = 0;
  while (i < lower.length) {
    let found = 0;
    for (let length = Math.min(LONGEST_WORD, lower.length - i); length >= 2; length -= 1) {
      if (LEXICON.has(lower.slice(i, i + length))) {
        found = length;
        break;
      }
    }
    if (found === 0) {
      pending += letters[i];
      i += 1;
      continue;
    }
    if (pending) words.push(pending);
    pending = "";
    words.push(letters.slice(i, i + found));
    covered += found;
    i += found;
  }
  if (pending) words.push(pending);
  return covered >= 0.7 * letters.length ? words.join(" ") : undefined;
}

/** A spaced-out word's letters as a word, when they make LEXICON words (leetspeak read too); else undefined. */
function joinedWord(units: string, separator: number): string | undefined {
  if (LEXICON.has(units.toLowerCase())) return units;
  const word = deleetWord(units);
  if (word !== undefined) return word;
  if (separator !== 32 || units.length < 8) return undefined;
  let letters = "";
  for (const ch of units) letters += LEET[ch] ?? ch;
  return segment(letters);
}

/**
 * Spaced-out words put back together: two or more one-character units (letters, digits, leetspeak
 * symbols) split by the same space, dot, hyphen, underscore or star ("i g n o r e", "i.g.n.o.r.e",
 * "1-g-n-0-r-3"); a run split by single spaces that may have lost its word breaks too is cut into
 * words (segment). One pass; each character is looked at a bounded number of times.
 */
function collapseSpaced(text: string): string {
  let out = "";
  let i = 0;
  const n = text.length;
  const single = (at: number) =>
    at < n && isUnitCode(text.charCodeAt(at)) && (at + 1 >= n || !isUnitCode(text.charCodeAt(at + 1)));
  while (i < n) {
    if (single(i) && (i === 0 || !isUnitCode(text.charCodeAt(i - 1))) && i + 2 < n) {
      const separator = text.charCodeAt(i + 1);
      if (isLetterSeparator(separator) && single(i + 2)) {
        let letters = text[i] as string;
        let j = i;
        while (j + 2 < n && text.charCodeAt(j + 1) === separator && single(j + 2)) {
          letters += text[j + 2];
          j += 2;
        }
        const word = joinedWord(letters, separator);
        if (word !== undefined) {
          out += word;
          i = j + 1;
          continue;
        }
        out += text.slice(i, j + 1);
        i = j + 1;
        continue;
      }
    }
    out += text[i];
    i += 1;
  }
  return out;
}

/**
 * What a text says once the ways of hiding its words are undone: characters that vanish removed,
 * fullwidth, circled and mathematical letters made plain, Cyrillic and Greek look-alikes made Latin
 * (`homoglyphs`, where words mix scripts), spaced-out letters joined, leetspeak read as letters.
 * Linear in the text's length; classify.ts reads it only when the text's shape (text.ts) shows one
 * of these.
 */
export function unmask(text: string, homoglyphs: boolean): string {
  let out = text.replace(VANISHING, "");
  out = out.replace(WIDE, (c) => c.normalize("NFKC"));
  if (homoglyphs) out = out.replace(CONFUSABLE_CHARS, (c) => CONFUSABLES[c] ?? c);
  out = collapseSpaced(out);
  return out.replace(/[^\s]+/g, deleetToken);
}
