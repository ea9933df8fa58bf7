/**
 * Finding personal data and secrets in text, and the one redaction function used wherever
 * evidence is shown or stored in alerts. Pure: regular expressions plus the checksums that turn
 * "looks like" into "is" (Luhn for cards and SINs, mod 97 for IBANs, the SSA rules for SSNs).
 */
import creditCardType from "credit-card-type";
import { DEFAULT_PHONE_REGIONS, findPhones } from "./phone.ts";

export const SENSITIVE_TYPES = [
  "email",
  "credit_card",
  "us_ssn",
  "ca_sin",
  "iban",
  "phone",
  "openai_key",
  "anthropic_key",
  "aws_access_key",
  "aws_secret_key",
  "github_token",
  "slack_token",
  "google_api_key",
  "stripe_key",
  "private_key",
] as const;
export type SensitiveType = (typeof SENSITIVE_TYPES)[number];

export const PII_TYPES: readonly SensitiveType[] = [
  "email",
  "credit_card",
  "us_ssn",
  "ca_sin",
  "iban",
  "phone",
];

export interface SensitiveMatch {
  type: SensitiveType;
  category: "pii" | "secret";
  start: number;
  end: number;
}

interface Rule {
  type: SensitiveType;
  category: "pii" | "secret";
  /** A cheap test the text must pass before the pattern runs (most text fails every gate). */
  gate: (text: string) => boolean;
  /** What it looks like; or `scan`, a finder of [start, end) spans where a pattern would cost too much. */
  pattern?: RegExp;
  scan?: (text: string) => Iterable<[number, number]>;
  /** Whether the matched text really is one (checksums, validity rules, placeholders). */
  valid?: (match: string) => boolean;
  /** The capture group that is the value (the pattern then has the `d` flag); the whole match otherwise. */
  group?: number;
}

const HAS_DIGIT_RUN = /\d{3}/;
const HAS_DIGIT = /\d/;
const HAS_AWS_PREFIX = /A(?:KI|SI|GP|ID|RO)A/;
const HAS_AWS_SECRET = /aws_secret_access_key/i;
const HAS_IBAN_START = /[A-Za-z]{2}\d{2}/;

