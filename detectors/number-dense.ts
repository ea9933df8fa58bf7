/**
 * A generated set of documents dense in numbers that are not phone numbers (issue 21): invoices,
 * order confirmations, shipping notices, server logs, tables of figures, tickets, bank and
 * travel messages, with order and tracking numbers, amounts, dates and times, versions, ZIP and
 * postal codes, coordinates, ISBNs, account and reference ids, IP addresses, quantities and
 * measurements. Some documents also hold labelled phone numbers (US, UK, German, French and
 * Australian, national and international, with and without separators, extensions and a word
 * saying "phone") and labelled card numbers (Luhn-valid, spaced, dashed and plain), in the same
 * sentences real documents put them.
 *
 * How it was made: written for this project from templates of the kinds of text above, filled by
 * a seeded generator, so every run makes the same documents (`numberDenseDocuments(seed)`); the
 * phone numbers are drawn in each country's written formats with real area codes and kept when
 * its numbering plan (libphonenumber's metadata) holds them valid, as a real number is; the
 * cards from real issuer prefixes with a Luhn check digit.
 *
 * It is a development set, not a held-out one: the phone finder's shape rules (a trunk 0, North
 * American groups, a leading +) were written first, from the numbering plans; its words that
 * say a number is something else ("order", "tracking", ...) and "emergency number" were added
 * while reading this set's misses. It is scored by bench/eval-content.ts and held to floors by
 * detectors/sensitive.test.ts. Presidio's phrasing "They're not answering at ..." taught the
 * finder that "answering at" says a phone follows.
 */
import { isValidPhoneNumber } from "libphonenumber-js/max";
import { seededRandom } from "../lib/random.ts";
import type { PresidioDocument } from "./evaluate.ts";

type Random = () => number;

