/**
 * One pass over a text for both injection stages (rules.ts, model.ts's
 * learned stage): its character codes lower-cased, with each run of whitespace folded to one
 * space, which the hint search and the model read; and for the text itself (not what was decoded
 * from it) its shape, what hides text in it. Reading a 1 KiB text once instead of four times
 * (lower-casing, hints, shape, the model's copy) was a third of the classifier's time.
 */

import { isWhitespaceCode } from "../../lib/chars.ts";

/** The last loaded text: `codes[0, length)`. Overwritten by the next loadText; read it before. */
export const loaded = { codes: new Uint16Array(4096), length: 0 };

/** What hides text in a text (classify.ts decodes and scans each). */
export interface Shape {
  /** Runs of 24+ base64 characters, and of 24+ hex digits with optional spaces or colons. */
  base64: string[];
  hex: string[];
  /** Runs of 24+ Ascii85 characters ("!" to "u", and "z"), with or without its "<~" "~>". */
  ascii85: string[];
  /** Zero-width and bidirectional control characters. */
  invisible: number;
  /** Unicode tag characters (invisible ASCII). */
  tags: boolean;
  greekOrCyrillic: boolean;
  /** A run of 24 dots, dashes, slashes and spaces (Morse may be there). */
  morse: boolean;
  /**
   * Seven numbers of two or three digits in a row, each followed by spaces or commas (the start of
   * the eight decimal character codes classify.ts decodes; a cheap gate for its pattern).
   */
  decimal: boolean;
  /**
   * Runs of letters and look-alike digits (20 at most, not only hex digits) that switch between
   * the two at least twice ("1gn0r3", "pr3v10us", "p4ssw0rd"): leetspeak, perhaps (decode.ts's
   * unmask reads it as letters).
   */
  leet: number;
  /** Three one-character units in a row, two of them letters, split by the same space, dot, hyphen, underscore or star ("i g n", "i.g.n"; not "1.2.3"). */
  spaced: boolean;
  /** Fullwidth letters and digits, mathematical alphanumerics, circled letters: letters in disguise. */
  wide: number;
  /** Soft hyphens and other characters that vanish inside a word (U+00AD, U+034F, U+180E). */
  softHyphen: number;
}

export function emptyShape(): Shape {
  return {
    base64: [],
    hex: [],
    ascii85: [],
    invisible: 0,
    tags: false,
    greekOrCyrillic: false,
    morse: false,
    decimal: false,
    leet: 0,
    spaced: false,
    wide: 0,
    softHyphen: 0,
  };
}

/**
 * Each UTF-16 code lower-cased on its own (what toLowerCase gives for it when that is one code;
 * the code itself otherwise, as for "İ", whose lower case is two): the same for a character
 * wherever it stands, so a hint or a feature never depends on its neighbours.
 */
const LOWER = new Uint16Array(65536);
for (let c = 0; c < 65536; c += 1) {
  const lower = c >= 0xd800 && c <= 0xdfff ? "" : String.fromCharCode(c).toLowerCase();
  LOWER[c] = lower.length === 1 ? lower.charCodeAt(0) : c;
}

/** ASCII character classes for the shape pass. */
const WHITESPACE = 1;
const BASE64 = 2;
const HEX = 4;
const HEX_SEPARATOR = 8;
const MORSE = 16;
const DIGIT = 32;
const NUMBER_SEPARATOR = 64;
const ASCII85 = 128;
/** "!" to "z": Ascii85's characters and the lower-cased "v" to "y" that may have been "V" to "Y". */
const MAY_BE_ASCII85 = 256;
/**
 * Letters, and the digits and symbols that stand for letters in leetspeak (not "@", "$" or "|",
 * which e-mail addresses, shell and R variables and code's pipes are full of; decode.ts reads them
 * too once a word has called for it).
 */
const LETTER = 512;
const LEET = 1024;
/** What splits the letters of a spaced-out word: "i g n", "i.g.n", "i-g-n", "i_g_n", "i*g*n". */
const LETTER_SEPARATOR = 2048;
const ASCII_CLASS = new Uint16Array(128);
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  ASCII_CLASS[c] =
    (isWhitespaceCode(c) ? WHITESPACE : 0) |
    (/[A-Za-z0-9+/=]/.test(ch) ? BASE64 : 0) |
    (/[0-9a-fA-F]/.test(ch) ? HEX : 0) |
    (c === 32 || c === 58 ? HEX_SEPARATOR : 0) |
    (/[./ -]/.test(ch) ? MORSE : 0) |
    (/[0-9]/.test(ch) ? DIGIT : 0) |
    (c === 32 || c === 44 ? NUMBER_SEPARATOR : 0) |
    ((c >= 33 && c <= 117) || c === 122 ? ASCII85 : 0) |
    (c >= 33 && c <= 122 ? MAY_BE_ASCII85 : 0) |
    (/[a-z]/i.test(ch) ? LETTER : 0) |
    (/[013457!]/.test(ch) ? LEET : 0) |
    (/[ .\-_*]/.test(ch) ? LETTER_SEPARATOR : 0);
}
const UNIT = LETTER | LEET;

