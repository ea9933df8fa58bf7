/**
 * OTLP ingest under back-pressure, through the real process and the OpenTelemetry SDK's own
 * retrying exporter (issue 23): over the token's ingest rate /otlp/v1/* answers 429, and while
 * the log cannot take writes 503, both with Retry-After; the exporter waits, sends again, and the
 * data arrives once the condition clears, stored once. A recording proxy between the exporter and
 * agentwatch shows the answers the exporter got.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRpcStatus } from "../services/otlp/decode.ts";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, OTHER_AGENT, TOKENS } from "./helpers/tokens.ts";

interface Seen {
  path: string;
  status: number;
  retryAfter: string | null;
}

const HOP_BY_HOP = ["host", "content-length", "connection", "keep-alive", "transfer-encoding"];

/** Forwards every request to agentwatch and records the answer, calling `onAnswer` first. */
class RecordingProxy {
  readonly seen: Seen[] = [];
  onAnswer: (seen: Seen) => void = () => {};
  readonly server: Server;
  constructor(target: () => string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === "string" && !HOP_BY_HOP.includes(name)) headers[name] = value;
        }
        try {
          const answer = await fetch(`${target()}${req.url}`, {
            method: req.method,
            headers,
            body: Buffer.concat(chunks),
          });
          const body = Buffer.from(await answer.arrayBuffer());
          const seen = {
            path: String(req.url),
            status: answer.status,
            retryAfter: answer.headers.get("retry-after"),
          };
          this.seen.push(seen);
          this.onAnswer(seen);
          res.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "application/octet-stream",
            ...(seen.retryAfter !== null ? { "retry-after": seen.retryAfter } : {}),
          });
          res.end(body);
        } catch (err) {
          this.seen.push({ path: String(req.url), status: 502, retryAfter: String(err) });
          res.writeHead(502);
          res.end(String(err));
        }
      });
    });
  }
  async listen(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

let proc: AgentwatchProcess;
let proxy: RecordingProxy;
let proxyUrl: string;

beforeAll(async () => {
  proc = await startAgentwatch({
    config: {
      limits: { events_per_second: 2, burst_events: 4 },
      otlp: { agents: { "limited-service": AGENT, "locked-service": OTHER_AGENT } },
    },
  });
  proxy = new RecordingProxy(() => proc.url);
  proxyUrl = await proxy.listen();
});

afterAll(async () => {
  proxy?.server.close();
  await proc?.stop();
  proc?.cleanup();
});

function tracing(service: string, token: string) {
  const exporter = new OTLPTraceExporter({
    url: `${proxyUrl}/otlp/v1/traces`,
    headers: { Authorization: `Bearer ${token}` },
    timeoutMillis: 30_000,
  });
  return new TracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
}

const usageSpan = (model: string, inputTokens: number) => ({
  attributes: {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": model,
    "gen_ai.usage.input_tokens": inputTokens,
    "gen_ai.usage.output_tokens": 1,
  },
});

async function usageOf(agent: string, model: string): Promise<Json[]> {
  const page: Json = await (
    await proc.fetch(`/v1/events?agent_id=${agent}&type=llm_usage&limit=500`, {
      headers: bearer(TOKENS.viewer),
    })
  ).json();
  return page.events.filter((e: Json) => e.usage.model === model);
}

describe("OTLP back-pressure", () => {
  it("answers 429 with Retry-After over the ingest rate; the exporter retries and the data arrives once", async () => {
    const jsonExport = (spanIds: string[]) => ({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "limited-service" } }] },
          scopeSpans: [
            {
              spans: spanIds.map((spanId) => ({
                traceId: "6b8efff798038103d269b633813fc60c",
                spanId,
                name: "chat",
                startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                endTimeUnixNano: String(BigInt(Date.now() + 5) * 1_000_000n),
                attributes: [
                  { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
                  { key: "gen_ai.request.model", value: { stringValue: "burst-model" } },
                  { key: "gen_ai.usage.input_tokens", value: { intValue: "5" } },
                ],
              })),
            },
          ],
        },
      ],
    });
    const post = (body: Json) =>
      proc.fetch("/otlp/v1/traces", {
        method: "POST",
        headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // The burst (4 events) is spent; the next request is over the rate.
    const spent = await post(
      jsonExport(["a000000000000001", "a000000000000002", "a000000000000003", "a000000000000004"]),
    );
    expect(spent.status).toBe(200);
    const limited = await post(jsonExport(["a000000000000005"]));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error.code).toBe("rate_limited");
    // In protobuf, the same refusal as a google.rpc.Status (RESOURCE_EXHAUSTED).
    const limitedProto = await proc.fetch("/otlp/v1/traces", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/x-protobuf" },
      body: Buffer.from([0x0a, 0x00]),
    });
    expect(limitedProto.status).toBe(429);
    expect(Number(limitedProto.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const status = decodeRpcStatus(new Uint8Array(await limitedProto.arrayBuffer()));
    expect(status).toEqual({ code: 8, message: expect.stringContaining("over its rate") });

    // The SDK's exporter meets the same limit, waits as told, and its export then goes through.
    const provider = tracing("limited-service", TOKENS.ingest);
    const tracer = provider.getTracer("e2e");
    const started = Date.now();
    tracer.startSpan("chat retried-model", usageSpan("retried-model", 11)).end();
    await provider.forceFlush();
    const answers = proxy.seen.filter((s) => s.path === "/otlp/v1/traces").map((s) => s.status);
    expect(answers[0]).toBe(429);
    expect(answers.at(-1)).toBe(200);
    expect(proxy.seen.find((s) => s.status === 429)?.retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await provider.shutdown();

    const stored = await eventually(async () => {
      const list = await usageOf(AGENT, "retried-model");
      return list.length > 0 ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await usageOf(AGENT, "retried-model")).toHaveLength(1);
    expect(stored[0].usage.input_tokens).toBe(11);
    // Nothing of the refused raw request was stored; the four of the burst were.
    expect(await usageOf(AGENT, "burst-model")).toHaveLength(4);
  });

  it("answers 503 with Retry-After while the log cannot take writes; the exporter's retry lands once it can", async () => {
    proxy.seen.length = 0;
    // Another process holds the log's write lock: agentwatch's append waits its busy timeout,
    // then cannot take the write (503). The lock is released as soon as the exporter is told so.
    const lock = new DatabaseSync(join(proc.dataDir, "bus.sqlite"));
    lock.exec("PRAGMA busy_timeout = 5000");
    lock.exec("BEGIN IMMEDIATE");
    let locked = true;
    proxy.onAnswer = (seen) => {
      if (seen.status === 503 && locked) {
        lock.exec("ROLLBACK");
        locked = false;
      }
    };
    try {
      const provider = tracing("locked-service", TOKENS.ingestOther);
      provider.getTracer("e2e").startSpan("chat locked-model", usageSpan("locked-model", 21)).end();
      await provider.forceFlush();
      await provider.shutdown();
    } finally {
      proxy.onAnswer = () => {};
      if (locked) lock.exec("ROLLBACK");
      lock.close();
    }
    const traces = proxy.seen.filter((s) => s.path === "/otlp/v1/traces");
    expect(traces[0]).toEqual({ path: "/otlp/v1/traces", status: 503, retryAfter: "1" });
    expect(traces.at(-1)?.status).toBe(200);

    const stored = await eventually(async () => {
      const list = await usageOf(OTHER_AGENT, "locked-model");
      return list.length > 0 ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await usageOf(OTHER_AGENT, "locked-model")).toHaveLength(1);
    expect(stored[0].usage.input_tokens).toBe(21);
  }, 60_000);
});
