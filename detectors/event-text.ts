import type { AgentEvent } from "./types.ts";

/**
 * A tool call's arguments as JSON, computed once per event however many detectors ask
 * (exfiltration, pii_leak, secret_leak, canary_leak). The runner hands an event to its detectors
 * one after the other, so remembering the last event is enough (and much cheaper than a WeakMap).
 */
let lastEvent: AgentEvent | undefined;
let lastJson = "";

export function argumentsJson(event: AgentEvent): string {
  if (event !== lastEvent) {
    lastJson = JSON.stringify(event.tool?.arguments ?? {});
    lastEvent = event;
  }
  return lastJson;
}
