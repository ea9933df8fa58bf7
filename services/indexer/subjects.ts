/**
 * Data subject requests (GDPR articles 15 and 17, PIPEDA's access and erasure):
 *
 * - `GET /v1/subjects/{user_id}/export` (admin): everything stored about a person, as NDJSON: a
 *   header, their events and the events of their sessions, the incidents whose labels name them,
 *   and a summary line with the counts.
 * - `DELETE /v1/subjects/{user_id}` (admin, `{"reason"}`): erases their content and identifiers
 *   from those events on either backend (storage/erasure.ts); each erased event says when and by
 *   whom. Incidents are security records and keep the label that names the user: the answer lists
 *   them. Events under an evidence hold (alerter/holds.ts) are not erased: the answer lists them
 *   in `held`, with the hold.
 *
 * Both are audited (`subject_export`, `subject_erase`) with their counts, never the data.
 */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuditEntry, IngestedEvent } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput, principalOf } from "../server.ts";

const PAGE = 1000;
/** Events exported at most per request; past it the summary says `truncated`. */
const MAX_EVENTS = 100_000;
const userId = z.string().min(1).max(256);
const eraseBody = z.strictObject({ reason: z.string().min(1).max(4096).optional() }).default({});

export interface SubjectRouteOptions {
  storage: Storage;
  audit(entry: Omit<AuditEntry, "id" | "time">): Promise<void>;
}

export function registerSubjectRoutes(app: FastifyInstance, options: SubjectRouteOptions): void {
  const { storage } = options;

  app.get<{ Params: { user_id: string } }>(
    "/v1/subjects/:user_id/export",
    { config: { permission: "admin" } },
    async (request, reply) => {
      const user = parseInput(userId, request.params.user_id, "user_id");
      const actor = principalOf(request).name;
      const lines = async function* (): AsyncGenerator<string> {
        yield `${JSON.stringify({ kind: "header", user_id: user, created_at: new Date().toISOString() })}\n`;
        const sessions = new Set<string>();
        let events = 0;
        let truncated = false;
        const seen = new Set<string>();
        const emit = (stored: IngestedEvent) => {
          const key = `${stored.event.agent_id}/${stored.event.id}`;
          if (seen.has(key)) return undefined;
          seen.add(key);
          events += 1;
          return `${JSON.stringify({ kind: "event", record: { ...stored.event, received_at: stored.received_at } })}\n`;
        };
        for await (const stored of scan(storage, { user_id: user })) {
          if (stored.event.session_id)
            sessions.add(`${stored.event.agent_id}\u0000${stored.event.session_id}`);
          const line = emit(stored);
          if (line) yield line;
          if (events >= MAX_EVENTS) {
            truncated = true;
            break;
          }
        }
        for (const key of truncated ? [] : sessions) {
          const [agent_id, session_id] = key.split("\u0000") as [string, string];
          for await (const stored of scan(storage, { agent_id, session_id })) {
            if (stored.event.user_id !== undefined && stored.event.user_id !== user) continue;
            const line = emit(stored);
            if (line) yield line;
          }
        }
        const incidents = (await storage.listIncidents({ limit: 10_000 })).filter(
          (s) => s.incident.labels.user_id === user,
        );
        for (const { incident } of incidents)
          yield `${JSON.stringify({ kind: "incident", record: incident })}\n`;
        yield `${JSON.stringify({ kind: "summary", events, sessions: sessions.size, incidents: incidents.length, truncated })}\n`;
        await options.audit({
          actor,
          action: "subject_export",
          target: `subject:${user}`,
          reason: null,
          incident_id: null,
          details: { events, sessions: sessions.size, incidents: incidents.length, truncated },
        });
      };
      return reply
        .type("application/x-ndjson")
        .header("content-disposition", `attachment; filename="subject-export.ndjson"`)
        .send(Readable.from(lines()));
    },
  );

  app.delete<{ Params: { user_id: string } }>(
    "/v1/subjects/:user_id",
    { config: { permission: "admin" } },
    async (request) => {
      const user = parseInput(userId, request.params.user_id, "user_id");
      const body = parseInput(eraseBody, request.body ?? {}, "body");
      const actor = principalOf(request).name;
      const at = new Date().toISOString();
      const erased = await storage.eraseSubject(user, { at, by: actor }, await storage.listHolds());
      const incidents = (await storage.listIncidents({ limit: 10_000 }))
        .filter((s) => s.incident.labels.user_id === user)
        .map((s) => s.incident.id);
      await options.audit({
        actor,
        action: "subject_erase",
        target: `subject:${user}`,
        reason: body.reason ?? null,
        incident_id: null,
        details: { events: erased.events, held: erased.held.length, incidents_kept: incidents.length },
      });
      return {
        user_id: user,
        erased_at: at,
        erased: { events: erased.events },
        held: erased.held,
        incidents_kept: incidents,
      };
    },
  );
}

async function* scan(
  storage: Storage,
  query: { user_id?: string; agent_id?: string; session_id?: string },
): AsyncGenerator<IngestedEvent> {
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.queryEvents({ ...query, limit: PAGE, ...(cursor ? { cursor } : {}) });
    yield* page.events;
    cursor = page.next_cursor ?? undefined;
    if (!cursor) return;
  }
}
