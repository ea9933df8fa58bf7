/**
 * OTLP spans and log records to agentwatch events (README "OTLP ingest" has the table). Pure:
 * records in, candidate events out; the collector's ingest path validates and stores them as it
 * does any event. Three attribute families are read, current and legacy names alike: the
 * OpenTelemetry GenAI conventions, OpenLLMetry (traceloop) and OpenInference.
 *
 * Ids. An event about one span (its usage, its error, a tool execution) gets an id derived from
 * the trace and span ids and a suffix: a retried export lands on the same ids, a duplicate.
 * A message is different: every chat call re-sends the conversation so far, so the same user
 * message (and an injection in it) comes again with each later turn. Its id is derived from the
 * conversation (gen_ai.conversation.id, session.id, else the trace) and the message itself, and
 * its dedupe hash leaves out the turn's time, so a message seen before is a duplicate and one
 * injection is one finding, not one per turn.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../runtime/integrity.ts";
import type { AnyValue, Attributes, OtlpLogRecord, OtlpSpan } from "./decode.ts";

export interface MappingOptions {
  /** Where the agent id comes from, in order (config otlp.agent_from). */
  agentFrom: readonly ("gen_ai.agent.id" | "gen_ai.agent.name" | "service.name")[];
  /** What was found there to the agent id to use (config otlp.agents). */
  agents: Readonly<Record<string, string>>;
}

/** A candidate event and, for messages, the hash it is deduplicated by instead of its content's. */
export interface MappedEvent {
  event: Record<string, unknown>;
  dedupeHash?: string;
}

export interface MappedRecord {
  /** False for a span or log record with no GenAI meaning: counted and dropped. */
  genAi: boolean;
  events: MappedEvent[];
}

type Role = "system" | "user" | "assistant" | "tool";

/** One message of a conversation, whatever family it was read from. */
interface Message {
  role: Role;
  text: string;
  toolCalls: { id?: string; name: string; arguments: unknown }[];
}

const GEN_AI_PREFIXES = ["gen_ai.", "llm.", "traceloop.", "openinference.", "ai."];

const LLM_OPERATIONS = new Set(["chat", "text_completion", "generate_content", "completion"]);

export function mapSpan(span: OtlpSpan, options: MappingOptions): MappedRecord {
  const a = span.attributes;
  if (!hasGenAiMeaning(a) && !span.events.some((e) => e.name.startsWith("gen_ai."))) {
    return { genAi: false, events: [] };
  }
  const context = contextOf(a, span.resource, options);
  const base = {
    time: isoTime(span.startMs),
    agent_id: context.agentId,
    ...(context.sessionId !== undefined ? { session_id: context.sessionId } : {}),
    ...(context.userId !== undefined ? { user_id: context.userId } : {}),
  };
  const spanKey = `otlp-${span.traceId}-${span.spanId}`;
  const attributes = {
    otlp: {
      trace_id: span.traceId,
      span_id: span.spanId,
      span_name: span.name.slice(0, 256),
      ...(str(a, "gen_ai.operation.name") !== undefined
        ? { operation: str(a, "gen_ai.operation.name") }
        : {}),
    },
  };
  const latency =
    span.startMs !== undefined && span.endMs !== undefined && span.endMs >= span.startMs
      ? span.endMs - span.startMs
      : undefined;
  const events: MappedEvent[] = [];
  const failed = span.statusCode === 2 || str(a, "error.type") !== undefined;

  if (isToolSpan(a)) {
    const name =
      str(a, "gen_ai.tool.name") ??
      str(a, "tool.name") ??
      str(a, "traceloop.entity.name") ??
      (span.name || "tool");
    const args =
      a.get("gen_ai.tool.call.arguments") ??
      a.get("tool.parameters") ??
      a.get("traceloop.entity.input") ??
      a.get("input.value");
    const callId = str(a, "gen_ai.tool.call.id");
    events.push({
      event: {
        ...base,
        id: `${spanKey}-call`,
        type: "tool_call",
        tool: { name, arguments: argumentsObject(args) },
        attributes:
          callId !== undefined ? { otlp: { ...attributes.otlp, tool_call_id: callId } } : attributes,
      },
    });
    const result =
      a.get("gen_ai.tool.call.result") ?? a.get("output.value") ?? a.get("traceloop.entity.output");
    events.push({
      event: {
        ...base,
        time: isoTime(span.endMs ?? span.startMs),
        id: `${spanKey}-result`,
        type: "tool_result",
        tool: { name },
        ...(result !== undefined ? { text: textOf(result) } : {}),
        status: failed ? "error" : "ok",
        attributes,
      },
    });
  } else {
    const { input, output } = messagesOfAttributes(a, span.events);
    const conversation = context.sessionId ?? span.traceId;
    for (const message of input) events.push(...messageEvents(message, base, conversation, attributes));
    for (const message of output) {
      events.push(...messageEvents(message, base, conversation, attributes, latency));
    }
    const usage = usageOf(a);
    if (usage)
      events.push({ event: { ...base, id: `${spanKey}-usage`, type: "llm_usage", usage, attributes } });
  }
  if (failed) {
    const code = str(a, "error.type") ?? "span_error";
    events.push({
      event: {
        ...base,
        time: isoTime(span.endMs ?? span.startMs),
        id: `${spanKey}-error`,
        type: "error",
        error: {
          code: code.slice(0, 256),
          message: (span.statusMessage ?? `span ${span.name} ended in error`).slice(0, 4096),
        },
        attributes,
      },
    });
  }
  return { genAi: true, events };
}

