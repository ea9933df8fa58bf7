/**
 * agentwatch's client for TypeScript and JavaScript agents: `import { AgentwatchClient } from
 * "agentwatch/client"`. Plain JavaScript at run time (built from these sources into client/dist),
 * with no dependency but Node's own modules; Node 20 or later.
 */
export { backoffDelay, parseRetryAfter } from "./backoff.js";
export { AgentPausedError, AgentwatchClient, AgentwatchClientError, } from "./client.js";
export { controlHandler, controlSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyControlRequest, } from "./control.js";
export { EVENT_TYPES, InvalidEventError, promptEvent, responseEvent, toolCallEvent, toolResultEvent, usageEvent, } from "./events.js";
