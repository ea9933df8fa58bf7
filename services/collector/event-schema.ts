/**
 * Validation of one agent event (contract §2). Returns the event as sent (unknown fields kept)
 * or one message naming every field that is wrong, for the `rejected` list.
 */

import { isIP } from "node:net";
import { z } from "zod";
import { AGENT_ID_PATTERN } from "../../lib/events.ts";
import { valueAt } from "../../lib/paths.ts";
import { formatPath } from "../runtime/config.ts";
import { type AgentEvent, EVENT_TYPES } from "../runtime/model.ts";

/** The largest `usage.cost_usd` of one event (USD). */
export const MAX_COST_USD = 1_000_000;

export interface EventLimits {
  maxTextBytes: number;
  maxAttributesBytes: number;
  /** `tool.arguments` as JSON, in UTF-8 bytes (detectors scan it whole). */
  maxToolArgumentsBytes: number;
  /**
   * The whole event as JSON, undeclared fields included (limits.max_event_bytes): the per-field
   * limits bound what agentwatch reads, this bounds what it stores. None when absent.
   */
  maxEventBytes?: number;
  /** How deep objects and arrays may nest anywhere in an event (limits.max_json_depth); 64 when absent. */
  maxJsonDepth?: number;
  /** How far `time` may be ahead of, or behind, the arrival time (ms). */
  maxAheadMs: number;
  maxBehindMs: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp with an offset to epoch ms, or undefined if it is not one. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const probe = new Date(Date.UTC(year as number, (month as number) - 1, day as number));
  if (
    probe.getUTCMonth() !== (month as number) - 1 ||
    probe.getUTCDate() !== day ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    (second as number) > 60
  ) {
    return undefined;
  }
  const ms = Date.parse(text.replace(/^(.{10})t/, "$1T").replace(/z$/, "Z"));
  return Number.isNaN(ms) ? undefined : ms;
}

const shortString = (max: number) =>
  z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const plainObject = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });
const count = z.number().int("must be an integer").nonnegative("must be >= 0");

function eventSchema(limits: EventLimits) {
  const text = z
    .string()
    .refine(
      (s) => Buffer.byteLength(s, "utf8") <= limits.maxTextBytes,
      `is longer than the limit of ${limits.maxTextBytes} bytes`,
    );
  const base = {
    id: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
    time: z
      .string()
      .refine((s) => parseRfc3339(s) !== undefined, "must be an RFC 3339 timestamp with a time zone"),
    agent_id: z.string().regex(AGENT_ID_PATTERN, "must match [A-Za-z0-9._:-]{1,128}"),
    session_id: shortString(256).optional(),
    user_id: shortString(256).optional(),
    source_ip: z
      .string()
      .refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address")
      .optional(),
    attributes: plainObject
      .refine(
        (a) => Buffer.byteLength(JSON.stringify(a), "utf8") <= limits.maxAttributesBytes,
        `is larger than the limit of ${limits.maxAttributesBytes} bytes`,
      )
      .optional(),
    // Declared for prompt, response and tool_result, but any event may carry a `text` (an auth
    // event's text was stored and indexed at any size): the limit holds whatever the type.
    text: text.optional(),
  };
  const tool = z.looseObject({
    name: shortString(256),
    arguments: plainObject
      .refine(
        (a) => Buffer.byteLength(JSON.stringify(a), "utf8") <= limits.maxToolArgumentsBytes,
        `is larger than the limit of ${limits.maxToolArgumentsBytes} bytes (limits.max_tool_arguments_bytes)`,
      )
      .optional(),
    target: shortString(2048).optional(),
  });
  return z.discriminatedUnion("type", [
    z.looseObject({
      ...base,
      type: z.literal("prompt"),
      text,
      origin: z.enum(["user", "tool", "retrieval", "system"]).optional(),
    }),
    z.looseObject({ ...base, type: z.literal("response"), text, latency_ms: count.optional() }),
    z.looseObject({ ...base, type: z.literal("tool_call"), tool }),
    z.looseObject({
      ...base,
      type: z.literal("tool_result"),
      tool: z.looseObject({ name: shortString(256) }),
      text: text.optional(),
      status: z.enum(["ok", "error"]).optional(),
    }),
    z.looseObject({
      ...base,
      type: z.literal("llm_usage"),
      usage: z.looseObject({
        provider: shortString(128),
        model: shortString(256),
        input_tokens: count,
        output_tokens: count,
        // One usage record of more than a million dollars is no real bill, and sums of values
        // near the float limit overflow the cost metric and the spend caps to Infinity.
        cost_usd: z
          .number()
          .nonnegative("must be >= 0")
          .max(MAX_COST_USD, `must be at most ${MAX_COST_USD}`)
          .optional(),
        api_key_id: shortString(256).optional(),
      }),
    }),
    z.looseObject({
      ...base,
      type: z.literal("auth"),
      auth: z.looseObject({
        outcome: z.enum(["success", "failure"]),
        principal: shortString(512).optional(),
        method: shortString(128).optional(),
      }),
    }),
    z.looseObject({
      ...base,
      type: z.literal("error"),
      error: z.looseObject({ code: shortString(256).optional(), message: text.optional() }).optional(),
    }),
    z.looseObject({
      ...base,
      type: z.literal("config_change"),
      change: z.looseObject({ actor: shortString(256).optional(), summary: text.optional() }).optional(),
    }),
  ]);
}

