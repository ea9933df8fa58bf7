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
];
/** An agent id as the contract allows it (§2): in events, in `agents[].id` and in the API's paths. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** An event `report` refuses before queueing it (a mistake in the caller's code, not the server's answer). */
export class InvalidEventError extends TypeError {
    name = "InvalidEventError";
}
const TYPES = new Set(EVENT_TYPES);
/** Checks what the contract requires of `event` (after the client filled id, time and agent_id). */
export function checkEvent(event) {
    const fail = (message) => {
        throw new InvalidEventError(`invalid event${typeof event?.id === "string" ? ` ${event.id}` : ""}: ${message}`);
    };
    if (event === null || typeof event !== "object" || Array.isArray(event))
        fail("not an object");
    if (!TYPES.has(event.type))
        fail(`type must be one of ${EVENT_TYPES.join(", ")}`);
    if (typeof event.id !== "string" || event.id.length < 1 || event.id.length > 128) {
        fail("id must be a string of 1 to 128 characters");
    }
    if (typeof event.time !== "string" || Number.isNaN(Date.parse(event.time)))
        fail("time must be an RFC 3339 time");
    if (typeof event.agent_id !== "string" || !AGENT_ID_PATTERN.test(event.agent_id)) {
        fail("agent_id must match [A-Za-z0-9._:-]{1,128}");
    }
    for (const key of ["session_id", "user_id", "source_ip"]) {
        if (event[key] !== undefined && typeof event[key] !== "string")
            fail(`${key} must be a string`);
    }
    if (event.attributes !== undefined && !isObject(event.attributes))
        fail("attributes must be an object");
    switch (event.type) {
        case "prompt":
        case "response":
            if (typeof event.text !== "string")
                fail(`a ${event.type} needs text (a string)`);
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
            for (const key of ["input_tokens", "output_tokens"]) {
                if (!Number.isInteger(u?.[key]) || u?.[key] < 0)
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
function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}
function common(fields) {
    const out = {};
    if (fields.id !== undefined)
        out.id = fields.id;
    if (fields.time !== undefined)
        out.time = fields.time;
    if (fields.sessionId !== undefined)
        out.session_id = fields.sessionId;
    if (fields.userId !== undefined)
        out.user_id = fields.userId;
    if (fields.sourceIp !== undefined)
        out.source_ip = fields.sourceIp;
    if (fields.attributes !== undefined)
        out.attributes = fields.attributes;
    return out;
}
/** An `llm_usage` event from a model call's usage. */
export function usageEvent(call) {
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
/** A `tool_call` event. */
export function toolCallEvent(call) {
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
function toolArguments(args) {
    if (args === undefined || typeof args === "object")
        return args;
    try {
        const parsed = JSON.parse(args);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
            return parsed;
        }
    }
    catch { }
    return { raw: args };
}
/** A `tool_result` event: what the tool gave back, which agentwatch scans as external content. */
export function toolResultEvent(result) {
    const text = result.result === undefined
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
/** A `prompt` event: input that reaches the model. */
export function promptEvent(text, fields = {}) {
    return {
        ...common(fields),
        type: "prompt",
        text,
        ...(fields.origin === undefined ? {} : { origin: fields.origin }),
    };
}
/** A `response` event: what the agent answered. */
export function responseEvent(text, fields = {}) {
    return {
        ...common(fields),
        type: "response",
        text,
        ...(fields.latencyMs === undefined ? {} : { latency_ms: Math.round(fields.latencyMs) }),
    };
}
