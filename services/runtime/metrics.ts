/**
 * Every Prometheus metric agentwatch exports, on one registry per process (not the global one,
 * so several instances can run in one test process). Names follow Prometheus conventions:
 * `_total` counters, base units (seconds, bytes).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Seconds, from a fast path (tens of milliseconds) to a slow receiver's retries (minutes). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();

  readonly ingestEvents = new Counter({
    name: "agentwatch_ingest_events_total",
    help: "Events received on POST /v1/events and made from OTLP spans and log records, by outcome (accepted, duplicate, rejected).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly eventIdConflicts = new Counter({
    name: "agentwatch_event_id_conflicts_total",
    help: "Events sent under an (agent_id, id) already used for other content, kept under a new id; by where the conflict was found (collector: named in the 202; indexer: an id the collector no longer remembered).",
    labelNames: ["found_by"] as const,
    registers: [this.registry],
  });

  readonly otlpRecords = new Counter({
    name: "agentwatch_otlp_records_total",
    help: "OTLP spans and log records received, by signal (traces, logs) and outcome: mapped (made events), dropped (no GenAI meaning), rejected (an event made from it was refused; named in partialSuccess).",
    labelNames: ["signal", "outcome"] as const,
    registers: [this.registry],
  });

  readonly ingestRequests = new Counter({
    name: "agentwatch_ingest_requests_total",
    help: "Ingest requests, by HTTP status code.",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "agentwatch_http_request_duration_seconds",
    help: "HTTP request latency, by method, route and status code.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly providerPolls = new Counter({
    name: "agentwatch_provider_polls_total",
    help: "Reads of an LLM provider's usage or cost report, by provider, report and outcome (ok, unauthorized, unavailable, rejected).",
    labelNames: ["provider", "report", "outcome"] as const,
    registers: [this.registry],
  });

  readonly providerEvents = new Counter({
    name: "agentwatch_provider_events_total",
    help: "llm_usage events made from a provider's usage or cost records (new buckets, and buckets whose totals rose).",
    labelNames: ["provider", "report"] as const,
    registers: [this.registry],
  });

  readonly providerLatestBucket = new Gauge({
    name: "agentwatch_provider_latest_bucket_timestamp_seconds",
    help: "Start of the latest usage bucket a provider reported, unix seconds.",
    labelNames: ["provider"] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: "agentwatch_api_auth_failures_total",
    help: "Requests to agentwatch's own API refused: missing or unknown token (401), or not allowed (403).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: "agentwatch_http_connections_refused_total",
    help: "Connections closed as they opened: the client address already had server.max_connections_per_address open.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  readonly busLag = new Gauge({
    name: "agentwatch_bus_consumer_lag_records",
    help: "Records appended to a topic that a consumer group has not committed yet.",
    labelNames: ["group", "topic"] as const,
    registers: [this.registry],
  });

  readonly busAppended = new Counter({
    name: "agentwatch_bus_appended_records_total",
    help: "Records durably appended to the bus, by topic.",
    labelNames: ["topic"] as const,
    registers: [this.registry],
  });

  readonly busProducerResets = new Counter({
    name: "agentwatch_bus_producer_resets_total",
    help: "Kafka producers replaced by a fresh one (a new producer id) after a failed send.",
    registers: [this.registry],
  });

  readonly consumerErrors = new Counter({
    name: "agentwatch_bus_consumer_errors_total",
    help: "Batches a consumer failed to process (they are retried), by group.",
    labelNames: ["group"] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: "agentwatch_dead_letter_records_total",
    help: "Records a consumer could not process, sent to the dead-letter topic, by consumer.",
    labelNames: ["consumer"] as const,
    registers: [this.registry],
  });

  readonly detectorEvents = new Counter({
    name: "agentwatch_detector_events_total",
    help: "Events run through the detectors.",
    registers: [this.registry],
  });

  readonly detectorFindings = new Counter({
    name: "agentwatch_detector_findings_total",
    help: "Findings raised, by detector and severity.",
    labelNames: ["detector", "severity"] as const,
    registers: [this.registry],
  });

  readonly detectorEntities = new Gauge({
    name: "agentwatch_detector_entities",
    help: "Entities (users, keys, principals, ...) a detector keeps state for, after its last tick; capped per table.",
    labelNames: ["detector"] as const,
    registers: [this.registry],
  });

  readonly detectorEvictions = new Counter({
    name: "agentwatch_detector_evictions_total",
    help: "Entities a detector dropped: idle past their TTL, or the least recently seen over the cap (a flood of distinct values).",
    labelNames: ["detector"] as const,
    registers: [this.registry],
  });

  readonly detectorStateBytes = new Gauge({
    name: "agentwatch_detector_state_bytes",
    help: "Size of the detector state checkpoint last written, per partition summed.",
    registers: [this.registry],
  });

  readonly detectorCheckpoints = new Counter({
    name: "agentwatch_detector_checkpoints_total",
    help: "Detector state checkpoints written.",
    registers: [this.registry],
  });

  readonly incidentsOpened = new Counter({
    name: "agentwatch_incidents_opened_total",
    help: "Incidents opened, by detector and severity.",
    labelNames: ["detector", "severity"] as const,
    registers: [this.registry],
  });

  readonly incidentsResolved = new Counter({
    name: "agentwatch_incidents_resolved_total",
    help: "Incidents resolved, by how (timeout, operator).",
    labelNames: ["how"] as const,
    registers: [this.registry],
  });

  readonly activeSilences = new Gauge({
    name: "agentwatch_silences_active",
    help: "Silences in force now (notifications of matching incidents held back).",
    registers: [this.registry],
  });

  readonly openIncidents = new Gauge({
    name: "agentwatch_incidents_open",
    help: "Incidents not resolved yet (open or acknowledged).",
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: "agentwatch_notification_attempts_total",
    help: "Outbound deliveries attempted (alert notifications and agent control calls), by kind, target and outcome (success, retry, failed).",
    labelNames: ["kind", "target", "outcome"] as const,
    registers: [this.registry],
  });

  readonly pendingDeliveries = new Gauge({
    name: "agentwatch_notifications_pending",
    help: "Outbound deliveries waiting for a (re)try.",
    registers: [this.registry],
  });

  readonly agentControl = new Counter({
    name: "agentwatch_agent_control_actions_total",
    help: "Kill-switch actions taken, by action (pause, resume).",
    labelNames: ["action"] as const,
    registers: [this.registry],
  });

  readonly detectorLastCheckpoint = new Gauge({
    name: "agentwatch_detector_last_checkpoint_timestamp_seconds",
    help: "When the detector runner last wrote a state checkpoint (unix seconds); stale means detection is stuck.",
    registers: [this.registry],
  });

  readonly openIncidentsBySeverity = new Gauge({
    name: "agentwatch_incidents_open_by_severity",
    help: "Incidents not resolved yet (open or acknowledged), by severity; recounted from storage every few seconds.",
    labelNames: ["severity"] as const,
    registers: [this.registry],
  });

  /**
   * Time from the arrival at the collector of the event that raised a finding to the first
   * notification with that finding leaving agentwatch (the receiver took it), by detector.
   */
  readonly detectionLatency = new Histogram({
    name: "agentwatch_detection_latency_seconds",
    help: "From an event's arrival at the collector to the notification of its finding leaving agentwatch, by detector.",
    labelNames: ["detector"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly notificationLatency = new Histogram({
    name: "agentwatch_finding_notification_latency_seconds",
    help: "From a finding being raised to its notification leaving agentwatch (the receiver took it), by detector.",
    labelNames: ["detector"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  // Per agent (services/detector/agent-metrics.ts): agent ids capped by metrics.max_agents
  // (configured agents first, the rest `_other`), tools and models capped per agent. No user,
  // session, key or IP values are labels.

  readonly agentEvents = new Counter({
    name: "agentwatch_agent_events_total",
    help: "Agent events run through the detectors, by agent and event type.",
    labelNames: ["agent_id", "type"] as const,
    registers: [this.registry],
  });

  readonly agentTokens = new Counter({
    name: "agentwatch_agent_tokens_total",
    help: "LLM tokens, by agent, model, direction (input, output) and source (agent: its own reports; provider: the provider's usage records).",
    labelNames: ["agent_id", "model", "direction", "source"] as const,
    registers: [this.registry],
  });

  readonly agentCost = new Counter({
    name: "agentwatch_agent_cost_usd_total",
    help: "LLM spend in US dollars (the event's cost_usd, else the price table), by agent, model and source.",
    labelNames: ["agent_id", "model", "source"] as const,
    registers: [this.registry],
  });

  readonly agentInjectionAttempts = new Counter({
    name: "agentwatch_agent_injection_attempts_total",
    help: "Prompt-injection attempts (injection_attempt findings), by agent and the text's origin (user, tool, retrieval, system).",
    labelNames: ["agent_id", "origin"] as const,
    registers: [this.registry],
  });

  readonly agentAuthFailures = new Counter({
    name: "agentwatch_agent_auth_failures_total",
    help: "Failed authentications (auth events with outcome failure), by agent.",
    labelNames: ["agent_id"] as const,
    registers: [this.registry],
  });

  readonly agentToolCalls = new Counter({
    name: "agentwatch_agent_tool_calls_total",
    help: "Tool calls, by agent and tool (tools per agent capped by metrics.max_tools_per_agent; the rest `_other`).",
    labelNames: ["agent_id", "tool"] as const,
    registers: [this.registry],
  });

  readonly agentErrors = new Counter({
    name: "agentwatch_agent_errors_total",
    help: "Errors (error events, and events with status error), by agent.",
    labelNames: ["agent_id"] as const,
    registers: [this.registry],
  });

  readonly agentLatency = new Histogram({
    name: "agentwatch_agent_response_latency_seconds",
    help: "Latency the agent reported (latency_ms of responses, tool results and usage), by agent.",
    labelNames: ["agent_id"] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly agentSensitiveData = new Counter({
    name: "agentwatch_agent_sensitive_data_total",
    help: "Personal data and secrets found leaving in responses or tool arguments (pii_leak, secret_leak, canary_leak findings), by agent, detector and data type.",
    labelNames: ["agent_id", "detector", "type"] as const,
    registers: [this.registry],
  });

  readonly agentFindings = new Counter({
    name: "agentwatch_agent_findings_total",
    help: "Findings raised, by agent, detector and severity.",
    labelNames: ["agent_id", "detector", "severity"] as const,
    registers: [this.registry],
  });

  readonly agentOpenIncidents = new Gauge({
    name: "agentwatch_agent_incidents_open",
    help: "Incidents not resolved yet (open or acknowledged), by agent and severity; recounted from storage every few seconds.",
    labelNames: ["agent_id", "severity"] as const,
    registers: [this.registry],
  });

  readonly agentPaused = new Gauge({
    name: "agentwatch_agent_paused",
    help: "1 while the agent is paused by the kill switch, 0 while active.",
    labelNames: ["agent_id"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "agentwatch_process_" });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
