/** Kill-switch API (contract §3). */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AGENT_ID_PATTERN } from "../../lib/events.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput, principalOf } from "../server.ts";
import type { KillSwitch } from "./kill-switch.ts";

const pauseBody = z.strictObject({
  reason: z
    .string({ error: "required: say why the agent is paused (it goes to the audit trail)" })
    .trim()
    .min(1, "required: say why the agent is paused (it goes to the audit trail)")
    .max(4096),
  incident_id: z.string().min(1).optional(),
});
const resumeBody = z.strictObject({
  reason: z.string().trim().max(4096).optional(),
  incident_id: z.string().min(1).optional(),
});

export function registerAgentRoutes(app: FastifyInstance, storage: Storage, killSwitch: KillSwitch): void {
  app.get("/v1/agents", { config: { permission: "read" } }, async () => {
    const [agents, active] = await Promise.all([killSwitch.list(), storage.listActiveIncidents()]);
    const open = new Map<string, number>();
    for (const { incident } of active) open.set(incident.agent_id, (open.get(incident.agent_id) ?? 0) + 1);
    return { agents: agents.map((a) => ({ ...a, open_incidents: open.get(a.agent_id) ?? 0 })) };
  });

  app.get<{ Params: { agent_id: string } }>(
    "/v1/agents/:agent_id",
    { config: { permission: "readAgent" } },
    async (request) => {
      const agentId = validAgentId(request.params.agent_id);
      const view = await killSwitch.get(agentId);
      if (!view) throw new AgentwatchError("notFound", `agent ${agentId} is not known`);
      return view;
    },
  );

  app.post<{ Params: { agent_id: string } }>(
    "/v1/agents/:agent_id/pause",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(pauseBody, request.body, "body");
      await requireIncident(storage, body.incident_id);
      return killSwitch.pause(validAgentId(request.params.agent_id), {
        actor: principalOf(request).name,
        reason: body.reason,
        incidentId: body.incident_id ?? null,
      });
    },
  );

  app.post<{ Params: { agent_id: string } }>(
    "/v1/agents/:agent_id/resume",
    { config: { permission: "operate" } },
    async (request) => {
      const body = parseInput(resumeBody, request.body, "body");
      await requireIncident(storage, body.incident_id);
      return killSwitch.resume(validAgentId(request.params.agent_id), {
        actor: principalOf(request).name,
        reason: body.reason || null,
        incidentId: body.incident_id ?? null,
      });
    },
  );
}

/**
 * An agent id from a path, as the contract allows it: every valid id reaches its agent (up to 128
 * characters, server.ts), anything else is a 400 that says why rather than a pause of nothing.
 */
function validAgentId(agentId: string): string {
  if (AGENT_ID_PATTERN.test(agentId)) return agentId;
  throw new AgentwatchError(
    "invalidRequest",
    `agent id ${JSON.stringify(agentId.length > 140 ? `${agentId.slice(0, 128)}...` : agentId)} (${agentId.length} characters) is not valid: agent ids match [A-Za-z0-9._:-]{1,128}`,
  );
}

async function requireIncident(storage: Storage, id: string | undefined): Promise<void> {
  if (id !== undefined && !(await storage.getIncident(id))) {
    throw new AgentwatchError("invalidRequest", `incident_id: incident ${id} does not exist`);
  }
}
