/**
 * The contract's events (§2) as the client sends them, the checks `report` makes before queueing
 * one, and helpers that build events from the shapes agents already have (a model call's usage, a
 * tool call and its result, a prompt and a response). The server reads the event's types from here
 * too (lib/events.ts): one definition of the contract's event, kept free of server imports so the
 * client builds on its own.
 */

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

/** The fields of an event besides its identity (`id`, `time`, `type`, `agent_id`), contract §2. */
export interface EventFields {
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
}

/** An event as the server stores it (contract §2). Unknown top-level fields are kept by the server. */
export interface AgentwatchEvent extends EventFields {
  id: string;
  time: string;
  type: EventType;
  agent_id: string;
  [extra: string]: unknown;
}

/** What `report` takes: an event whose `id`, `time` (a string or a Date) and `agent_id` may be left out. */
export interface EventInput extends EventFields {
  type: EventType;
  id?: string;
  time?: string | Date;
  agent_id?: string;
  [extra: string]: unknown;
}

/** An event `report` refuses before queueing it (a mistake in the caller's code, not the server's answer). */
export class InvalidEventError extends TypeError {
  override readonly name = "InvalidEventError";
}

const TYPES = new Set<string>(EVENT_TYPES);

/** Checks what the contract requires of `event` (after the client filled id, time and agent_id). */
export function checkEvent(event: AgentwatchEvent): void {
  const fail = (message: string): never => {
    throw new InvalidEventError(
      `invalid event${typeof event?.id === "string" ? ` ${event.id}` : ""}: ${message}`,
    );
  };
  if (event === null || typeof event !== "object" || Array.isArray(event)) fail("not an object");
  if (!TYPES.has(event.type)) fail(`type must be one of ${EVENT_TYPES.join(", ")}`);
  if (typeof event.id !== "string" || event.id.length < 1 || event.id.length > 128) {
    fail("id must be a string of 1 to 128 characters");
  }
  if (typeof event.time !== "string" || Number.isNaN(Date.parse(event.time)))
    fail("time must be an RFC 3339 time");
  if (typeof event.agent_id !== "string" || !AGENT_ID_PATTERN.test(event.agent_id)) {
    fail("agent_id must match [A-Za-z0-9._:-]{1,128}");
  }
  for (const key of ["session_id", "user_id", "source_ip"] as const) {
    if (event[key] !== undefined && typeof event[key] !== "string") fail(`${key} must be a string`);
  }
  if (event.attributes !== undefined && !isObject(event.attributes)) fail("attributes must be an object");
  switch (event.type) {
    case "prompt":
    case "response":
      if (typeof event.text !== "string") fail(`a ${event.type} needs text (a string)`);
      break;
    case "tool_call":
    case "tool_result":
      if (!isObject(event.tool) || typeof event.tool.name !== "string" || event.tool.name === "") {
        fail(`a ${event.type} needs tool.name`);
      }
      if (event.tool?.arguments !== undefined && !isObject(event.tool.arguments)) {
        fail("tool.arguments must be an object");
      }
      break;
    case "llm_usage": {
      const u = event.usage;
      if (!isObject(u) || typeof u.provider !== "string" || typeof u.model !== "string") {
        fail("an llm_usage needs usage.provider and usage.model");
      }
      for (const key of ["input_tokens", "output_tokens"] as const) {
        if (!Number.isInteger(u?.[key]) || (u?.[key] as number) < 0)
          fail(`usage.${key} must be an integer >= 0`);
      }
      if (u?.cost_usd !== undefined && !(typeof u.cost_usd === "number" && u.cost_usd >= 0)) {
        fail("usage.cost_usd must be a number >= 0");
      }
      break;
    }
    case "auth":
      if (!isObject(event.auth) || !["success", "failure"].includes(event.auth.outcome)) {
        fail("an auth event needs auth.outcome: success or failure");
      }
      break;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Fields every helper accepts, in the client's camelCase, mapped to the event's. */
export interface CommonFields {
  sessionId?: string;
  userId?: string;
  sourceIp?: string;
  attributes?: Record<string, unknown>;
  /** When it happened (default: when reported). */
  time?: string | Date;
  /** An idempotency key of your own (default: a random UUID when reported). */
  id?: string;
}

type CommonEventFields = Pick<
  EventInput,
  "id" | "time" | "session_id" | "user_id" | "source_ip" | "attributes"
>;

function common(fields: CommonFields): CommonEventFields {
  const out: CommonEventFields = {};
  if (fields.id !== undefined) out.id = fields.id;
  if (fields.time !== undefined) out.time = fields.time;
  if (fields.sessionId !== undefined) out.session_id = fields.sessionId;
  if (fields.userId !== undefined) out.user_id = fields.userId;
  if (fields.sourceIp !== undefined) out.source_ip = fields.sourceIp;
  if (fields.attributes !== undefined) out.attributes = fields.attributes;
  return out;
}

/** Token counts as providers' SDKs return them: OpenAI chat (`prompt_tokens`), OpenAI responses and Anthropic (`input_tokens`), Gemini (`promptTokenCount`). */
export interface ProviderUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  promptTokenCount?: number;
  candidatesTokenCount?: number;
}

export interface ModelUsage extends CommonFields {
  provider: string;
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  /** The SDK's usage object, read when inputTokens/outputTokens are not given. */
  usage?: ProviderUsage;
  /** Leave out to let agentwatch price it from its table. */
  costUsd?: number;
  /** An id or hash of the API key, never the key. */
  apiKeyId?: string;
}

/** An `llm_usage` event from a model call's usage. */
export function usageEvent(call: ModelUsage): EventInput {
  const u = call.usage ?? {};
  const input = call.inputTokens ?? u.input_tokens ?? u.prompt_tokens ?? u.promptTokenCount ?? 0;
  const output = call.outputTokens ?? u.output_tokens ?? u.completion_tokens ?? u.candidatesTokenCount ?? 0;
  return {
    ...common(call),
    type: "llm_usage",
    usage: {
      provider: call.provider,
      model: call.model,
      input_tokens: input,
      output_tokens: output,
      ...(call.costUsd === undefined ? {} : { cost_usd: call.costUsd }),
      ...(call.apiKeyId === undefined ? {} : { api_key_id: call.apiKeyId }),
    },
  };
}

export interface ToolCall extends CommonFields {
  name: string;
  /** The call's arguments: an object, or the JSON string models produce (parsed; kept as `{raw}` when not an object). */
  arguments?: Record<string, unknown> | string;
  /** The URL or host it reaches, if any. */
  target?: string;
}

/** A `tool_call` event. */
export function toolCallEvent(call: ToolCall): EventInput {
  const args = toolArguments(call.arguments);
  return {
    ...common(call),
    type: "tool_call",
    tool: {
      name: call.name,
      ...(args === undefined ? {} : { arguments: args }),
      ...(call.target === undefined ? {} : { target: call.target }),
    },
  };
}

function toolArguments(args: ToolCall["arguments"]): Record<string, unknown> | undefined {
  if (args === undefined || typeof args === "object") return args;
  try {
    const parsed: unknown = JSON.parse(args);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {}
  return { raw: args };
}

export interface ToolResult extends CommonFields {
  name: string;
  /** The result content; anything but a string is sent as its JSON. */
  result?: unknown;
  status?: "ok" | "error";
  target?: string;
}

/** A `tool_result` event: what the tool gave back, which agentwatch scans as external content. */
export function toolResultEvent(result: ToolResult): EventInput {
  const text =
    result.result === undefined
      ? undefined
      : typeof result.result === "string"
        ? result.result
        : JSON.stringify(result.result);
  return {
    ...common(result),
    type: "tool_result",
    tool: { name: result.name, ...(result.target === undefined ? {} : { target: result.target }) },
    status: result.status ?? "ok",
    ...(text === undefined ? {} : { text }),
  };
}

export interface PromptFields extends CommonFields {
  /** Where the text came from: `user` (default), `tool`, `retrieval` or `system`. */
  origin?: "user" | "tool" | "retrieval" | "system";
}

/** A `prompt` event: input that reaches the model. */
export function promptEvent(text: string, fields: PromptFields = {}): EventInput {
  return {
    ...common(fields),
    type: "prompt",
    text,
    ...(fields.origin === undefined ? {} : { origin: fields.origin }),
  };
}

export interface ResponseFields extends CommonFields {
  latencyMs?: number;
}

/** A `response` event: what the agent answered. */
export function responseEvent(text: string, fields: ResponseFields = {}): EventInput {
  return {
    ...common(fields),
    type: "response",
    text,
    ...(fields.latencyMs === undefined ? {} : { latency_ms: Math.round(fields.latencyMs) }),
  };
}
