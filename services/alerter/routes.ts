/** Incident API (contract §4). */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput, principalOf, queryParams } from "../server.ts";
import type { Alerter } from "./alerter.ts";

const listQuery = z.strictObject({
  status: z.enum(["open", "acknowledged", "resolved"]).optional(),
  agent_id: z.string().min(1).optional(),
  limit: queryParams.limit(1000, 100),
});

const actionBody = z.strictObject({ comment: z.string().max(4096).optional() });

export function registerIncidentRoutes(app: FastifyInstance, storage: Storage, alerter: Alerter): void {
  app.get("/v1/incidents", { config: { permission: "read" } }, async (request) => {
    const query = parseInput(listQuery, request.query, "query");
    return { incidents: (await storage.listIncidents(query)).map((s) => s.incident) };
  });

  app.get<{ Params: { id: string } }>(
    "/v1/incidents/:id",
    { config: { permission: "read" } },
    async (request) => {
      const stored = await storage.getIncident(request.params.id);
      if (!stored) throw new AgentwatchError("notFound", `incident ${request.params.id} does not exist`);
      return stored.incident;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/incidents/:id/ack",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(actionBody, request.body, "body");
      return alerter.acknowledge(request.params.id, principalOf(request).name, body.comment ?? null);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/incidents/:id/resolve",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(actionBody, request.body, "body");
      return alerter.resolve(request.params.id, principalOf(request).name, body.comment ?? null);
    },
  );
}
