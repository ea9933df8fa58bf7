import { describe, expect, it } from "vitest";
import type { AnyValue, OtlpLogRecord, OtlpSpan } from "./decode.ts";
import { type MappingOptions, mapLogRecord, mapSpan } from "./mapping.ts";

const options: MappingOptions = {
  agentFrom: ["gen_ai.agent.id", "gen_ai.agent.name", "service.name"],
  agents: { "shop-svc": "support-bot" },
};
const START = Date.parse("2026-12-01T10:00:00Z");

function span(attributes: Record<string, AnyValue>, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    name: "chat",
    startMs: START,
    endMs: START + 800,
    attributes: new Map(Object.entries(attributes)),
    statusCode: 0,
    statusMessage: undefined,
    events: [],
    resource: new Map([["service.name", "shop-svc"]]),
    ...extra,
  };
}

describe("OTLP span mapping", () => {
  it("drops spans without GenAI meaning", () => {
    expect(mapSpan(span({ "http.request.method": "GET" }), options)).toEqual({ genAi: false, events: [] });
  });

  it("reads OpenTelemetry GenAI legacy indexed messages, legacy token names and service.name through otlp.agents", () => {
    const mapped = mapSpan(
      span({
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be helpful.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Hi",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "Hello!",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 2,
      }),
      options,
    );
    expect(mapped.events.map(({ event }) => [event.type, event.origin ?? null, event.text ?? null])).toEqual([
      ["prompt", "system", "Be helpful."],
      ["prompt", "user", "Hi"],
      ["response", null, "Hello!"],
      ["llm_usage", null, null],
    ]);
    const usage = mapped.events[3]?.event;
    expect(usage).toMatchObject({
      id: "otlp-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-usage",
      agent_id: "support-bot",
      time: "2026-12-01T10:00:00.000Z",
      usage: { provider: "openai", model: "gpt-4o", input_tokens: 10, output_tokens: 2 },
    });
    expect(mapped.events[2]?.event.latency_ms).toBe(800);
  });

  it("reads current messages with tool calls and tool results; the agent from gen_ai.agent.name", () => {
    const events = mapSpan(
      span({
        "gen_ai.operation.name": "chat",
        "gen_ai.agent.name": "travel agent",
        "gen_ai.input.messages": JSON.stringify([
          { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
          {
            role: "assistant",
            parts: [{ type: "tool_call", id: "c1", name: "weather", arguments: { city: "Paris" } }],
          },
          { role: "tool", parts: [{ type: "tool_call_response", id: "c1", response: "rainy" }] },
        ]),
      }),
      options,
    ).events.map(({ event }) => event);
    expect(events.map((e) => [e.type, e.origin ?? null])).toEqual([
      ["prompt", "user"],
      ["tool_call", null],
      ["prompt", "tool"],
    ]);
    expect(events[1]?.tool).toEqual({ name: "weather", arguments: { city: "Paris" } });
    expect(events[0]?.agent_id).toBe("travel_agent");
  });

  it("gives a message re-sent in a later turn the same id and dedupe hash", () => {
    const turn = (time: number, spanId: string) =>
      mapSpan(
        span(
          {
            "gen_ai.conversation.id": "c-1",
            "gen_ai.input.messages": JSON.stringify([
              { role: "user", parts: [{ type: "text", content: "Hi" }] },
            ]),
          },
          { startMs: time, spanId },
        ),
        options,
      ).events[0];
    const first = turn(START, "b7ad6b7169203331");
    const later = turn(START + 60_000, "b7ad6b7169203332");
    expect(later?.event.id).toBe(first?.event.id);
    expect(later?.dedupeHash).toBe(first?.dedupeHash);
    expect(later?.event.session_id).toBe("c-1");
  });

  it("reads OpenInference messages, token counts, session and user", () => {
    const mapped = mapSpan(
      span({
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.provider": "openai",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Refund me",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Done.",
        "llm.token_count.prompt": 5,
        "llm.token_count.completion": 1,
        "session.id": "s-9",
        "user.id": "u-1",
        "input.value": '{"messages":[]}',
      }),
      options,
    ).events.map(({ event }) => event);
    expect(mapped.map((e) => [e.type, e.text ?? null])).toEqual([
      ["prompt", "Refund me"],
      ["response", "Done."],
      ["llm_usage", null],
    ]);
    expect(mapped[2]).toMatchObject({
      session_id: "s-9",
      user_id: "u-1",
      usage: { provider: "openai", model: "gpt-4o-mini", input_tokens: 5, output_tokens: 1 },
    });
  });

  it("maps tool spans of each family, and span errors", () => {
    const gen = mapSpan(
      span(
        {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "http_get",
          "gen_ai.tool.call.arguments": '{"url":"https://example.com"}',
          "gen_ai.tool.call.result": "<html>",
          "error.type": "timeout",
        },
        { statusCode: 2, statusMessage: "deadline exceeded" },
      ),
      options,
    ).events.map(({ event }) => event);
    expect(gen.map((e) => e.type)).toEqual(["tool_call", "tool_result", "error"]);
    expect(gen[0]?.tool).toEqual({ name: "http_get", arguments: { url: "https://example.com" } });
    expect(gen[1]).toMatchObject({ text: "<html>", status: "error" });
    expect(gen[2]).toMatchObject({ error: { code: "timeout", message: "deadline exceeded" } });

    const traceloop = mapSpan(
      span({
        "traceloop.span.kind": "tool",
        "traceloop.entity.name": "lookup",
        "traceloop.entity.input": '{"q":"x"}',
        "traceloop.entity.output": "found",
        "traceloop.association.properties.session_id": "s-2",
      }),
      options,
    ).events.map(({ event }) => event);
    expect(traceloop[0]).toMatchObject({
      type: "tool_call",
      session_id: "s-2",
      tool: { name: "lookup", arguments: { q: "x" } },
    });

    const oi = mapSpan(
      span({
        "openinference.span.kind": "TOOL",
        "tool.name": "calc",
        "tool.parameters": '{"a":1}',
        "output.value": "2",
      }),
      options,
    ).events.map(({ event }) => event);
    expect(oi.map((e) => [e.type, e.text ?? null])).toEqual([
      ["tool_call", null],
      ["tool_result", "2"],
    ]);
  });
});

describe("OTLP log record mapping", () => {
  const record = (eventName: string, body: AnyValue): OtlpLogRecord => ({
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    timeMs: START,
    eventName,
    body,
    attributes: new Map([["gen_ai.system", "openai"]]),
    resource: new Map([["service.name", "shop-svc"]]),
  });

  it("reads the per-message events with structured bodies", () => {
    const user = mapLogRecord(record("gen_ai.user.message", { content: "Hello" }), options).events[0]?.event;
    expect(user).toMatchObject({ type: "prompt", origin: "user", text: "Hello", agent_id: "support-bot" });
    const system = mapLogRecord(record("gen_ai.system.message", { content: "Rules" }), options).events[0]
      ?.event;
    expect(system).toMatchObject({ type: "prompt", origin: "system" });
    const tool = mapLogRecord(record("gen_ai.tool.message", { content: "42", id: "c1" }), options).events[0]
      ?.event;
    expect(tool).toMatchObject({ type: "prompt", origin: "tool", text: "42" });
    const choice = mapLogRecord(
      record("gen_ai.choice", { index: 0, message: { content: "Hi there" } }),
      options,
    ).events[0]?.event;
    expect(choice).toMatchObject({ type: "response", text: "Hi there" });
  });

  it("drops log records without GenAI meaning", () => {
    expect(mapLogRecord({ ...record("", "GET /"), attributes: new Map() }, options).genAi).toBe(false);
  });
});