/**
 * Loads `raw` into `loaded`, lower-cased and with whitespace runs folded, and returns its length;
 * with `shape`, fills it in the same pass. Linear in the text's length.
 *
 * Reads the lower-cased copy toLowerCase makes (a flat string, read faster than a slice of an
 * event's text) wherever it is as long as the text; the shape's classes do not depend on case, and
 * its runs are cut from `raw` at the same places.
 */
export function loadText(raw: string, shape?: Shape): number {
  if (loaded.codes.length < raw.length) {
    let size = loaded.codes.length;
    while (size < raw.length) size *= 2;
    loaded.codes = new Uint16Array(size);
  }
  const codes = loaded.codes;
  const lower = raw.toLowerCase();
  const sameLength = lower.length === raw.length;
  const source = sameLength ? lower : raw;
  let length = 0;
  let space = false;
  if (shape === undefined) {
    for (let i = 0; i < source.length; i += 1) {
      const c = source.charCodeAt(i);
      if (c < 128 ? ((ASCII_CLASS[c] as number) & WHITESPACE) !== 0 : isWhitespaceCode(c)) {
        if (!space) codes[length++] = 32;
        space = true;
      } else {
        codes[length++] = sameLength ? c : (LOWER[c] as number);
        space = false;
      }
    }
    loaded.length = length;
    return length;
  }
  // The lengths of the runs that could be an encoding (MAY_BE_ASCII85 is wider than Ascii85: the
  // lower-cased text cannot tell "Y" from "y"); only when one gets long enough does runsOf look
  // for them exactly, so ordinary text is read once.
  let base64 = 0;
  let ascii85 = 0;
  let hex = 0;
  let decimal = 0;
  let morse = 0;
  let long = false;
  // Leetspeak: the last unit's kind (letter or look-alike), the switches between them in this run of
  // units, its length, and whether it has a letter past "f" (a run of hex digits is no word).
  let lastUnit = 0;
  let switches = 0;
  let runLength = 0;
  let pastHex = false;
  // Spaced-out letters: the last two characters' kinds, where the last one-character unit ended, and how
  // many ended in a row two characters apart with the same separator.
  let before1 = 0;
  let before2 = 0;
  let singleAt = -3;
  let singleSeparator = 0;
  let singles = 0;
  let singleLetters = 0;
  for (let i = 0; i < source.length; i += 1) {
    const c = source.charCodeAt(i);
    if (c < 128) {
      const kind = ASCII_CLASS[c] as number;
      const unit = kind & UNIT;
      if (unit !== 0) {
        if (lastUnit !== 0 && unit !== lastUnit) switches += 1;
        lastUnit = unit;
        runLength += 1;
        if (c > 102) pastHex = true; // lower-cased: a letter after "f"
      } else {
        if (switches >= 2 && runLength <= 20 && pastHex) shape.leet += 1;
        lastUnit = 0;
        switches = 0;
        runLength = 0;
        pastHex = false;
      }
      if ((kind & LETTER_SEPARATOR) !== 0 && (before1 & UNIT) !== 0 && (before2 & UNIT) === 0) {
        const run = i - singleAt === 2 && c === singleSeparator;
        singles = run ? singles + 1 : 1;
        singleLetters = (run ? singleLetters : 0) + ((before1 & LETTER) !== 0 ? 1 : 0);
        singleAt = i;
        singleSeparator = c;
        if (singles >= 3 && singleLetters >= 2) shape.spaced = true;
      }
      before2 = before1;
      before1 = kind;
      if ((kind & WHITESPACE) !== 0) {
        if (!space) codes[length++] = 32;
        space = true;
      } else {
        codes[length++] = sameLength ? c : (LOWER[c] as number);
        space = false;
      }
      base64 = (kind & BASE64) !== 0 ? base64 + 1 : 0;
      ascii85 = (kind & MAY_BE_ASCII85) !== 0 ? ascii85 + 1 : 0;
      hex = (kind & HEX) !== 0 || ((kind & HEX_SEPARATOR) !== 0 && hex > 0) ? hex + 1 : 0;
      decimal = (kind & (DIGIT | NUMBER_SEPARATOR)) !== 0 ? decimal + 1 : 0;
      if ((kind & MORSE) !== 0) {
        morse += 1;
        if (morse >= 24) shape.morse = true;
      } else morse = 0;
      if (base64 >= 24 || ascii85 >= 24 || hex >= 24 || decimal >= 23) long = true;
      continue;
    }
    if (isWhitespaceCode(c)) {
      if (!space) codes[length++] = 32;
      space = true;
    } else {
      codes[length++] = sameLength ? c : (LOWER[c] as number);
      space = false;
    }
    base64 = 0;
    ascii85 = 0;
    hex = 0;
    decimal = 0;
    morse = 0;
    if (switches >= 2 && runLength <= 20 && pastHex) shape.leet += 1;
    lastUnit = 0;
    switches = 0;
    runLength = 0;
    pastHex = false;
    before2 = before1;
    before1 = 0;
    if (c < 0x370) {
      if (c === 0xad || c === 0x34f) shape.softHyphen += 1;
      continue;
    }
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
    } else if (
      (c >= 0xff10 && c <= 0xff19) ||
      (c >= 0xff21 && c <= 0xff3a) ||
      (c >= 0xff41 && c <= 0xff5a) ||
      c === 0xd835 || // high surrogate of the mathematical alphanumerics (U+1D400-U+1D7FF)
      (c >= 0x24b6 && c <= 0x24e9)
    ) {
      shape.wide += 1;
    } else if (c === 0x180e) {
      shape.softHyphen += 1;
    }
  }
  if (switches >= 2 && runLength <= 20 && pastHex) shape.leet += 1;
  loaded.length = length;
  if (long) runsOf(raw, source, shape);
  return length;
}

