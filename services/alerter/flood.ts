/**
 * Flood control for the alerter's group stage. Every session, principal or key of an attack can
 * open its own incident; a user who opens fifty chats with the same injection would page on-call
 * fifty times. Incidents are counted per group (the values of `alerting.group_by`, by default
 * agent and detector, as Alertmanager users group); once a group opened `max_incidents_per_group`
 * incidents within `group_window`, its further findings that would open another incident join
 * the group's one overflow incident instead. Memory is bounded: a group is forgotten once its
 * window passed, and at most MAX_GROUPS groups are tracked (the oldest give way).
 */
import { createHash } from "node:crypto";
import { type Matcher, matchesAll } from "../runtime/matchers.ts";
import type { Finding, Incident } from "../runtime/model.ts";

const MAX_GROUPS = 100_000;

export interface FloodOptions {
  groupBy: readonly string[];
  /** Routes that group their incidents their own way (alerting.routes[].group_by): the first that matches. */
  routes?: readonly { matchers: readonly Matcher[]; group_by?: readonly string[] | undefined }[];
  maxPerGroup: number;
  windowMs: number;
}

export class FloodGuard {
  readonly #o: FloodOptions;
  /** Group key → when its incidents opened (epoch ms, oldest first, at most maxPerGroup). */
  readonly #opened = new Map<string, number[]>();

  constructor(options: FloodOptions) {
    this.#o = options;
  }

  /**
   * The labels a finding is grouped by: those its route's group_by names (the first route whose
   * matchers hold for the finding's labels and that sets one), else alerting.group_by.
   */
  groupLabels(finding: Finding): Record<string, string> {
    const all: Record<string, string> = Object.assign(Object.create(null), finding.labels, {
      detector: finding.detector,
      agent_id: finding.agent_id,
      severity: finding.severity,
      ...(finding.session_id ? { session_id: finding.session_id } : {}),
    });
    const route = this.#o.routes?.find((r) => r.group_by && matchesAll(r.matchers, all));
    const labels: Record<string, string> = {};
    for (const name of route?.group_by ?? this.#o.groupBy) labels[name] = all[name] ?? "";
    return labels;
  }

  /** The group's identity: which labels, and their values. */
  groupKey(finding: Finding): string {
    return JSON.stringify(Object.entries(this.groupLabels(finding)));
  }

  /** The fingerprint of a group's overflow incident. */
  overflowFingerprint(groupKey: string): string {
    return createHash("sha256").update(`overflow\u0000${groupKey}`).digest("hex").slice(0, 32);
  }

  /** What is known after a restart: the active incidents that opened within the window. */
  reset(incidents: readonly Incident[], now: number): void {
    this.#opened.clear();
    for (const incident of incidents) {
      const key = incident.flood_group;
      const at = Date.parse(incident.started_at);
      if (key === undefined || incident.labels.overflow === "true" || !(at > now - this.#o.windowMs))
        continue;
      this.#note(key, at);
    }
  }

  /** Whether the group may open another incident now; counts it when it may. */
  admit(groupKey: string, now: number): boolean {
    const times = (this.#opened.get(groupKey) ?? []).filter((t) => t > now - this.#o.windowMs);
    if (times.length >= this.#o.maxPerGroup) {
      this.#opened.set(groupKey, times);
      return false;
    }
    this.#opened.delete(groupKey);
    this.#note(groupKey, now, times);
    return true;
  }

  /** Forgets groups whose window has passed (the alerter's tick). */
  prune(now: number): void {
    for (const [key, times] of this.#opened) {
      if ((times.at(-1) ?? 0) <= now - this.#o.windowMs) this.#opened.delete(key);
    }
  }

  #note(key: string, at: number, times = this.#opened.get(key) ?? []): void {
    times.push(at);
    times.sort((a, b) => a - b);
    if (times.length > this.#o.maxPerGroup) times.splice(0, times.length - this.#o.maxPerGroup);
    this.#opened.delete(key); // re-inserted last: the map's order is oldest activity first
    this.#opened.set(key, times);
    if (this.#opened.size > MAX_GROUPS) this.#opened.delete(this.#opened.keys().next().value as string);
  }
}
