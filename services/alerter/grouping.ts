/**
 * The alerter's group stage: which incident a finding joins. Findings with the same fingerprint
 * (one session of one agent, or one detector's one entity of one agent) join the active incident
 * of that fingerprint; a finding that would open a new one does so while its flood-control group
 * is under its cap (flood.ts), else it joins the group's overflow incident.
 */
import { createHash } from "node:crypto";
import { redact, redactDeep } from "../../detectors/sensitive.ts";
import type { Config } from "../runtime/config.ts";
import {
  type Finding,
  type Incident,
  type IncidentFinding,
  MAX_INCIDENT_FINDINGS,
  type StoredIncident,
} from "../runtime/model.ts";
import type { AppliedFinding } from "../runtime/storage/storage.ts";
import { FloodGuard } from "./flood.ts";

export const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

export interface Grouped {
  /** The incidents the findings joined or opened, as they are now (to be notified and stored). */
  touched: StoredIncident[];
  /** Each finding with the incident it joined (recorded, so a replay is recognised). */
  applied: AppliedFinding[];
}

export class Grouper {
  readonly #alerting: Config["alerting"];
  readonly #flood: FloodGuard;
  readonly #onOpen: (stored: StoredIncident) => void;

  constructor(alerting: Config["alerting"], onOpen: (stored: StoredIncident) => void) {
    this.#alerting = alerting;
    this.#onOpen = onOpen;
    this.#flood = new FloodGuard({
      groupBy: alerting.group_by,
      routes: alerting.routes,
      maxPerGroup: alerting.max_incidents_per_group,
      windowMs: alerting.group_window,
    });
  }

  /** What was counted before a restart: the active incidents. */
  reset(active: readonly Incident[], now: number): void {
    this.#flood.reset(active, now);
  }

  /** Forgets flood-control groups whose window passed (each tick). */
  prune(now: number): void {
    this.#flood.prune(now);
  }

  /** Every fingerprint the findings may join: their own, and their groups' overflow incidents. */
  fingerprints(findings: readonly Finding[]): string[] {
    return [
      ...new Set(
        findings.flatMap((f) => [fingerprintOf(f), this.#flood.overflowFingerprint(this.#flood.groupKey(f))]),
      ),
    ];
  }

  /** Places each finding; `active` holds the active incidents of `fingerprints(findings)`. */
  group(findings: readonly Finding[], active: ReadonlyMap<string, StoredIncident>, now: number): Grouped {
    const touched = new Map<string, StoredIncident>();
    const applied: AppliedFinding[] = [];
    const nowIso = new Date(now).toISOString();
    for (const finding of findings) {
      const fingerprint = fingerprintOf(finding);
      const group = this.#flood.groupKey(finding);
      let stored = touched.get(fingerprint) ?? active.get(fingerprint);
      if (!stored && !this.#flood.admit(group, now)) {
        const overflow = this.#flood.overflowFingerprint(group);
        stored =
          touched.get(overflow) ??
          active.get(overflow) ??
          this.#openOverflow(finding, overflow, group, nowIso);
      }
      if (stored?.incident.findings.some((f) => f.id === finding.id)) {
        // Applied, but the crash came before it was recorded.
        applied.push({ finding, incidentId: stored.incident.id });
        continue;
      }
      stored ??= this.#open(finding, fingerprint, nowIso, group);
      addFinding(stored.incident, finding, nowIso);
      touched.set(stored.incident.fingerprint, stored);
      applied.push({ finding, incidentId: stored.incident.id });
    }
    return { touched: [...touched.values()], applied };
  }

  /**
   * The overflow incident of a flood-control group: what its findings have in common (the group
   * labels) and `overflow: "true"`, so silences, routes and policies can tell it apart.
   */
  #openOverflow(finding: Finding, fingerprint: string, group: string, nowIso: string): StoredIncident {
    const stored = this.#open(finding, fingerprint, nowIso, group);
    const labels = this.#flood.groupLabels(finding);
    const what = Object.entries(labels)
      .map(([name, value]) => `${name}=${value}`)
      .join(", ");
    const { max_incidents_per_group: max, group_window: window } = this.#alerting;
    stored.incident.labels = {
      ...labels,
      detector: finding.detector,
      agent_id: finding.agent_id,
      overflow: "true",
    };
    stored.incident.detector_labels = { [finding.detector]: { ...stored.incident.labels } };
    delete stored.incident.session_id;
    stored.incident.title = redact(
      `More incidents of ${what}: grouped into this one (over ${max} opened within ${Math.round(window / 60_000)} min)`,
    );
    return stored;
  }

  #open(finding: Finding, fingerprint: string, nowIso: string, group: string): StoredIncident {
    const labels = { ...redactDeep(finding.labels), detector: finding.detector, agent_id: finding.agent_id };
    const stored: StoredIncident = {
      incident: {
        id: `inc_${createHash("sha256").update(`${fingerprint}\u0000${finding.id}`).digest("hex").slice(0, 20)}`,
        status: "open",
        severity: finding.severity,
        detector: finding.detector,
        agent_id: finding.agent_id,
        ...(finding.session_id ? { session_id: finding.session_id } : {}),
        title: redact(finding.title),
        summary: redact(finding.summary),
        labels,
        detector_labels: { [finding.detector]: { ...labels } },
        started_at: finding.time,
        updated_at: nowIso,
        fingerprint,
        flood_group: group,
        detectors: [finding.detector],
        finding_count: 0,
        findings: [],
        notes: [],
      },
      notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false },
    };
    this.#onOpen(stored);
    return stored;
  }
}

