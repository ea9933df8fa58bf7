/** Tokens every test config uses: one per role, plus an ingest token for another agent. */
export const TOKENS = {
  ingest: "test-ingest-token-0123456789",
  ingestOther: "test-ingest-other-0123456789",
  viewer: "test-viewer-token-0123456789",
  operator: "test-operator-token-012345678",
  admin: "test-admin-token-0123456789ab",
} as const;

export const AGENT = "support-bot";
export const OTHER_AGENT = "coding-agent";

export function tokenConfig() {
  return [
    { name: "support-ingest", role: "ingest", token: TOKENS.ingest, agents: [AGENT] },
    { name: "other-ingest", role: "ingest", token: TOKENS.ingestOther, agents: [OTHER_AGENT] },
    { name: "dashboard", role: "viewer", token: TOKENS.viewer },
    { name: "oncall", role: "operator", token: TOKENS.operator },
    { name: "root", role: "admin", token: TOKENS.admin },
  ];
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A POST of `body` as JSON with this token: what most API calls in the tests send. */
export function postJson(token: string, body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}
