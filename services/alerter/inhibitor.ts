/**
 * Inhibition, as Alertmanager's inhibit_rules: an incident is inhibited while another active
 * incident (open or acknowledged) matches a rule's source matchers, the incident matches its
 * target matchers, and both have the same value (absent counts as empty) for every label in
 * `equal`. An incident never inhibits itself.
 */
import type { Config } from "../runtime/config.ts";
import { incidentLabelSets, matchesAll } from "../runtime/matchers.ts";
import type { Incident } from "../runtime/model.ts";

export type InhibitRule = Config["alerting"]["inhibit_rules"][number];

export class Inhibitor {
  readonly #rules: readonly InhibitRule[];
  /**
   * Per rule, the active incidents that match its source matchers, by the values of its `equal`
   * labels: a target finds its sources with one look-up per rule and label set, so a tick over n
   * active incidents costs O(n × rules), not O(n² × rules).
   */
  readonly #sources: Map<string, Set<string>>[];
  /** The keys each active incident is indexed under, per rule, to take it out again. */
  readonly #indexed = new Map<string, string[][]>();

  constructor(rules: readonly InhibitRule[]) {
    this.#rules = rules;
    this.#sources = rules.map(() => new Map());
  }

  get enabled(): boolean {
    return this.#rules.length > 0;
  }

  /** Replaces what is known of the active incidents (the alerter's tick reads them all). */
  reset(incidents: readonly Incident[]): void {
    for (const index of this.#sources) index.clear();
    this.#indexed.clear();
    for (const incident of incidents) this.observe(incident);
  }

  /** Records an incident's current state: active ones may inhibit, resolved ones no longer do. */
  observe(incident: Incident): void {
    if (!this.enabled) return;
    this.#forget(incident.id);
    if (incident.status === "resolved") return;
    // A source is any of its detectors' label sets that matches (matchers.ts).
    const sets = incidentLabelSets(incident);
    const keys = this.#rules.map((rule, r) => {
      const mine = new Set<string>();
      for (const labels of sets) {
        if (!matchesAll(rule.source_matchers, labels)) continue;
        const key = equalKey(rule, labels);
        if (mine.has(key)) continue;
        mine.add(key);
        const index = this.#sources[r] as Map<string, Set<string>>;
        let ids = index.get(key);
        if (!ids) {
          ids = new Set();
          index.set(key, ids);
        }
        ids.add(incident.id);
      }
      return [...mine];
    });
    this.#indexed.set(incident.id, keys);
  }

  #forget(id: string): void {
    const keys = this.#indexed.get(id);
    if (!keys) return;
    keys.forEach((list, r) => {
      const index = this.#sources[r] as Map<string, Set<string>>;
      for (const key of list) {
        const ids = index.get(key);
        ids?.delete(id);
        if (ids?.size === 0) index.delete(key);
      }
    });
    this.#indexed.delete(id);
  }

  /**
   * The ids of the active incidents that inhibit this one. An incident of several detectors is
   * inhibited only when every one of its label sets is (as a silence must cover all of it).
   */
  inhibitedBy(incident: Incident): string[] {
    if (!this.enabled) return [];
    const sources = new Set<string>();
    for (const target of incidentLabelSets(incident)) {
      let held = false;
      this.#rules.forEach((rule, r) => {
        if (!matchesAll(rule.target_matchers, target)) return;
        for (const id of (this.#sources[r] as Map<string, Set<string>>).get(equalKey(rule, target)) ?? []) {
          if (id === incident.id) continue;
          sources.add(id);
          held = true;
        }
      });
      if (!held) return [];
    }
    return [...sources];
  }
}

/** The values of a rule's `equal` labels (absent counts as empty), as one key. */
function equalKey(rule: InhibitRule, labels: Record<string, string>): string {
  return JSON.stringify(rule.equal.map((name) => labels[name] ?? ""));
}
