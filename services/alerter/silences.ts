/** When a silence is in force, and which incidents it holds back (matchers: runtime/matchers.ts). */
import { matchesEveryDetector } from "../runtime/matchers.ts";
import type { Incident, Silence, SilenceState } from "../runtime/model.ts";

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now >= Date.parse(silence.ends_at)) return "expired";
  if (now < Date.parse(silence.starts_at)) return "pending";
  return "active";
}

/** The ids of the silences, active at `now`, that apply to the incident. */
export function silencedBy(incident: Incident, silences: readonly Silence[], now: number): string[] {
  if (silences.length === 0) return [];
  // A silence holds an incident back only when it covers every one of its detectors (matchers.ts).
  return silences
    .filter((s) => silenceState(s, now) === "active" && matchesEveryDetector(s.matchers, incident))
    .map((s) => s.id);
}
