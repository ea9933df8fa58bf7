/** Investigation API (contract §4): GET /v1/events and GET /v1/audit; and an incident's blast radius. */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { duration } from "../../lib/settings.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Signer } from "../runtime/integrity.ts";
import { AUDIT_ACTIONS, type AuditEntry, EVENT_TYPES } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput, queryParams } from "../server.ts";
import { blastRadius } from "./blast-radius.ts";
import { evidenceBundle } from "./evidence.ts";
import { verifyChains } from "./verify.ts";

const eventQuery = z.strictObject({
  agent_id: z.string().min(1).optional(),
  session_id: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  type: z.enum(EVENT_TYPES).optional(),
  from: queryParams.time,
  to: queryParams.time,
  // Words to find: control characters (NUL and the like) are no words, and the search engines
  // took them as broken queries (answered as an outage); a person gets a 400 instead.
  q: z
    .string()
    .max(1000)
    .refine((q) => !hasControlCharacters(q), "must not contain control characters")
    .optional(),
  limit: queryParams.limit(1000, 100),
  cursor: z.string().min(1).optional(),
});

const blastQuery = z.strictObject({
  /** How long before the incident started to look (the attack's preparation): default 1h, at most 7d. */
  lookback: duration.default(3_600_000).refine((ms) => ms <= 7 * 86_400_000, "must be at most 7d"),
});

const verifyQuery = z
  .strictObject({ from: queryParams.time, to: queryParams.time })
  .refine((r) => r.from === undefined || r.to === undefined || r.from < r.to, "from must be before to");

const auditQuery = z.strictObject({
  from: queryParams.time,
  to: queryParams.time,
  actor: z.string().min(1).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  limit: queryParams.limit(1000, 100),
});

export function registerInvestigationRoutes(app: FastifyInstance, storage: Storage, signer: Signer): void {
  app.get("/v1/integrity/public-key", { config: { permission: "read" } }, async () => ({
    key_id: signer.keyId,
    algorithm: "Ed25519",
    public_key: signer.publicKeyPem,
  }));

  // Recomputes the events' hash chains from storage (verify.ts): 200 with the report either way.
  // `from` and `to` (RFC 3339 or epoch ms, on arrival): check the chains over that range only.
  app.get("/v1/integrity/verify", { config: { permission: "read" } }, async (request) => {
    const range = parseInput(verifyQuery, request.query ?? {}, "query");
    return verifyChains(storage, signer.publicKeyPem, {
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to } : {}),
    });
  });

  // The incident's evidence, one signed NDJSON bundle (evidence.ts); `agentwatch verify --bundle` checks it.
  app.get<{ Params: { id: string } }>(
    "/v1/incidents/:id/evidence",
    { config: { permission: "read" } },
    async (request, reply) => {
      const query = parseInput(blastQuery, request.query ?? {}, "query");
      const stored = await storage.getIncident(request.params.id);
      if (!stored) throw new AgentwatchError("notFound", `incident ${request.params.id} does not exist`);
      const lines = evidenceBundle(storage, stored.incident, {
        lookbackMs: query.lookback,
        now: Date.now(),
        signer,
      });
      const body = Readable.from(
        (async function* () {
          for await (const line of lines) yield `${line}\n`;
        })(),
      );
      return reply
        .type("application/x-ndjson")
        .header("content-disposition", `attachment; filename="evidence-${stored.incident.id}.ndjson"`)
        .send(body);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/incidents/:id/blast-radius",
    { config: { permission: "read" } },
    async (request) => {
      const query = parseInput(blastQuery, request.query ?? {}, "query");
      const stored = await storage.getIncident(request.params.id);
      if (!stored) throw new AgentwatchError("notFound", `incident ${request.params.id} does not exist`);
      return blastRadius(storage, stored.incident, { lookbackMs: query.lookback, now: Date.now() });
    },
  );

  app.get("/v1/events", { config: { permission: "read" } }, async (request) => {
    const query = parseInput(eventQuery, request.query, "query");
    const page = await storage.queryEvents(query);
    return {
      events: page.events.map((e) => ({ ...e.event, received_at: e.received_at })),
      next_cursor: page.next_cursor,
    };
  });

  app.get("/v1/audit", { config: { permission: "read" } }, async (request) => {
    const query = parseInput(auditQuery, request.query, "query");
    // `ack` is the one name (the endpoint's, the contract's); entries stored before it was are
    // `acknowledge`: both are found by either, and shown as `ack`.
    if (query.action === "ack" || query.action === "acknowledge") {
      const found = [
        ...(await storage.queryAudit({ ...query, action: "ack" })),
        ...(await storage.queryAudit({ ...query, action: "acknowledge" })),
      ].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
      return { entries: found.slice(0, query.limit).map(asAck) };
    }
    return { entries: (await storage.queryAudit(query)).map(asAck) };
  });
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function asAck(entry: AuditEntry): AuditEntry {
  return entry.action === "acknowledge" ? { ...entry, action: "ack" } : entry;
}
