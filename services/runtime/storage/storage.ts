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
  IncidentStatus,
  IngestedEvent,
  StoredIncident,
} from "../model.ts";

export interface EventQuery {
  agent_id?: string;
  session_id?: string;
  user_id?: string;
  type?: EventType;
  /** Inclusive lower bound on event time, epoch ms. */
  from?: number;
  /** Exclusive upper bound on event time, epoch ms. */
  to?: number;
  /** Free text over `text`, tool name, arguments and target, and error messages; every word must match. */
  q?: string;
  limit: number;
  /** Opaque, from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface EventPage {
  /** Newest first (by event time). */
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

export interface Storage {
  start(): Promise<void>;
  /** Flushes and closes. Idempotent. */
  stop(): Promise<void>;
  ready(): Promise<boolean>;

  /** Stores events; an event whose (agent_id, id) is already stored is left as it is. */
  putEvents(events: IngestedEvent[]): Promise<void>;
  queryEvents(query: EventQuery): Promise<EventPage>;

  /** Whether a finding with this id was recorded (it was applied to an incident already). */
  hasFinding(id: string): Promise<boolean>;
  /** Records a finding as applied to an incident; recording an id again changes nothing. */
  recordFinding(finding: Finding, incidentId: string): Promise<void>;

  getIncident(id: string): Promise<StoredIncident | undefined>;
  /** The open or acknowledged incident with this fingerprint, if any. */
  findActiveIncident(fingerprint: string): Promise<StoredIncident | undefined>;
  /** Incidents that are open or acknowledged. */
  listActiveIncidents(): Promise<StoredIncident[]>;
  /** Newest first by updated_at. */
  listIncidents(query: IncidentQuery): Promise<StoredIncident[]>;
  putIncident(incident: StoredIncident): Promise<void>;

  getAgent(agentId: string): Promise<AgentState | undefined>;
  putAgent(state: AgentState): Promise<void>;
  /** Every agent ever seen in an event or given a state, by id. */
  listAgents(): Promise<AgentState[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  /**
   * Adds a delivery; pending deliveries with the same supersede_key become `superseded`. A
   * delivery whose id is stored already is left as it is (enqueueing is idempotent).
   */
  enqueueDelivery(delivery: Delivery): Promise<void>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Pending deliveries whose next attempt is due, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<Delivery[]>;
  /** Number of pending deliveries. */
  pendingDeliveries(): Promise<number>;
  updateDelivery(delivery: Delivery): Promise<void>;

  loadCheckpoint(consumer: string, partition: number): Promise<Checkpoint | undefined>;
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
}