/** limits.max_json_depth's default: far deeper than any real event, far shallower than the stack. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * The path of the first place where `value` nests deeper than `max` levels, or undefined: an
 * iterative walk (no recursion, whatever the depth), that stops at the first such place.
 */
export function deeperThan(value: unknown, max: number): string | undefined {
  // Each node keeps its parent and its key, so only the reported path is ever written out.
  interface Node {
    value: unknown;
    depth: number;
    parent: Node | undefined;
    key: string | number;
  }
  const stack: Node[] = [{ value, depth: 0, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const current = node.value;
    if (current === null || typeof current !== "object") continue;
    if (node.depth + 1 > max) return pathOf(node);
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i += 1) {
        if (current[i] !== null && typeof current[i] === "object")
          stack.push({ value: current[i], depth: node.depth + 1, parent: node, key: i });
      }
    } else {
      for (const key of Object.keys(current)) {
        const child: unknown = Object.getOwnPropertyDescriptor(current, key)?.value;
        if (child !== null && typeof child === "object")
          stack.push({ value: child, depth: node.depth + 1, parent: node, key });
      }
    }
  }
  return undefined;

  function pathOf(node: Node): string {
    const keys: (string | number)[] = [];
    for (let n: Node | undefined = node; n?.parent !== undefined; n = n.parent) keys.push(n.key);
    keys.reverse();
    const path = keys.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
    return path === "" ? "(the event)" : path.length > 200 ? `${path.slice(0, 200)}…` : path;
  }
}

export type EventValidation = { ok: true; event: AgentEvent } | { ok: false; error: string };

export class EventValidator {
  readonly #schema: ReturnType<typeof eventSchema>;
  readonly #limits: EventLimits;

  constructor(limits: EventLimits) {
    this.#schema = eventSchema(limits);
    this.#limits = limits;
  }

  /**
   * Checks one event. With `arrival` (agentwatch's clock, epoch ms) its time must also lie within
   * the configured skew of it: event time drives the detectors' windows, so a time far ahead or
   * behind is refused here rather than trusted there.
   */
  validate(input: unknown, arrival?: number): EventValidation {
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      return { ok: false, error: "an event must be a JSON object" };
    }
    const type = (input as { type?: unknown }).type;
    if (type === undefined) return { ok: false, error: "type: required" };
    if (typeof type !== "string" || !(EVENT_TYPES as readonly string[]).includes(type)) {
      return {
        ok: false,
        error: `type: must be one of ${EVENT_TYPES.join(", ")} (got ${JSON.stringify(type)})`,
      };
    }
    // Before anything walks the event recursively (JSON.stringify, the schema): an event nested
    // thousands deep overflowed the stack, and the whole request answered 500 (issue 26, 30).
    const maxDepth = this.#limits.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
    const deepAt = deeperThan(input, maxDepth);
    if (deepAt !== undefined) {
      return {
        ok: false,
        error: `${deepAt}: nests deeper than ${maxDepth} levels of objects and arrays (limits.max_json_depth)`,
      };
    }
    const maxEventBytes = this.#limits.maxEventBytes;
    if (maxEventBytes !== undefined) {
      const bytes = Buffer.byteLength(JSON.stringify(input), "utf8");
      if (bytes > maxEventBytes) {
        return {
          ok: false,
          error: `the event is ${bytes} bytes as JSON, larger than the limit of ${maxEventBytes} bytes for one event (limits.max_event_bytes)`,
        };
      }
    }
    const result = this.#schema.safeParse(input);
    if (result.success) {
      const event = input as AgentEvent;
      const skew = arrival === undefined ? undefined : this.#skewProblem(event.time, arrival);
      return skew ? { ok: false, error: skew } : { ok: true, event };
    }
    const messages = result.error.issues.map((issue) => {
      const missing = issue.code === "invalid_type" && valueAt(input, issue.path) === undefined;
      return `${formatPath(issue.path)}: ${missing ? "required" : issue.message}`;
    });
    return { ok: false, error: messages.join("; ") };
  }

  #skewProblem(time: string, arrival: number): string | undefined {
    const at = parseRfc3339(time) as number;
    if (at - arrival > this.#limits.maxAheadMs) {
      return `time: ${time} is ${describeSpan(at - arrival)} ahead of agentwatch's clock (${new Date(arrival).toISOString()}); events may be at most ${describeSpan(this.#limits.maxAheadMs)} ahead (limits.max_event_time_ahead): check the agent's clock`;
    }
    if (arrival - at > this.#limits.maxBehindMs) {
      return `time: ${time} is ${describeSpan(arrival - at)} behind agentwatch's clock (${new Date(arrival).toISOString()}); events may be at most ${describeSpan(this.#limits.maxBehindMs)} old (limits.max_event_time_behind)`;
    }
    return undefined;
  }
}

/** A span for people: "3 min", "2 h", "41 days", "7977 years". */
function describeSpan(ms: number): string {
  const units: [number, string][] = [
    [365.25 * 86_400_000, "years"],
    [86_400_000, "days"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  for (const [size, name] of units) if (ms >= size) return `${Math.floor(ms / size)} ${name}`;
  return `${Math.round(ms)} ms`;
}
