/**
 * The per-agent metrics stay bounded whatever the agents send: a flood of distinct agent ids,
 * tools or models adds a bounded number of series; users, sessions, keys and IPs never become
 * labels; configured agents have zeros from the start.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES } from "../../detectors/pricing.ts";
import type { AgentEvent, Finding } from "../../lib/events.ts";
import { Metrics } from "../runtime/metrics.ts";
import { AgentMetrics } from "./agent-metrics.ts";

function setup(maxAgents = 5) {
  const metrics = new Metrics();
  const agentMetrics = new AgentMetrics({
    metrics,
    agents: ["support-bot", "coding-agent"],
    detectors: ["auth_bruteforce", "injection_attempt"],
    maxAgents,
    maxToolsPerAgent: 3,
    maxModelsPerAgent: 2,
    prices: DEFAULT_PRICES,
  });
  return { metrics, agentMetrics };
}

const event = (fields: Partial<AgentEvent> & Pick<AgentEvent, "type" | "agent_id">): AgentEvent => ({
  id: `e-${Math.random()}`,
  time: "2026-11-20T10:00:00.000Z",
  user_id: "victim@example.com",
  session_id: "s-secret",
  source_ip: "203.0.113.9",
  ...fields,
});

async function series(metrics: Metrics, name: string): Promise<string[]> {
  const text = (await metrics.render()).body;
  return text.split("\n").filter((line) => line.startsWith(`${name}{`));
}

describe("per-agent metrics", () => {
  it("gives configured agents zeros from the start", async () => {
    const { metrics } = setup();
    const lines = await series(metrics, "agentwatch_agent_auth_failures_total");
    expect(lines).toEqual([
      'agentwatch_agent_auth_failures_total{agent_id="support-bot"} 0',
      'agentwatch_agent_auth_failures_total{agent_id="coding-agent"} 0',
    ]);
    expect(await series(metrics, "agentwatch_agent_findings_total")).toHaveLength(2 * 2 * 3);
  });

  it("folds agents past max_agents, and tools and models past their caps, into _other", async () => {
    const { metrics, agentMetrics } = setup(5);
    for (let i = 0; i < 10_000; i += 1)
      agentMetrics.observe(event({ type: "auth", agent_id: `agent-${i}`, auth: { outcome: "failure" } }));
    for (let i = 0; i < 1_000; i += 1) {
      agentMetrics.observe(
        event({ type: "tool_call", agent_id: "support-bot", tool: { name: `tool-${i}` } }),
      );
      agentMetrics.observe(
        event({
          type: "llm_usage",
          agent_id: "support-bot",
          usage: { provider: "openai", model: `gpt-4o-${i}`, input_tokens: 10, output_tokens: 5 },
        }),
      );
    }
    const agents = new Set(
      (await series(metrics, "agentwatch_agent_auth_failures_total")).map(
        (l) => /agent_id="([^"]*)"/.exec(l)?.[1],
      ),
    );
    // The two configured agents, three first seen, and _other.
    expect(agents.size).toBe(6);
    expect(agents).toContain("_other");
    expect(await series(metrics, "agentwatch_agent_tool_calls_total")).toHaveLength(4);
    expect(await series(metrics, "agentwatch_agent_tokens_total")).toHaveLength(3 * 2);
    const other = (await series(metrics, "agentwatch_agent_auth_failures_total")).find((l) =>
      l.includes('"_other"'),
    );
    expect(other).toBe('agentwatch_agent_auth_failures_total{agent_id="_other"} 9997');
    // Priced from the table (gpt-4o: $2.50 / $10 per million), the unknown ones folded too.
    const cost = await series(metrics, "agentwatch_agent_cost_usd_total");
    expect(cost.length).toBeLessThanOrEqual(3);
    const text = (await metrics.render()).body;
    for (const value of ["victim@example.com", "s-secret", "203.0.113.9"]) expect(text).not.toContain(value);
  });

  it("counts findings, injection attempts by origin and sensitive data by type", async () => {
    const { metrics, agentMetrics } = setup();
    const finding = (detector: string, labels: Record<string, string>): Finding => ({
      id: `f-${detector}`,
      detector,
      agent_id: "support-bot",
      key: "k",
      time: "2026-11-20T10:00:00.000Z",
      severity: "warning",
      score: 1,
      observed: {},
      baseline: {},
      event_ids: [],
      title: "t",
      summary: "s",
      labels,
    });
    agentMetrics.findings([
      finding("injection_attempt", { origin: "retrieval", user_id: "victim@example.com" }),
      finding("pii_leak", { types: "email,credit_card", user_id: "victim@example.com" }),
    ]);
    expect(await series(metrics, "agentwatch_agent_injection_attempts_total")).toContain(
      'agentwatch_agent_injection_attempts_total{agent_id="support-bot",origin="retrieval"} 1',
    );
    expect(await series(metrics, "agentwatch_agent_sensitive_data_total")).toEqual([
      'agentwatch_agent_sensitive_data_total{agent_id="support-bot",detector="pii_leak",type="email"} 1',
      'agentwatch_agent_sensitive_data_total{agent_id="support-bot",detector="pii_leak",type="credit_card"} 1',
    ]);
    expect((await metrics.render()).body).not.toContain("victim@example.com");
  });
});
