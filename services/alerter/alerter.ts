/**
 * The alerter: turns findings into incidents and tells the receivers.
 *
 * Pipeline per finding, in order: dedupe (a finding id applied before is dropped, so replays after
 * a crash change nothing) → group (findings with the same fingerprint, detector + agent + entity,
 * join the open incident instead of opening another) → notify (the first notification at once,
 * updates at most every `group_interval`). A clock tick resolves incidents that got no finding
 * for `resolve_timeout` and sends the resolved notifications.
 *
 * Every mutation of incidents runs under one mutex, so findings, ticks and operator actions never
 * interleave their read-modify-write of an incident.
 */
import { createHash } from "node:crypto";
import { redact, redactDeep } from "../../detectors/sensitive.ts";
import { type Bus, type BusRecord, type Consumer, type RecordBatch, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import type { Config, ReceiverConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import {
  type AuditEntry,
  type Finding,
  type Incident,
  type IncidentFinding,
  MAX_INCIDENT_FINDINGS,
  type StoredIncident,
} from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { DeliveryDispatcher } from "./dispatcher.ts";
import type { AlertNotification } from "./notifiers/notifier.ts";

export const ALERTER_GROUP = "alerter";
const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

export interface AlerterOptions {
  bus: Bus;
  storage: Storage;
  dispatcher: DeliveryDispatcher;
  receivers: readonly ReceiverConfig[];
  alerting: Config["alerting"];
  metrics: Metrics;
  logger: Logger;
  /** Writes an audit entry; the kill switch and the alerter share one audit writer. */
  audit(entry: Omit<AuditEntry, "id" | "time">): Promise<void>;
  now?: () => number;
  tickIntervalMs?: number;
}

export class Alerter {
  readonly #o: AlerterOptions & { now: () => number; tickIntervalMs: number };
  readonly #mutex = new Mutex();
  #consumer: Consumer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: AlerterOptions) {
    this.#o = {
      now: Date.now,
      tickIntervalMs: 1000,
      ...options,
      logger: options.logger.child({ component: "alerter" }),
    };
  }

  async start(): Promise<void> {
    this.#o.metrics.openIncidents.set((await this.#o.storage.listActiveIncidents()).length);
    this.#consumer = await this.#o.bus.consume({
      group: ALERTER_GROUP,
      topic: Topics.findings,
      handleBatch: (batch) => this.#mutex.run(() => this.#handle(batch)),
    });
    this.#timer = setInterval(() => {
      this.#mutex
        .run(() => this.#tick())
        .catch((err) => this.#o.logger.error({ err }, "alerter tick failed"));
    }, this.#o.tickIntervalMs);
    this.#timer.unref();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#timer);
      await this.#consumer?.stop();
      await this.#mutex.run(async () => undefined);
    })();
    return this.#stopping;
  }

  /** Operator action: acknowledge an open incident. */
  acknowledge(id: string, actor: string, comment: string | null): Promise<Incident> {
    return this.#mutex.run(async () => {
      const stored = await this.#require(id);
      const now = new Date(this.#o.now()).toISOString();
      if (stored.incident.status === "resolved") {
        throw new AgentwatchError("conflict", `incident ${id} is resolved; it cannot be acknowledged`);
      }
      if (stored.incident.status === "open") {
        stored.incident.status = "acknowledged";
        stored.incident.acknowledged_at = now;
        stored.incident.acknowledged_by = actor;
      }
      if (comment) stored.incident.notes.push({ time: now, actor, action: "acknowledge", comment });
      stored.incident.updated_at = now;
      await this.#o.storage.putIncident(stored);
      await this.#auditOperatorAction("acknowledge", stored.incident, actor, comment);
      return stored.incident;
    });
  }

  /** Operator action: resolve an incident and tell the receivers. Resolving a resolved incident changes nothing. */
  resolve(id: string, actor: string, comment: string | null): Promise<Incident> {
    return this.#mutex.run(async () => {
      const stored = await this.#require(id);
      if (stored.incident.status !== "resolved") {
        this.#markResolved(stored, actor);
        if (comment)
          stored.incident.notes.push({ time: stored.incident.updated_at, actor, action: "resolve", comment });
        await this.#notifyIfDue(stored);
        await this.#o.storage.putIncident(stored);
        this.#o.metrics.incidentsResolved.inc({ how: "operator" });
        this.#o.metrics.openIncidents.dec();
      }
      await this.#auditOperatorAction("resolve", stored.incident, actor, comment);
      return stored.incident;
    });
  }

  #auditOperatorAction(
    action: "acknowledge" | "resolve",
    incident: Incident,
    actor: string,
    comment: string | null,
  ): Promise<void> {
    return this.#o.audit({
      actor,
      action,
      target: `incident:${incident.id}`,
      reason: comment,
      incident_id: incident.id,
      details: { agent_id: incident.agent_id },
    });
  }

  async #require(id: string): Promise<StoredIncident> {
    const stored = await this.#o.storage.getIncident(id);
    if (!stored) throw new AgentwatchError("notFound", `incident ${id} does not exist`);
    return stored;
  }

  async #handle(batch: RecordBatch): Promise<void> {
    const dead: { record: BusRecord; reason: string }[] = [];
    for (const record of batch.records) {
      let finding: Finding;
      try {
        finding = JSON.parse(record.value) as Finding;
      } catch (err) {
        dead.push({ record, reason: `not a finding record: ${(err as Error).message}` });
        continue;
      }
      if (
        typeof finding?.id !== "string" ||
        typeof finding.detector !== "string" ||
        typeof finding.agent_id !== "string"
      ) {
        dead.push({ record, reason: "not a finding record: no id, detector or agent_id" });
        continue;
      }
      await this.#apply(finding);
    }
    if (dead.length > 0) {
      this.#o.logger.error(
        { records: dead.length, first: dead[0]?.reason },
        "undecodable finding records sent to the dead-letter topic",
      );
      await sendToDeadLetter(this.#o.bus, this.#o.metrics, ALERTER_GROUP, dead);
    }
  }

  async #apply(finding: Finding): Promise<void> {
    // Stage: dedupe.
    if (await this.#o.storage.hasFinding(finding.id)) return;
    // Stage: group.
    const fingerprint = fingerprintOf(finding);
    const now = this.#o.now();
    const nowIso = new Date(now).toISOString();
    let stored = await this.#o.storage.findActiveIncident(fingerprint);
    if (stored?.incident.findings.some((f) => f.id === finding.id)) {
      // Applied, but the crash came before it was recorded.
      await this.#o.storage.recordFinding(finding, stored.incident.id);
      return;
    }
    if (!stored) {
      stored = {
        incident: {
          id: `inc_${createHash("sha256").update(`${fingerprint}\u0000${finding.id}`).digest("hex").slice(0, 20)}`,
          status: "open",
          severity: finding.severity,
          detector: finding.detector,
          agent_id: finding.agent_id,
          ...(finding.session_id ? { session_id: finding.session_id } : {}),
          title: redact(finding.title),
          summary: redact(finding.summary),
          labels: { ...redactDeep(finding.labels), detector: finding.detector, agent_id: finding.agent_id },
          started_at: finding.time,
          updated_at: nowIso,
          fingerprint,
          detectors: [finding.detector],
          finding_count: 0,
          findings: [],
          notes: [],
        },
        notify: { last_firing_at: null, notified_findings: 0, resolved_sent: false },
      };
      this.#o.metrics.incidentsOpened.inc({ detector: finding.detector, severity: finding.severity });
      this.#o.metrics.openIncidents.inc();
      this.#o.logger.info(
        { incident: stored.incident.id, detector: finding.detector, agent_id: finding.agent_id },
        "incident opened",
      );
    }
    const incident = stored.incident;
    if (!incident.detectors.includes(finding.detector)) {
      incident.detectors.push(finding.detector);
      incident.title = `${incident.detectors.length} detections in session ${incident.session_id} on ${incident.agent_id}: ${incident.detectors.join(", ")}`;
    }
    incident.findings.push(toIncidentFinding(finding));
    if (incident.findings.length > MAX_INCIDENT_FINDINGS) incident.findings.shift();
    incident.finding_count += 1;
    incident.summary = redact(finding.summary);
    incident.updated_at = nowIso;
    if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity])
      incident.severity = finding.severity;
    // Stage: notify.
    await this.#notifyIfDue(stored);
    await this.#o.storage.putIncident(stored);
    await this.#o.storage.recordFinding(finding, incident.id);
  }

  async #tick(): Promise<void> {
    const now = this.#o.now();
    for (const stored of await this.#o.storage.listActiveIncidents()) {
      const before = JSON.stringify(stored.notify);
      let changed = false;
      if (now - Date.parse(stored.incident.updated_at) >= this.#o.alerting.resolve_timeout) {
        this.#markResolved(stored, "agentwatch");
        this.#o.metrics.incidentsResolved.inc({ how: "timeout" });
        this.#o.metrics.openIncidents.dec();
        changed = true;
      }
      await this.#notifyIfDue(stored);
      if (changed || JSON.stringify(stored.notify) !== before) await this.#o.storage.putIncident(stored);
    }
  }

  #markResolved(stored: StoredIncident, by: string): void {
    const nowIso = new Date(this.#o.now()).toISOString();
    stored.incident.status = "resolved";
    stored.incident.resolved_at = nowIso;
    stored.incident.resolved_by = by;
    stored.incident.updated_at = nowIso;
  }

  /** Enqueues the notification the incident is due, if any, and records it in `notify`. */
  async #notifyIfDue(stored: StoredIncident): Promise<void> {
    const { incident, notify } = stored;
    const now = this.#o.now();
    let status: AlertNotification["status"] | undefined;
    if (incident.status === "resolved") {
      if (notify.last_firing_at !== null && !notify.resolved_sent) status = "resolved";
    } else if (notify.last_firing_at === null) {
      status = "firing";
    } else if (
      incident.finding_count > notify.notified_findings &&
      now - notify.last_firing_at >= this.#o.alerting.group_interval
    ) {
      status = "firing";
    }
    if (!status) return;
    const body = JSON.stringify({ version: "1", status, incident } satisfies AlertNotification);
    for (const receiver of this.#o.receivers) {
      await this.#o.dispatcher.enqueue({
        id: `alert:${incident.id}:${receiver.name}:${status}:${incident.finding_count}`,
        kind: "alert",
        target: receiver.name,
        body,
        supersedeKey: `alert:${incident.id}:${receiver.name}`,
        maxAttempts: receiver.max_attempts,
      });
    }
    if (status === "resolved") {
      notify.resolved_sent = true;
    } else {
      notify.last_firing_at = now;
      notify.notified_findings = incident.finding_count;
    }
  }
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
  };
}