/**
 * The runs of `raw` that may be encodings (base64, hex, Ascii85) and whether seven numbers are in
 * a row (decimal codes); `source` is `raw` lower-cased, as long. The exact rules behind loadText's
 * cheap run lengths.
 */
function runsOf(raw: string, source: string, shape: Shape): void {
  let b64Start = -1;
  let hexStart = -1;
  let a85Start = -1;
  let digitsInNumber = 0;
  let numbersInRow = 0;
  for (let i = 0; i <= source.length; i += 1) {
    const c = i < source.length ? source.charCodeAt(i) : 0;
    const kind = c < 128 ? (ASCII_CLASS[c] as number) : 0;
    if ((kind & DIGIT) !== 0) digitsInNumber += 1;
    else if (digitsInNumber > 0) {
      if ((kind & NUMBER_SEPARATOR) === 0 || digitsInNumber < 2) numbersInRow = 0;
      else {
        // A longer run's last digits may start a row (the pattern is not anchored to a word).
        numbersInRow = digitsInNumber <= 3 ? numbersInRow + 1 : 1;
        if (numbersInRow >= 7) shape.decimal = true;
      }
      digitsInNumber = 0;
    } else if ((kind & NUMBER_SEPARATOR) === 0) numbersInRow = 0;
    if ((kind & BASE64) !== 0) {
      if (b64Start < 0) b64Start = i;
    } else if (b64Start >= 0) {
      if (i - b64Start >= 24) shape.base64.push(raw.slice(b64Start, i));
      b64Start = -1;
    }
    if ((kind & HEX) !== 0 || ((kind & HEX_SEPARATOR) !== 0 && hexStart >= 0)) {
      if (hexStart < 0) hexStart = i;
    } else if (hexStart >= 0) {
      if (i - hexStart >= 24) shape.hex.push(raw.slice(hexStart, i));
      hexStart = -1;
    }
    // The lower-cased "v" to "y" are Ascii85's "V" to "Y" only when that is what the text has.
    if ((kind & ASCII85) !== 0 || (c >= 118 && c <= 121 && raw.charCodeAt(i) < 97)) {
      if (a85Start < 0) a85Start = i;
    } else if (a85Start >= 0) {
      if (i - a85Start >= 24) shape.ascii85.push(raw.slice(a85Start, i));
      a85Start = -1;
    }
  }
}

/** The loaded text's codes [from, to) as a string. */
export function loadedString(from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i += 4096) {
    out += String.fromCharCode(...loaded.codes.subarray(i, Math.min(to, i + 4096)));
  }
  return out;
}
