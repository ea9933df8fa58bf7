/**
 * Every Prometheus metric agentwatch exports, on one registry per process (not the global one,
 * so several instances can run in one test process). Names follow Prometheus conventions:
 * `_total` counters, base units (seconds, bytes).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();

  readonly ingestEvents = new Counter({
    name: "agentwatch_ingest_events_total",
    help: "Events received on POST /v1/events, by outcome (accepted, duplicate, rejected).",
    labelNames: ["outcome"] as const,
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "agentwatch_process_" });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
