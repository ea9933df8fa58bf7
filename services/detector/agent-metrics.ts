/**
 * The per-agent security metrics the dashboards show (dashboards/grafana): events, tokens and
 * cost, injection attempts, auth failures, tool calls, errors, latency, sensitive data and
 * findings, counted by the detector runner as it reads each event and raises each finding.
 *
 * Cardinality is bounded whatever the agents send: no user, session, key or IP value is ever a
 * label; agent ids are capped by `metrics.max_agents` (configured agents first, then the first
 * seen, the rest folded into `_other`), tools and models per agent likewise. The label sets of
 * configured agents and detectors exist from the start, so panels show zeros, not gaps.
 */

import { costOf, type Price } from "../../detectors/pricing.ts";
import type { AgentEvent, Finding } from "../../lib/events.ts";
import { EVENT_TYPES } from "../../lib/events.ts";
import type { Metrics } from "../runtime/metrics.ts";

export const OTHER = "_other";
const SEVERITIES = ["critical", "warning", "info"] as const;
const ORIGINS = ["user", "tool", "retrieval", "system"] as const;
const SENSITIVE_DETECTORS = new Set(["pii_leak", "secret_leak", "canary_leak"]);
/** Longest label value kept (an agent id is at most 128; tool and model names are the agent's). */
const MAX_VALUE = 128;

/** A set of label values that grows to `max`, then answers `_other` for anything new. */
export class CappedLabels {
  readonly #known = new Set<string>();
  readonly #max: number;

  constructor(max: number, first: readonly string[] = []) {
    this.#max = max;
    for (const value of first) this.#known.add(value);
  }

  of(value: string): string {
    if (this.#known.has(value)) return value;
    if (this.#known.size >= this.#max || value.length > MAX_VALUE) return OTHER;
    this.#known.add(value);
    return value;
  }

  get size(): number {
    return this.#known.size;
  }
}

export interface AgentMetricsOptions {
  metrics: Metrics;
  /** Configured agent ids: labelled first, and given zeros from the start. */
  agents: readonly string[];
  /** Detector names, for the zeros of configured agents' findings. */
  detectors: readonly string[];
  maxAgents: number;
  maxToolsPerAgent: number;
  maxModelsPerAgent: number;
  /** The price table of an `llm_usage` without `cost_usd` (detectors.spend_cap.prices). */
  prices: Record<string, Price>;
}

export class AgentMetrics {
  readonly #o: AgentMetricsOptions;
  readonly #agents: CappedLabels;
  readonly #tools = new Map<string, CappedLabels>();
  readonly #models = new Map<string, CappedLabels>();

  constructor(options: AgentMetricsOptions) {
    this.#o = options;
    // Configured agents beyond the cap are themselves folded: the cap is a promise on series.
    const configured = options.agents.slice(0, options.maxAgents);
    this.#agents = new CappedLabels(options.maxAgents, configured);
    const m = options.metrics;
    for (const agent_id of configured) {
      for (const type of EVENT_TYPES) m.agentEvents.inc({ agent_id, type }, 0);
      for (const origin of ORIGINS) m.agentInjectionAttempts.inc({ agent_id, origin }, 0);
      m.agentAuthFailures.inc({ agent_id }, 0);
      m.agentErrors.inc({ agent_id }, 0);
      m.agentLatency.zero({ agent_id });
      for (const detector of options.detectors) {
        for (const severity of SEVERITIES) m.agentFindings.inc({ agent_id, detector, severity }, 0);
      }
    }
  }

  /** Counts one event the detectors read. */
  observe(event: AgentEvent, source: "agent" | "provider" = "agent"): void {
    const m = this.#o.metrics;
    const agent_id = this.#agents.of(event.agent_id);
    m.agentEvents.inc({ agent_id, type: event.type });
    switch (event.type) {
      case "auth":
        if (event.auth?.outcome === "failure") m.agentAuthFailures.inc({ agent_id });
        break;
      case "tool_call":
        if (event.tool?.name)
          m.agentToolCalls.inc({ agent_id, tool: this.#tool(event.agent_id, event.tool.name) });
        break;
      case "error":
        m.agentErrors.inc({ agent_id });
        break;
      case "llm_usage": {
        const usage = event.usage;
        if (!usage) break;
        const model = this.#model(event.agent_id, `${usage.provider}/${usage.model}`);
        if (usage.input_tokens > 0)
          m.agentTokens.inc({ agent_id, model, direction: "input", source }, usage.input_tokens);
        if (usage.output_tokens > 0)
          m.agentTokens.inc({ agent_id, model, direction: "output", source }, usage.output_tokens);
        const cost = costOf(this.#o.prices, usage);
        if (cost !== undefined && cost > 0 && Number.isFinite(cost))
          m.agentCost.inc({ agent_id, model, source }, cost);
        break;
      }
    }
    if (event.type !== "error" && event.status === "error") m.agentErrors.inc({ agent_id });
    if (
      typeof event.latency_ms === "number" &&
      Number.isFinite(event.latency_ms) &&
      event.latency_ms >= 0 &&
      (event.type === "response" || event.type === "tool_result" || event.type === "llm_usage")
    ) {
      m.agentLatency.observe({ agent_id }, event.latency_ms / 1000);
    }
  }

  /** Counts raised findings (by agent, detector, severity; injection attempts; sensitive data types). */
  findings(findings: readonly Finding[]): void {
    const m = this.#o.metrics;
    for (const f of findings) {
      const agent_id = this.#agents.of(f.agent_id);
      m.agentFindings.inc({ agent_id, detector: f.detector, severity: f.severity });
      if (f.detector === "injection_attempt") {
        const origin = (ORIGINS as readonly string[]).includes(f.labels.origin ?? "")
          ? f.labels.origin
          : "user";
        m.agentInjectionAttempts.inc({ agent_id, origin: origin as string });
      }
      if (SENSITIVE_DETECTORS.has(f.detector)) {
        // Types are the detectors' own names (email, credit_card, aws_access_key, ...): bounded.
        const types = f.detector === "canary_leak" ? ["canary"] : (f.labels.types ?? "unknown").split(",");
        for (const type of types.slice(0, 20)) {
          m.agentSensitiveData.inc({ agent_id, detector: f.detector, type: type.slice(0, 64) || "unknown" });
        }
      }
    }
  }

  #tool(agent: string, tool: string): string {
    return this.#capped(this.#tools, agent, this.#o.maxToolsPerAgent).of(tool);
  }

  #model(agent: string, model: string): string {
    return this.#capped(this.#models, agent, this.#o.maxModelsPerAgent).of(model);
  }

  /** Per-agent label sets, one per labelled agent (folded agents share `_other`'s). */
  #capped(table: Map<string, CappedLabels>, agent: string, max: number): CappedLabels {
    const key = this.#agents.of(agent);
    let labels = table.get(key);
    if (!labels) {
      labels = new CappedLabels(max);
      table.set(key, labels);
    }
    return labels;
  }
}
