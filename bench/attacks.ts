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

/**
 * The alerting of the isolation cases: a spend_cap incident pauses its agent (an auto-pause
 * policy) and mutes that agent's pii_leak (an inhibit rule), so a finding wrongly put on another
 * agent would pause and blind it.
 */
export function spendPauseAndInhibit(): Record<string, unknown> {
  return {
    auto_pause: [{ name: "spend", matchers: [{ name: "detector", value: "spend_cap" }] }],
    inhibit_rules: [
      {
        source_matchers: [{ name: "detector", value: "spend_cap" }],
        target_matchers: [{ name: "detector", value: "pii_leak" }],
        equal: ["agent_id"],
      },
    ],
  };
}

/** A response of `agentId` that leaks a card number (a pii_leak finding), in session `sessionId`. */
export function cardLeak(agentId: string, id: string, sessionId: string): Record<string, unknown> {
  return {
    id,
    time: new Date().toISOString(),
    type: "response",
    agent_id: agentId,
    session_id: sessionId,
    text: "Card on file: 4111 1111 1111 1111",
  };
}
