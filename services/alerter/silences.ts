/**
 * Silence matching, as in Alertmanager: a silence applies to an incident when every matcher holds
 * for the incident's labels; a label the incident does not have counts as the empty string.
 * Regex matchers are anchored (`=~ "support-.*"` matches the whole value, never a part of it).
 */
import type { Incident, Silence, SilenceMatcher, SilenceState } from "../runtime/model.ts";

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now >= Date.parse(silence.ends_at)) return "expired";
  if (now < Date.parse(silence.starts_at)) return "pending";
  return "active";
}

/** The labels silences match: the incident's labels plus its severity and session. */
export function silenceLabels(incident: Incident): Record<string, string> {
  // No prototype: a matcher named `constructor` or `__proto__` must see an absent label.
  const labels: Record<string, string> = Object.assign(Object.create(null), incident.labels);
  labels.detector = incident.detector;
  labels.agent_id = incident.agent_id;
  labels.severity = incident.severity;
  if (incident.session_id) labels.session_id = incident.session_id;
  return labels;
}

const compiled = new Map<string, RegExp>();

/** Compiles a regex matcher's value the way it is matched; throws SyntaxError when it is not a regex. */
export function matcherRegex(value: string): RegExp {
  let regex = compiled.get(value);
  if (!regex) {
    regex = new RegExp(`^(?:${value})$`, "u");
    if (compiled.size >= 1000) compiled.clear(); // silences are few; this only bounds a misuse
    compiled.set(value, regex);
  }
  return regex;
}

function holds(matcher: SilenceMatcher, labels: Record<string, string>): boolean {
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

/** The ids of the silences, active at `now`, that apply to the incident. */
export function silencedBy(incident: Incident, silences: readonly Silence[], now: number): string[] {
  const labels = silenceLabels(incident);
  return silences
    .filter((s) => silenceState(s, now) === "active" && s.matchers.every((m) => holds(m, labels)))
    .map((s) => s.id);
}
