/**
 * Phone numbers in text, by a real numbering-plan library (libphonenumber-js, Google's
 * libphonenumber metadata): each stretch of text that could hold one (digits with the
 * separators numbers are written with, at most 40 characters, so the work stays linear in the
 * text) is read in each configured region, and a number is kept when it is a possible number
 * of a region or in international form. Around it, what phone numbers are not: dates and
 * times, IP addresses, flat and box numbers, arithmetic, and a bare run of digits with nothing
 * saying it is a phone (a licence or order number).
 */
import { findNumbers, parsePhoneNumberFromString } from "libphonenumber-js/max";

/** Regions a number without a country code is read in (pii_leak.phone_regions). */
export const DEFAULT_PHONE_REGIONS = ["US", "GB", "DE", "FR", "AU"] as const;

/**
 * What reading a text for phone numbers may cost, in units of one parse of one stretch in one
 * region (about 5 µs): a few, and one more per 128 characters, at most MAX_UNITS. The library's
 * finder, needed only for a stretch of several numbers side by side, costs FINDER_UNITS a
 * region. A text made of phone-like stretches (each unique) then costs some 0.1-0.3 ms per KiB
 * (before: up to 20 ms per KiB, 50 stretches in any text, each read by the finder in every
 * region); ordinary text stays far below its budget. What the budget does not reach is not
 * read, and the scan says it was truncated (findPhones' `truncated`), which is visible.
 */
const BASE_UNITS = 20;
const CHARS_PER_UNIT = 128;
const MAX_UNITS = 600;
const FINDER_UNITS = 8;

/** The cost units a text of `length` characters may spend on phone numbers. */
export function phoneBudget(length: number): number {
  return Math.min(MAX_UNITS, BASE_UNITS + Math.floor(length / CHARS_PER_UNIT));
}

// Digits with the separators numbers are written with, 6 to 26 characters, and an extension.
const WINDOW = /(?<![\w.+])\+?\(?\d[\d ().\-/]{4,24}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?!\w)/g;
const EXTENSION = /(?:x|ext\.?)\s?\d+$/i;
/** Words that say a number is a phone (just before it, or just after: "555 0100 (office)"). */
const CUE_BEFORE = /(?:phone|tel|telephone|call|mobile|cell|fax|whatsapp|sms)\b\W{0,3}$/;
const CUE_AFTER = /^[\s\-,(]{0,3}(?:office|fax|mobile|cell|home|work|phone)\b/;
const NOT_A_PHONE_AROUND = /\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}:\d{2}/;
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const UNIT_BEFORE = /(?:apt|apartment|suite|ste|unit|no|box|room|#)\.?\s*$/;
/** Arithmetic: an operator between spaces ("38390 - 30470", "36000 / 3600") is no phone's separator. */
const ARITHMETIC = /\s[-/x*+=]\s/;
/** The most digits one phone number has (E.164): a stretch with more holds several. */
const MAX_DIGITS = 15;
type Region = Parameters<typeof findNumbers>[1] extends infer O
  ? O extends { defaultCountry?: infer C }
    ? C
    : never
  : never;

/** What findPhones found, and whether its budget ran out before the end of the text. */
export interface PhoneScan {
  spans: [number, number][];
  truncated: boolean;
}

/**
 * Stretches recently read, with where in them a number is (relative), per region list: a text
 * that repeats one pattern costs one read of it. Bounded; the answer depends on the stretch and
 * the regions alone (the context checks run on every find).
 */
const READ = new Map<string, [number, number][]>();
const READ_MAX = 4096;

/** The phone numbers in `text` as [start, end) spans, earliest first, without overlaps. */
export function findPhones(
  text: string,
  regions: readonly string[] = DEFAULT_PHONE_REGIONS,
  /** Whether [start, end) overlaps something already found (a card, an SSN): not read again. */
  taken: (start: number, end: number) => boolean = () => false,
): PhoneScan {
  const spans: [number, number][] = [];
  let units = phoneBudget(text.length);
  let truncated = false;
  const regionKey = regions.join(",");
  for (const window of text.matchAll(WINDOW)) {
    const at = window.index;
    const stretch = window[0];
    if (taken(at, at + stretch.length)) continue;
    // Digits of the number itself: an extension ("x818") is not counted against the 15.
    const digits = stretch.replace(EXTENSION, "").replace(/\D/g, "").length;
    if (digits < 6) continue;
    const key = `${regionKey}\u0000${stretch}`;
    let found = READ.get(key);
    if (!found) {
      const cost =
        digits <= MAX_DIGITS ? (stretch.startsWith("+") ? 1 : regions.length) : FINDER_UNITS * regions.length;
      if (cost > units) {
        // Not read; a cheaper stretch further on still may be.
        truncated = true;
        continue;
      }
      units -= cost;
      found = digits <= MAX_DIGITS ? readOne(stretch, regions) : readSeveral(stretch, regions);
      if (READ.size >= READ_MAX) READ.delete(READ.keys().next().value as string);
      READ.set(key, found);
    }
    for (const [from, to] of found) {
      const start = at + from;
      const end = at + to;
      if (spans.some(([a, b]) => a < end && b > start)) continue;
      if (isPhone(text, start, end)) spans.push([start, end]);
    }
  }
  return { spans: spans.sort((a, b) => a[0] - b[0]), truncated };
}

/** A stretch of at most 15 digits is one number or none: the whole stretch, if any region takes it. */
function readOne(stretch: string, regions: readonly string[]): [number, number][] {
  // In international form the region does not matter: one parse.
  for (const region of stretch.startsWith("+") ? [regions[0] as string] : regions) {
    if (parsePhoneNumberFromString(stretch, region as Region)?.isPossible()) return [[0, stretch.length]];
  }
  return [];
}

/** Several numbers side by side: the library's finder, in each region. */
function readSeveral(stretch: string, regions: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const region of regions) {
    const found = findNumbers(stretch, {
      defaultCountry: region as Region,
      leniency: "POSSIBLE",
      v2: true,
    } as Parameters<typeof findNumbers>[1]) as unknown as { startsAt: number; endsAt: number }[];
    for (const number of found) out.push([number.startsAt, number.endsAt]);
  }
  return out;
}

function isPhone(text: string, start: number, end: number): boolean {
  const raw = text.slice(start, end);
  const digits = raw.replace(EXTENSION, "").replace(/\D/g, "").length;
  const before = text.slice(Math.max(0, start - 24), start).toLowerCase();
  const after = text.slice(end, end + 12).toLowerCase();
  const cue = CUE_BEFORE.test(before) || CUE_AFTER.test(after);
  if (digits < (cue ? 6 : 7) || digits > 15) return false;
  if (/^\d+$/.test(raw) && !cue) return false; // a bare run of digits: an id, unless said to be a phone
  if (IP_ADDRESS.test(raw) || UNIT_BEFORE.test(before) || ARITHMETIC.test(raw)) return false;
  return !NOT_A_PHONE_AROUND.test(text.slice(Math.max(0, start - 6), end + 6));
}