const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const int = (r: Random, min: number, max: number) => min + Math.floor(r() * (max - min + 1));
const digits = (r: Random, n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join("");
const pad = (n: number, width: number) => String(n).padStart(width, "0");

// ---------------------------------------------------------------------------------------------
// Numbers that are not phones

const notPhones: ((r: Random) => string)[] = [
  (r) => `order #${int(r, 100000, 9999999)}`,
  (r) => `order ${digits(r, 3)}-${digits(r, 7)}-${digits(r, 7)}`,
  (r) => `tracking number 1Z${digits(r, 16)}`,
  (r) => `tracking ${digits(r, 4)} ${digits(r, 4)} ${digits(r, 4)} ${digits(r, 2)}`,
  (r) => `invoice INV-${int(r, 2019, 2026)}-${pad(int(r, 1, 99999), 5)}`,
  (r) => `$${int(r, 1, 99999)}.${pad(int(r, 0, 99), 2)}`,
  (r) => `€ ${int(r, 1, 9)}.${pad(int(r, 0, 999), 3)},${pad(int(r, 0, 99), 2)}`,
  (r) => `${int(r, 1, 28)}/${int(r, 1, 12)}/${int(r, 2019, 2026)}`,
  (r) =>
    `${int(r, 2019, 2026)}-${pad(int(r, 1, 12), 2)}-${pad(int(r, 1, 28), 2)} ${pad(int(r, 0, 23), 2)}:${pad(int(r, 0, 59), 2)}:${pad(int(r, 0, 59), 2)}`,
  (r) => `${pad(int(r, 0, 23), 2)}:${pad(int(r, 0, 59), 2)}`,
  (r) => `version ${int(r, 0, 20)}.${int(r, 0, 40)}.${int(r, 0, 200)}`,
  (r) => `ZIP ${pad(int(r, 1000, 99999), 5)}`,
  (r) => `${int(r, 1, 9999)} Main Street, Springfield ${pad(int(r, 10000, 99999), 5)}`,
  (r) => `${int(r, -89, 89)}.${digits(r, 6)}, ${int(r, -179, 179)}.${digits(r, 6)}`,
  (r) => `ISBN 978-${int(r, 0, 9)}-${digits(r, 3)}-${digits(r, 5)}-${int(r, 0, 9)}`,
  (r) => `account ${digits(r, 8)}`,
  (r) => `reference ${digits(r, 4)}-${digits(r, 4)}-${digits(r, 4)}`,
  (r) => `customer id ${digits(r, 9)}`,
  (r) => `${int(r, 1, 254)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`,
  (r) => `${int(r, 1, 500)} units at ${int(r, 1, 999)}.${pad(int(r, 0, 99), 2)} each`,
  (r) => `${int(r, 100, 99999)} kg`,
  (r) => `${int(r, 1, 999)} x ${int(r, 1, 999)} x ${int(r, 1, 999)} mm`,
  (r) => `${int(r, 1000, 999999)} - ${int(r, 1000, 999999)} = ${int(r, -99999, 99999)}`,
  (r) => `ticket ${digits(r, 6)}`,
  (r) => `flight LH ${int(r, 100, 9999)} seat ${int(r, 1, 60)}${pick(r, ["A", "C", "F"])}`,
  (r) => `booking ${digits(r, 3)} ${digits(r, 3)} ${digits(r, 4)}`,
  (r) => `serial ${digits(r, 4)}-${digits(r, 4)}-${digits(r, 4)}-${digits(r, 4)}`,
  (r) => `batch ${digits(r, 2)}/${digits(r, 5)}`,
  (r) => `sort code ${digits(r, 2)}-${digits(r, 2)}-${digits(r, 2)}`,
  (r) => `PO box ${int(r, 1, 99999)}`,
  (r) => `process ${int(r, 100, 65535)} exited with code ${int(r, 0, 255)} after ${int(r, 1, 99999)} ms`,
  (r) => `${int(r, 1, 100)}% of ${int(r, 1000, 9999999)} requests`,
  (r) => `policy number ${digits(r, 3)} ${digits(r, 3)} ${digits(r, 3)}`,
  (r) => `(${int(r, 1, 99)}) items`,
  (r) => `room ${int(r, 100, 999)}, floor ${int(r, 1, 40)}`,
];

// ---------------------------------------------------------------------------------------------
// Phone numbers, labelled

const US_AREAS = ["212", "415", "617", "312", "206", "512", "303", "404", "702", "919"];
const UK_AREAS = ["20", "161", "121", "113", "131", "141", "117", "1632"];
const DE_AREAS = ["30", "40", "89", "221", "69", "711", "211", "351"];
const FR_AREAS = ["1", "2", "3", "4", "5", "6", "7", "9"];
const AU_AREAS = ["2", "3", "7", "8"];

/** Phone formats, each with the region whose plan its numbers must be valid in. */
const phoneFormats: [region: string, make: (r: Random) => string][] = [
  ["US", (r) => `(${pick(r, US_AREAS)}) ${int(r, 200, 999)}-${digits(r, 4)}`],
  ["US", (r) => `${pick(r, US_AREAS)}-${int(r, 200, 999)}-${digits(r, 4)}`],
  ["US", (r) => `${pick(r, US_AREAS)}.${int(r, 200, 999)}.${digits(r, 4)}`],
  ["US", (r) => `+1 ${pick(r, US_AREAS)} ${int(r, 200, 999)} ${digits(r, 4)}`],
  ["US", (r) => `+1-${pick(r, US_AREAS)}-${int(r, 200, 999)}-${digits(r, 4)} ext. ${int(r, 10, 9999)}`],
  ["US", (r) => `(${pick(r, US_AREAS)}) ${int(r, 200, 999)}-${digits(r, 4)} x${int(r, 10, 999)}`],
  [
    "GB",
    (r) => {
      const area = pick(r, UK_AREAS);
      return `0${area} ${digits(r, 10 - area.length - 4)} ${digits(r, 4)}`;
    },
  ],
  [
    "GB",
    (r) => {
      const area = pick(r, ["20", "161", "121"]);
      return area === "20"
        ? `+44 20 ${digits(r, 4)} ${digits(r, 4)}`
        : `+44 ${area} ${digits(r, 3)} ${digits(r, 4)}`;
    },
  ],
  ["GB", (r) => `07${int(r, 400, 999)} ${digits(r, 6)}`],
  ["DE", (r) => `0${pick(r, DE_AREAS)} ${digits(r, 7)}`],
  ["DE", (r) => `+49 ${pick(r, DE_AREAS)} ${digits(r, 7)}`],
  ["DE", (r) => `01${pick(r, ["51", "52", "60", "70", "76"])} ${digits(r, 7)}`],
  ["FR", (r) => `0${pick(r, FR_AREAS)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`],
  ["FR", (r) => `+33 ${pick(r, FR_AREAS)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`],
  ["AU", (r) => `(0${pick(r, AU_AREAS)}) ${digits(r, 4)} ${digits(r, 4)}`],
  ["AU", (r) => `+61 ${pick(r, AU_AREAS)} ${digits(r, 4)} ${digits(r, 4)}`],
  ["AU", (r) => `04${digits(r, 2)} ${digits(r, 3)} ${digits(r, 3)}`],
];

/**
 * A phone number of a random format, drawn until its region's plan holds it valid: a real
 * number is in the plan's ranges (a random subscriber number often is not).
 */
function phone(r: Random): string {
  const [region, make] = pick(r, phoneFormats);
  for (let tries = 0; tries < 100; tries += 1) {
    const number = make(r);
    if (isValidPhoneNumber(number, region as Parameters<typeof isValidPhoneNumber>[1])) return number;
  }
  throw new Error(`no valid ${region} number drawn in 100 tries`);
}

// ---------------------------------------------------------------------------------------------
// Card numbers, labelled (Luhn-valid, real issuer prefixes)

function luhnComplete(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i += 1) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}