/** The deprecated per-message log events, and the newer ones that carry message attributes. */
const LOG_ROLES: Record<string, Role> = {
  "gen_ai.system.message": "system",
  "gen_ai.user.message": "user",
  "gen_ai.assistant.message": "assistant",
  "gen_ai.tool.message": "tool",
};

export function mapLogRecord(record: OtlpLogRecord, options: MappingOptions): MappedRecord {
  const a = record.attributes;
  const name = record.eventName ?? "";
  if (!name.startsWith("gen_ai.") && !hasGenAiMeaning(a)) return { genAi: false, events: [] };
  const context = contextOf(a, record.resource, options);
  const base = {
    time: isoTime(record.timeMs),
    agent_id: context.agentId,
    ...(context.sessionId !== undefined ? { session_id: context.sessionId } : {}),
    ...(context.userId !== undefined ? { user_id: context.userId } : {}),
  };
  const attributes = {
    otlp: { trace_id: record.traceId, span_id: record.spanId, event_name: name.slice(0, 256) },
  };
  const conversation = context.sessionId ?? record.traceId;
  const messages: Message[] = [];
  const body = record.body;
  const role = LOG_ROLES[name];
  if (role !== undefined) {
    const message = messageOfBody(role, body);
    if (message) messages.push(message);
  } else if (name === "gen_ai.choice") {
    // The choice's body: {index, finish_reason, message: {role?, content?, tool_calls?}}.
    const inner = isRecord(body) ? body.message : undefined;
    const message = messageOfBody("assistant", inner ?? body);
    if (message) messages.push(message);
  } else {
    // gen_ai.client.inference.operation.details and the like: the span's message attributes.
    const { input, output } = messagesOfAttributes(a, []);
    messages.push(...input, ...output);
  }
  const events = messages.flatMap((message) => messageEvents(message, base, conversation, attributes));
  return { genAi: true, events };
}

function hasGenAiMeaning(a: Attributes): boolean {
  for (const key of a.keys()) {
    if (GEN_AI_PREFIXES.some((prefix) => key.startsWith(prefix))) return true;
  }
  return a.has("input.value") && a.has("output.value") && a.has("session.id");
}

function isToolSpan(a: Attributes): boolean {
  return (
    str(a, "gen_ai.operation.name") === "execute_tool" ||
    str(a, "traceloop.span.kind") === "tool" ||
    str(a, "openinference.span.kind")?.toUpperCase() === "TOOL"
  );
}

interface Context {
  agentId: string;
  sessionId: string | undefined;
  userId: string | undefined;
}

function contextOf(a: Attributes, resource: Attributes, options: MappingOptions): Context {
  let found: string | undefined;
  for (const source of options.agentFrom) {
    found = source === "service.name" ? str(resource, source) : str(a, source);
    if (found !== undefined) break;
  }
  const mapped = found === undefined ? undefined : (options.agents[found] ?? found);
  const sessionId =
    str(a, "gen_ai.conversation.id") ??
    str(a, "session.id") ??
    str(a, "traceloop.association.properties.session_id") ??
    str(a, "traceloop.association.properties.conversation_id");
  const userId =
    str(a, "user.id") ?? str(a, "traceloop.association.properties.user_id") ?? str(a, "enduser.id");
  // An id the contract would refuse ("my service") is made one: the token's scope decides the rest.
  const agentId = mapped === undefined ? "" : mapped.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, 128);
  return {
    agentId,
    sessionId: sessionId?.slice(0, 256),
    userId: userId?.slice(0, 256),
  };
}

