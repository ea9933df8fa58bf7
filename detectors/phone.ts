/**
 * Phone numbers in text, by a real numbering-plan library (libphonenumber-js, Google's
 * libphonenumber metadata). Text is full of digit runs that are not phones (order, tracking and
 * reference numbers, amounts, dates, ISBNs, ids), and the plans accept many of them as
 * "possible", so a stretch of digits must first be shaped as a phone is written, in context:
 * - in international form (a leading `+`), or
 * - in a national form of a configured region: a trunk `0` first ("020 7946 0958",
 *   "01 42 68 53 00", "(02) 9374 4000") or the North American "(415) 555-2671" / 415-555-2671,
 *   or
 * - said to be a phone ("call", "tel", "fax", "mobile", ... before it, "(office)" after it);
 * and not introduced as something else ("order", "invoice", "ref", "tracking", "account", ...,
 * unless also said to be a phone), nor a date, time, IP address, flat or box number or sum.
 * Then it must be a valid number (the plan's number ranges, not just its lengths) of a
 * configured region, or in international form of any.
 *
 * The work is linear in the text and bounded: stretches are at most 40 characters, the shape and
 * context checks cost no library call, and the library's reads are limited per text (below).
 */
import { findNumbers, parsePhoneNumberFromString } from "libphonenumber-js/max";

/** Regions a number without a country code is read in (pii_leak.phone_regions). */
export const DEFAULT_PHONE_REGIONS = ["US", "GB", "DE", "FR", "AU"] as const;

/**
 * What reading a text for phone numbers may cost, in units of one parse of one stretch in one
 * region (about 5 µs): a few, and one more per 128 characters, at most MAX_UNITS. The library's
 * finder, needed only for a stretch of several numbers side by side, costs FINDER_UNITS a
 * region (it runs twice: valid numbers, possible ones). A text made of phone-like stretches (each unique) then costs some 0.1-0.3 ms per KiB
 * (before: up to 20 ms per KiB, 50 stretches in any text, each read by the finder in every
 * region); ordinary text stays far below its budget. What the budget does not reach is not
 * read, and the scan says it was truncated (findPhones' `truncated`), which is visible.
 */
const BASE_UNITS = 20;
const CHARS_PER_UNIT = 128;
const MAX_UNITS = 600;
const FINDER_UNITS = 16;

/** The cost units a text of `length` characters may spend on phone numbers. */
export function phoneBudget(length: number): number {
  return Math.min(MAX_UNITS, BASE_UNITS + Math.floor(length / CHARS_PER_UNIT));
}

// Digits with the separators numbers are written with, 6 to 26 characters, and an extension.
const WINDOW = /(?<![\w.+])\+?\(?\d[\d ().\-/]{4,24}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?!\w)/g;
const EXTENSION = /(?:x|ext\.?)\s?\d+$/i;
/** Words that say a number is a phone (just before it, or just after: "555 0100 (office)"). */
const CUE_BEFORE =
  /(?:phone|tel|telephone|call|ring|dial|mobile|cell|fax|whatsapp|sms|text|hotline|helpline|helpdesk|emergency number|contact number|phone number|(?:reach|contact|answering)(?: me| us| them| him| her)? (?:at|on))\b\W{0,3}$/;
