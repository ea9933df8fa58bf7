/**
 * The HTTP server every role shares: authentication and role checks on every route but
 * /healthz, the contract's error bodies, request metrics, and /healthz, /readyz and /metrics.
 * Roles add their routes through `register`.
 */

import type { Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server as TlsServer } from "node:tls";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { z } from "zod";
import { ConnectionTracker, type DrainResult } from "./connections.ts";
import { LogThrottle, REFUSAL_LOG_INTERVAL_MS } from "./log-throttle.ts";
import { type Authenticator, hasPermission, type Permission, type Principal } from "./runtime/auth.ts";
import { type Config, formatPath, serverSchema } from "./runtime/config.ts";
import { AgentwatchError, asAgentwatchError } from "./runtime/errors.ts";
import type { Logger } from "./runtime/logger.ts";
import type { Metrics } from "./runtime/metrics.ts";
import {
  certificateMatches,
  clientCertificateOf,
  describeBinding,
  type TlsMaterial,
  type TlsSettings,
  tlsServerOptions,
} from "./runtime/tls.ts";
import { describeIssue } from "./runtime/validation.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** What the caller's token must allow; routes without one are public (only /healthz). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface ServerOptions {
  authenticator: Authenticator;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
  /** Deadlines and the per-address connection cap (config `server`; its defaults when absent). */
  listener?: Pick<
    Config["server"],
    | "headers_timeout"
    | "request_timeout"
    | "keep_alive_timeout"
    | "connection_timeout"
    | "max_connections_per_address"
  >;
  /** HTTPS (config `server.tls`) with its files as read and checked; plain HTTP without it. */
  tls?: { settings: TlsSettings; material: TlsMaterial };
  /** True while the workers are starting: every route but /healthz, /readyz and /metrics answers 503. */
  starting?: () => boolean;
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}

/** Routes that answer while agentwatch is starting or stopping (probes and metrics). */
const OPERATIONS_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

export const NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl"];

/**
 * Route parameters may be this long. Fastify's default (100) answered 414 for valid agent ids of
 * 101-128 characters (the contract allows 128), so the kill switch could not reach them; longer
 * values reach the routes, which answer 400 or 404 naming the problem. The whole URL is bounded
 * by Node's header limit (16 KiB) anyway.
 */
const MAX_PARAM_LENGTH = 1024;

/**
 * How often Node checks the header and request deadlines: its default, 30 s, would let a 10 s
 * deadline run to 40 s. The check walks the connections that are still receiving a request.
 */
const DEADLINE_CHECK_INTERVAL_MS = 1000;

