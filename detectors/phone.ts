/**
 * Phone numbers in text, by a real numbering-plan library (libphonenumber-js, Google's
 * libphonenumber metadata): each stretch of text that could hold one (digits with the
 * separators numbers are written with, at most 40 characters, so the work stays linear in the
 * text) is read in each configured region, and a number is kept when it is a possible number
 * of a region or in international form. Around it, what phone numbers are not: dates and
 * times, IP addresses, flat and box numbers, arithmetic, and a bare run of digits with nothing
 * saying it is a phone (a licence or order number).
 */
import { findNumbers } from "libphonenumber-js/max";

/** Regions a number without a country code is read in (pii_leak.phone_regions). */
export const DEFAULT_PHONE_REGIONS = ["US", "GB", "DE", "FR", "AU"] as const;

/**
 * Stretches looked at per text: a text that is mostly digit groups does not cost more than this
 * (each is read in every region, about 0.2 ms: 50 bound a 64 KiB text of phone numbers to some
 * 10-40 ms; a leak is found from its first number).
 */
const MAX_WINDOWS = 50;

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
type Region = Parameters<typeof findNumbers>[1] extends infer O
  ? O extends { defaultCountry?: infer C }
    ? C
    : never
  : never;

/** The phone numbers in `text` as [start, end) spans, earliest first, without overlaps. */
export function findPhones(
  text: string,
  regions: readonly string[] = DEFAULT_PHONE_REGIONS,
  /** Whether [start, end) overlaps something already found (a card, an SSN): not read again. */
  taken: (start: number, end: number) => boolean = () => false,
): [number, number][] {
  const spans: [number, number][] = [];
  let windows = 0;
  for (const window of text.matchAll(WINDOW)) {
    const at = window.index;
    if (taken(at, at + window[0].length)) continue;
    if (++windows > MAX_WINDOWS) break;
    if (window[0].replace(/\D/g, "").length < 6) continue;
    for (const region of regions) {
      const found = findNumbers(window[0], {
        defaultCountry: region as Region,
        leniency: "POSSIBLE",
        v2: true,
      } as Parameters<typeof findNumbers>[1]) as unknown as { startsAt: number; endsAt: number }[];
      for (const number of found) {
        const start = at + number.startsAt;
        const end = at + number.endsAt;
        if (spans.some(([a, b]) => a < end && b > start)) continue;
        if (isPhone(text, start, end)) spans.push([start, end]);
      }
    }
  }
  return spans.sort((a, b) => a[0] - b[0]);
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
