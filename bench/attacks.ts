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