export function createServer(options: ServerOptions): FastifyInstance {
  const { authenticator, metrics } = options;
  const listener = options.listener ?? serverSchema.parse({});
  const httpOptions = {
    headersTimeout: listener.headers_timeout,
    requestTimeout: listener.request_timeout,
    keepAliveTimeout: listener.keep_alive_timeout,
    connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS,
  };
  const tls = options.tls;
  const app = Fastify({
    loggerInstance: options.logger.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    // Per-request logs would flood at ingest rates; latency and status go to metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Deadlines (config server.*, see config.ts): fastify sets these on Node's server itself.
    connectionTimeout: listener.connection_timeout,
    keepAliveTimeout: listener.keep_alive_timeout,
    requestTimeout: listener.request_timeout,
    http: httpOptions,
    // HTTPS: Node's https server with the same deadlines (fastify's own `https` option would not
    // pass them on). The port then speaks TLS only: a plain HTTP request fails in the handshake.
    ...(tls
      ? {
          serverFactory: (handler: Parameters<typeof createHttpsServer>[1]) => {
            const server = createHttpsServer(
              { ...httpOptions, ...tlsServerOptions(tls.settings, tls.material) },
              handler,
            );
            server.setTimeout(listener.connection_timeout);
            return server as unknown as HttpServer;
          },
        }
      : {}),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  connectionsOf.set(
    app,
    new ConnectionTracker(app.server, {
      maxPerAddress: listener.max_connections_per_address,
      onRefused: () => metrics.connectionsRefused.inc({ reason: "per_address_limit" }),
    }),
  );
  // At most one "authentication failed" line per reason every 5 s; the metric counts each one.
  const authFailureLog = new LogThrottle(REFUSAL_LOG_INTERVAL_MS);

  /** A token bound to a client certificate (mTLS) is taken only with that certificate, verified. */
  const checkClientCertificate = (
    request: FastifyRequest,
    principal: Principal,
    binding: NonNullable<Principal["clientCert"]>,
  ): void => {
    const cert = clientCertificateOf(request.raw.socket);
    if (cert && certificateMatches(binding, cert)) return;
    const reason = cert ? "client_cert_mismatch" : "client_cert_missing";
    metrics.authFailures.inc({ reason });
    const admitted = authFailureLog.admit(reason);
    if (admitted) {
      request.log.warn(
        {
          reason,
          token: principal.name,
          url: request.routeOptions.url,
          ip: request.ip,
          ...(cert ? { client_cn: cert.cn ?? null, client_san: cert.san } : {}),
          suppressed: admitted.suppressed,
          throttle_ms: REFUSAL_LOG_INTERVAL_MS,
        },
        "authentication failed: client certificate",
      );
    }
    const wanted = describeBinding(binding);
    if (!cert) {
      throw new AgentwatchError(
        "clientCertificateRequired",
        `token "${principal.name}" is bound to a client certificate (${wanted}); this request came without a client certificate signed by the configured CA`,
      );
    }
    throw new AgentwatchError(
      "clientCertificateMismatch",
      `token "${principal.name}" is bound to a client certificate with ${wanted}; this request's certificate has subject CN ${cert.cn === undefined ? "(none)" : `"${cert.cn}"`} and SANs ${cert.san.length > 0 ? cert.san.join(", ") : "(none)"}`,
    );
  };

  // JSON is parsed here (not by fastify) so a bad body gets the contract's error body and code.
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = String(body);
    // Kept for routes that verify a signature over the body as sent (hooks, PagerDuty's webhooks).
    (req as { rawBody?: string }).rawBody = text;
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(
        new AgentwatchError("invalidJson", `the body is not valid JSON: ${(err as Error).message}`, {
          details: {
            hint: "send one JSON object or array, or NDJSON with Content-Type: application/x-ndjson",
          },
        }),
      );
    }
  });
  // Forms: Slack's interactions (`payload=<JSON>`), signed over the body as sent.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (req, body, done) => {
    const text = String(body);
    (req as { rawBody?: string }).rawBody = text;
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
  // NDJSON (POST /v1/events) is read as a stream by the collector, bounded while it arrives.

  app.addHook("onRequest", async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined) return;
    // Probes send no token: /readyz without one says only whether agentwatch is ready.
    if (permission === "probe" && request.headers.authorization === undefined) return;
    const principal = authenticator.authenticate(request.headers.authorization);
    if (!principal) {
      const reason = request.headers.authorization === undefined ? "missing" : "invalid";
      metrics.authFailures.inc({ reason });
      const admitted = authFailureLog.admit(reason);
      if (admitted) {
        request.log.warn(
          {
            reason,
            method: request.method,
            url: request.routeOptions.url,
            ip: request.ip,
            // How many failures for this reason went unlogged since this reason's last line.
            suppressed: admitted.suppressed,
            throttle_ms: REFUSAL_LOG_INTERVAL_MS,
          },
          "authentication failed",
        );
      }
      throw new AgentwatchError(
        "unauthorized",
        reason === "missing"
          ? "an Authorization: Bearer <token> header is required"
          : "the bearer token is not valid",
      );
    }
    if (principal.clientCert) checkClientCertificate(request, principal, principal.clientCert);
    const agentId = (request.params as { agent_id?: string } | undefined)?.agent_id;
    if (!hasPermission(principal, permission, agentId)) {
      metrics.authFailures.inc({ reason: "forbidden" });
      request.log.warn(
        { token: principal.name, role: principal.role, permission, url: request.routeOptions.url },
        "request not allowed for this token",
      );
      throw new AgentwatchError(
        "forbidden",
        agentId !== undefined && principal.role === "ingest"
          ? `token "${principal.name}" is not allowed for agent ${agentId}`
          : `token "${principal.name}" (role ${principal.role}) may not do this; it needs ${describe(permission)}`,
      );
    }
    request.principal = principal;
    if (options.starting?.() && !OPERATIONS_ROUTES.has(request.routeOptions.url ?? "")) {
      throw new AgentwatchError(
        "notReady",
        "agentwatch is starting; try again in a moment (GET /readyz says when)",
        {
          retryAfterSeconds: 1,
        },
      );
    }
  });

  // A request answered before its body came (refused before reading it: 401, 403, 413, 415,
  // 429, not_ready) closes its connection: Node would otherwise keep reading and discarding the
  // rest of the declared body, as slowly as the client likes (connections.ts destroys the
  // socket once the answer is out). An unauthenticated client keeps no connection either.
  app.addHook("onSend", async (request, reply, payload) => {
    if (!request.raw.complete || reply.statusCode === 401) reply.header("connection", "close");
    return payload;
  });

  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error, request, reply) => {
    sendError(reply, logFailure(request, error));
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(
      reply,
      new AgentwatchError("notFound", `no route ${request.method} ${request.url.split("?")[0]}`),
    );
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  // Who the token is and what its role may do (the console shows actions by it; the routes decide).
  app.get("/v1/whoami", { config: { permission: "read" } }, async (request) => {
    const principal = principalOf(request);
    return {
      name: principal.name,
      role: principal.role,
      may: {
        read: true,
        operate: hasPermission(principal, "operate"),
        admin: hasPermission(principal, "admin"),
      },
    };
  });
  // Without a token (a Kubernetes probe, a Docker HEALTHCHECK): the status alone; with a reader's
  // token, each check too.
  app.get("/readyz", { config: { permission: "probe" } }, async (request, reply) => {
    const result = await options.ready();
    const status = result.ready ? "ready" : "not_ready";
    return reply
      .code(result.ready ? 200 : 503)
      .send(request.principal ? { status, ...result } : { status, ready: result.ready });
  });
  app.get("/metrics", { config: { permission: "read" } }, async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });

  return app;
}

