/**
 * The records agentwatch keeps, in their wire form (snake_case, as in the contract).
 */
import type { AgentEvent } from "../../lib/events.ts";
import type { Severity } from "../../lib/settings.ts";

// The event and finding shapes are the detectors' as much as the services': they live in lib/.
export { type AgentEvent, EVENT_TYPES, type EventType, type Finding } from "../../lib/events.ts";
export { SEVERITIES, type Severity } from "../../lib/settings.ts";

/** What the collector puts on the bus: the event plus when and through which token it arrived. */
export interface IngestedEvent {
  event: AgentEvent;
  received_at: string;
  /** Name (never the value) of the token that posted it. */
  token: string;
  /**
   * Set when the event arrived while its agent was paused and the pause had been delivered to
   * its runtime: the pause's start and when the runtime acknowledged it. Such events are still
   * accepted (they are evidence) and the paused_agent_active detector judges them.
   */
  while_paused?: { since: string; delivered_at: string };
  /**
   * SHA-256 of the event's content as validated (runtime/reused-ids.ts): what "the same content"
   * means when an `(agent_id, id)` comes again. Set by the collector; absent on records from
   * before it was kept and on the providers' usage records.
   */
  event_hash?: string;
  /**
   * Set when the event came under an id its agent had already used for other content: it is kept
   * under another id (`event.id`: the id as sent plus a suffix of `event_hash`), `id` is the id as
   * sent and `event_hash` the hash of the content first stored under it. The collector (or the
   * indexer, for an id the collector no longer remembered) marks it; event_id_conflict judges it.
   */
  id_conflict?: { id: string; event_hash: string };
  /** Its place in its bus partition's hash chain, set by the indexer as it stores it (services/indexer/chain.ts). */
  chain?: ChainLink;
}

/**
 * A stored event's link in the hash chain of its bus partition (`events:<partition>`): its
 * position, the SHA-256 of its content (canonical JSON of the event as received, without this
 * link), and `hash` = SHA-256 of `prev` and `content_hash`. `agentwatch verify` recomputes them.
 */
export interface ChainLink {
  stream: string;
  seq: number;
  /** The bus offset it was read at. */
  offset: number;
  prev: string;
  content_hash: string;
  hash: string;
}

export type IncidentStatus = "open" | "acknowledged" | "resolved";

/**
 * An operator's verdict on a finding: it was a false positive. Kept with the incident, audited,
 * and exported as labelled rows by `agentwatch export-feedback` so a team can retrain on its own
 * traffic.
 */
export interface FindingFeedback {
  finding_id: string;
  detector: string;
  verdict: "false_positive";
  /** The events the finding was raised on (export-feedback reads their text). */
  event_ids: string[];
  by: string;
  at: string;
  comment: string | null;
}

export interface IncidentFinding {
  id: string;
  detector: string;
  time: string;
  score: number;
  observed: unknown;
  baseline: unknown;
  event_ids: string[];
  summary: string;
  /** When its event arrived at the collector, and when it was raised (detection latency). */
  received_at?: string;
  detected_at?: string;
}

/**
 * Evidence preserved (services/alerter/holds.ts): the agent's events from `from` until `to`
 * (open-ended while the incident is active), the incident and its findings, exempt from
 * retention and erasure until an admin releases the hold.
 */
export interface Hold {
  id: string;
  incident_id: string;
  agent_id: string;
  /**
   * The incident's sessions: their events are held too in the window, whichever agent they came
   * from (a session handed from one agent to another). Absent on holds from before.
   */
  sessions?: string[];
  from: string;
  to: string | null;
  reason: string;
  created_at: string;
  created_by: string;
  released_at: string | null;
  released_by: string | null;
}

/** The sessions an incident involves: its own, as correlated and as labelled. */
export function incidentSessions(incident: Pick<Incident, "session_id" | "labels">): string[] {
  return [...new Set([incident.session_id, incident.labels.session_id].filter((s): s is string => !!s))];
}

/**
 * Whether an active hold covers this event: its agent's, within its time. Sessions are per agent:
 * a session id is a value the agent writes, so another agent's events naming the same session
 * (one ingest token posting under another agent's session id) are never held by it (issue 30).
 * A hold's `sessions` say which conversation the incident was about; they widen nothing.
 */
export function heldBy(holds: readonly Hold[], agentId: string, time: string): Hold | undefined {
  return holds.find(
    (h) =>
      h.released_at === null && h.agent_id === agentId && time >= h.from && (h.to === null || time <= h.to),
  );
}

export interface IncidentNote {
  time: string;
  actor: string;
  /** `ack` (as the endpoint and the audit trail name it; older notes say `acknowledge`) or `resolve`. */
  action: "ack" | "acknowledge" | "resolve";
  comment: string;
}

