/**
 * OTLP/HTTP request bodies (ExportTraceServiceRequest, ExportLogsServiceRequest) into plain
 * records, from protobuf or from OTLP/JSON. Protobuf is decoded by the code the OpenTelemetry JS
 * project generated with protobufjs from the official opentelemetry-proto definitions (vendored
 * from @opentelemetry/otlp-transformer 0.214.0 in ./generated: see its header for why), never by hand. Both encodings then go through one walk that
 * trusts nothing: every field is type-checked, nested values are cut at `maxDepth`, and the work
 * is linear in the decoded size, which the route bounds (limits.max_body_bytes as sent,
 * otlp.max_decoded_bytes once inflated).
 */
import { createRequire } from "node:module";
import { AgentwatchError } from "../runtime/errors.ts";

/** What an attribute or a log body holds, as JSON-like values. */
export type AnyValue = string | number | boolean | null | AnyValue[] | { [key: string]: AnyValue };
export type Attributes = Map<string, AnyValue>;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  startMs: number | undefined;
  endMs: number | undefined;
  attributes: Attributes;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string | undefined;
  events: { name: string; timeMs: number | undefined; attributes: Attributes }[];
  resource: Attributes;
}

export interface OtlpLogRecord {
  traceId: string;
  spanId: string;
  timeMs: number | undefined;
  /** LogRecord.event_name, else the `event.name` attribute. */
  eventName: string | undefined;
  body: AnyValue | undefined;
  attributes: Attributes;
  resource: Attributes;
}

interface GeneratedType {
  decode(bytes: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}

// The generated module is CommonJS and has no types of its own beyond protobufjs's Root.
const generated = createRequire(import.meta.url)("./generated/otlp-proto.cjs") as {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: { ExportTraceServiceRequest: GeneratedType; ExportTraceServiceResponse: GeneratedType };
        };
        logs: { v1: { ExportLogsServiceRequest: GeneratedType; ExportLogsServiceResponse: GeneratedType } };
      };
    };
  };
};
const TraceRequest = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const LogsRequest = generated.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export type Encoding = "protobuf" | "json";

// google.rpc.Status, the error body OTLP/HTTP asks for in answer to a protobuf request: the
// message of googleapis' google/rpc/status.proto (and google.protobuf.Any for its details) as a
// protobufjs descriptor, encoded by protobufjs (the library the generated OTLP code runs on).
const protobufLight = createRequire(import.meta.url)("protobufjs/light.js") as {
  Root: { fromJSON(json: Record<string, unknown>): { lookupType(name: string): GeneratedType } };
};
const RpcStatus = protobufLight.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: "int32", id: 1 },
                message: { type: "string", id: 2 },
                details: { rule: "repeated", type: "google.protobuf.Any", id: 3 },
              },
            },
          },
        },
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: "string", id: 1 }, value: { type: "bytes", id: 2 } } },
          },
        },
      },
    },
  },
}).lookupType("google.rpc.Status");

/** The gRPC code (google.rpc.Code) closest to an HTTP status, for a Status body. */
export function grpcCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}

/** A google.rpc.Status in protobuf: what an error answers to an OTLP/HTTP protobuf request. */
export function encodeRpcStatus(httpStatus: number, message: string): Buffer {
  const status = RpcStatus.fromObject({ code: grpcCodeOf(httpStatus), message });
  return Buffer.from(RpcStatus.encode(status).finish());
}

/** A google.rpc.Status read back from protobuf (tests, and anyone checking an answer). */
export function decodeRpcStatus(body: Uint8Array): { code: number; message: string } {
  const status = RpcStatus.toObject(RpcStatus.decode(body), { defaults: true }) as {
    code: number;
    message: string;
  };
  return { code: status.code, message: status.message };
}

