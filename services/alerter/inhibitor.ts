/**
 * Inhibition, as Alertmanager's inhibit_rules: an incident is inhibited while another active
 * incident (open or acknowledged) matches a rule's source matchers, the incident matches its
 * target matchers, and both have the same value (absent counts as empty) for every label in
 * `equal`. An incident never inhibits itself.
 */
import type { Config } from "../runtime/config.ts";
import { incidentLabels, matchesAll } from "../runtime/matchers.ts";
import type { Incident } from "../runtime/model.ts";

export type InhibitRule = Config["alerting"]["inhibit_rules"][number];

export class Inhibitor {
  readonly #rules: readonly InhibitRule[];
  /** The labels of every active incident, by id: the possible sources. */
  readonly #active = new Map<string, Record<string, string>>();

  constructor(rules: readonly InhibitRule[]) {
    this.#rules = rules;
  }

  get enabled(): boolean {
    return this.#rules.length > 0;
  }

  /** Replaces what is known of the active incidents (the alerter's tick reads them all). */
  reset(incidents: readonly Incident[]): void {
    this.#active.clear();
    for (const incident of incidents) this.observe(incident);
  }

  /** Records an incident's current state: active ones may inhibit, resolved ones no longer do. */
  observe(incident: Incident): void {
    if (!this.enabled) return;
    if (incident.status === "resolved") this.#active.delete(incident.id);
    else this.#active.set(incident.id, incidentLabels(incident));
  }

  /** The ids of the active incidents that inhibit this one. */
  inhibitedBy(incident: Incident): string[] {
    if (!this.enabled) return [];
    const target = incidentLabels(incident);
    const sources = new Set<string>();
    for (const rule of this.#rules) {
      if (!matchesAll(rule.target_matchers, target)) continue;
      for (const [id, source] of this.#active) {
        if (id === incident.id || sources.has(id)) continue;
        if (!matchesAll(rule.source_matchers, source)) continue;
        if (rule.equal.every((name) => (source[name] ?? "") === (target[name] ?? ""))) sources.add(id);
      }
    }
    return [...sources];
  }
}
