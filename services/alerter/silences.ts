/** When a silence is in force, and which incidents it holds back (matchers: runtime/matchers.ts). */
import { incidentLabels, matchesAll } from "../runtime/matchers.ts";
import type { Incident, Silence, SilenceState } from "../runtime/model.ts";

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now >= Date.parse(silence.ends_at)) return "expired";
  if (now < Date.parse(silence.starts_at)) return "pending";
  return "active";
}

/** The ids of the silences, active at `now`, that apply to the incident. */
export function silencedBy(incident: Incident, silences: readonly Silence[], now: number): string[] {
  if (silences.length === 0) return [];
  const labels = incidentLabels(incident);
  return silences
    .filter((s) => silenceState(s, now) === "active" && matchesAll(s.matchers, labels))
    .map((s) => s.id);
}
