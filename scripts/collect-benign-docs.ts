/**
 * Collects benign documentation text for the injection model's training
 * (scripts/training/benign-docs.jsonl, committed; `npm run train:injection` reads it).
 *
 *   node scripts/collect-benign-docs.ts
 *
 * Why: the public benign rows rarely use the words attacks use ("ignore", "override",
 * "instructions", "prompt", "password", "secret", "system", "admin" ...), so a bag-of-n-grams model
 * learned that those words alone mean an attack. Software documentation uses them all the time,
 * the ordinary way ("ignored when `strict` is set", "prompts the user for a password"). This takes
 * that text from the README and documentation files of the packages this project installs,
 * only those whose licence is permissive (MIT, ISC, BSD, Apache-2.0, 0BSD, MIT-0), cut into
 * paragraph chunks of 80-1,200 characters, and the doc comments of their declaration files
 * (TypeScript's DOM declarations left out: their comments are MDN's, under another licence). Chunks that use one of those words are all kept, up to
 * a cap, and a sample of the others; a chunk any injection rule fires on is left out (reviewing
 * them by hand found none that was an attack, but a label should not depend on that).
 *
 * Deterministic for a given package-lock.json and set of rules (a new package or rule changes the
 * file: the committed one is what the shipped model was trained on): files are read in sorted order and chunks are
 * chosen by their SHA-256, not at random.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { classifyInjection } from "../detectors/injection/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const MODULES = join(ROOT, "node_modules");
const OUT = join(ROOT, "scripts/training/benign-docs.jsonl");
const PERMISSIVE = new Set([
  "MIT",
  "ISC",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "Apache-2.0",
  "0BSD",
  "MIT-0",
  "MIT OR Apache-2.0",
]);
const TRIGGERS =
  /\b(?:ignor\w*|disregard\w*|overrid\w*|bypass\w*|instruction\w*|prompt\w*|password\w*|secret\w*|credential\w*|token\w*|system|admin\w*|root|sudo|reveal\w*|forget\w*|previous|rules?|polic(?:y|ies)|role|pretend|act as|jailbreak\w*|restrict\w*|unrestricted|developer mode|execute|command\w*)\b/i;
const MAX_TRIGGER_CHUNKS = 1_600;
const MAX_OTHER_CHUNKS = 400;
const MAX_SENTENCES = 3_000;

interface Chunk {
  text: string;
  source: string;
}

function packages(): string[] {
  const found: string[] = [];
  for (const name of readdirSync(MODULES).sort()) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      for (const inner of readdirSync(join(MODULES, name)).sort()) found.push(join(MODULES, name, inner));
    } else found.push(join(MODULES, name));
  }
  return found.filter((dir) => existsSync(join(dir, "package.json")));
}

function docFiles(dir: string, depth = 0): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    const stat = statSync(path);
    if (stat.isDirectory() && depth < 3) files.push(...docFiles(path, depth + 1));
    else if (
      stat.isFile() &&
      /\.(?:md|d\.ts)$/i.test(name) &&
      !/^(?:changelog|history|license|licence|lib\.(?:dom|webworker))/i.test(name)
    )
      files.push(path);
  }
  return files;
}

/** A declaration file's doc comments as markdown: the prose of each, without its tags and examples. */
function docComments(source: string): string {
  return [...source.matchAll(/\/\*\*([\s\S]*?)\*\//g)]
    .map((m) => (m[1] as string).replace(/^\s*\* ?/gm, "").split(/^@/m)[0] as string)
    .join("\n\n");
}

/** Paragraphs (blank-line separated), joined while they fit, without fenced code blocks. */
function chunks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "\n\n").replace(/<[^>\n]{1,200}>/g, " ");
  const out: string[] = [];
  let current = "";
  for (const paragraph of prose.split(/\n\s*\n/)) {
    const text = paragraph.replace(/\s+/g, " ").trim();
    if (text.length < 20 || /^[#|\-=*>\s[\]!()]+$/.test(text)) continue;
    if (current && current.length + text.length > 1_200) {
      out.push(current);
      current = "";
    }
    current = current ? `${current}\n\n${text}` : text;
  }
  if (current) out.push(current);
  return out.filter((c) => c.length >= 80 && c.length <= 1_200 && /[a-z]{3,}/i.test(c));
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");
const all: Chunk[] = [];
const seen = new Set<string>();
for (const dir of packages()) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    version: string;
    license?: unknown;
  };
  if (typeof manifest.license !== "string" || !PERMISSIVE.has(manifest.license)) continue;
  for (const file of docFiles(dir)) {
    const content = readFileSync(file, "utf8");
    for (const text of chunks(file.endsWith(".ts") ? docComments(content) : content)) {
      const key = text.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      all.push({
        text,
        source: `npm:${manifest.name}@${manifest.version}:${relative(dir, file)} (${manifest.license})`,
      });
    }
  }
}

const benign = all.filter((c) => classifyInjection(c.text, "tool").score === 0);
const byDigest = (a: Chunk, b: Chunk) => (digest(a.text) < digest(b.text) ? -1 : 1);
const withTriggers = benign
  .filter((c) => TRIGGERS.test(c.text))
  .sort(byDigest)
  .slice(0, MAX_TRIGGER_CHUNKS);
const others = benign
  .filter((c) => !TRIGGERS.test(c.text))
  .sort(byDigest)
  .slice(0, MAX_OTHER_CHUNKS);
// The sentences that use those words, on their own as well: in a short text a word weighs more
// (the features are normalized by length), which is where a word alone was taken for an attack.
const sentences = benign
  .flatMap((c) =>
    c.text
      .split(/(?<=[.!?])\s+|\n+/)
      .filter((s) => s.length >= 30 && s.length <= 300 && TRIGGERS.test(s) && /^[A-Z]/.test(s))
      .map((text) => ({ text, source: c.source })),
  )
  .filter((c, i, list) => list.findIndex((d) => d.text === c.text) === i)
  .sort(byDigest)
  .slice(0, MAX_SENTENCES);
const rows = [...withTriggers, ...others, ...sentences].sort(byDigest);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  `${rows.map((c) => JSON.stringify({ text: c.text, label: 0, kind: "benign_content", source: c.source })).join("\n")}\n`,
);
console.log(
  `${all.length} chunks, ${all.length - benign.length} left out (a rule fired), wrote ${rows.length} (${withTriggers.length} chunks and ${sentences.length} sentences with the words attacks use) to ${relative(ROOT, OUT)}`,
);