/** Input and output messages from whichever family the attributes carry, first found wins. */
function messagesOfAttributes(
  a: Attributes,
  spanEvents: OtlpSpan["events"],
): { input: Message[]; output: Message[] } {
  const input: Message[] = [];
  const output: Message[] = [];
  // OpenTelemetry GenAI, current: JSON strings of {role, parts: [...]}, system instructions apart.
  const system = jsonValue(a.get("gen_ai.system_instructions"));
  if (Array.isArray(system)) {
    const text = system
      .map((part) => (isRecord(part) ? textOf(part.content ?? "") : textOf(part)))
      .join("\n");
    if (text !== "") input.push({ role: "system", text, toolCalls: [] });
  } else if (typeof system === "string" && system !== "") {
    input.push({ role: "system", text: system, toolCalls: [] });
  }
  const inputMessages = jsonValue(a.get("gen_ai.input.messages"));
  const outputMessages = jsonValue(a.get("gen_ai.output.messages"));
  if (Array.isArray(inputMessages) || Array.isArray(outputMessages)) {
    for (const m of Array.isArray(inputMessages) ? inputMessages : []) input.push(...partsMessages(m));
    for (const m of Array.isArray(outputMessages) ? outputMessages : []) output.push(...partsMessages(m));
    return { input, output };
  }
  // OpenTelemetry GenAI, legacy: gen_ai.prompt.N.* and gen_ai.completion.N.* (also OpenLLMetry's).
  const prompts = indexed(
    a,
    "gen_ai.prompt.",
    (i) => `gen_ai.prompt.${i}.role`,
    (i) => `gen_ai.prompt.${i}.content`,
  );
  const completions = indexed(
    a,
    "gen_ai.completion.",
    (i) => `gen_ai.completion.${i}.role`,
    (i) => `gen_ai.completion.${i}.content`,
    (i) => `gen_ai.completion.${i}.tool_calls.`,
  );
  if (prompts.length > 0 || completions.length > 0) {
    return { input: [...input, ...prompts], output: completions.map(asAssistant) };
  }
  // OpenInference: llm.input_messages.N.message.role / .content, and the output likewise.
  const oiInput = indexed(
    a,
    "llm.input_messages.",
    (i) => `llm.input_messages.${i}.message.role`,
    (i) => `llm.input_messages.${i}.message.content`,
    (i) => `llm.input_messages.${i}.message.tool_calls.`,
  );
  const oiOutput = indexed(
    a,
    "llm.output_messages.",
    (i) => `llm.output_messages.${i}.message.role`,
    (i) => `llm.output_messages.${i}.message.content`,
    (i) => `llm.output_messages.${i}.message.tool_calls.`,
  );
  if (oiInput.length > 0 || oiOutput.length > 0) {
    return { input: [...input, ...oiInput], output: oiOutput.map(asAssistant) };
  }
  // The deprecated span events: gen_ai.content.prompt / gen_ai.content.completion.
  for (const event of spanEvents) {
    const target =
      event.name === "gen_ai.content.prompt"
        ? input
        : event.name === "gen_ai.content.completion"
          ? output
          : undefined;
    if (!target) continue;
    const value = jsonValue(
      event.attributes.get(event.name === "gen_ai.content.prompt" ? "gen_ai.prompt" : "gen_ai.completion"),
    );
    for (const m of Array.isArray(value) ? value : []) {
      const message = messageOfBody(roleOf(isRecord(m) ? m.role : undefined) ?? "user", m);
      if (message) target.push(target === output ? asAssistant(message) : message);
    }
  }
  if (input.length > 0 || output.length > 0) return { input, output };
  // OpenInference without messages (or an LLM span with only the raw request): input.value as a
  // prompt and output.value as a response, when they are text and not the request's JSON.
  const kind = str(a, "openinference.span.kind")?.toUpperCase();
  if (
    kind === "LLM" ||
    kind === "AGENT" ||
    kind === "CHAIN" ||
    LLM_OPERATIONS.has(str(a, "gen_ai.operation.name") ?? "")
  ) {
    const inValue = str(a, "input.value");
    const outValue = str(a, "output.value");
    if (inValue !== undefined && str(a, "input.mime_type") !== "application/json") {
      input.push({ role: "user", text: inValue, toolCalls: [] });
    }
    if (outValue !== undefined && str(a, "output.mime_type") !== "application/json") {
      output.push({ role: "assistant", text: outValue, toolCalls: [] });
    }
  }
  return { input, output };
}

