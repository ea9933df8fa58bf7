/**
 * The contract's agent event and finding (contract §2 and §4), in their wire form: what the
 * collector accepts and what detectors raise. Shared by the detectors and the services.
 */
import type { Severity } from "./settings.ts";

export const EVENT_TYPES = [
  "prompt",
  "response",
  "tool_call",
  "tool_result",
  "llm_usage",
  "auth",
  "error",
  "config_change",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An agent id as the contract allows it (§2): in events, in `agents[].id` and in the API's paths. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** An agent event as accepted by the collector (contract §2). Unknown top-level fields are kept. */
export interface AgentEvent {
  id: string;
  time: string;
  type: EventType;
  agent_id: string;
  session_id?: string;
  user_id?: string;
  source_ip?: string;
  attributes?: Record<string, unknown>;
  text?: string;
  origin?: "user" | "tool" | "retrieval" | "system";
  latency_ms?: number;
  status?: "ok" | "error";
  tool?: { name: string; arguments?: Record<string, unknown>; target?: string };
  usage?: {
    provider: string;
    model: string;
    input_tokens: number;
    output_tokens: number;
    cost_usd?: number;
    api_key_id?: string;
  };
  auth?: { outcome: "success" | "failure"; principal?: string; method?: string };
  error?: { code?: string; message?: string };
  change?: { actor?: string; summary?: string };
  [extra: string]: unknown;
}

/** A finding as detectors raise it. `id` is deterministic so a replay raises the same id. */
export interface Finding {
  id: string;
  detector: string;
  agent_id: string;
  session_id?: string;
  /** The entity the finding is about, within the agent (e.g. `principal:alice`, `ip:203.0.113.9`). */
  key: string;
  /** Event time of the event that raised it (RFC 3339). */
  time: string;
  severity: Severity;
  score: number;
  observed: unknown;
  baseline: unknown;
  event_ids: string[];
  title: string;
  summary: string;
  labels: Record<string, string>;
  /** When the event that raised it arrived at the collector (set by the detector runner, not the detector). */
  received_at?: string;
  /** When the detector runner raised it (agentwatch's clock). */
  detected_at?: string;
}
