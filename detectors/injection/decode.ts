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
