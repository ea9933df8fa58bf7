/**
 * Finds the regular-expression literals in TypeScript source, so the regex-safety test can check
 * every pattern the project ships (including ones added later) without a list kept by hand.
 * A small scanner, not a parser: it skips comments, strings and template text, and takes a `/`
 * as the start of a regex where an expression may start (after an operator, a bracket, a comma
 * or a keyword such as `return`), which is how the language itself decides.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface RegexLiteral {
  file: string;
  line: number;
  source: string;
  flags: string;
}

const EXPRESSION_KEYWORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "void",
  "yield",
  "await",
]);

export function regexLiterals(text: string, file = "<source>"): RegexLiteral[] {
  const found: RegexLiteral[] = [];
  let i = 0;
  let line = 1;
  // What came before, to tell a regex from a division: "value" (identifier, number, closing bracket) or "operator".
  let previous: "value" | "operator" = "operator";
  let word = "";
  const templateDepth: number[] = [];
  let braces = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\n") line += 1;
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i += 1;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (let j = i; j < stop; j += 1) if (text[j] === "\n") line += 1;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      i = skipString(text, i, c);
      previous = "value";
      word = "";
      continue;
    }
    if (c === "`" || (c === "}" && templateDepth.length > 0 && templateDepth.at(-1) === braces)) {
      if (c === "}") templateDepth.pop();
      // Template text up to the closing backtick or the next `${`.
      let j = i + 1;
      while (j < text.length && text[j] !== "`") {
        if (text[j] === "\\") j += 1;
        else if (text[j] === "\n") line += 1;
        else if (text[j] === "$" && text[j + 1] === "{") break;
        j += 1;
      }
      if (text[j] === "$") {
        templateDepth.push(braces);
        i = j + 2;
        previous = "operator";
      } else {
        i = j + 1;
        previous = "value";
      }
      word = "";
      continue;
    }
    if (c === "/") {
      const startsRegex = previous === "operator" || EXPRESSION_KEYWORDS.has(word);
      if (startsRegex) {
        const literal = readRegex(text, i);
        if (literal) {
          found.push({ file, line, source: literal.source, flags: literal.flags });
          i = literal.end;
          previous = "value";
          word = "";
          continue;
        }
      }
      previous = "operator";
      word = "";
      i += 1;
      continue;
    }
    if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_$]/.test(text[j] as string)) j += 1;
      word = text.slice(i, j);
      previous = EXPRESSION_KEYWORDS.has(word) ? "operator" : "value";
      i = j;
      continue;
    }
    if (c === "{") braces += 1;
    if (c === "}") braces -= 1;
    if (!/\s/.test(c)) {
      previous = c === ")" || c === "]" || c === "}" ? "value" : "operator";
      word = "";
    }
    i += 1;
  }
  return found;
}

function skipString(text: string, start: number, quote: string): number {
  let j = start + 1;
  while (j < text.length && text[j] !== quote && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
  return j + 1;
}

function readRegex(text: string, start: number): { source: string; flags: string; end: number } | undefined {
  let j = start + 1;
  let inClass = false;
  while (j < text.length) {
    const c = text[j];
    if (c === "\n") return undefined;
    if (c === "\\") j += 2;
    else {
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
      j += 1;
    }
  }
  if (j >= text.length || j === start + 1) return undefined;
  const source = text.slice(start + 1, j);
  let k = j + 1;
  while (k < text.length && /[dgimsuyv]/.test(text[k] as string)) k += 1;
  return { source, flags: text.slice(j + 1, k), end: k };
}

/** Every regex literal in the non-test TypeScript files under `dirs` (paths relative to `root`). */
export function regexLiteralsUnder(root: string, dirs: string[]): RegexLiteral[] {
  const out: RegexLiteral[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        out.push(...regexLiterals(readFileSync(path, "utf8"), relative(root, path)));
      }
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return out;
}