const RULES: Rule[] = [
  // Secrets first: their matches win over PII patterns that overlap them.
  {
    type: "private_key",
    gate: (t) => t.includes("PRIVATE KEY"),
    category: "secret",
    pattern:
      /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  {
    type: "anthropic_key",
    gate: (t) => t.includes("sk-ant-"),
    category: "secret",
    pattern: /\bsk-ant-[A-Za-z0-9]{2,10}-[A-Za-z0-9_-]{20,}/g,
  },
  {
    type: "openai_key",
    gate: (t) => t.includes("sk-"),
    category: "secret",
    pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    valid: notPlaceholder,
  },
  {
    type: "aws_access_key",
    gate: (t) => HAS_AWS_PREFIX.test(t),
    category: "secret",
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g,
    valid: notPlaceholder,
  },
  {
    type: "aws_secret_key",
    gate: (t) => HAS_AWS_SECRET.test(t),
    category: "secret",
    // The value is group 1; a look-behind with `\s*` in it re-scanned the blanks before every position.
    pattern: /aws_secret_access_key["']?[ \t]{0,16}[:=][ \t]{0,16}["']?([A-Za-z0-9/+]{40})\b/dgi,
    group: 1,
    valid: notPlaceholder,
  },
  {
    type: "github_token",
    gate: (t) => t.includes("gh") || t.includes("github_pat_"),
    category: "secret",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g,
  },
  {
    type: "slack_token",
    gate: (t) => t.includes("xox"),
    category: "secret",
    pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  },
  {
    type: "google_api_key",
    gate: (t) => t.includes("AIza"),
    category: "secret",
    pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g,
  },
  {
    type: "stripe_key",
    gate: (t) => t.includes("_live_"),
    category: "secret",
    pattern: /\b[rs]k_live_[0-9A-Za-z]{24,}\b/g,
  },
  {
    type: "email",
    gate: (t) => t.includes("@"),
    category: "pii",
    // Found from each "@" (findEmails): a pattern starting at every character re-read up to 64
    // characters from each of them in a long run without "@".
    scan: findEmails,
  },
  {
    type: "iban",
    gate: (t) => HAS_IBAN_START.test(t),
    category: "pii",
    // Either case: people paste IBANs in lower case too; the mod-97 check keeps precision.
    pattern: /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b/g,
    valid: validIban,
  },
  {
    type: "credit_card",
    gate: (t) => HAS_DIGIT_RUN.test(t),
    category: "pii",
    // 12 to 19 digits (Maestro has 12), spaces or dashes between any of them.
    pattern: /\b(?:\d[ -]?){11,18}\d\b/g,
    valid: validCard,
  },
  {
    type: "us_ssn",
    gate: (t) => HAS_DIGIT_RUN.test(t),
    category: "pii",
    pattern: /\b\d{3}-\d{2}-\d{4}\b/g,
    valid: validSsn,
  },
  // Space-separated digits are too often something else (addresses, references): only after a cue.
  {
    type: "us_ssn",
    gate: (t) => HAS_DIGIT_RUN.test(t),
    category: "pii",
    pattern: /(?<=\b(?:ssn|social security(?: number| no\.?)?|ss#)\W{0,20})\d{3} \d{2} \d{4}\b/gi,
    valid: validSsn,
  },
  {
    type: "ca_sin",
    gate: (t) => HAS_DIGIT_RUN.test(t),
    category: "pii",
    pattern: /\b\d{3}([- ])\d{3}\1\d{3}\b/g,
    valid: validSin,
  },
];

/** Phone numbers come last: a number that is a card, an SSN or an IBAN is that (phone.ts). */
const PHONE_RULE = { type: "phone", category: "pii" } as const;

/** What a scan found, and whether a scanner's budget ran out before the end of the text. */
export interface SensitiveScan {
  matches: SensitiveMatch[];
  /** Part of the text was not read for phone numbers (phone.ts's budget): reported, never silent. */
  truncated: boolean;
}

/**
 * Every sensitive span in `text`, earliest first, without overlaps (the earlier rule wins).
 * Phone numbers without a country code are read in `phoneRegions` (pii_leak.phone_regions).
 */
export function findSensitive(
  text: string,
  phoneRegions: readonly string[] = DEFAULT_PHONE_REGIONS,
): SensitiveMatch[] {
  return scanSensitive(text, phoneRegions).matches;
}

/** findSensitive, saying whether the scan was truncated. */
export function scanSensitive(
  text: string,
  phoneRegions: readonly string[] = DEFAULT_PHONE_REGIONS,
): SensitiveScan {
  // pii_leak and secret_leak scan the same texts one after the other: recent answers are kept.
  const cacheKey = phoneRegions === DEFAULT_PHONE_REGIONS ? text : `${phoneRegions.join(",")}\u0000${text}`;
  const known = RECENT.get(cacheKey);
  if (known) return known;
  const found: SensitiveMatch[] = [];
  let truncated = false;
  // Which characters a match already took: a new match overlapping one is dropped. (Comparing
  // each match with every earlier one was quadratic: 64 KiB of SSNs took half a second.)
  const taken = new Uint8Array(text.length);
  const free = (start: number, end: number) => {
    for (let i = start; i < end; i += 1) if (taken[i] === 1) return false;
    return true;
  };
  const take = (match: SensitiveMatch) => {
    taken.fill(1, match.start, match.end);
    found.push(match);
  };
  for (const rule of RULES) {
    if (!rule.gate(text)) continue;
    for (const [start, end] of rule.scan ? rule.scan(text) : spans(text, rule)) {
      if (!free(start, end)) continue;
      if (rule.valid && !rule.valid(text.slice(start, end))) continue;
      take({ type: rule.type, category: rule.category, start, end });
    }
  }
  // Not gated on a run of three digits: "01 42 68 53 00" has none.
  if (HAS_DIGIT.test(text)) {
    const phones = findPhones(text, phoneRegions, (start, end) => !free(start, end));
    truncated = phones.truncated;
    for (const [start, end] of phones.spans) {
      if (!free(start, end)) continue;
      take({ ...PHONE_RULE, start, end });
    }
  }
  found.sort((a, b) => a.start - b.start);
  const scan = Object.freeze({ matches: Object.freeze(found) as SensitiveMatch[], truncated });
  if (RECENT.size >= 8) RECENT.delete(RECENT.keys().next().value as string);
  RECENT.set(cacheKey, scan);
  return scan;
}

/** The spans of a rule's pattern in `text` (its `group` when it has one). */
function* spans(text: string, rule: Rule): Iterable<[number, number]> {
  for (const m of text.matchAll(rule.pattern as RegExp)) {
    const span = rule.group === undefined ? undefined : m.indices?.[rule.group];
    const start = span ? span[0] : m.index;
    yield [start, span ? span[1] : start + m[0].length];
  }
}

const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** A character of an e-mail's local part: letters, digits and . _ % + - */
const isLocalCode = (c: number) => isWordCode(c) || c === 46 || c === 37 || c === 43 || c === 45;
/** What follows the "@": labels (at most 63 characters each, at most 8) and a top-level domain. */
const EMAIL_DOMAIN = /(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/y;

/**
 * E-mail addresses, as /\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/g
 * finds them (local part at most 64 characters, as the RFCs bound it), in linear time: from each
 * "@", the local part is looked for back to the previous "@" or match (never further than 64
 * characters) and the domain forward from it (it cannot run past the next "@"), so each
 * character is read a bounded number of times however the text is made.
 */
export function* findEmails(text: string): Iterable<[number, number]> {
  let floor = 0; // nothing before this can start a match: a previous "@" or the end of a match
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    const lowest = Math.max(floor, at - 64);
    floor = at + 1;
    let runStart = at;
    while (runStart > lowest && isLocalCode(text.charCodeAt(runStart - 1))) runStart -= 1;
    // The leftmost start in the run where \b holds, as the pattern's leftmost match would be.
    let start = -1;
    for (let p = runStart; p < at; p += 1) {
      const before = p > 0 && isWordCode(text.charCodeAt(p - 1));
      if (before !== isWordCode(text.charCodeAt(p))) {
        start = p;
        break;
      }
    }
    if (start < 0) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (!EMAIL_DOMAIN.exec(text)) continue;
    yield [start, EMAIL_DOMAIN.lastIndex];
    floor = EMAIL_DOMAIN.lastIndex;
  }
}

/** The last few texts scanned and what was found (insertion-ordered, so the oldest goes first). */
const RECENT = new Map<string, SensitiveScan>();

/**
 * The redaction used everywhere evidence is shown or stored in alerts: each sensitive span
 * becomes `[REDACTED:<type>]`; cards keep their last four digits, as receipts do.
 */
export function redact(text: string, matches: SensitiveMatch[] = findSensitive(text)): string {
  let out = "";
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start);
    const tail =
      m.type === "credit_card" ? ` …${text.slice(m.start, m.end).replace(/\D/g, "").slice(-4)}` : "";
    out += `[REDACTED:${m.type}${tail}]`;
    at = m.end;
  }
  return out + text.slice(at);
}

/**
 * A redacted excerpt around the first match, for a finding's evidence. The text is redacted
 * whole before it is cut, so an excerpt's edge can only cut a marker, never a value.
 */
export function redactedExcerpt(text: string, matches: SensitiveMatch[], radius = 60): string {
  const redacted = redact(text, matches);
  const at = redacted.indexOf("[REDACTED:");
  if (at < 0) return "";
  const from = Math.max(0, at - radius);
  const to = Math.min(redacted.length, redacted.indexOf("]", at) + 1 + radius);
  return `${from > 0 ? "…" : ""}${redacted.slice(from, to)}${to < redacted.length ? "…" : ""}`;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function validCard(match: string): boolean {
  const digits = match.replace(/[ -]/g, "");
  if (digits.length < 12 || digits.length > 19) return false;
  return luhnValid(digits) && !/^(\d)\1+$/.test(digits) && cardNetwork(digits) !== undefined;
}

/**
 * Issuer ranges and lengths in use that the card-type library does not list (it knows Visa,
 * Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro, Mir, Elo, Hiper, Hipercard, Troy,
 * Verve and Naranja, with their lengths).
 */
const MORE_CARDS: { network: string; pattern: RegExp }[] = [
  // The library names only the most specific network for a prefix: a 19-digit Discover number in
  // a 6505xx range Elo also issues from (at 16 digits only), or a 13- or 19-digit Visa in one of
  // Elo's 4xxxxx ranges, came back as an Elo number of the wrong length. The broad networks'
  // own ranges and lengths, checked after it:
  { network: "Visa", pattern: /^4\d{12}(?:\d{3}|\d{6})?$/ }, // 13 (the old Visa), 16, 19
  { network: "Discover", pattern: /^(?:6011|64[4-9]\d|65\d\d)\d{12}(?:\d{3})?$/ }, // 16, 19
  { network: "JCB", pattern: /^(?:2131|1800)\d{11}$/ }, // 15-digit JCB
  { network: "UATP", pattern: /^1\d{14}$/ },
  { network: "RuPay", pattern: /^(?:60|65|81|82|508)\d{14}$/ },
  { network: "Dankort", pattern: /^5019\d{12}$/ },
  { network: "InstaPayment", pattern: /^63[7-9]\d{13}$/ },
];

/** The library's networks for a number's issuer prefix, remembered per prefix (it copies its tables on every call). */
const TYPES_BY_PREFIX = new Map<string, ReturnType<typeof creditCardType>>();
/** Issuer ranges are at most 6 digits long: 8 leave room. */
const PREFIX_DIGITS = 8;

function cardTypesOf(digits: string): ReturnType<typeof creditCardType> {
  const prefix = digits.slice(0, PREFIX_DIGITS);
  let types = TYPES_BY_PREFIX.get(prefix);
  if (!types) {
    types = creditCardType(prefix);
    if (TYPES_BY_PREFIX.size >= 4096) TYPES_BY_PREFIX.clear();
    TYPES_BY_PREFIX.set(prefix, types);
  }
  return types;
}

/**
 * The card network a number of this length belongs to, or undefined: random Luhn-valid numbers
 * (order numbers, ids) are not cards. The number must be digits only, 12 to 19 of them.
 */
export function cardNetwork(digits: string): string | undefined {
  for (const type of cardTypesOf(digits)) {
    if (type.lengths.includes(digits.length)) return type.niceType;
  }
  return MORE_CARDS.find((c) => c.pattern.test(digits))?.network;
}

/** SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000, and not the famous samples. */
function validSsn(match: string): boolean {
  const [area, group, serial] = match.split(/[- ]/) as [string, string, string];
  if (area === "000" || area === "666" || area.startsWith("9")) return false;
  if (group === "00" || serial === "0000") return false;
  return !["078-05-1120", "219-09-9999", "123-45-6789"].includes(`${area}-${group}-${serial}`);
}

/** Canadian SIN: Luhn-valid, and never starting with 0 or 8. */
function validSin(match: string): boolean {
  const digits = match.replace(/[- ]/g, "");
  return !/^[08]/.test(digits) && luhnValid(digits);
}

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

export function validIban(match: string): boolean {
  const iban = match.replace(/ /g, "").toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= "A" && ch <= "Z" ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = Number(`${remainder}${value}`) % 97;
  }
  return remainder === 1;
}

/** Documentation placeholders (AKIAIOSFODNN7EXAMPLE and friends) are not leaks. */
function notPlaceholder(match: string): boolean {
  return !/EXAMPLE|example|XXXXXXXX|xxxxxxxx|your[-_]?api[-_]?key/i.test(match);
}

/** `redact` applied to every string inside a JSON value (findings' evidence before it reaches an alert). */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
