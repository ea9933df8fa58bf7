/**
 * The attack the end-to-end benchmarks time: a brute force of ten failed authentications for one
 * principal, the tenth completing it (auth_bruteforce's default threshold). Sent as the first
 * nine, then the tenth, so the clock starts at the event that makes the finding.
 */
export function bruteForceFailures(
  idPrefix: string,
  agentId: string,
  principal: string,
): Record<string, unknown>[] {
  return Array.from({ length: 10 }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    time: new Date().toISOString(),
    type: "auth",
    agent_id: agentId,
    auth: { outcome: "failure", principal },
  }));
}

/** One `llm_usage` event of `agentId` on API key `keyId` costing `costUsd` (a spend-cap case). */
export function usageOnKey(
  agentId: string,
  id: string,
  costUsd: number,
  keyId: string,
  tokens: { input: number; output: number } = { input: 1000, output: 100 },
): Record<string, unknown> {
  return {
    id,
    time: new Date().toISOString(),
    type: "llm_usage",
    agent_id: agentId,
    usage: {
      provider: "openai",
      model: "gpt-4o",
      input_tokens: tokens.input,
      output_tokens: tokens.output,
      cost_usd: costUsd,
      api_key_id: keyId,
    },
  };
}
