import type { AgentEvent } from "./types.ts";

/**
 * A tool call's arguments as JSON, computed once per event however many detectors ask
 * (exfiltration, pii_leak, secret_leak, canary_leak). A cache keyed by the event object: pure,
 * it only remembers what JSON.stringify would return again.
 */
const ARGUMENTS = new WeakMap<AgentEvent, string>();

export function argumentsJson(event: AgentEvent): string {
  let json = ARGUMENTS.get(event);
  if (json === undefined) {
    json = JSON.stringify(event.tool?.arguments ?? {});
    ARGUMENTS.set(event, json);
  }
  return json;
}
