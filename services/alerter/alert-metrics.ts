/**
 * The alerter role's share of the dashboards' metrics: detection latency (an event's arrival to
 * its notification leaving agentwatch, and a finding to its notification), which agents are
 * paused, and open incidents by severity.
 */
import { CappedLabels, OTHER } from "../detector/agent-metrics.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { Delivery } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { AlertNotification } from "./notifiers/notifier.ts";

/** Findings whose latency was measured (the first receiver to take one counts), remembered this many. */
const MAX_MEASURED = 10_000;
const measured = new Set<string>();

/**
 * After an alert delivery went out: the latency of each finding it is the first to carry, by
 * detector, from its event's arrival and from its raising to now (the receiver took it).
 */
export function observeDetectionLatency(metrics: Metrics, delivery: Delivery): void {
  if (delivery.kind !== "alert" || delivery.status !== "delivered") return;
  let notification: AlertNotification;
  try {
    notification = JSON.parse(delivery.body) as AlertNotification;
  } catch {
    return;
  }
  if (notification.status !== "firing" || notification.update) return;
  const sentAt = delivery.updated_at;
  for (const finding of notification.incident.findings ?? []) {
    if (measured.has(finding.id)) continue;
    const received = Date.parse(finding.received_at ?? "");
    const detected = Date.parse(finding.detected_at ?? "");
    if (Number.isNaN(detected)) continue;
    if (measured.size >= MAX_MEASURED) measured.clear();
    measured.add(finding.id);
    if (!Number.isNaN(received)) {
      metrics.detectionLatency.observe({ detector: finding.detector }, Math.max(0, sentAt - received) / 1000);
    }
    metrics.notificationLatency.observe(
      { detector: finding.detector },
      Math.max(0, sentAt - detected) / 1000,
    );
  }
}

/** `agentwatch_agent_paused`: 1 per paused agent, 0 per active one; folded agents count under `_other`. */
export class PausedGauge {
  readonly #metrics: Metrics;
  readonly #labels: CappedLabels;
  readonly #pausedOthers = new Set<string>();

  constructor(metrics: Metrics, configured: readonly string[], maxAgents: number) {
    this.#metrics = metrics;
    this.#labels = new CappedLabels(maxAgents, configured.slice(0, maxAgents));
    for (const agent_id of configured.slice(0, maxAgents)) metrics.agentPaused.set({ agent_id }, 0);
  }

  set(agentId: string, paused: boolean): void {
    const agent_id = this.#labels.of(agentId);
    if (agent_id !== OTHER) {
      this.#metrics.agentPaused.set({ agent_id }, paused ? 1 : 0);
      return;
    }
    if (paused) this.#pausedOthers.add(agentId);
    else this.#pausedOthers.delete(agentId);
    this.#metrics.agentPaused.set({ agent_id: OTHER }, this.#pausedOthers.size);
  }

  reset(agents: readonly { agent_id: string; state: string }[]): void {
    for (const agent of agents) this.set(agent.agent_id, agent.state === "paused");
  }
}

export interface OpenIncidentsGaugeOptions {
  storage: Storage;
  metrics: Metrics;
  logger: Logger;
  /** Configured agents (labelled first, zeros from the start) and the cap on agent labels. */
  agents: readonly string[];
  maxAgents: number;
  intervalMs?: number;
}

/** Recounts open incidents by severity from storage every `intervalMs` (they escalate, resolve, time out). */
export class OpenIncidentsGauge {
  readonly #o: OpenIncidentsGaugeOptions & { intervalMs: number };
  readonly #agents: CappedLabels;
  readonly #seen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: OpenIncidentsGaugeOptions) {
    this.#o = { intervalMs: 10_000, ...options };
    this.#agents = new CappedLabels(options.maxAgents, options.agents.slice(0, options.maxAgents));
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.#running ??= this.refresh().finally(() => {
        this.#running = undefined;
      });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async refresh(): Promise<void> {
    try {
      const zero = () => ({ critical: 0, warning: 0, info: 0 });
      const counts = zero();
      const byAgent = new Map<string, ReturnType<typeof zero>>();
      for (const agent of this.#o.agents.slice(0, this.#o.maxAgents)) byAgent.set(agent, zero());
      for (const { incident } of await this.#o.storage.listActiveIncidents()) {
        counts[incident.severity] += 1;
        const agent = this.#agents.of(incident.agent_id);
        const own = byAgent.get(agent) ?? zero();
        own[incident.severity] += 1;
        byAgent.set(agent, own);
      }
      for (const [severity, count] of Object.entries(counts)) {
        this.#o.metrics.openIncidentsBySeverity.set({ severity }, count);
      }
      // Agents whose incidents all resolved go back to zero (their series stay, at 0).
      for (const agent of this.#seen) if (!byAgent.has(agent)) byAgent.set(agent, zero());
      for (const [agent_id, own] of byAgent) {
        this.#seen.add(agent_id);
        for (const [severity, count] of Object.entries(own)) {
          this.#o.metrics.agentOpenIncidents.set({ agent_id, severity }, count);
        }
      }
    } catch (err) {
      this.#o.logger.warn({ err }, "counting open incidents for the metrics failed; trying again shortly");
    }
  }
}
