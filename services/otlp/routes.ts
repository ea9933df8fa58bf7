/**
 * OTLP/HTTP ingest: POST /otlp/v1/traces and /otlp/v1/logs, so an OpenTelemetry SDK with
 * OTEL_EXPORTER_OTLP_ENDPOINT=http://host:8080/otlp sends here unchanged. Protobuf or JSON, gzip
 * or not, an ingest token as for /v1/events. Spans and log records become events (mapping.ts)
 * that go through the collector's own ingest path: the same validation, agent scope, rate limit,
 * durability and dedupe. Answers per the OTLP/HTTP specification: 200 only once the events are
 * durable, with `partialSuccess` naming the spans or records whose events were refused; 400 for
 * an undecodable body, 415 for another content type or encoding, 429 and 503 with Retry-After;
 * an error answers a protobuf request with a google.rpc.Status in protobuf, a JSON one in JSON.
 * Records without GenAI meaning are counted (agentwatch_otlp_records_total) and dropped.
 */
import { gunzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { BodyItem } from "../collector/body.ts";
import type { Ingest, IngestAnswer } from "../collector/collector.ts";
import type { Config } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { logFailure, principalOf } from "../server.ts";
import { decodeLogs, decodeTraces, type Encoding, encodeOtlpResponse, encodeRpcStatus } from "./decode.ts";
import { type MappedRecord, type MappingOptions, mapLogRecord, mapSpan } from "./mapping.ts";

export interface OtlpOptions {
  ingest: Ingest;
  limits: Config["limits"];
  otlp: Config["otlp"];
  metrics: Metrics;
}

const CONTENT_TYPES: Record<string, Encoding> = {
  "application/x-protobuf": "protobuf",
  "application/json": "json",
};

export function registerOtlp(app: FastifyInstance, options: OtlpOptions): void {
  const { ingest, limits, otlp, metrics } = options;
  const mapping: MappingOptions = { agentFrom: otlp.agent_from, agents: otlp.agents };

  // Its own scope: the server's JSON parser (which parses as it reads) gives way to one that keeps
  // the bytes, to be inflated and decoded here; other content types are 415 as on /v1/events.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      Object.keys(CONTENT_TYPES),
      { parseAs: "buffer", bodyLimit: limits.max_body_bytes },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error, request, reply) => {
      const code = (error as { code?: string }).code;
      const refusal =
        code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH"
          ? new AgentwatchError(
              "unsupportedMediaType",
              "OTLP/HTTP bodies must be application/x-protobuf or application/json",
              { cause: error },
            )
          : error;
      // A JSON request (or one of no OTLP content type) gets the contract's JSON error body, as on
      // every route (server.ts); a protobuf request a google.rpc.Status in protobuf, as the
      // OTLP/HTTP specification asks, with the same status code and headers.
      if (contentTypeOf(request) !== "application/x-protobuf") throw refusal;
      const failure = logFailure(request, refusal);
      if (failure.retryAfterSeconds !== undefined)
        reply.header("retry-after", String(failure.retryAfterSeconds));
      if (failure.code === "unauthorized") reply.header("www-authenticate", 'Bearer realm="agentwatch"');
      return reply
        .code(failure.status)
        .type("application/x-protobuf")
        .send(encodeRpcStatus(failure.status, failure.message));
    });

    const route = { config: { permission: "ingest" as const }, preParsing: ingest.refuseWhenEmpty };
    // One route a signal: decode the export, map each record, answer once the events are durable.
    const exportRoute = <R>(
      signal: "traces" | "logs",
      decode: (body: Buffer, encoding: Encoding, maxDepth: number) => R[],
      map: (record: R, options: MappingOptions) => MappedRecord,
    ) =>
      scope.post(`/otlp/v1/${signal}`, route, async (request, reply) => {
        const encoding = encodingOf(request);
        const records = decode(
          await inflated(request, otlp.max_decoded_bytes),
          encoding,
          limits.max_json_depth,
        );
        return answer(
          request,
          reply,
          signal,
          encoding,
          records.map((record) => map(record, mapping)),
        );
      });
    exportRoute("traces", decodeTraces, mapSpan);
    exportRoute("logs", decodeLogs, mapLogRecord);
  });

  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    signal: "traces" | "logs",
    encoding: Encoding,
    mapped: MappedRecord[],
  ) => {
    const principal = principalOf(request);
    const dropped = mapped.filter((r) => !r.genAi).length;
    if (dropped > 0) metrics.otlpRecords.inc({ signal, outcome: "dropped" }, dropped);
    // One event per id: a request holding a message twice (two spans of one conversation) sends
    // it once; the second is what a later request would be, a duplicate.
    const items: BodyItem[] = [];
    const recordOf: number[] = [];
    const hashes: (string | undefined)[] = [];
    const seen = new Set<string>();
    mapped.forEach((record, index) => {
      for (const { event, dedupeHash } of record.events) {
        const key = `${String(event.agent_id)}/${String(event.id)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        items.push({ ok: true, value: event });
        recordOf.push(index);
        hashes.push(dedupeHash);
      }
    });
    if (items.length > limits.max_events_per_request) {
      ingest.spend(principal.name, limits.max_events_per_request);
      throw new AgentwatchError(
        "tooManyEvents",
        `the export makes ${items.length} events; at most ${limits.max_events_per_request} are accepted per request (limits.max_events_per_request): lower the exporter's batch size`,
      );
    }
    let result: IngestAnswer | undefined;
    let refusals: { index: number; error: string }[] = [];
    if (items.length > 0) {
      try {
        result = await ingest.ingest(principal, items, { hashOf: (_event, index) => hashes[index] });
        refusals = result.rejected;
      } catch (err) {
        // No event valid: per OTLP that is still a 200 naming what was rejected (a retry cannot
        // help), unless the token may post for none of the agents (403, as on /v1/events).
        if (!(err instanceof AgentwatchError) || err.code !== "noValidEvents") throw err;
        refusals = (err.details?.rejected as { index: number; error: string }[] | undefined) ?? [];
      }
    }
    const rejectedRecords = new Set(refusals.map((r) => recordOf[r.index]));
    const genAi = mapped.length - dropped;
    if (rejectedRecords.size > 0)
      metrics.otlpRecords.inc({ signal, outcome: "rejected" }, rejectedRecords.size);
    if (genAi - rejectedRecords.size > 0) {
      metrics.otlpRecords.inc({ signal, outcome: "mapped" }, genAi - rejectedRecords.size);
    }
    const partial =
      rejectedRecords.size === 0
        ? undefined
        : {
            [signal === "traces" ? "rejectedSpans" : "rejectedLogRecords"]: String(rejectedRecords.size),
            errorMessage: refusals
              .slice(0, 5)
              .map((r) => r.error)
              .join("; ")
              .slice(0, 2000),
          };
    const body = partial ? { partialSuccess: partial } : {};
    if (encoding === "json") return reply.code(200).type("application/json").send(body);
    return reply.code(200).type("application/x-protobuf").send(encodeOtlpResponse(signal, body));
  };
}

