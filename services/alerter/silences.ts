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

/**
 * The silences an alerter holds back notifications with: those not expired yet, read from
 * storage (the truth) at start and each tick, and changed at once by this process's operator
 * actions. Every alerter process reads them, so a silence made through one holds in all within
 * a tick.
 */
export class SilenceBook {
  #silences: Silence[] = [];

  /** Replaces what is known with what storage holds (expired ones dropped). */
  replace(silences: readonly Silence[], now: number): void {
    this.#silences = silences.filter((s) => silenceState(s, now) !== "expired");
  }

  add(silence: Silence): void {
    this.#silences = [silence, ...this.#silences.filter((s) => s.id !== silence.id)];
  }

  remove(id: string): void {
    this.#silences = this.#silences.filter((s) => s.id !== id);
  }

  activeCount(now: number): number {
    return this.#silences.filter((s) => silenceState(s, now) === "active").length;
  }

  silencedBy(incident: Incident, now: number): string[] {
    return silencedBy(incident, this.#silences, now);
  }
}
