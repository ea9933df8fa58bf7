/** Incident API (contract §4) and silences. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseDuration } from "../../lib/duration.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import { matcherSchema, matchesEverything } from "../runtime/matchers.ts";
import type { Silence, StoredIncident } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput, principalOf, queryParams } from "../server.ts";
import type { Alerter } from "./alerter.ts";
import type { HoldKeeper } from "./holds.ts";
import { silenceState } from "./silences.ts";

const listQuery = z.strictObject({
  status: z.enum(["open", "acknowledged", "resolved"]).optional(),
  agent_id: z.string().min(1).optional(),
  limit: queryParams.limit(1000, 100),
});

const actionBody = z.strictObject({ comment: z.string().max(4096).optional() });
const falsePositiveBody = z.strictObject({
  comment: z.string().max(4096).optional(),
  /** Only these findings (ids from the incident's `findings`); all of them when absent. */
  finding_ids: z.array(z.string().min(1).max(256)).min(1).max(1000).optional(),
});

export function registerIncidentRoutes(app: FastifyInstance, storage: Storage, alerter: Alerter): void {
  /** An active incident also says what holds back its notifications (why on-call was not paged). */
  const view = ({ incident }: StoredIncident) =>
    incident.status === "resolved"
      ? incident
      : {
          ...incident,
          silenced_by: alerter.silencedBy(incident),
          inhibited_by: alerter.inhibitedBy(incident),
        };

  app.get("/v1/incidents", { config: { permission: "read" } }, async (request) => {
    const query = parseInput(listQuery, request.query, "query");
    return { incidents: (await storage.listIncidents(query)).map(view) };
  });

  app.get<{ Params: { id: string } }>(
    "/v1/incidents/:id",
    { config: { permission: "read" } },
    async (request) => {
      const stored = await storage.getIncident(request.params.id);
      if (!stored) throw new AgentwatchError("notFound", `incident ${request.params.id} does not exist`);
      return view(stored);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/incidents/:id/ack",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(actionBody, request.body, "body");
      return alerter.actions.acknowledge(request.params.id, principalOf(request).name, body.comment ?? null);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/incidents/:id/false-positive",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(falsePositiveBody, request.body ?? {}, "body");
      return alerter.actions.markFalsePositive(
        request.params.id,
        principalOf(request).name,
        body.comment ?? null,
        body.finding_ids,
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/incidents/:id/resolve",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(actionBody, request.body, "body");
      return alerter.actions.resolve(request.params.id, principalOf(request).name, body.comment ?? null);
    },
  );
}

const rfc3339 = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 time" })
  .transform((t) => Date.parse(t));

const silenceBody = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1).max(32),
    starts_at: rfc3339.optional(),
    ends_at: rfc3339.optional(),
    /** Instead of ends_at: how long from starts_at (e.g. "2h"). */
    duration: z
      .string()
      .transform((value, ctx) => {
        const ms = parseDuration(value);
        if (ms === undefined || ms <= 0) {
          ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (examples: 30m, 2h, 1d)` });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
    comment: z.string().trim().min(1, "say why (who is working on what)").max(4096),
  })
  .superRefine((body, ctx) => {
    if ((body.ends_at === undefined) === (body.duration === undefined)) {
      ctx.addIssue({ code: "custom", path: ["ends_at"], message: "give either ends_at or duration" });
    }
    // As Alertmanager: a silence every incident would match (all matchers hold for empty labels)
    // is almost always a mistake, and would hide everything.
    if (matchesEverything(body.matchers)) {
      ctx.addIssue({
        code: "custom",
        path: ["matchers"],
        message:
          "at least one matcher must need a non-empty label value (this silence would hold back every incident)",
      });
    }
  });

const silenceQuery = z.strictObject({ state: z.enum(["active", "pending", "expired"]).optional() });

/** Silences (an extension of the contract: §1 lets operators manage them; the audit trail records them). */
export function registerSilenceRoutes(app: FastifyInstance, storage: Storage, alerter: Alerter): void {
  const withState = (silence: Silence) => ({ ...silence, state: silenceState(silence, Date.now()) });

  app.post("/v1/silences", { config: { permission: "operate" } }, async (request, reply) => {
    const body = parseInput(silenceBody, request.body, "body");
    const startsAt = body.starts_at ?? Date.now();
    const silence = await alerter.actions.createSilence(
      {
        matchers: body.matchers,
        startsAt,
        endsAt: body.ends_at ?? startsAt + (body.duration as number),
        comment: body.comment,
      },
      principalOf(request).name,
    );
    return reply.code(201).send(withState(silence));
  });

  app.get("/v1/silences", { config: { permission: "read" } }, async (request) => {
    const query = parseInput(silenceQuery, request.query, "query");
    const silences = (await storage.listSilences()).map(withState);
    return { silences: query.state ? silences.filter((s) => s.state === query.state) : silences };
  });

  app.get<{ Params: { id: string } }>(
    "/v1/silences/:id",
    { config: { permission: "read" } },
    async (request) => {
      const silence = await storage.getSilence(request.params.id);
      if (!silence) throw new AgentwatchError("notFound", `silence ${request.params.id} does not exist`);
      return withState(silence);
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/silences/:id",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(actionBody, request.body, "body");
      return withState(
        await alerter.actions.expireSilence(
          request.params.id,
          principalOf(request).name,
          body.comment ?? null,
        ),
      );
    },
  );
}

/** Evidence holds (holds.ts): list them; an admin releases one. */
export function registerHoldRoutes(app: FastifyInstance, storage: Storage, holds: HoldKeeper): void {
  app.get("/v1/holds", { config: { permission: "read" } }, async () => ({
    holds: await storage.listHolds(),
  }));
  app.post<{ Params: { id: string } }>(
    "/v1/holds/:id/release",
    { config: { permission: "admin" } },
    async (request) => {
      const body = parseInput(actionBody, request.body ?? {}, "body");
      return holds.release(request.params.id, principalOf(request).name, body.comment ?? null);
    },
  );
}
