/**
 * Storage: the searchable audit log of agent events, findings, incidents, agent states, the
 * administrative audit trail, the outbound delivery outbox and consumer checkpoints. Two
 * implementations: embedded SQLite (default) and Elasticsearch (production). Both pass the same
 * conformance suite (test/conformance/storage.ts).
 *
 * Writes resolve only when durable. Failures are AgentwatchErrors with code `storageUnavailable`
 * (retryable) unless stated otherwise.
 */

import type {
  AgentState,
  AuditAction,
  AuditEntry,
  Checkpoint,
  Delivery,
  EventType,
  Finding,
  Hold,
  IncidentStatus,
  IngestedEvent,
  Silence,
  StoredIncident,
} from "../model.ts";
import type { Erasure } from "./erasure.ts";

export interface EventQuery {
  agent_id?: string;
  session_id?: string;
  user_id?: string;
  type?: EventType;
  /** Inclusive lower bound on event time, epoch ms. */
  from?: number;
  /** Exclusive upper bound on event time, epoch ms. */
  to?: number;
  /** Inclusive lower bound on arrival (`received_at`), epoch ms. */
  received_from?: number;
  /** Exclusive upper bound on arrival, epoch ms. */
  received_to?: number;
  /**
   * `time` (default): newest first by event time. `arrival`: oldest first by arrival, which a
   * range of arrival times reads without sorting it (verify's order).
   */
  order?: "time" | "arrival";
  /** Free text over `text`, tool name, arguments and target, and error messages; every word must match. */
  q?: string;
  limit: number;
  /** Opaque, from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface EventPage {
  /** Newest first by event time (or oldest first by arrival: EventQuery.order). */
  events: IngestedEvent[];
  next_cursor: string | null;
}

export interface IncidentQuery {
  status?: IncidentStatus;
  agent_id?: string;
  limit: number;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: AuditAction;
  limit: number;
}

/** A finding and the incident it was applied to. */
export interface AppliedFinding {
  finding: Finding;
  incidentId: string;
}

export interface Storage {
  start(): Promise<void>;
  /** Flushes and closes. Idempotent. */
  stop(): Promise<void>;
  ready(): Promise<boolean>;

  /** Stores events; an event whose (agent_id, id) is already stored is left as it is. */
  putEvents(events: IngestedEvent[]): Promise<void>;
  queryEvents(query: EventQuery): Promise<EventPage>;
  /**
   * Erases a person's data (erasure.ts) from every event whose user_id is theirs, and from every
   * event of the sessions those events belong to (same agent and session). Returns how many
   * events were erased; erasing again finds none.
   */
  eraseSubject(
    userId: string,
    erasure: Erasure,
    holds?: readonly Hold[],
  ): Promise<{ events: number; held: { agent_id: string; id: string; hold: string }[] }>;
  /** The stored events among these (agent_id, id) pairs, in no particular order; absent ones are left out. */
  getEvents(refs: readonly { agent_id: string; id: string }[]): Promise<IngestedEvent[]>;

  /**
   * Which of these findings were recorded already (applied to an incident). Batched: the alerter
   * asks once per consumer batch, whatever its size; the time lets a backend go straight to the
   * finding's place (a daily index) instead of searching.
   */
  knownFindings(findings: Pick<Finding, "id" | "time">[]): Promise<Set<string>>;
  /** Records findings as applied to incidents; recording an id again changes nothing. */
  recordFindings(applied: AppliedFinding[]): Promise<void>;

  getIncident(id: string): Promise<StoredIncident | undefined>;
  /**
   * The open or acknowledged incident of each fingerprint that has one (the newest, should there
   * be several), by fingerprint.
   */
  findActiveIncidents(fingerprints: string[]): Promise<Map<string, StoredIncident>>;
  /** Incidents that are open or acknowledged. */
  listActiveIncidents(): Promise<StoredIncident[]>;
  /** Newest first by updated_at. */
  listIncidents(query: IncidentQuery): Promise<StoredIncident[]>;
  /** Writes incidents whole (insert or replace), in one go. */
  putIncidents(incidents: StoredIncident[]): Promise<void>;

  getAgent(agentId: string): Promise<AgentState | undefined>;
  putAgent(state: AgentState): Promise<void>;
  /** Every agent ever seen in an event or given a state, by id. */
  listAgents(): Promise<AgentState[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** The head of this instance's audit chain (audit-chain.ts): what the signed digests pin. */
  auditHead(): { stream: string; seq: number; hash: string };
  /** Newest first. */
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  /**
   * Adds deliveries, in order; pending deliveries with the same supersede_key become `superseded`
   * (also by a later delivery of the same call). A delivery whose id is stored already is left as
   * it is (enqueueing is idempotent).
   */
  enqueueDeliveries(deliveries: Delivery[]): Promise<void>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Pending deliveries whose next attempt is due, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<Delivery[]>;
  /** Number of pending deliveries. */
  pendingDeliveries(): Promise<number>;
  updateDelivery(delivery: Delivery): Promise<void>;

  /** Writes a hold whole (insert or replace). */
  putHold(hold: Hold): Promise<void>;
  /** Every hold, released ones too, newest first. */
  listHolds(): Promise<Hold[]>;

  /** Writes a silence whole (insert or replace). */
  putSilence(silence: Silence): Promise<void>;
  getSilence(id: string): Promise<Silence | undefined>;
  /** Every silence, expired ones too, newest first by created_at. */
  listSilences(): Promise<Silence[]>;

  loadCheckpoint(consumer: string, partition: number): Promise<Checkpoint | undefined>;
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
}
