/**
 * agentwatch's client for TypeScript and JavaScript agents: `import { AgentwatchClient } from
 * "agentwatch/client"`. Plain JavaScript at run time (built from these sources into client/dist),
 * with no dependency but Node's own modules; Node 20 or later.
 */
export { type BackoffOptions, backoffDelay, parseRetryAfter } from "./backoff.ts";
export { AgentPausedError, type AgentStatus, AgentwatchClient, AgentwatchClientError, type AgentwatchClientOptions, type ClientErrorKind, type ClientStats, type DropPolicy, type RetryOptions, } from "./client.ts";
export { type ControlCommand, type ControlHandlerOptions, type ControlTarget, controlHandler, controlSignature, type HeadersLike, type RequestHandler, SIGNATURE_HEADER, TIMESTAMP_HEADER, type VerifyFailure, type VerifyOptions, type VerifyResult, verifyControlRequest, } from "./control.ts";
export { type AgentwatchEvent, type CommonFields, EVENT_TYPES, type EventFields, type EventInput, type EventType, InvalidEventError, type ModelUsage, type PromptFields, type ProviderUsage, promptEvent, type ResponseFields, responseEvent, type ToolCall, type ToolResult, toolCallEvent, toolResultEvent, usageEvent, } from "./events.ts";
