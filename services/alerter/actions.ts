/**
 * Operator actions on incidents and silences, apart from the findings pipeline: acknowledge,
 * resolve (which tells the receivers through the notify stage), create and end silences. Each
 * runs under the alerter's mutex, so it never interleaves with a batch of findings or a tick,
 * and each is audited.
 */
import { randomUUID } from "node:crypto";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { AuditEntry, Incident, Silence, SilenceMatcher, StoredIncident } from "../runtime/model.ts";
import type { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { DeliveryDispatcher, NewDelivery } from "./dispatcher.ts";
import type { Inhibitor } from "./inhibitor.ts";
import type { IncidentUpdate } from "./notifiers/notifier.ts";
import type { NotifyStage } from "./notify.ts";
import { type SilenceBook, silenceState } from "./silences.ts";

export interface NewSilence {
  matchers: SilenceMatcher[];
  /** Epoch ms; now when absent. */
  startsAt?: number;
  endsAt: number;
  comment: string;
}

export interface IncidentActionsOptions {
  storage: Storage;
  dispatcher: DeliveryDispatcher;
  metrics: Metrics;
  audit(entry: Omit<AuditEntry, "id" | "time">): Promise<void>;
  mutex: Mutex;
  notify: NotifyStage;
  inhibitor: Inhibitor;
  silences: SilenceBook;
  now: () => number;
}

export class IncidentActions {
  readonly #o: IncidentActionsOptions;

  constructor(options: IncidentActionsOptions) {
    this.#o = options;
  }

  /**
   * Acknowledge an open incident; the receivers that show acknowledgements are told (not `from`,
   * the receiver the acknowledgement came from).
   */
  acknowledge(id: string, actor: string, comment: string | null, from?: string): Promise<Incident> {
    return this.#o.mutex.run(async () => {
      const stored = await this.#require(id);
      const now = new Date(this.#o.now()).toISOString();
      if (stored.incident.status === "resolved") {
        throw new AgentwatchError("conflict", `incident ${id} is resolved; it cannot be acknowledged`);
      }
      const acknowledging = stored.incident.status === "open";
      if (acknowledging) {
        stored.incident.status = "acknowledged";
        stored.incident.acknowledged_at = now;
        stored.incident.acknowledged_by = actor;
      }
      if (comment) stored.incident.notes.push({ time: now, actor, action: "ack", comment });
      stored.incident.updated_at = now;
      if (acknowledging) {
        await this.#o.dispatcher.enqueueAll(
          this.#o.notify.updates(stored, { kind: "acknowledged", by: actor, at: now, reason: comment }, from),
        );
      }
      await this.#o.storage.putIncidents([stored]);
      await this.#audit("ack", stored.incident, actor, comment);
      return stored.incident;
    });
  }

  /** Resolve an incident and tell the receivers. Resolving a resolved incident changes nothing. */
  resolve(id: string, actor: string, comment: string | null): Promise<Incident> {
    return this.#o.mutex.run(async () => {
      const stored = await this.#require(id);
      if (stored.incident.status !== "resolved") {
        markResolved(stored, actor, this.#o.now());
        this.#o.inhibitor.observe(stored.incident);
        if (comment)
          stored.incident.notes.push({ time: stored.incident.updated_at, actor, action: "resolve", comment });
        await this.#o.dispatcher.enqueueAll(this.#o.notify.due(stored, this.#o.now()));
        await this.#o.storage.putIncidents([stored]);
        this.#o.metrics.incidentsResolved.inc({ how: "operator" });
        this.#o.metrics.openIncidents.dec();
      }
      await this.#audit("resolve", stored.incident, actor, comment);
      return stored.incident;
    });
  }

  /**
   * Mark an incident's findings (all of them, or those listed) as false positives: recorded in
   * its `feedback`, audited, and the incident resolved (receivers told) if it was not. Marking a
   * finding again changes nothing.
   */
  markFalsePositive(
    id: string,
    actor: string,
    comment: string | null,
    findingIds?: string[],
  ): Promise<Incident> {
    return this.#o.mutex.run(async () => {
      const stored = await this.#require(id);
      const { incident } = stored;
      const known = new Set(incident.findings.map((f) => f.id));
      const unknown = (findingIds ?? []).filter((f) => !known.has(f));
      if (unknown.length > 0) {
        throw new AgentwatchError(
          "invalidRequest",
          `finding_ids: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not among incident ${id}'s findings (it keeps its latest ${incident.findings.length})`,
        );
      }
      const chosen = findingIds
        ? incident.findings.filter((f) => findingIds.includes(f.id))
        : incident.findings;
      const marked = new Set((incident.feedback ?? []).map((f) => f.finding_id));
      const at = new Date(this.#o.now()).toISOString();
      incident.feedback = [
        ...(incident.feedback ?? []),
        ...chosen
          .filter((f) => !marked.has(f.id))
          .map((f) => ({
            finding_id: f.id,
            detector: f.detector,
            verdict: "false_positive" as const,
            event_ids: f.event_ids,
            by: actor,
            at,
            comment,
          })),
      ];
      const resolving = incident.status !== "resolved";
      if (resolving) {
        markResolved(stored, actor, this.#o.now());
        this.#o.inhibitor.observe(incident);
        incident.notes.push({ time: at, actor, action: "resolve", comment: comment ?? "false positive" });
        await this.#o.dispatcher.enqueueAll(this.#o.notify.due(stored, this.#o.now()));
      }
      await this.#o.storage.putIncidents([stored]);
      if (resolving) {
        this.#o.metrics.incidentsResolved.inc({ how: "false_positive" });
        this.#o.metrics.openIncidents.dec();
      }
      await this.#o.audit({
        actor,
        action: "false_positive",
        target: `incident:${incident.id}`,
        reason: comment,
        incident_id: incident.id,
        details: { agent_id: incident.agent_id, findings: chosen.map((f) => f.id), resolved: resolving },
      });
      return incident;
    });
  }

  /**
   * Tells the receivers that show updates what happened to these incidents (silenced, their agent
   * paused or resumed); unknown ids are skipped. Changes no incident.
   */
  async announce(incidentIds: readonly string[], update: IncidentUpdate): Promise<void> {
    const deliveries: NewDelivery[] = [];
    for (const id of new Set(incidentIds)) {
      const stored = await this.#o.storage.getIncident(id);
      if (stored) deliveries.push(...this.#o.notify.updates(stored, update));
    }
    await this.#o.dispatcher.enqueueAll(deliveries);
  }

  /** Hold back the notifications of matching incidents for a while. */
  createSilence(input: NewSilence, actor: string): Promise<Silence> {
    return this.#o.mutex.run(async () => {
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
      this.#o.silences.add(silence);
      this.#o.metrics.activeSilences.set(this.#o.silences.activeCount(now));
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

  /** End a silence now (what it held back goes out at the next tick). Ending an expired one changes nothing. */
  expireSilence(id: string, actor: string, comment: string | null): Promise<Silence> {
    return this.#o.mutex.run(async () => {
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
      this.#o.silences.remove(id);
      this.#o.metrics.activeSilences.set(this.#o.silences.activeCount(now));
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

  #audit(action: "ack" | "resolve", incident: Incident, actor: string, comment: string | null) {
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
}

/** Marks an incident resolved by `by` (a token name, or `agentwatch` for the resolve timeout). */
export function markResolved(stored: StoredIncident, by: string, now: number): void {
  const nowIso = new Date(now).toISOString();
  stored.incident.status = "resolved";
  stored.incident.resolved_at = nowIso;
  stored.incident.resolved_by = by;
  stored.incident.updated_at = nowIso;
}
