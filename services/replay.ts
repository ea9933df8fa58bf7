/**
 * Backtesting: the detectors run over recorded events, with the replayed time as their clock,
 * and findings grouped into the incidents the alerter would have opened (same fingerprint, same
 * resolve timeout). Used by `agentwatch replay` and by the detection-quality tests.
 */

import { createDetectors } from "../detectors/index.ts";
import type { Detector, ObservedEvent } from "../detectors/types.ts";
import { fingerprintOf } from "./alerter/alerter.ts";
import { FloodGuard } from "./alerter/flood.ts";
import { newProviderTotals, providerIncrement } from "./detector/provider-usage.ts";
import { routeByType } from "./detector/runner.ts";
import { providerSettings } from "./providers/providers.ts";
import type { Config } from "./runtime/config.ts";
import type { AgentEvent, Finding } from "./runtime/model.ts";

export interface ReplayedIncident {
  fingerprint: string;
  /** The first finding's detector; `detectors` lists all of a correlated session incident's. */
  detector: string;
  detectors: string[];
  agent_id: string;
  key: string;
  severity: Finding["severity"];
  title: string;
  first_finding_at: string;
  last_finding_at: string;
  findings: number;
  /** Labels of the first finding (what the incident is about). */
  labels: Record<string, string>;
  event_ids: string[];
}

export interface ReplayResult {
  events: number;
  findings: number;
  incidents: ReplayedIncident[];
  /** Events skipped because their time was not a timestamp. */
  skipped: number;
}

const TICK_MS = 60_000;
const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

export class Replayer {
  readonly #detectors: Detector[];
  readonly #routes: Map<string, Detector[]>;
  readonly #states: unknown[];
  readonly #resolveTimeout: number;
  readonly #flood: FloodGuard;
  readonly #open = new Map<string, ReplayedIncident>();
  readonly #incidents: ReplayedIncident[] = [];
  #lastTick = 0;
  readonly #providerTotals = newProviderTotals();
  #events = 0;
  #findings = 0;
  #skipped = 0;

  constructor(config: Config) {
    this.#detectors = createDetectors(
      config.detectors,
      config.agents,
      config.agent_detectors,
      providerSettings(config),
    );
    this.#routes = routeByType(this.#detectors);
    this.#states = this.#detectors.map((d) => d.initialState());
    this.#resolveTimeout = config.alerting.resolve_timeout;
    this.#flood = new FloodGuard({
      groupBy: config.alerting.group_by,
      routes: config.alerting.routes,
      maxPerGroup: config.alerting.max_incidents_per_group,
      windowMs: config.alerting.group_window,
    });
  }

  /** Feeds one event; events should come in time order (as recorded). */
  push(event: AgentEvent): void {
    const time = Date.parse(event.time);
    if (Number.isNaN(time)) {
      this.#skipped += 1;
      return;
    }
    this.#events += 1;
    // The clock moves with the events: time-driven detectors (silence) tick once a minute of replayed time.
    if (this.#lastTick === 0) this.#lastTick = time;
    while (time - this.#lastTick >= TICK_MS) {
      this.#lastTick += TICK_MS;
      this.#tick(this.#lastTick);
    }
    let observed: ObservedEvent | undefined = { event, time, received: time };
    // A provider's usage record in a recording (the operator's own file, not an agent's post):
    // counted as the runner counts it, by what it adds to its bucket.
    if (
      event.type === "llm_usage" &&
      (event.attributes as Record<string, unknown> | undefined)?.reported_by === "provider"
    ) {
      observed = providerIncrement(this.#providerTotals, { ...observed, source: "provider" });
      if (!observed) return;
    }
    for (const detector of this.#routes.get(event.type) ?? []) {
      const index = this.#detectors.indexOf(detector);
      for (const finding of detector.update(this.#states[index], observed)) this.#record(finding);
    }
  }

  finish(): ReplayResult {
    this.#tick(this.#lastTick + TICK_MS);
    return {
      events: this.#events,
      findings: this.#findings,
      incidents: this.#incidents,
      skipped: this.#skipped,
    };
  }

  #tick(now: number): void {
    this.#detectors.forEach((detector, i) => {
      if (!detector.tick) return;
      for (const finding of detector.tick(this.#states[i], now)) this.#record(finding);
    });
  }

  #record(finding: Finding): void {
    this.#findings += 1;
    let fingerprint = fingerprintOf(finding);
    const at = Date.parse(finding.time);
    const isOpen = (fp: string) => {
      const incident = this.#open.get(fp);
      return incident !== undefined && at - Date.parse(incident.last_finding_at) < this.#resolveTimeout;
    };
    // Flood control as the alerter's (alerting.group_by): past the group's cap, the overflow incident.
    if (!isOpen(fingerprint)) {
      const group = this.#flood.groupKey(finding);
      if (!this.#flood.admit(group, at)) fingerprint = this.#flood.overflowFingerprint(group);
    }
    const open = this.#open.get(fingerprint);
    if (open && at - Date.parse(open.last_finding_at) < this.#resolveTimeout) {
      open.findings += 1;
      open.last_finding_at = finding.time;
      if (!open.detectors.includes(finding.detector)) open.detectors.push(finding.detector);
      if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[open.severity]) open.severity = finding.severity;
      return;
    }
    const incident: ReplayedIncident = {
      fingerprint,
      detector: finding.detector,
      detectors: [finding.detector],
      agent_id: finding.agent_id,
      key: finding.key,
      severity: finding.severity,
      title: finding.title,
      first_finding_at: finding.time,
      last_finding_at: finding.time,
      findings: 1,
      labels: finding.labels,
      event_ids: finding.event_ids.slice(0, 5),
    };
    this.#open.set(fingerprint, incident);
    this.#incidents.push(incident);
  }
}
