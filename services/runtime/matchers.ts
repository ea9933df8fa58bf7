/**
 * Label matchers, as in Alertmanager, shared by silences and routes: a list of matchers holds for
 * an incident when each one does; a label the incident lacks counts as the empty string. Regex
 * matchers are anchored (`=~ "support-.*"` matches the whole value, never a part of it).
 */
import { RE2JS } from "re2js";
import { z } from "zod";
import { type Incident, MATCHER_OPS, type SilenceMatcher } from "./model.ts";

export type Matcher = SilenceMatcher;

/** A compiled regex matcher value: whether a whole label value matches. */
export interface MatcherRegex {
  test(value: string): boolean;
}

const compiled = new Map<string, MatcherRegex>();

/**
 * Compiles a regex matcher's value the way it is matched: anchored (the whole value), with RE2
 * syntax and RE2's guarantee of time linear in the label's length, as Alertmanager's matchers
 * (Go's regexp) have. Operators type these patterns; a backtracking engine let one silence such
 * as `(\w+\s?)+` freeze the alerter for a minute on every tick. RE2 has no look-around and no
 * back-references: such a pattern is refused here with RE2's message, so the API answers 400.
 * Throws SyntaxError when the value is not an RE2 regex.
 */
export function matcherRegex(value: string): MatcherRegex {
  let regex = compiled.get(value);
  if (!regex) {
    let re2: RE2JS;
    try {
      re2 = RE2JS.compile(value);
    } catch (err) {
      throw new SyntaxError(
        `${(err as Error).message.replace(/^error parsing regexp: /, "")} (matchers use RE2 syntax, as Alertmanager's: no look-around or back-references)`,
      );
    }
    regex = { test: (label: string) => re2.matches(label) };
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

/**
 * The label sets matchers are tried against: one per detector of the incident (a session's
 * findings are correlated into one incident: an injection, then the secret it leaked), each with
 * that detector's own labels over the incident's, and the incident's severity (the highest of its
 * findings). An incident of one detector has one set, `incidentLabels`.
 */
export function incidentLabelSets(incident: Incident): Record<string, string>[] {
  const base = incidentLabels(incident);
  const detectors = incident.detectors ?? [incident.detector];
  if (detectors.length <= 1) return [base];
  return detectors.map((detector) => {
    const labels: Record<string, string> = Object.assign(
      Object.create(null),
      base,
      incident.detector_labels?.[detector] ?? {},
    );
    labels.detector = detector;
    labels.agent_id = incident.agent_id;
    labels.severity = incident.severity;
    return labels;
  });
}

/**
 * Whether the matchers hold for any detector of the incident: what acts or tells (routes,
 * auto-pause policies, inhibition sources) follows every detector, so a policy on `secret_leak`
 * fires on a session incident that began as `injection_attempt`.
 */
export function matchesAnyDetector(matchers: readonly Matcher[], incident: Incident): boolean {
  return incidentLabelSets(incident).some((labels) => matchesAll(matchers, labels));
}

/**
 * Whether the matchers hold for every detector of the incident: what holds back (silences,
 * inhibition targets) must cover all of it, so a silence on `injection_attempt` does not hide the
 * secret leak that joined its incident.
 */
export function matchesEveryDetector(matchers: readonly Matcher[], incident: Incident): boolean {
  return incidentLabelSets(incident).every((labels) => matchesAll(matchers, labels));
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
        message: `not a regular expression: ${(err as Error).message}`,
      });
    }
  });
