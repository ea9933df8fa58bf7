import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../lib/random.ts";
import { datasetsDir, loadPresidio, scorePii } from "./evaluate.ts";
import { numberDenseDocuments } from "./number-dense.ts";
import { findEmails, findSensitive, luhnValid, redact, redactedExcerpt, validIban } from "./sensitive.ts";

const DATASETS = datasetsDir();
const types = (text: string) => findSensitive(text).map((m) => m.type);
const alnum = (n: number) =>
  Array.from(
    randomBytes(n),
    (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[b % 62],
  ).join("");

// Seeded: a failure names numbers that fail again on the next run. (Unseeded, one run in five
// drew a 19-digit Discover number in a range Elo shares, which the card check then missed.)
const digits = seededRandom(20261201);

/** A Luhn-valid number: `prefix` + random digits + check digit. */
function luhnNumber(prefix: string, length: number): string {
  let body = prefix;
  while (body.length < length - 1) body += String(Math.floor(digits() * 10));
  for (let d = 0; d <= 9; d += 1) if (luhnValid(body + d)) return body + d;
  throw new Error("unreachable");
}

describe("secrets", () => {
  it("finds generated API keys of every kind, and nothing in their near misses", () => {
    const cases: [string, string][] = [
      [`sk-${alnum(48)}`, "openai_key"],
      [`sk-proj-${alnum(40)}_${alnum(20)}`, "openai_key"],
      [`sk-ant-api03-${alnum(80)}`, "anthropic_key"],
      [`AKIA${alnum(16).toUpperCase()}`, "aws_access_key"],
      [`aws_secret_access_key = ${alnum(40)}`, "aws_secret_key"],
      [`ghp_${alnum(36)}`, "github_token"],
      [`github_pat_${alnum(22)}_${alnum(59)}`, "github_token"],
      [`xoxb-${randomBytes(6).readUIntBE(0, 6)}-${alnum(24)}`, "slack_token"],
      [`AIza${alnum(35)}`, "google_api_key"],
      [`sk_live_${alnum(24)}`, "stripe_key"],
      [`-----BEGIN RSA PRIVATE KEY-----\nMIIEow${alnum(60)}\n-----END RSA PRIVATE KEY-----`, "private_key"],
      [
        `-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn${alnum(60)}\n-----END OPENSSH PRIVATE KEY-----`,
        "private_key",
      ],
    ];
    for (const [secret, type] of cases) {
      expect(types(`here you go: ${secret} (keep it safe)`), secret).toContain(type);
    }
    for (const text of [
      "sk-short",
      "the task-ant-hill",
      "AKIA123",
      "ghp_tooShort",
      "the skeleton key is under the mat",
      "-----BEGIN PUBLIC KEY-----",
    ]) {
      expect(
        types(text).filter((t) => t !== "phone"),
        text,
      ).toEqual([]);
    }
  });

  it("treats documentation placeholders as no leak", () => {
    expect(types("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")).toEqual([]);
    expect(types("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toEqual([]);
  });
});

describe("personal data", () => {
  it("checks cards with Luhn and issuer prefixes", () => {
    for (const prefix of ["4", "51", "37", "6011"]) {
      const number = luhnNumber(prefix, prefix === "37" ? 15 : 16);
      expect(types(`card ${number} exp 12/29`)).toContain("credit_card");
      expect(types(`card ${number.replace(/(\d{4})(?=\d)/g, "$1 ")} exp 12/29`)).toContain("credit_card");
    }
    const valid = luhnNumber("4", 16);
    const broken = valid.slice(0, -1) + ((Number(valid.at(-1)) + 1) % 10);
    expect(types(`order ${broken}`)).not.toContain("credit_card");
    expect(types(`id ${luhnNumber("9", 16)}`)).not.toContain("credit_card");
  });

  it("checks US SSNs by the SSA rules", () => {
    expect(types("SSN 536-32-3065")).toEqual(["us_ssn"]);
    expect(types("social security number: 536 32 3065")).toEqual(["us_ssn"]);
    for (const invalid of [
      "000-12-3456",
      "666-12-3456",
      "912-12-3456",
      "536-00-3065",
      "536-32-0000",
      "078-05-1120",
    ]) {
      expect(types(`SSN ${invalid}`), invalid).not.toContain("us_ssn");
    }
  });

  it("checks Canadian SINs by Luhn, valid and invalid", () => {
    const sin = luhnNumber("1", 9);
    expect(types(`SIN ${sin.slice(0, 3)}-${sin.slice(3, 6)}-${sin.slice(6)}`)).toContain("ca_sin");
    expect(types(`SIN ${sin.slice(0, 3)} ${sin.slice(3, 6)} ${sin.slice(6)}`)).toContain("ca_sin");
    const bad = sin.slice(0, -1) + ((Number(sin.at(-1)) + 1) % 10);
    expect(types(`SIN ${bad.slice(0, 3)}-${bad.slice(3, 6)}-${bad.slice(6)}`)).not.toContain("ca_sin");
    const eight = luhnNumber("8", 9);
    expect(types(`SIN ${eight.slice(0, 3)}-${eight.slice(3, 6)}-${eight.slice(6)}`)).not.toContain("ca_sin");
  });

  it("checks IBANs by country length and mod 97", () => {
    expect(validIban("GB82 WEST 1234 5698 7654 32")).toBe(true);
    expect(validIban("de89370400440532013000")).toBe(true);
    expect(validIban("GB82 WEST 1234 5698 7654 33")).toBe(false);
    expect(validIban("GB82 WEST 1234 5698 7654")).toBe(false);
    expect(types("pay to DE89 3704 0044 0532 0130 00 today")).toEqual(["iban"]);
  });

  it("finds e-mail addresses", () => {
    expect(types("write to jane.doe+billing@mail.example.co.uk please")).toEqual(["email"]);
    expect(types("not@an email")).toEqual([]);
  });
});

describe("redaction", () => {
  it("masks every value, keeps a card's last four, and never cuts a value into an excerpt", () => {
    const card = luhnNumber("4", 16);
    const text = `Customer jane@example.com paid with ${card}; key sk-${alnum(40)} and SSN 536-32-3065.`;
    const redacted = redact(text);
    expect(redacted).toBe(
      `Customer [REDACTED:email] paid with [REDACTED:credit_card …${card.slice(-4)}]; key [REDACTED:openai_key] and SSN [REDACTED:us_ssn].`,
    );
    const excerpt = redactedExcerpt(
      `${"x".repeat(200)} ${text}`,
      findSensitive(`${"x".repeat(200)} ${text}`),
      20,
    );
    expect(excerpt.startsWith("…")).toBe(true);
    expect(excerpt).toContain("[REDACTED:email]");
    expect(excerpt).not.toContain("jane@");
    expect(excerpt).not.toMatch(/\d{12}/);
  });
});

describe("quality on the development data (../shared/datasets)", () => {
  it("holds the floors on Presidio: precision >= 0.95 and recall >= 0.90 for e-mail, cards, SSNs and IBANs", () => {
    const scores = scorePii(loadPresidio(`${DATASETS}/presidio/generated_large.json`));
    for (const type of ["email", "credit_card", "us_ssn", "iban"] as const) {
      expect(scores[type].precision, `${type} precision`).toBeGreaterThanOrEqual(0.95);
      expect(scores[type].recall, `${type} recall`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("finds phone numbers with libphonenumber at precision and recall >= 0.90 on Presidio", () => {
    const scores = scorePii(loadPresidio(`${DATASETS}/presidio/generated_large.json`));
    expect(scores.phone.precision).toBeGreaterThanOrEqual(0.9);
    expect(scores.phone.recall).toBeGreaterThanOrEqual(0.9);
  });

  it("phones in documents dense in other numbers: precision >= 0.95 and recall >= 0.90; cards recall >= 0.98", () => {
    const documents = numberDenseDocuments();
    expect(documents.length).toBe(1200);
    const scores = scorePii(documents);
    expect(scores.phone.truePositives + scores.phone.falseNegatives).toBeGreaterThan(300);
    expect(scores.phone.precision).toBeGreaterThanOrEqual(0.95);
    expect(scores.phone.recall).toBeGreaterThanOrEqual(0.9);
    expect(scores.credit_card.recall).toBeGreaterThanOrEqual(0.98);
  });

  it("phones: not order, tracking or reference numbers, versions or decimals, even beside a phone word", () => {
    const phones = (text: string) =>
      findSensitive(text)
        .filter((m) => m.type === "phone")
        .map((m) => text.slice(m.start, m.end));
    expect(phones("Order 114-3338173 ships soon; reference 6351-6970-8794; policy 678 524 522.")).toEqual([]);
    expect(phones("account 42646251, Fax 0161 496 0000")).toEqual(["0161 496 0000"]);
    expect(phones("version 20.3.135, mobile +44 7700 900123; at 85.986206, 0.656707")).toEqual([
      "+44 7700 900123",
    ]);
    expect(phones("Emergency number 212-418-3734 any time, or reach us at 0117 496 0123.")).toEqual([
      "212-418-3734",
      "0117 496 0123",
    ]);
  });

  it("phones: international and local forms, extensions; not dates, times, IPs, flat numbers, sums or bare ids", () => {
    const phones = (text: string) =>
      findSensitive(text)
        .filter((m) => m.type === "phone")
        .map((m) => text.slice(m.start, m.end));
    expect(phones("Call +44 20 7946 0958 or (415) 555-2671 ext. 204 today.")).toEqual([
      "+44 20 7946 0958",
      "(415) 555-2671 ext. 204",
    ]);
    expect(phones("Téléphone : 01 42 68 53 00")).toEqual(["01 42 68 53 00"]);
    expect(phones("You can call 33 93 31")).toEqual(["33 93 31"]);
    expect(
      phones(
        "On 2024-11-20 11:28:05 from 192.168.10.254, Apt. 722 20 40, 38390 - 30470 = 7920, licence 425700624.",
      ),
    ).toEqual([]);
    // In a region that is not in the list, a local number is not read; configured, it is.
    expect(findSensitive("Ring 030 12345678 please", ["US"]).some((m) => m.type === "phone")).toBe(false);
    expect(findSensitive("Ring 030 12345678 please", ["DE"]).some((m) => m.type === "phone")).toBe(true);
  });

  it("raises no personal data or secret in the benign instructions (false-positive rate <= 2%)", () => {
    const lines = readFileSync(`${DATASETS}/alpaca/seed_tasks.jsonl`, "utf8").split("\n").filter(Boolean);
    const texts = lines.flatMap((line) => {
      const task = JSON.parse(line) as {
        instruction: string;
        instances: { input: string; output: string }[];
      };
      return [task.instruction, ...task.instances.flatMap((i) => [i.input, i.output])];
    });
    const flagged = texts.filter((t) => findSensitive(t).some((m) => m.type !== "phone"));
    expect(flagged.length / texts.length).toBeLessThanOrEqual(0.02);
  });
});

describe("cards of every network", () => {
  // Issuer prefix and every length in use, per network (issue 9).
  const NETWORKS: [network: string, prefixes: string[], lengths: number[]][] = [
    ["Visa", ["4"], [13, 16, 19]],
    ["Mastercard", ["51", "53", "55", "2221", "2500", "2720"], [16]],
    ["American Express", ["34", "37"], [15]],
    ["Discover", ["6011", "644", "649", "65"], [16, 19]],
    // Ranges a more specific network shares at other lengths (Elo takes 6505xx and 431274 at 16).
    ["Discover", ["6505", "6507"], [19]],
    ["Visa", ["431274", "401178"], [13, 19]],
    ["Diners Club", ["300", "305", "36", "38"], [14, 16, 19]],
    ["JCB", ["3528", "3589"], [16, 17, 18, 19]],
    ["JCB", ["1800", "2131"], [15, 16]],
    ["Maestro", ["5018", "5020", "5038", "5893", "6304", "6759", "6761"], [12, 13, 15, 19]],
    ["UnionPay", ["62", "8110", "8171"], [16, 17, 18, 19]],
    ["Mir", ["2200", "2204"], [16, 19]],
    ["Elo", ["401178", "636368"], [16]],
    ["Hipercard", ["606282"], [16]],
    ["Troy", ["9792"], [16]],
    ["Verve", ["506099", "650002"], [16, 19]],
    ["UATP", ["1"], [15]],
    ["RuPay", ["508", "60"], [16]],
    ["Dankort", ["5019"], [16]],
  ];
  const grouped = (digits: string, sep: string) => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
  const cases = NETWORKS.flatMap(([network, prefixes, lengths]) =>
    prefixes.flatMap((prefix) =>
      lengths.flatMap((length) =>
        Array.from({ length: 20 }, () => ({ network, number: luhnNumber(prefix, length) })),
      ),
    ),
  );

  it("finds a Luhn-valid number of every network and length, plain, spaced and dashed", () => {
    const missed: string[] = [];
    for (const { network, number } of cases) {
      for (const form of [number, grouped(number, " "), grouped(number, "-")]) {
        const text = `Please charge ${form} for the order.`;
        const found = findSensitive(text).filter((m) => m.type === "credit_card");
        const whole = found.length === 1 && text.slice(found[0]!.start, found[0]!.end) === form;
        if (!whole) missed.push(`${network} ${number.length}: ${form}`);
      }
    }
    expect(missed).toEqual([]);
    expect(cases.length).toBeGreaterThan(1200);
  });

  it("finds none of the near misses: a wrong check digit, a length the network does not use, no network", () => {
    const misses = cases.flatMap(({ number }) => {
      const last = Number(number.at(-1));
      return [`${number.slice(0, -1)}${(last + 1) % 10}`]; // Luhn-invalid
    });
    misses.push(luhnNumber("34", 16)); // Amex is 15 digits
    misses.push(luhnNumber("51", 15)); // Mastercard is 16
    misses.push(luhnNumber("0", 16)); // no network starts with 0
    misses.push(luhnNumber("7", 16)); // nor with 7
    misses.push("4444444444444444"); // one digit repeated
    const found = misses.filter((m) => findSensitive(`ref ${m} end`).some((s) => s.type === "credit_card"));
    expect(found).toEqual([]);
  });

  it("redacts a card keeping its last four digits", () => {
    const number = luhnNumber("4", 16);
    expect(redact(`card ${number}.`)).toBe(`card [REDACTED:credit_card …${number.slice(-4)}].`);
  });
});

describe("e-mail addresses, found from each @", () => {
  it("finds exactly what the pattern it replaces finds, on edge cases and 20,000 generated strings", () => {
    const pattern = /\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/g;
    const random = seededRandom(7);
    const alphabet = "ab.@-_%+0 é.Zc";
    const texts = [
      "mail me at john.doe@example.com today",
      "a@b.co, c.d+e@sub.domain.org; x@y",
      "@@a@b.cd",
      "..a@b.cd",
      `${"x".repeat(70)}@example.com`,
      "a.b@c.d.e.f.g.h.i.j.k.com",
      ...Array.from({ length: 20_000 }, () =>
        Array.from(
          { length: Math.floor(random() * 40) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        ).join(""),
      ),
    ];
    for (const text of texts) {
      const expected = [...text.matchAll(pattern)].map((m) => [m.index, m.index + m[0].length]);
      expect([...findEmails(text)], JSON.stringify(text)).toEqual(expected);
    }
  });
});