function asAssistant(message: Message): Message {
  return message.role === "user" ? { ...message, role: "assistant" } : message;
}

/** At most this many indexed messages are read from one record: the body bound does the rest. */
const MAX_INDEXED = 1000;

/** Indexed messages (`prefix N.role`, `prefix N.content`), in index order. */
function indexed(
  a: Attributes,
  prefix: string,
  roleKey: (i: number) => string,
  contentKey: (i: number) => string,
  toolCallsPrefix?: (i: number) => string,
): Message[] {
  const indices = new Set<number>();
  for (const key of a.keys()) {
    if (!key.startsWith(prefix)) continue;
    const n = Number.parseInt(key.slice(prefix.length), 10);
    if (Number.isSafeInteger(n) && n >= 0 && indices.size < MAX_INDEXED) indices.add(n);
  }
  const out: Message[] = [];
  for (const i of [...indices].sort((x, y) => x - y)) {
    const role = roleOf(a.get(roleKey(i))) ?? "user";
    const content = a.get(contentKey(i));
    const toolCalls: Message["toolCalls"] = [];
    if (toolCallsPrefix) {
      const tp = toolCallsPrefix(i);
      for (let j = 0; j < MAX_INDEXED; j += 1) {
        // OpenLLMetry: .tool_calls.J.name/.arguments; OpenInference: .tool_calls.J.tool_call.function.name/.arguments.
        const name = str(a, `${tp}${j}.name`) ?? str(a, `${tp}${j}.tool_call.function.name`);
        if (name === undefined) break;
        toolCalls.push({
          name,
          arguments: a.get(`${tp}${j}.arguments`) ?? a.get(`${tp}${j}.tool_call.function.arguments`),
        });
      }
    }
    out.push({ role, text: content === undefined ? "" : textOf(content), toolCalls });
  }
  return out;
}

/** A current-convention message {role, parts: [{type: text|tool_call|tool_call_response, ...}]}. */
function partsMessages(m: unknown): Message[] {
  if (!isRecord(m)) return [];
  const role = roleOf(m.role) ?? "user";
  if (!Array.isArray(m.parts)) {
    const message = messageOfBody(role, m);
    return message ? [message] : [];
  }
  const texts: string[] = [];
  const toolCalls: Message["toolCalls"] = [];
  const out: Message[] = [];
  for (const part of m.parts) {
    if (!isRecord(part)) continue;
    if (part.type === "text" || part.type === "reasoning") {
      if (part.type === "text") texts.push(textOf(part.content ?? ""));
    } else if (part.type === "tool_call" && typeof part.name === "string") {
      toolCalls.push({
        ...(typeof part.id === "string" ? { id: part.id } : {}),
        name: part.name,
        arguments: part.arguments,
      });
    } else if (part.type === "tool_call_response") {
      out.push({ role: "tool", text: textOf(part.response ?? part.result ?? ""), toolCalls: [] });
    }
  }
  if (texts.length > 0 || toolCalls.length > 0) out.unshift({ role, text: texts.join("\n"), toolCalls });
  return out;
}

/** A message from a log body or a legacy message object: {content, tool_calls} or a string. */
function messageOfBody(role: Role, body: unknown): Message | undefined {
  if (typeof body === "string") return { role, text: body, toolCalls: [] };
  if (!isRecord(body)) return undefined;
  const content = body.content;
  const text = content === undefined || content === null ? "" : textOf(content);
  const toolCalls: Message["toolCalls"] = [];
  for (const call of Array.isArray(body.tool_calls) ? body.tool_calls : []) {
    if (!isRecord(call)) continue;
    const fn = isRecord(call.function) ? call.function : call;
    if (typeof fn.name !== "string") continue;
    toolCalls.push({
      ...(typeof call.id === "string" ? { id: call.id } : {}),
      name: fn.name,
      arguments: fn.arguments,
    });
  }
  if (text === "" && toolCalls.length === 0) return undefined;
  return { role, text, toolCalls };
}

/**
 * A message's events: its text as a prompt (origin by role) or a response, and a tool_call per
 * call it asks for. Ids and dedupe hashes come from the conversation and the message, not the
 * span, so the message re-sent with the next turn is a duplicate.
 */