const cards: ((r: Random) => string)[] = [
  (r) => luhnComplete(`4${digits(r, 14)}`).replace(/(\d{4})(?=\d)/g, "$1 "),
  (r) => luhnComplete(`5${int(r, 1, 5)}${digits(r, 13)}`).replace(/(\d{4})(?=\d)/g, "$1-"),
  (r) => luhnComplete(`4${digits(r, 14)}`),
  (r) => {
    const n = luhnComplete(`3${pick(r, ["4", "7"])}${digits(r, 12)}`);
    return `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`;
  },
  (r) => luhnComplete(`6011${digits(r, 11)}`).replace(/(\d{4})(?=\d)/g, "$1 "),
];

// ---------------------------------------------------------------------------------------------
// Documents

interface Piece {
  text: string;
  type?: "PHONE_NUMBER" | "CREDIT_CARD";
}

const phoneLead = [
  "Call us on ",
  "Phone: ",
  "For questions, ring ",
  "Contact the driver at ",
  "tel. ",
  "Our helpdesk: ",
  "You can reach me at ",
  "mobile ",
  "Fax ",
  "or text ",
  "Emergency number ",
  "",
];
const cardLead = ["Card: ", "Paid with card ", "card number ", "charged to ", "Visa ", ""];

const kinds: { name: string; open: (r: Random) => string }[] = [
  {
    name: "invoice",
    open: (r) => `INVOICE ${digits(r, 6)}\nDate: ${int(r, 1, 28)}.${int(r, 1, 12)}.${int(r, 2020, 2026)}\n`,
  },
  {
    name: "order",
    open: (r) => `Thanks for your order! Order ${digits(r, 3)}-${digits(r, 7)} ships soon.\n`,
  },
  { name: "shipping", open: () => "Your parcel is on its way.\n" },
  {
    name: "log",
    open: (r) =>
      `${int(r, 2020, 2026)}-${pad(int(r, 1, 12), 2)}-${pad(int(r, 1, 28), 2)}T${pad(int(r, 0, 23), 2)}:${pad(int(r, 0, 59), 2)}:00Z worker[${int(r, 100, 65535)}]: job started\n`,
  },
  { name: "table", open: () => "| item | qty | price | total |\n|---|---|---|---|\n" },
  { name: "ticket", open: (r) => `Support ticket #${digits(r, 6)} (priority ${int(r, 1, 4)})\n` },
  {
    name: "bank",
    open: (r) =>
      `Statement for account ending ${digits(r, 4)}, period ${int(r, 1, 12)}/${int(r, 2020, 2026)}\n`,
  },
  {
    name: "travel",
    open: (r) => `Booking confirmed: ${int(r, 1, 9)} nights from ${int(r, 1, 28)}/${int(r, 1, 12)}.\n`,
  },
];

function sentence(r: Random, pieces: Piece[]): void {
  const count = int(r, 2, 4);
  for (let i = 0; i < count; i += 1) {
    pieces.push({ text: pick(r, ["Ref ", "Note: ", "", "Total ", "See ", "Item ", "Status: "]) });
    pieces.push({ text: pick(r, notPhones)(r) });
    pieces.push({ text: pick(r, [". ", ", ", "; ", " and ", " | ", ".\n"]) });
  }
}

/** `count` documents, the same for the same seed; about a third hold a phone, a sixth a card. */
export function numberDenseDocuments(count = 1200, seed = 21): PresidioDocument[] {
  const r = seededRandom(seed);
  const documents: PresidioDocument[] = [];
  for (let d = 0; d < count; d += 1) {
    const kind = pick(r, kinds);
    const pieces: Piece[] = [{ text: kind.open(r) }];
    const lines = int(r, 3, 8);
    const phoneAt = r() < 0.35 ? int(r, 0, lines - 1) : -1;
    const cardAt = r() < 0.18 ? int(r, 0, lines - 1) : -1;
    for (let line = 0; line < lines; line += 1) {
      sentence(r, pieces);
      if (line === phoneAt) {
        pieces.push({ text: pick(r, phoneLead) });
        pieces.push({ text: phone(r), type: "PHONE_NUMBER" });
        pieces.push({ text: pick(r, [".\n", " (office).\n", " any time.\n", ", Mon-Fri 9-17.\n"]) });
      }
      if (line === cardAt) {
        pieces.push({ text: pick(r, cardLead) });
        pieces.push({ text: pick(r, cards)(r), type: "CREDIT_CARD" });
        pieces.push({ text: ".\n" });
      }
    }
    let full = "";
    const spans: PresidioDocument["spans"] = [];
    for (const piece of pieces) {
      if (piece.type) {
        spans.push({
          entity_type: piece.type,
          entity_value: piece.text,
          start_position: full.length,
          end_position: full.length + piece.text.length,
        });
      }
      full += piece.text;
    }
    documents.push({ full_text: full, spans });
  }
  return documents;
}