/** Contract §4, plus fingerprint, counts and the operator notes. */
export interface Incident {
  id: string;
  status: IncidentStatus;
  severity: Severity;
  detector: string;
  agent_id: string;
  session_id?: string;
  title: string;
  summary: string;
  labels: Record<string, string>;
  started_at: string;
  updated_at: string;
  resolved_at?: string;
  /** `agentwatch` when resolved by the resolve timeout, else the token name. */
  resolved_by?: string;
  acknowledged_at?: string;
  acknowledged_by?: string;
  fingerprint: string;
  /** Every detector with a finding in the incident (a session's findings are correlated into one). */
  detectors: string[];
  /**
   * Each detector's labels (of its first finding in the incident, with `detector` and
   * `agent_id`): silences, routes, inhibition and policies see every detector of a correlated
   * incident, not only the first. Absent on incidents stored before it existed.
   */
  detector_labels?: Record<string, Record<string, string>>;
  /** The flood-control group it counts in (alerting.group_by values; flood.ts). */
  flood_group?: string;
  /** Operators' verdicts on its findings (POST /v1/incidents/{id}/false-positive). */
  feedback?: FindingFeedback[];
  finding_count: number;
  /** The most recent findings (at most MAX_INCIDENT_FINDINGS), oldest first: the incident's timeline. */
  findings: IncidentFinding[];
  notes: IncidentNote[];
}

export const MAX_INCIDENT_FINDINGS = 100;

/** Bookkeeping of what receivers were told about an incident, kept beside it. */
export interface NotifyState {
  /** Epoch ms of the last firing notification, or null if none was sent yet. */
  last_firing_at: number | null;
  /** finding_count at the last firing notification. */
  notified_findings: number;
  /**
   * The incident's severity at the last firing notification: an escalation past it pages at
   * once, not after `group_interval`. Absent on incidents stored before it was kept.
   */
  notified_severity?: Incident["severity"];
  resolved_sent: boolean;
  /** Receivers told it is firing (its resolution goes to them); absent on incidents stored before routing. */
  notified_receivers?: string[];
  /** The auto-pause policy that paused the incident's agent, once it did. */
  auto_paused?: string;
}

export interface StoredIncident {
  incident: Incident;
  notify: NotifyState;
}

export interface ControlStatus {
  delivered: boolean;
  attempts: number;
  /** Whether the agent has a control URL configured at all. */
  configured: boolean;
  /** The outbox delivery this status follows (the latest command's). */
  delivery_id?: string;
  /** The sequence of the latest command sent (ControlCommand.sequence). */
  sequence?: number;
  /** When the runtime answered 2xx to the latest command (it has acted). */
  delivered_at?: string;
  last_error?: string;
}

export interface AgentState {
  agent_id: string;
  state: "active" | "paused";
  since: string | null;
  by: string | null;
  reason: string | null;
  incident_id: string | null;
  control: ControlStatus | null;
  first_seen: string | null;
  last_seen: string | null;
}

/** Alertmanager's matcher operators: equal, not equal, regex match, regex no match. */
export const MATCHER_OPS = ["=", "!=", "=~", "!~"] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

export interface SilenceMatcher {
  /** An incident label (`detector`, `agent_id`, the detector's own labels) or `severity`, `session_id`. */
  name: string;
  value: string;
  op: MatcherOp;
}

/**
 * A silence: while it is active, incidents matching every matcher are recorded as usual but no
 * notification is sent for them. What was held back goes out once the silence ends, if still due.
 */
export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  starts_at: string;
  ends_at: string;
  created_at: string;
  created_by: string;
  comment: string;
  /** Who ended it before its time, if anyone. */
  expired_by: string | null;
}

export type SilenceState = "pending" | "active" | "expired";

export const AUDIT_ACTIONS = [
  "pause",
  "resume",
  "ack",
  /** What `ack` was stored as before it had one name everywhere; read as `ack`. */
  "acknowledge",
  "resolve",
  "silence_create",
  "silence_delete",
  "config_reload",
  "false_positive",
  /** Data subject requests (GET /v1/subjects/{user_id}/export, DELETE /v1/subjects/{user_id}). */
  "subject_export",
  "subject_erase",
  /** A retention run that deleted something (actor `agentwatch`; the counts in its details). */
  "retention",
  /** A signed digest of the hash chains' heads (services/indexer/chain.ts). */
  "integrity_digest",
  /** A signed tombstone: chained records a retention run deleted or an erasure emptied (storage/tombstone.ts). */
  "tombstone",
  /** Evidence held (an agent paused for an incident, a critical incident) and a hold released. */
  "hold_place",
  "hold_release",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  action: AuditAction;
  /** What was acted on: `agent:<id>`, `incident:<id>`, `silence:<id>`. */
  target: string;
  reason: string | null;
  incident_id: string | null;
  details: Record<string, unknown>;
  /** Its link in the audit chain of the process that wrote it (storage/audit-chain.ts). */
  chain?: ChainLink;
}

export type DeliveryKind = "alert" | "control";
export type DeliveryStatus = "pending" | "delivered" | "failed" | "superseded";

/**
 * An outbound call waiting in the outbox. The body is stored as sent; the secret is not: it is
 * looked up from the config by `target` at each attempt.
 */
export interface Delivery {
  id: string;
  kind: DeliveryKind;
  /** Receiver name (alert) or agent id (control). */
  target: string;
  /** Pending deliveries with the same key are superseded by a newer one (the latest state wins). */
  supersede_key: string | null;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number | null;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /**
   * Lower goes first: 0 for control commands and critical alerts, 1 for warnings, 2 for info.
   * The outbox sends due deliveries in this order, so a critical alert never waits behind a
   * backlog of warnings. Absent in deliveries stored before it existed: 1.
   */
  priority?: number;
}

export interface Checkpoint {
  consumer: string;
  partition: number;
  /** Next offset to read: every record before it is reflected in `state`. */
  offset: number;
  state: string;
  saved_at: number;
}