const connectionsOf = new WeakMap<FastifyInstance, ConnectionTracker>();

/**
 * Replaces the listener's certificate, key and CA (a reload): new handshakes use them; open
 * connections keep theirs and are not dropped. Throws (and changes nothing) when Node cannot use them.
 */
export function setCertificates(app: FastifyInstance, material: TlsMaterial): void {
  (app.server as unknown as TlsServer).setSecureContext(material);
}

/**
 * Stops taking connections and closes the server without waiting on any client (connections.ts):
 * idle and request-less connections at once, the requests in hand given until `deadlineMs`.
 */
export async function closeServer(app: FastifyInstance, deadlineMs: number): Promise<DrainResult> {
  const tracker = connectionsOf.get(app);
  if (!tracker) throw new Error("closeServer: not a server made by createServer");
  const [, drained] = await Promise.all([app.close(), tracker.drain(deadlineMs)]);
  return drained;
}

/** The error as the contract's AgentwatchError, logged as a failed request when it is the server's fault. */
export function logFailure(request: FastifyRequest, error: unknown): AgentwatchError {
  const failure = toAgentwatchError(error);
  if (failure.code === "notReady") {
    // Expected while starting: the client is told to retry; /readyz is the signal to watch.
  } else if (
    failure.status >= 500 &&
    failure.code !== "logUnavailable" &&
    failure.code !== "storageUnavailable"
  ) {
    request.log.error({ err: error, url: request.url }, "request failed");
  } else if (failure.status >= 500) {
    request.log.warn({ err: error, url: request.url }, "request refused: a backend is unavailable");
  }
  return failure;
}

export function sendError(reply: FastifyReply, error: AgentwatchError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  if (error.code === "unauthorized") reply.header("www-authenticate", 'Bearer realm="agentwatch"');
  return reply.code(error.status).send(error.toBody());
}

function toAgentwatchError(error: unknown): AgentwatchError {
  if (error instanceof AgentwatchError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new AgentwatchError("payloadTooLarge", "the body is larger than the server's limit", {
        cause: error,
      });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new AgentwatchError(
        "unsupportedMediaType",
        `Content-Type must be application/json or application/x-ndjson`,
        { cause: error },
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new AgentwatchError("invalidRequest", "the body is empty", { cause: error });
    default:
      if (e.statusCode === 413)
        return new AgentwatchError("payloadTooLarge", e.message ?? "too large", { cause: error });
      if (e.statusCode === 415)
        return new AgentwatchError("unsupportedMediaType", e.message ?? "unsupported media type", {
          cause: error,
        });
      if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
        return new AgentwatchError("invalidRequest", e.message ?? "bad request", { cause: error });
      }
      return asAgentwatchError(error);
  }
}

function describe(permission: Permission): string {
  switch (permission) {
    case "ingest":
      return "an ingest or admin token";
    case "read":
    case "readAgent":
    case "probe":
      return "a viewer, operator or admin token";
    case "operate":
      return "an operator or admin token";
    case "admin":
      return "an admin token";
  }
}

/** Parses a query string or body with a schema; every problem is listed in one 400. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.code === "unrecognized_keys"
      ? `${issue.keys.join(", ")}: unknown ${issue.keys.length === 1 ? "parameter" : "parameters"}`
      : `${formatPath(issue.path)}: ${describeIssue(issue, input ?? {})}`,
  );
  throw new AgentwatchError("invalidRequest", `invalid ${what}: ${problems.join("; ")}`);
}

/** The principal of an authenticated route (set by the onRequest hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AgentwatchError("unauthorized", "not authenticated");
  return request.principal;
}

/** Query-string helpers shared by the read APIs. */
export const queryParams = {
  time: z
    .string()
    .transform((value, ctx) => {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: "custom", message: "must be an RFC 3339 time or epoch milliseconds" });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  limit: (max: number, fallback: number) =>
    z.coerce.number().int().min(1).max(max, `must be at most ${max}`).default(fallback),
};