/** Adds a finding to its incident: the timeline, the count, the severity (raised, never lowered). */
export function addFinding(incident: Incident, finding: Finding, nowIso: string): void {
  if (!incident.detectors.includes(finding.detector)) {
    incident.detectors.push(finding.detector);
    incident.detector_labels ??= {};
    incident.detector_labels[finding.detector] = {
      ...redactDeep(finding.labels),
      detector: finding.detector,
      agent_id: finding.agent_id,
    };
    // A session's incident says what it now correlates; an overflow incident's title already
    // says what it holds.
    if (incident.session_id !== undefined) {
      incident.title = `${incident.detectors.length} detections in session ${incident.session_id} on ${incident.agent_id}: ${incident.detectors.join(", ")}`;
    }
  }
  incident.findings.push(toIncidentFinding(finding));
  if (incident.findings.length > MAX_INCIDENT_FINDINGS) incident.findings.shift();
  incident.finding_count += 1;
  incident.summary = redact(finding.summary);
  incident.updated_at = nowIso;
  if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity])
    incident.severity = finding.severity;
}

/**
 * What an incident groups: every finding of one session of one agent (correlation: an injection,
 * the leak it caused and the exfiltration after it are one story), or, outside sessions, the
 * findings of one detector about one entity of one agent.
 */
export function fingerprintOf(finding: Finding): string {
  const scope = finding.session_id
    ? `session\u0000${finding.agent_id}\u0000${finding.session_id}`
    : `${finding.detector}\u0000${finding.agent_id}\u0000${finding.key}`;
  return createHash("sha256").update(scope).digest("hex").slice(0, 32);
}

/** Evidence is redacted here too, whatever the detector did: nothing sensitive reaches an alert. */
function toIncidentFinding(f: Finding): IncidentFinding {
  return {
    id: f.id,
    detector: f.detector,
    time: f.time,
    score: f.score,
    observed: redactDeep(f.observed),
    baseline: redactDeep(f.baseline),
    event_ids: f.event_ids,
    summary: redact(f.summary),
    ...(f.received_at ? { received_at: f.received_at } : {}),
    ...(f.detected_at ? { detected_at: f.detected_at } : {}),
  };
}
