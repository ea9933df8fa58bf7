/**
 * The contract's events (§2) as the client sends them, the checks `report` makes before queueing
 * one, and helpers that build events from the shapes agents already have (a model call's usage, a
 * tool call and its result, a prompt and a response). The server reads the event's types from here
 * too (lib/events.ts): one definition of the contract's event, kept free of server imports so the
 * client builds on its own.
 */
export declare const EVENT_TYPES: readonly ["prompt", "response", "tool_call", "tool_result", "llm_usage", "auth", "error", "config_change"];
export type EventType = (typeof EVENT_TYPES)[number];
/** An agent id as the contract allows it (§2): in events, in `agents[].id` and in the API's paths. */
export declare const AGENT_ID_PATTERN: RegExp;
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
    tool?: {
        name: string;
        arguments?: Record<string, unknown>;
        target?: string;
    };
    usage?: {
        provider: string;
        model: string;
        input_tokens: number;
        output_tokens: number;
        cost_usd?: number;
        api_key_id?: string;
    };
    auth?: {
        outcome: "success" | "failure";
        principal?: string;
        method?: string;
    };
    error?: {
        code?: string;
        message?: string;
    };
    change?: {
        actor?: string;
        summary?: string;
    };
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
export declare class InvalidEventError extends TypeError {
    readonly name = "InvalidEventError";
}
/** Checks what the contract requires of `event` (after the client filled id, time and agent_id). */
export declare function checkEvent(event: AgentwatchEvent): void;
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
export declare function usageEvent(call: ModelUsage): EventInput;
export interface ToolCall extends CommonFields {
    name: string;
    /** The call's arguments: an object, or the JSON string models produce (parsed; kept as `{raw}` when not an object). */
    arguments?: Record<string, unknown> | string;
    /** The URL or host it reaches, if any. */
    target?: string;
}
/** A `tool_call` event. */
export declare function toolCallEvent(call: ToolCall): EventInput;
export interface ToolResult extends CommonFields {
    name: string;
    /** The result content; anything but a string is sent as its JSON. */
    result?: unknown;
    status?: "ok" | "error";
    target?: string;
}
/** A `tool_result` event: what the tool gave back, which agentwatch scans as external content. */
export declare function toolResultEvent(result: ToolResult): EventInput;
export interface PromptFields extends CommonFields {
    /** Where the text came from: `user` (default), `tool`, `retrieval` or `system`. */
    origin?: "user" | "tool" | "retrieval" | "system";
}
/** A `prompt` event: input that reaches the model. */
export declare function promptEvent(text: string, fields?: PromptFields): EventInput;
export interface ResponseFields extends CommonFields {
    latencyMs?: number;
}
/** A `response` event: what the agent answered. */
export declare function responseEvent(text: string, fields?: ResponseFields): EventInput;
