/**
 * The state key of a user: users are per agent (`agent|user`). token_spike and spend_cap both
 * look up the user of every usage event, one after the other; building the key once and handing
 * the second the same string (already hashed by the first lookup) saves a concatenation and a
 * hash per event. Remembering the last pair is enough, as for `argumentsJson`.
 */
let lastAgent: string | undefined;
let lastUser: string | undefined;
let lastKey = "";

export function userKey(agentId: string, userId: string): string {
  if (agentId !== lastAgent || userId !== lastUser) {
    lastKey = `${agentId}|${userId}`;
    lastAgent = agentId;
    lastUser = userId;
  }
  return lastKey;
}
