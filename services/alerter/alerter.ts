/**
 * The alerter: turns findings into incidents and tells the receivers. A pipeline of small
 * stages, as Alertmanager's notify pipeline, each in its own module and each reading the
 * incident's full label set (every detector of a correlated incident, runtime/matchers.ts):
 *
 *   decode → dedupe → group (grouping.ts, flood control flood.ts) → inhibit (inhibitor.ts) →
 *   silence (silences.ts) → route (router.ts) → notify (notify.ts) → policy (policy.ts) → store
 *
 * A clock tick resolves incidents that got no finding for `resolve_timeout` and runs the same
 * notify and policy stages (what a silence or an inhibiting incident held back goes out when that
 * ends; a resolution always follows a sent firing). Operator actions (actions.ts) are apart from
 * the pipeline. Everything that changes incidents runs under one mutex, so findings, ticks and
 * operator actions never interleave their read-modify-write of an incident.
 */
import { type Bus, type BusRecord, type Consumer, type RecordBatch, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import { guardPoisonRecords } from "../runtime/bus/poison.ts";
import type { Config, ReceiverConfig } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { AuditEntry, Finding, Incident, StoredIncident } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { IncidentActions, markResolved } from "./actions.ts";
import type { DeliveryDispatcher, NewDelivery } from "./dispatcher.ts";
import { Grouper } from "./grouping.ts";
import { Inhibitor } from "./inhibitor.ts";
import type { IncidentUpdate } from "./notifiers/notifier.ts";
import { NotifyStage } from "./notify.ts";
import { type PauseAgent, PolicyStage } from "./policy.ts";
import { SilenceBook } from "./silences.ts";

export type { NewSilence } from "./actions.ts";
export { fingerprintOf } from "./grouping.ts";

export const ALERTER_GROUP = "alerter";

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
  pauseAgent?: PauseAgent;
  /** The updates (acknowledged, paused, …) a receiver shows, beyond firing and resolved (Notifier.updatesTaken). */
  updatesTaken?: (receiver: string) => ReadonlySet<IncidentUpdate["kind"]>;
  now?: () => number;
  tickIntervalMs?: number;
}

export class Alerter {
  readonly #o: AlerterOptions & { now: () => number; tickIntervalMs: number };
  readonly #mutex = new Mutex();
  #consumer: Consumer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  readonly #silences = new SilenceBook();
  readonly #inhibitor: Inhibitor;
  readonly #grouper: Grouper;
  readonly #notify: NotifyStage;
  readonly #policy: PolicyStage;
  /** Operator actions on incidents and silences (actions.ts), apart from the findings pipeline. */
  readonly actions: IncidentActions;

  constructor(options: AlerterOptions) {
    this.#o = {
      now: Date.now,
      tickIntervalMs: 1000,
      ...options,
      logger: options.logger.child({ component: "alerter" }),
    };
    const { alerting, metrics } = this.#o;
    this.#inhibitor = new Inhibitor(alerting.inhibit_rules);
    this.#grouper = new Grouper(alerting, (stored) => {
      metrics.incidentsOpened.inc({ detector: stored.incident.detector, severity: stored.incident.severity });
      metrics.openIncidents.inc();
      this.#o.logger.info(
        {
          incident: stored.incident.id,
          detector: stored.incident.detector,
          agent_id: stored.incident.agent_id,
        },
        "incident opened",
      );
    });
    this.#notify = new NotifyStage({
      alerting,
      receivers: this.#o.receivers,
      updatesTaken: this.#o.updatesTaken ?? (() => new Set()),
      heldBack: (incident) =>
        this.#silences.silencedBy(incident, this.#o.now()).length > 0 ||
        this.#inhibitor.inhibitedBy(incident).length > 0,
    });
    this.#policy = new PolicyStage(alerting.auto_pause, this.#o.pauseAgent, this.#o.logger);
    this.actions = new IncidentActions({
      storage: this.#o.storage,
      dispatcher: this.#o.dispatcher,
      metrics,
      audit: this.#o.audit,
      mutex: this.#mutex,
      notify: this.#notify,
      inhibitor: this.#inhibitor,
      silences: this.#silences,
      now: this.#o.now,
    });
  }

  async start(): Promise<void> {
    const active = (await this.#o.storage.listActiveIncidents()).map((s) => s.incident);
    this.#o.metrics.openIncidents.set(active.length);
    this.#inhibitor.reset(active);
    this.#grouper.reset(active, this.#o.now());
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

  /** The silences, active at this moment, that hold back the incident's notifications. */
  silencedBy(incident: Incident): string[] {
    return this.#silences.silencedBy(incident, this.#o.now());
  }

  /** The active incidents whose inhibit rules hold back this incident's notifications. */
  inhibitedBy(incident: Incident): string[] {
    return this.#inhibitor.inhibitedBy(incident);
  }

  async #loadSilences(): Promise<void> {
    const now = this.#o.now();
    this.#silences.replace(await this.#o.storage.listSilences(), now);
    this.#o.metrics.activeSilences.set(this.#silences.activeCount(now));
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
    // Stage: group (grouping.ts).
    const candidates = [...fresh.values()];
    const active = await this.#o.storage.findActiveIncidents(this.#grouper.fingerprints(candidates));
    const { touched, applied } = this.#grouper.group(candidates, active, this.#o.now());
    // Stage: inhibit. The touched incidents may now inhibit others (and be inhibited).
    for (const stored of touched) this.#inhibitor.observe(stored.incident);
    // Stages: silence, route, notify; then policy; then store. A crash before the store re-applies
    // the batch, and the notifications' ids (incident, receiver, status, finding count) make
    // re-queueing them a no-op.
    const now = this.#o.now();
    await this.#o.dispatcher.enqueueAll(touched.flatMap((stored) => this.#notify.due(stored, now)));
    for (const stored of touched) await this.#policy.act(stored);
    await this.#o.storage.putIncidents(touched);
    await this.#o.storage.recordFindings(applied);
  }

  async #tick(): Promise<void> {
    // Silences made by another alerter process (or ended by time) count from this tick on.
    await this.#loadSilences();
    const now = this.#o.now();
    const changed: StoredIncident[] = [];
    const notifications: NewDelivery[] = [];
    const active = await this.#o.storage.listActiveIncidents();
    this.#inhibitor.reset(active.map((s) => s.incident));
    this.#grouper.prune(now);
    for (const stored of active) {
      const before = JSON.stringify(stored.notify);
      let resolved = false;
      if (now - Date.parse(stored.incident.updated_at) >= this.#o.alerting.resolve_timeout) {
        markResolved(stored, "agentwatch", now);
        this.#inhibitor.observe(stored.incident);
        this.#o.metrics.incidentsResolved.inc({ how: "timeout" });
        this.#o.metrics.openIncidents.dec();
        resolved = true;
      }
      notifications.push(...this.#notify.due(stored, now));
      await this.#policy.act(stored);
      if (resolved || JSON.stringify(stored.notify) !== before) changed.push(stored);
    }
    await this.#o.dispatcher.enqueueAll(notifications);
    await this.#o.storage.putIncidents(changed);
  }
}
