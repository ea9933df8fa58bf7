/**
 * The alerter: turns findings into incidents and tells the receivers.
 *
 * Pipeline per finding, in order: dedupe (a finding id applied before is dropped, so replays after
 * a crash change nothing) → group (findings with the same fingerprint, detector + agent + entity,
 * join the open incident instead of opening another) → route (alerting.routes pick the receivers;
 * router.ts) → notify (the first notification at once,
 * updates at most every `group_interval`; none while a silence matches the incident or an
 * inhibit rule holds: what was held back goes out when that ends). A clock tick resolves incidents that got no finding
 * for `resolve_timeout` and sends the resolved notifications (also under a silence, when a firing
 * one went out: a receiver is never left with a page that does not close).
 *
 * Every mutation of incidents runs under one mutex, so findings, ticks and operator actions never
 * interleave their read-modify-write of an incident.
 */
import { createHash, randomUUID } from "node:crypto";
import { redact, redactDeep } from "../../detectors/sensitive.ts";
import { type Bus, type BusRecord, type Consumer, type RecordBatch, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import { guardPoisonRecords } from "../runtime/bus/poison.ts";
import type { Config, ReceiverConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import { matchesAnyDetector } from "../runtime/matchers.ts";
import type { Metrics } from "../runtime/metrics.ts";
import {
  type AuditEntry,
  type Finding,
  type Incident,
  type IncidentFinding,
  MAX_INCIDENT_FINDINGS,
  type Silence,
  type SilenceMatcher,
  type StoredIncident,
} from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { AppliedFinding, Storage } from "../runtime/storage/storage.ts";
import { alertPriority, type DeliveryDispatcher, type NewDelivery } from "./dispatcher.ts";
import { FloodGuard } from "./flood.ts";
import { Inhibitor } from "./inhibitor.ts";
import type { AlertNotification } from "./notifiers/notifier.ts";
import { receiversFor } from "./router.ts";
import { silencedBy, silenceState } from "./silences.ts";

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
  /** Pauses an agent through the kill switch (alerting.auto_pause); idempotent for a paused agent. */
  pauseAgent?(agentId: string, input: { actor: string; reason: string; incidentId: string }): Promise<void>;
  now?: () => number;
  tickIntervalMs?: number;
}

export interface NewSilence {
  matchers: SilenceMatcher[];
  /** Epoch ms; now when absent. */
  startsAt?: number;
  endsAt: number;
  comment: string;
}

export class Alerter {
  readonly #o: AlerterOptions & { now: () => number; tickIntervalMs: number };
  readonly #mutex = new Mutex();
  #consumer: Consumer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  /** Silences not expired yet, as of the last tick or silence change (storage is the truth). */
  #silences: Silence[] = [];
  readonly #inhibitor: Inhibitor;
  readonly #flood: FloodGuard;

  constructor(options: AlerterOptions) {
    this.#o = {
      now: Date.now,
      tickIntervalMs: 1000,
      ...options,
      logger: options.logger.child({ component: "alerter" }),
    };
    this.#inhibitor = new Inhibitor(options.alerting.inhibit_rules);
    this.#flood = new FloodGuard({
      groupBy: options.alerting.group_by,
      maxPerGroup: options.alerting.max_incidents_per_group,
      windowMs: options.alerting.group_window,
    });
  }

  async start(): Promise<void> {
    const active = await this.#o.storage.listActiveIncidents();
    this.#o.metrics.openIncidents.set(active.length);
    this.#inhibitor.reset(active.map((s) => s.incident));
    this.#flood.reset(
      active.map((s) => s.incident),
      this.#o.now(),
    );
    await this.#loadSilences();
    this.#consumer = await this.#o.bus.consume({
      group: ALERTER_GROUP,
      topic: Topics.findings,
      handleBatch: guardPoisonRecords((batch) => this.#mutex.run(() => this.#handle(batch)), {
        bus: this.#o.bus,
        metrics: this.#o.metrics,
        logger: this.#o.logger,
        group: ALERTER_GROUP,
      }),
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
      await this.#o.storage.putIncidents([stored]);
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
        this.#inhibitor.observe(stored.incident);
        if (comment)
          stored.incident.notes.push({ time: stored.incident.updated_at, actor, action: "resolve", comment });
        await this.#o.dispatcher.enqueueAll(this.#dueNotifications(stored));
        await this.#o.storage.putIncidents([stored]);
        this.#o.metrics.incidentsResolved.inc({ how: "operator" });
        this.#o.metrics.openIncidents.dec();
      }
      await this.#auditOperatorAction("resolve", stored.incident, actor, comment);
      return stored.incident;
    });
  }

  /** Operator action: hold back the notifications of matching incidents for a while. */
  createSilence(input: NewSilence, actor: string): Promise<Silence> {
    return this.#mutex.run(async () => {
      const now = this.#o.now();
      const startsAt = input.startsAt ?? now;
      if (input.endsAt <= startsAt || input.endsAt <= now) {
        throw new AgentwatchError(
          "invalidRequest",
          "invalid body: ends_at must be after starts_at and in the future",
        );
      }
      const silence: Silence = {
        id: `sil_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        matchers: input.matchers,
        starts_at: new Date(startsAt).toISOString(),
        ends_at: new Date(input.endsAt).toISOString(),
        created_at: new Date(now).toISOString(),
        created_by: actor,
        comment: input.comment,
        expired_by: null,
      };
      await this.#o.storage.putSilence(silence);
      this.#silences = [silence, ...this.#silences];
      this.#o.metrics.activeSilences.set(
        this.#silences.filter((s) => silenceState(s, now) === "active").length,
      );
      await this.#o.audit({
        actor,
        action: "silence_create",
        target: `silence:${silence.id}`,
        reason: silence.comment,
        incident_id: null,
        details: { matchers: silence.matchers, starts_at: silence.starts_at, ends_at: silence.ends_at },
      });
      return silence;
    });
  }

  /**
   * Operator action: end a silence now (what it held back goes out at the next tick). Ending an
   * expired silence changes nothing.
   */
  expireSilence(id: string, actor: string, comment: string | null): Promise<Silence> {
    return this.#mutex.run(async () => {
      const silence = await this.#o.storage.getSilence(id);
      if (!silence) throw new AgentwatchError("notFound", `silence ${id} does not exist`);
      const now = this.#o.now();
      if (silenceState(silence, now) === "expired") return silence;
      const nowIso = new Date(now).toISOString();
      const ended: Silence = {
        ...silence,
        ends_at: nowIso,
        // A pending silence never started: it ends where it would have begun.
        starts_at: silenceState(silence, now) === "pending" ? nowIso : silence.starts_at,
        expired_by: actor,
      };
      await this.#o.storage.putSilence(ended);
      this.#silences = this.#silences.filter((s) => s.id !== id);
      this.#o.metrics.activeSilences.set(
        this.#silences.filter((s) => silenceState(s, now) === "active").length,
      );
      await this.#o.audit({
        actor,
        action: "silence_delete",
        target: `silence:${id}`,
        reason: comment,
        incident_id: null,
        details: { matchers: ended.matchers },
      });
      return ended;
    });
  }

  /** The silences, active at this moment, that hold back the incident's notifications. */
  silencedBy(incident: Incident): string[] {
    return silencedBy(incident, this.#silences, this.#o.now());
  }

  /** The active incidents whose inhibit rules hold back this incident's notifications. */
  inhibitedBy(incident: Incident): string[] {
    return this.#inhibitor.inhibitedBy(incident);
  }

  async #loadSilences(): Promise<void> {
    const now = this.#o.now();
    this.#silences = (await this.#o.storage.listSilences()).filter((s) => silenceState(s, now) !== "expired");
    this.#o.metrics.activeSilences.set(
      this.#silences.filter((s) => silenceState(s, now) === "active").length,
    );
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
    const findings: Finding[] = [];
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
      if (typeof finding.time !== "string" || Number.isNaN(Date.parse(finding.time))) {
        // Storage places a finding by its time (daily indices): without one it could not be found again.
        dead.push({
          record,
          reason: `not a finding record: time ${JSON.stringify(finding.time)} is not a timestamp`,
        });
        continue;
      }
      findings.push(finding);
    }
    await this.#apply(findings);
    if (dead.length > 0) {
      this.#o.logger.error(
        { records: dead.length, first: dead[0]?.reason },
        "undecodable finding records sent to the dead-letter topic",
      );
      await sendToDeadLetter(this.#o.bus, this.#o.metrics, ALERTER_GROUP, dead);
    }
  }

  /**
   * The pipeline over one consumer batch of findings, in order. Each stage asks storage once for
   * the whole batch, not once per finding: a burst of findings (a campaign hitting many users at
   * once) must not queue the next brute force behind thousands of storage round trips.
   */
  async #apply(findings: Finding[]): Promise<void> {
    if (findings.length === 0) return;
    // Stage: dedupe, against what was applied before and against repeats within the batch.
    const known = await this.#o.storage.knownFindings(findings);
    const fresh = new Map<string, Finding>();
    for (const f of findings) if (!known.has(f.id) && !fresh.has(f.id)) fresh.set(f.id, f);
    if (fresh.size === 0) return;
    // Stage: group, into the active incident of the finding's fingerprint or a new one; a new
    // one only while its flood-control group is under its cap, else the group's overflow incident.
    const grouped = [...fresh.values()].map((finding) => {
      const group = this.#flood.groupKey(finding);
      return {
        finding,
        fingerprint: fingerprintOf(finding),
        group,
        overflow: this.#flood.overflowFingerprint(group),
      };
    });
    const active = await this.#o.storage.findActiveIncidents([
      ...new Set(grouped.flatMap((g) => [g.fingerprint, g.overflow])),
    ]);
    const touched = new Map<string, StoredIncident>();
    const applied: AppliedFinding[] = [];
    const now = this.#o.now();
    const nowIso = new Date(now).toISOString();
    for (const { finding, fingerprint, group, overflow } of grouped) {
      let stored = touched.get(fingerprint) ?? active.get(fingerprint);
      if (!stored && !this.#flood.admit(group, now)) {
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
    // The touched incidents may now inhibit others (and be inhibited), as of this batch.
    for (const stored of touched.values()) this.#inhibitor.observe(stored.incident);
    // Stage: notify, then store: a crash in between re-applies the batch, and the notifications'
    // ids (incident, receiver, status, finding count) make re-queueing them a no-op.
    const incidents = [...touched.values()];
    await this.#o.dispatcher.enqueueAll(incidents.flatMap((stored) => this.#dueNotifications(stored)));
    for (const stored of incidents) await this.#autoPause(stored);
    await this.#o.storage.putIncidents(incidents);
    await this.#o.storage.recordFindings(applied);
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
    const { max_incidents_per_group: max, group_window: window } = this.#o.alerting;
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

  #open(finding: Finding, fingerprint: string, nowIso: string, group?: string): StoredIncident {
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
        labels: { ...redactDeep(finding.labels), detector: finding.detector, agent_id: finding.agent_id },
        detector_labels: {
          [finding.detector]: {
            ...redactDeep(finding.labels),
            detector: finding.detector,
            agent_id: finding.agent_id,
          },
        },
        started_at: finding.time,
        updated_at: nowIso,
        fingerprint,
        ...(group === undefined ? {} : { flood_group: group }),
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
    return stored;
  }

  async #tick(): Promise<void> {
    // Silences made by another alerter process (or ended by time) count from this tick on.
    await this.#loadSilences();
    const now = this.#o.now();
    const changed: StoredIncident[] = [];
    const notifications: NewDelivery[] = [];
    const active = await this.#o.storage.listActiveIncidents();
    this.#inhibitor.reset(active.map((s) => s.incident));
    this.#flood.prune(now);
    for (const stored of active) {
      const before = JSON.stringify(stored.notify);
      let resolved = false;
      if (now - Date.parse(stored.incident.updated_at) >= this.#o.alerting.resolve_timeout) {
        this.#markResolved(stored, "agentwatch");
        this.#inhibitor.observe(stored.incident);
        this.#o.metrics.incidentsResolved.inc({ how: "timeout" });
        this.#o.metrics.openIncidents.dec();
        resolved = true;
      }
      notifications.push(...this.#dueNotifications(stored));
      await this.#autoPause(stored);
      if (resolved || JSON.stringify(stored.notify) !== before) changed.push(stored);
    }
    await this.#o.dispatcher.enqueueAll(notifications);
    await this.#o.storage.putIncidents(changed);
  }

  /**
   * Stage: act. An incident that has fired (a notification went out: not while silenced) and
   * matches an auto-pause policy gets its agent paused, once; recorded in `notify`, stored by the
   * caller. A crash before that store pauses again on replay, which the kill switch takes as a
   * no-op for a paused agent.
   */
  async #autoPause(stored: StoredIncident): Promise<void> {
    const { incident, notify } = stored;
    const policies = this.#o.alerting.auto_pause;
    if (!this.#o.pauseAgent || policies.length === 0 || notify.auto_paused !== undefined) return;
    if (incident.status === "resolved" || notify.last_firing_at === null) return;
    const policy = policies.find((p) => matchesAnyDetector(p.matchers, incident));
    if (!policy) return;
    await this.#o.pauseAgent(incident.agent_id, {
      actor: `policy:${policy.name}`,
      reason: `auto-pause (${policy.name}): ${incident.title}`,
      incidentId: incident.id,
    });
    notify.auto_paused = policy.name;
    this.#o.logger.warn(
      { incident: incident.id, agent_id: incident.agent_id, policy: policy.name },
      "agent paused by policy",
    );
  }

  #markResolved(stored: StoredIncident, by: string): void {
    const nowIso = new Date(this.#o.now()).toISOString();
    stored.incident.status = "resolved";
    stored.incident.resolved_at = nowIso;
    stored.incident.resolved_by = by;
    stored.incident.updated_at = nowIso;
  }

  /**
   * The notifications the incident is due, if any, recorded in its `notify` (the caller queues
   * them, then stores the incident).
   */
  #dueNotifications(stored: StoredIncident): NewDelivery[] {
    const { incident, notify } = stored;
    const now = this.#o.now();
    let status: AlertNotification["status"] | undefined;
    if (incident.status === "resolved") {
      if (notify.last_firing_at !== null && !notify.resolved_sent) status = "resolved";
    } else if (
      silencedBy(incident, this.#silences, now).length > 0 ||
      this.#inhibitor.inhibitedBy(incident).length > 0
    ) {
      // Held back, not dropped: `notify` is unchanged, so it is due again once the silence or
      // the inhibiting incident ends.
      return [];
    } else if (notify.last_firing_at === null) {
      status = "firing";
    } else if (
      incident.finding_count > notify.notified_findings &&
      now - notify.last_firing_at >= this.#o.alerting.group_interval
    ) {
      status = "firing";
    }
    if (!status) return [];
    const routed = receiversFor(incident, this.#o.alerting.routes, this.#o.receivers);
    const told = notify.notified_receivers;
    // A resolution goes to whoever heard it was firing, wherever the incident routes now.
    const targets =
      status === "resolved" && told ? this.#o.receivers.filter((r) => told.includes(r.name)) : routed;
    if (status === "firing") {
      notify.notified_receivers = [...new Set([...(told ?? []), ...routed.map((r) => r.name)])];
    }
    const body = JSON.stringify({ version: "1", status, incident } satisfies AlertNotification);
    const notifications = targets.map(
      (receiver): NewDelivery => ({
        id: `alert:${incident.id}:${receiver.name}:${status}:${incident.finding_count}`,
        kind: "alert",
        target: receiver.name,
        body,
        supersedeKey: `alert:${incident.id}:${receiver.name}`,
        maxAttempts: receiver.max_attempts,
        priority: alertPriority(incident.severity),
      }),
    );
    if (status === "resolved") {
      notify.resolved_sent = true;
    } else {
      notify.last_firing_at = now;
      notify.notified_findings = incident.finding_count;
    }
    return notifications;
  }
}

/** Adds a finding to its incident: the timeline, the count, the severity (raised, never lowered). */
function addFinding(incident: Incident, finding: Finding, nowIso: string): void {
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
  };
}
