/**
 * Validation messages written for a person, from a schema's issues: "comment: required",
 * "limit: must be a whole number", "kind: must be one of a, b (got "c")", never a parser's
 * "Invalid input: expected string, received undefined".
 */

import type { z } from "zod";
import { valueAt } from "../../lib/paths.ts";

const ARTICLE: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object",
};

/** zod's own wording, which is replaced; a schema's own message (written for a person) is kept. */
const PARSER_WORDING = /^(?:Invalid|Too small|Too big|Unrecognized|Expected)/;

export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAt(input, issue.path);
  if (!PARSER_WORDING.test(issue.message) && !(issue.code === "invalid_type" && value === undefined)) {
    return issue.message;
  }
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "required";
      return `must be ${ARTICLE[issue.expected] ?? issue.expected} (got ${kindOf(value)})`;
    case "too_small":
      if (issue.origin === "array" || issue.origin === "set")
        return `must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`;
      if (issue.origin === "string")
        return Number(issue.minimum) === 1
          ? "must not be empty"
          : `must be at least ${issue.minimum} characters`;
      return `must be at least ${issue.minimum}${issue.inclusive === false ? " (exclusive)" : ""}`;
    case "too_big":
      if (issue.origin === "array" || issue.origin === "set")
        return `must have at most ${issue.maximum} items`;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${value === undefined ? "" : ` (got ${JSON.stringify(value)})`}`;
    case "invalid_format":
      return issue.message?.startsWith("Invalid")
        ? `must be ${issue.format === "regex" ? "in the expected form" : `a valid ${issue.format}`}`
        : issue.message;
    default:
      return issue.message;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return Number.isInteger(value) ? `the number ${value}` : `${value}`;
  if (typeof value === "string")
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return ARTICLE[typeof value] ?? typeof value;
}
