/**
 * The collector role: POST /v1/events (contract §2). Parses the body (object, array, NDJSON),
 * validates each event, checks the token may post for its agent, applies the per-token rate
 * limit, and appends the valid events to the bus. It answers 202 only after the bus said the
 * events are durable; when the bus cannot take them, 503 with Retry-After and nothing accepted.
 * An id its agent used before is a duplicate with the same content, and kept under a new id with
 * other content (runtime/reused-ids.ts).
 */
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { mayActForAgent, type Principal } from "../runtime/auth.ts";
import type { Bus } from "../runtime/bus/bus.ts";
import type { Config } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { AgentEvent, IngestedEvent } from "../runtime/model.ts";
import { type Appended, appendEvents, eventHash } from "../runtime/reused-ids.ts";
import { NDJSON_TYPES, principalOf } from "../server.ts";
import { type BodyItem, bodyItems } from "./body.ts";
import { EventValidator } from "./event-schema.ts";
import { readNdjson } from "./ndjson.ts";
import { RateLimiter } from "./rate-limit.ts";

export interface Rejection {
  index: number;
  id?: string;
  error: string;
}

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  /** Events kept under another id because theirs was used before for other content (contract §2). */
  conflicts: { index: number; id: string }[];
  rejected: Rejection[];
}

export interface CollectorOptions {
  bus: Bus;
  limits: Config["limits"];
  metrics: Metrics;
  now?: () => number;
  /** The delivered pause an agent is under (control/pause-book.ts): its events are marked. */
  pauseOf?: (agentId: string) => { since: string; delivered_at: string } | undefined;
}

/** How ingest treats the items of one request; the defaults are POST /v1/events'. */
export interface IngestOptions {
  /**
   * The content hash an event is deduplicated by (runtime/reused-ids.ts); eventHash by default.
   * OTLP gives the messages a chat call re-sends each turn one without the turn's time, so a
   * message seen before is a duplicate, not a conflict (services/otlp/mapping.ts).
   */
  hashOf?: (event: AgentEvent, index: number) => string | undefined;
}

/** What validates, rate-limits and durably appends events: one path for every way in. */
export interface Ingest {
  /** Refuses a token whose bucket is empty before its body is read (a fastify preParsing hook). */
  refuseWhenEmpty(request: FastifyRequest): Promise<void>;
  /** Charges a token for work done on a request refused anyway. */
  spend(tokenName: string, cost: number): void;
  /**
   * Charges, validates, checks each event's agent against the token, and appends the valid ones;
   * resolves once they are durable. Throws 400/403 when no event is valid, 429, 503.
   */
  ingest(principal: Principal, items: readonly BodyItem[], options?: IngestOptions): Promise<IngestAnswer>;
}