function messageEvents(
  message: Message,
  base: Record<string, unknown>,
  conversation: string,
  attributes: Record<string, unknown>,
  latencyMs?: number,
): MappedEvent[] {
  const out: MappedEvent[] = [];
  const agent = String(base.agent_id);
  if (message.text !== "") {
    const kind =
      message.role === "assistant"
        ? { type: "response" }
        : { type: "prompt", origin: message.role === "user" ? "user" : message.role };
    const identity = { agent, conversation, ...kind, text: message.text };
    const hash = sha256(canonicalJson(identity));
    out.push({
      event: {
        ...base,
        id: `otlp-msg-${hash.slice(0, 48)}`,
        ...kind,
        text: message.text,
        ...(kind.type === "response" && latencyMs !== undefined ? { latency_ms: latencyMs } : {}),
        attributes,
      },
      dedupeHash: hash,
    });
  }
  for (const call of message.toolCalls) {
    const args = argumentsObject(call.arguments);
    const identity = { agent, conversation, type: "tool_call", id: call.id ?? null, name: call.name, args };
    const hash = sha256(canonicalJson(identity));
    out.push({
      event: {
        ...base,
        id: `otlp-call-${hash.slice(0, 48)}`,
        type: "tool_call",
        tool: { name: call.name.slice(0, 256), arguments: args },
        attributes:
          call.id !== undefined
            ? { otlp: { ...(attributes.otlp as object), tool_call_id: call.id } }
            : attributes,
      },
      dedupeHash: hash,
    });
  }
  return out;
}

function usageOf(a: Attributes): Record<string, unknown> | undefined {
  const input =
    num(a, "gen_ai.usage.input_tokens") ??
    num(a, "gen_ai.usage.prompt_tokens") ??
    num(a, "llm.token_count.prompt") ??
    num(a, "llm.usage.prompt_tokens");
  const output =
    num(a, "gen_ai.usage.output_tokens") ??
    num(a, "gen_ai.usage.completion_tokens") ??
    num(a, "llm.token_count.completion") ??
    num(a, "llm.usage.completion_tokens");
  if (input === undefined && output === undefined) return undefined;
  const provider =
    str(a, "gen_ai.provider.name") ??
    str(a, "gen_ai.system") ??
    str(a, "llm.provider") ??
    str(a, "llm.system") ??
    "unknown";
  const model =
    str(a, "gen_ai.response.model") ??
    str(a, "gen_ai.request.model") ??
    str(a, "llm.model_name") ??
    str(a, "llm.response.model") ??
    str(a, "llm.request.model") ??
    "unknown";
  return {
    provider: provider.slice(0, 128),
    model: model.slice(0, 256),
    input_tokens: input ?? 0,
    output_tokens: output ?? 0,
  };
}

function roleOf(value: unknown): Role | undefined {
  if (typeof value !== "string") return undefined;
  const role = value.toLowerCase();
  if (role === "system" || role === "developer") return "system";
  if (role === "user" || role === "human") return "user";
  if (role === "assistant" || role === "model" || role === "ai") return "assistant";
  if (role === "tool" || role === "function" || role === "ipython") return "tool";
  return undefined;
}

/** Tool arguments as the contract's object: a JSON object string parsed, anything else wrapped. */
function argumentsObject(value: unknown): Record<string, unknown> {
  const parsed = jsonValue(value);
  if (isRecord(parsed)) return parsed;
  return parsed === undefined || parsed === null || parsed === "" ? {} : { value: parsed };
}

/** A string holding JSON parsed (when it is an object or array); anything else as it is. */
function jsonValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Content as text: a string as it is, text parts joined, anything else as JSON. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    // [{type: "text", text|content: "..."}], as OpenAI's content parts.
    const texts = value.flatMap((part) =>
      isRecord(part) && typeof (part.text ?? part.content) === "string"
        ? [String(part.text ?? part.content)]
        : [],
    );
    if (texts.length > 0) return texts.join("\n");
  }
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function str(a: Attributes, key: string): string | undefined {
  const value = a.get(key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(a: Attributes, key: string): number | undefined {
  const value: AnyValue | undefined = a.get(key);
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Epoch ms to RFC 3339; a record without a time is invalid (the validator says so). */
function isoTime(ms: number | undefined): string {
  if (ms === undefined) return "";
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