const CUE_AFTER = /^[\s\-,(]{0,3}(?:office|fax|mobile|cell|home|work|phone)\b/;
const NOT_A_PHONE_AROUND = /\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}:\d{2}/;
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const UNIT_BEFORE = /(?:apt|apartment|suite|ste|unit|no|box|room|#)\.?\s*$/;
/** Words that introduce a number as something other than a phone, just before it. */
const NOT_PHONE_BEFORE =
  /(?:order|invoice|inv|ref|reference|tracking|account|acct|iban|serial|policy|batch|ticket|booking|confirmation|isbn|id|code|customer|member|case|claim|sku|part|item|version|zip|postcode|po)(?:\s+(?:number|no\.?|#))?\b[\s.:#-]{0,3}$/;
/** Dotted groups of at most three digits: a version or an address ("20.3.135", "10.0.0.1"). */
const DOTTED = /^\d{1,3}(?:\.\d{1,3}){2,3}$/;
/** Two groups joined by one point or comma: a decimal ("0.656707", "85,50"). */
const DECIMAL = /^\d+[.,]\d+$/;
/** Regions whose national numbers start with a trunk 0 or are North American: the shape test knows them. */
const SHAPED_REGIONS = new Set([
  "US",
  "CA",
  "GB",
  "DE",
  "FR",
  "AU",
  "NZ",
  "IE",
  "NL",
  "BE",
  "CH",
  "AT",
  "SE",
  "FI",
  "JP",
  "KR",
  "IN",
  "ZA",
  "BR",
  "AR",
  "MX",
  "TR",
  "IL",
  "EG",
  "TH",
  "MY",
  "ID",
  "PH",
  "VN",
  "CN",
  "TW",
  "PK",
  "NG",
  "KE",
  "UA",
  "RO",
]);
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
const READ = new Map<string, Reading>();

/** Where in a stretch numbers are: valid ones (the plan's ranges), and ones merely possible (its lengths). */
interface Reading {
  valid: [number, number][];
  possible: [number, number][];
}
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
    if (DOTTED.test(stretch) || DECIMAL.test(stretch)) continue;
    const before = text.slice(Math.max(0, at - 24), at).toLowerCase();
    const cueBefore = CUE_BEFORE.test(before);
    // Introduced as something else: not a phone, whatever follows it, unless also called one.
    if (!cueBefore && NOT_PHONE_BEFORE.test(before)) continue;
    const cue =
      cueBefore || CUE_AFTER.test(text.slice(at + stretch.length, at + stretch.length + 12).toLowerCase());
    if (!phoneShaped(stretch, cue, regions)) continue;
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
    // A number said to be a phone needs only to be possible; otherwise it must be valid.
    for (const [from, to] of cue ? found.possible : found.valid) {
      const start = at + from;
      const end = at + to;
      if (spans.some(([a, b]) => a < end && b > start)) continue;
      if (isPhone(text, start, end)) spans.push([start, end]);
    }
  }
  return { spans: spans.sort((a, b) => a[0] - b[0]), truncated };
}

/**
 * Whether a stretch is written as phone numbers are (no library call): international form; or a
 * national form (a trunk 0 first, or North American groups 3-3-4 with area code and exchange
 * starting 2-9); or any grouping when something says it is a phone. Regions outside
 * SHAPED_REGIONS are left to the library.
 */
export function phoneShaped(stretch: string, cue: boolean, regions: readonly string[]): boolean {
  if (stretch.startsWith("+")) return true;
  const groups = stretch.replace(EXTENSION, "").match(/\d+/g) ?? [];
  if (groups.length <= 1) return cue; // a bare run of digits: an id, unless said to be a phone
  if (cue) return true;
  const first = groups[0] as string;
  if (first.startsWith("0")) return true;
  const lengths = groups.map((g) => g.length).join(",");
  const nanp =
    lengths === "3,3,4" ? groups : lengths === "1,3,3,4" && first === "1" ? groups.slice(1) : undefined;
  if (nanp && /^[2-9]/.test(nanp[0] as string) && /^[2-9]/.test(nanp[1] as string)) return true;
  return regions.some((region) => !SHAPED_REGIONS.has(region));
}

/** A stretch of at most 15 digits is one number or none: the whole stretch, as the regions read it. */
function readOne(stretch: string, regions: readonly string[]): Reading {
  const whole: [number, number][] = [[0, stretch.length]];
  let possible = false;
  // In international form the region does not matter: one parse.
  for (const region of stretch.startsWith("+") ? [regions[0] as string] : regions) {
    const number = parsePhoneNumberFromString(stretch, region as Region);
    if (number?.isValid()) return { valid: whole, possible: whole };
    possible ||= number?.isPossible() === true;
  }
  return { valid: [], possible: possible ? whole : [] };
}

/** Several numbers side by side: the library's finder, in each region. */
function readSeveral(stretch: string, regions: readonly string[]): Reading {
  const reading: Reading = { valid: [], possible: [] };
  for (const region of regions) {
    for (const leniency of ["VALID", "POSSIBLE"] as const) {
      const found = findNumbers(stretch, {
        defaultCountry: region as Region,
        leniency,
        v2: true,
      } as Parameters<typeof findNumbers>[1]) as unknown as { startsAt: number; endsAt: number }[];
      for (const number of found) {
        (leniency === "VALID" ? reading.valid : reading.possible).push([number.startsAt, number.endsAt]);
      }
    }
  }
  return reading;
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
