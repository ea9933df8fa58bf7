/**
 * Label matchers, as in Alertmanager, shared by silences and routes: a list of matchers holds for
 * an incident when each one does; a label the incident lacks counts as the empty string. Regex
 * matchers are anchored (`=~ "support-.*"` matches the whole value, never a part of it).
 */
import { z } from "zod";
import { type Incident, MATCHER_OPS, type SilenceMatcher } from "./model.ts";

export type Matcher = SilenceMatcher;

const compiled = new Map<string, RegExp>();

/** Compiles a regex matcher's value the way it is matched; throws SyntaxError when it is not a regex. */
export function matcherRegex(value: string): RegExp {
  let regex = compiled.get(value);
  if (!regex) {
    regex = new RegExp(`^(?:${value})$`, "u");
    if (compiled.size >= 1000) compiled.clear(); // matchers are few; this only bounds a misuse
    compiled.set(value, regex);
  }
  return regex;
}

/** The labels matchers read: the incident's labels plus its severity and session. */
export function incidentLabels(incident: Incident): Record<string, string> {
  // No prototype: a matcher named `constructor` or `__proto__` must see an absent label.
  const labels: Record<string, string> = Object.assign(Object.create(null), incident.labels);
  labels.detector = incident.detector;
  labels.agent_id = incident.agent_id;
  labels.severity = incident.severity;
  if (incident.session_id) labels.session_id = incident.session_id;
  return labels;
}

function holds(matcher: Matcher, labels: Record<string, string>): boolean {
  const actual = labels[matcher.name] ?? "";
  switch (matcher.op) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    case "=~":
      return matcherRegex(matcher.value).test(actual);
    case "!~":
      return !matcherRegex(matcher.value).test(actual);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => holds(m, labels));
}

/**
 * Whether the matchers hold for an incident with no labels at all (they would match everything).
 * False when a regex does not compile: such a matcher matches nothing, and matcherSchema reports it.
 */
export function matchesEverything(matchers: readonly Matcher[]): boolean {
  try {
    return matchesAll(matchers, Object.create(null));
  } catch {
    return false;
  }
}

/** One matcher in config or an API body: `op` defaults to `=`, a regex must compile. */
export const matcherSchema = z
  .strictObject({
    name: z.string().min(1).max(128),
    value: z.string().max(1024),
    op: z.enum(MATCHER_OPS).default("="),
  })
  .superRefine((matcher, ctx) => {
    if (matcher.op !== "=~" && matcher.op !== "!~") return;
    try {
      matcherRegex(matcher.value);
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `not a regular expression (${(err as Error).message})`,
      });
    }
  });