function contentTypeOf(request: FastifyRequest): string {
  return (
    String(request.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase() ?? ""
  );
}

function encodingOf(request: FastifyRequest): Encoding {
  const encoding = CONTENT_TYPES[contentTypeOf(request)];
  if (!encoding) {
    throw new AgentwatchError(
      "unsupportedMediaType",
      "OTLP/HTTP bodies must be application/x-protobuf or application/json",
    );
  }
  return encoding;
}

/** The body as sent, inflated when gzip, bounded by `maxBytes` once inflated (a gzip bomb stops there). */
async function inflated(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  const body = request.body;
  if (!Buffer.isBuffer(body)) throw new AgentwatchError("invalidRequest", "the body is empty");
  const contentEncoding = String(request.headers["content-encoding"] ?? "identity")
    .trim()
    .toLowerCase();
  if (contentEncoding === "identity" || contentEncoding === "") return body;
  if (contentEncoding !== "gzip") {
    throw new AgentwatchError(
      "unsupportedMediaType",
      `Content-Encoding ${contentEncoding} is not supported: send gzip or none`,
    );
  }
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: maxBytes }, (err, out) => {
      if (!err) return resolve(out);
      const tooLarge = (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      reject(
        tooLarge
          ? new AgentwatchError(
              "payloadTooLarge",
              `the body inflates past ${maxBytes} bytes (otlp.max_decoded_bytes)`,
            )
          : new AgentwatchError("invalidRequest", `the body is not valid gzip: ${err.message}`),
      );
    });
  });
}