export function createIngest(options: CollectorOptions): Ingest {
  const { bus, limits, metrics } = options;
  const now = options.now ?? Date.now;
  const validator = new EventValidator({
    maxTextBytes: limits.max_text_bytes,
    maxAttributesBytes: limits.max_attributes_bytes,
    maxToolArgumentsBytes: limits.max_tool_arguments_bytes,
    maxEventBytes: limits.max_event_bytes,
    maxJsonDepth: limits.max_json_depth,
    maxAheadMs: limits.max_event_time_ahead,
    maxBehindMs: limits.max_event_time_behind,
  });
  const limiter = new RateLimiter(limits.events_per_second, limits.burst_events);
  const overRate = (tokenName: string, retryAfterSeconds: number) =>
    new AgentwatchError(
      "rateLimited",
      `token "${tokenName}" is over its rate of ${limits.events_per_second} events/s; retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );

  const ingest = async (
    principal: Principal,
    items: readonly BodyItem[],
    ingestOptions: IngestOptions = {},
  ): Promise<IngestAnswer> => {
    // Every event in the body is charged, valid or not, before any is validated: validation is
    // the work a flood of invalid events would otherwise get for free.
    const allowance = limiter.take(principal.name, items.length, now());
    if (!allowance.allowed) throw overRate(principal.name, allowance.retryAfterSeconds);

    const rejected: Rejection[] = [];
    const valid: { index: number; event: AgentEvent }[] = [];
    let forbidden = 0;
    const arrival = now();
    items.forEach((item, index) => {
      if (!item.ok) {
        rejected.push({ index, error: item.error });
        return;
      }
      const id = idOf(item.value);
      const result = validator.validate(item.value, arrival);
      if (!result.ok) {
        rejected.push({ index, ...(id ? { id } : {}), error: result.error });
      } else if (!mayActForAgent(principal, result.event.agent_id)) {
        forbidden += 1;
        rejected.push({
          index,
          id: result.event.id,
          error: `agent_id: token "${principal.name}" may not post events for agent ${result.event.agent_id}`,
        });
      } else {
        valid.push({ index, event: result.event });
      }
    });

    if (valid.length === 0) {
      metrics.ingestEvents.inc({ outcome: "rejected" }, rejected.length);
      if (forbidden > 0 && forbidden === rejected.length) {
        throw new AgentwatchError(
          "forbidden",
          `token "${principal.name}" may not post events for these agents`,
          {
            details: { rejected },
          },
        );
      }
      throw new AgentwatchError("noValidEvents", "no event in the body is valid; see details.rejected", {
        details: { rejected },
      });
    }

    const receivedAt = new Date(now()).toISOString();
    let results: Appended[];
    try {
      // An id used before with the same content is a retry (a duplicate); with other content the
      // event is kept under a new id and named in `conflicts` (runtime/reused-ids.ts).
      results = await appendEvents(
        bus,
        valid.map(
          ({ event, index }): IngestedEvent => ({
            event,
            received_at: receivedAt,
            token: principal.name,
            event_hash: ingestOptions.hashOf?.(event, index) ?? eventHash(event),
            ...withPause(options.pauseOf?.(event.agent_id)),
          }),
        ),
      );
    } catch (err) {
      const cause = err instanceof AgentwatchError ? err.message : String(err);
      throw new AgentwatchError(
        "logUnavailable",
        `the event log cannot take writes now (${cause}); retry later`,
        {
          retryAfterSeconds: 1,
          cause: err,
        },
      );
    }
    const duplicates = results.filter((r) => !r.appended).length;
    // Every event kept under another id than it was sent with, new or a retry of one: the client
    // learns where its event went each time it asks.
    const conflicts = results.flatMap((r, i) =>
      r.renamed ? [{ index: (valid[i] as { index: number }).index, id: r.id }] : [],
    );
    const answer: IngestAnswer = { accepted: valid.length - duplicates, duplicates, conflicts, rejected };
    metrics.ingestEvents.inc({ outcome: "accepted" }, answer.accepted);
    if (duplicates > 0) metrics.ingestEvents.inc({ outcome: "duplicate" }, duplicates);
    const newConflicts = results.filter((r) => r.renamed && r.appended).length;
    if (newConflicts > 0) metrics.eventIdConflicts.inc({ found_by: "collector" }, newConflicts);
    if (rejected.length > 0) metrics.ingestEvents.inc({ outcome: "rejected" }, rejected.length);
    return answer;
  };

  return {
    // A token whose bucket is empty is refused before its body is read (and its connection
    // closed, server.ts): a flood costs the reading and parsing of nothing.
    refuseWhenEmpty: async (request) => {
      const waitSeconds = limiter.emptyFor(principalOf(request).name, now());
      if (waitSeconds !== undefined) throw overRate(principalOf(request).name, waitSeconds);
    },
    spend: (tokenName, cost) => limiter.spend(tokenName, cost, now()),
    ingest,
  };
}

export function registerCollector(app: FastifyInstance, options: CollectorOptions): Ingest {
  const { limits, metrics } = options;
  const ingestPath = createIngest(options);
  const { ingest } = ingestPath;

  app.addContentTypeParser(NDJSON_TYPES, async (request: FastifyRequest, payload: Readable) => {
    const declared = Number(request.headers["content-length"]);
    try {
      return await readNdjson(payload, Number.isFinite(declared) ? declared : undefined, {
        maxBodyBytes: limits.max_body_bytes,
        maxEvents: limits.max_events_per_request,
        maxLineBytes: limits.max_event_bytes,
      });
    } catch (err) {
      // The events read before the refusal were parsed: they cost the token as any others.
      if (err instanceof AgentwatchError && err.code === "tooManyEvents") {
        ingestPath.spend(principalOf(request).name, limits.max_events_per_request);
      }
      throw err;
    }
  });

  app.addHook("onResponse", async (request, reply) => {
    if (request.routeOptions.url === "/v1/events" && request.method === "POST") {
      metrics.ingestRequests.inc({ status: String(reply.statusCode) });
    }
  });

  const route = { config: { permission: "ingest" as const }, preParsing: ingestPath.refuseWhenEmpty };
  app.post("/v1/events", route, async (request, reply) => {
    const principal = principalOf(request);
    let items: ReturnType<typeof bodyItems>;
    try {
      items = bodyItems(request.body, limits.max_events_per_request);
    } catch (err) {
      // A refused array was parsed whole: it costs the token as many events as a full request.
      if (err instanceof AgentwatchError && err.code === "tooManyEvents") {
        ingestPath.spend(principal.name, limits.max_events_per_request);
      }
      throw err;
    }

    return reply.code(202).send(await ingest(principal, items));
  });
  return ingestPath;
}

function idOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === "string" && id.length <= 128 ? id : undefined;
}

function withPause(
  pause: { since: string; delivered_at: string } | undefined,
): Pick<IngestedEvent, "while_paused"> {
  return pause ? { while_paused: pause } : {};
}