/** An Export*ServiceResponse (its OTLP/JSON form as `body`) in protobuf, by the same generated code. */
export function encodeOtlpResponse(signal: "traces" | "logs", body: Record<string, unknown>): Buffer {
  const v1 = generated.opentelemetry.proto.collector;
  const type =
    signal === "traces" ? v1.trace.v1.ExportTraceServiceResponse : v1.logs.v1.ExportLogsServiceResponse;
  return Buffer.from(type.encode(type.fromObject(body)).finish());
}

/** Parses the body as sent: protobuf bytes or JSON text; 400 `invalid_request` when it is neither. */
function parse(body: Buffer, encoding: Encoding, type: GeneratedType, what: string): unknown {
  try {
    if (encoding === "json") return JSON.parse(body.toString("utf8"));
    // Longs as decimal strings (a nanosecond time passes 2^53), bytes as they are (ids to hex).
    return type.toObject(type.decode(body), { longs: String, enums: Number, defaults: false });
  } catch (err) {
    throw new AgentwatchError(
      "invalidRequest",
      `the body is not a valid OTLP ${what} in ${encoding === "json" ? "JSON" : "protobuf"}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function decodeTraces(body: Buffer, encoding: Encoding, maxDepth: number): OtlpSpan[] {
  const request = parse(body, encoding, TraceRequest, "ExportTraceServiceRequest");
  if (!isObject(request)) throw notAnObject("ExportTraceServiceRequest");
  const spans: OtlpSpan[] = [];
  for (const resourceSpans of arrayOf(request.resourceSpans ?? request.resource_spans)) {
    if (!isObject(resourceSpans)) continue;
    const resource = attributesOf(objectOf(resourceSpans.resource)?.attributes, maxDepth);
    for (const scopeSpans of arrayOf(resourceSpans.scopeSpans ?? resourceSpans.scope_spans)) {
      if (!isObject(scopeSpans)) continue;
      for (const span of arrayOf(scopeSpans.spans)) {
        if (!isObject(span)) continue;
        const status = objectOf(span.status);
        spans.push({
          traceId: idOf(span.traceId ?? span.trace_id),
          spanId: idOf(span.spanId ?? span.span_id),
          name: typeof span.name === "string" ? span.name : "",
          startMs: nanosToMs(span.startTimeUnixNano ?? span.start_time_unix_nano),
          endMs: nanosToMs(span.endTimeUnixNano ?? span.end_time_unix_nano),
          attributes: attributesOf(span.attributes, maxDepth),
          statusCode: statusCodeOf(status?.code),
          statusMessage:
            typeof status?.message === "string" && status.message !== "" ? status.message : undefined,
          events: arrayOf(span.events).flatMap((event) =>
            isObject(event)
              ? [
                  {
                    name: typeof event.name === "string" ? event.name : "",
                    timeMs: nanosToMs(event.timeUnixNano ?? event.time_unix_nano),
                    attributes: attributesOf(event.attributes, maxDepth),
                  },
                ]
              : [],
          ),
          resource,
        });
      }
    }
  }
  return spans;
}

export function decodeLogs(body: Buffer, encoding: Encoding, maxDepth: number): OtlpLogRecord[] {
  const request = parse(body, encoding, LogsRequest, "ExportLogsServiceRequest");
  if (!isObject(request)) throw notAnObject("ExportLogsServiceRequest");
  const records: OtlpLogRecord[] = [];
  for (const resourceLogs of arrayOf(request.resourceLogs ?? request.resource_logs)) {
    if (!isObject(resourceLogs)) continue;
    const resource = attributesOf(objectOf(resourceLogs.resource)?.attributes, maxDepth);
    for (const scopeLogs of arrayOf(resourceLogs.scopeLogs ?? resourceLogs.scope_logs)) {
      if (!isObject(scopeLogs)) continue;
      for (const record of arrayOf(scopeLogs.logRecords ?? scopeLogs.log_records)) {
        if (!isObject(record)) continue;
        const attributes = attributesOf(record.attributes, maxDepth);
        const named = record.eventName ?? record.event_name;
        const eventName =
          typeof named === "string" && named !== ""
            ? named
            : typeof attributes.get("event.name") === "string"
              ? (attributes.get("event.name") as string)
              : undefined;
        records.push({
          traceId: idOf(record.traceId ?? record.trace_id),
          spanId: idOf(record.spanId ?? record.span_id),
          timeMs:
            nanosToMs(record.timeUnixNano ?? record.time_unix_nano) ||
            nanosToMs(record.observedTimeUnixNano ?? record.observed_time_unix_nano),
          eventName,
          body: record.body === undefined ? undefined : anyValueOf(record.body, maxDepth),
          attributes,
          resource,
        });
      }
    }
  }
  return records;
}

function notAnObject(what: string): AgentwatchError {
  return new AgentwatchError("invalidRequest", `the body is not an OTLP ${what}: expected a JSON object`);
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function objectOf(value: unknown): Obj | undefined {
  return isObject(value) ? value : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Trace and span ids: bytes (protobuf) or hex (OTLP/JSON) to lowercase hex; "" when malformed. */
function idOf(value: unknown): string {
  if (value instanceof Uint8Array) return value.length > 0 ? Buffer.from(value).toString("hex") : "";
  if (typeof value === "string" && /^[0-9a-fA-F]{1,64}$/.test(value)) return value.toLowerCase();
  return "";
}

/** Unix nanoseconds (a decimal string, or a JSON number) to epoch ms; undefined for 0 or garbage. */
export function nanosToMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) ms = Number(BigInt(value) / 1_000_000n);
  else if (typeof value === "number" && Number.isFinite(value) && value >= 0) ms = Math.floor(value / 1e6);
  return ms === undefined || ms === 0 ? undefined : ms;
}

function statusCodeOf(value: unknown): number {
  if (value === 2 || value === "STATUS_CODE_ERROR") return 2;
  if (value === 1 || value === "STATUS_CODE_OK") return 1;
  return 0;
}

/** A KeyValue list to a map; the first of a repeated key wins, malformed entries are skipped. */
function attributesOf(list: unknown, maxDepth: number): Attributes {
  const out: Attributes = new Map();
  for (const kv of arrayOf(list)) {
    if (!isObject(kv) || typeof kv.key !== "string" || out.has(kv.key)) continue;
    out.set(kv.key, anyValueOf(kv.value, maxDepth));
  }
  return out;
}

/**
 * An OTLP AnyValue to a plain value. Nesting deeper than `depth` is cut (replaced by null), so a
 * hostile body nested a million deep costs nothing past the limit.
 */
export function anyValueOf(value: unknown, depth: number): AnyValue {
  if (!isObject(value) || depth <= 0) return null;
  if (typeof value.stringValue === "string") return value.stringValue;
  if (typeof value.boolValue === "boolean") return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) {
    const n = Number(value.doubleValue);
    return Number.isFinite(n) ? n : null;
  }
  if (value.bytesValue !== undefined) {
    return value.bytesValue instanceof Uint8Array
      ? Buffer.from(value.bytesValue).toString("base64")
      : typeof value.bytesValue === "string"
        ? value.bytesValue
        : null;
  }
  const array = objectOf(value.arrayValue);
  if (array) return arrayOf(array.values).map((v) => anyValueOf(v, depth - 1));
  const kvlist = objectOf(value.kvlistValue);
  if (kvlist) {
    const out: { [key: string]: AnyValue } = {};
    for (const kv of arrayOf(kvlist.values)) {
      // "__proto__" would set the object's prototype rather than a key.
      if (
        isObject(kv) &&
        typeof kv.key === "string" &&
        kv.key !== "__proto__" &&
        !Object.hasOwn(out, kv.key)
      ) {
        out[kv.key] = anyValueOf(kv.value, depth - 1);
      }
    }
    return out;
  }
  return null;
}
