/**
 * The kill switch for the alert tools people already run: `POST /v1/hooks/{name}` (config
 * `hooks`) takes Alertmanager's webhook payload (version 4; Grafana's webhook contact point sends
 * the same shape) and, for each firing alert, pauses (or resumes, or acknowledges the open
 * incidents of) the agent its `agent_label` label names, with the alert as the reason and the
 * agent's newest active incident when it has one. A resolved alert resumes the agent only when
 * the hook says `resume_on_resolved` (resuming is a person's decision by default).
 *
 * Authenticated by the hook's own bearer token or HMAC signature, not by agentwatch's API
 * tokens (Alertmanager and Grafana send what they are configured with). Every action is in the
 * audit trail as `hook:<name>`. A refused call changes nothing.
 */

import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Alerter } from "../alerter/alerter.ts";
import type { HookConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../runtime/signing.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { parseInput } from "../server.ts";
import type { KillSwitch } from "./kill-switch.ts";

const AGENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const alertSchema = z.looseObject({
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** Alertmanager's webhook payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const payloadSchema = z.looseObject({
  version: z.string().optional(),
  receiver: z.string().optional(),
  status: z.string().optional(),
  alerts: z.array(alertSchema).max(1000),
  externalURL: z.string().optional(),
});

export interface HookAnswer {
  paused: string[];
  resumed: string[];
  acknowledged: string[];
  /** Alerts not acted on, and why. */
  skipped: { alert: string; reason: string }[];
}

export interface HookOptions {
  hooks: readonly HookConfig[];
  killSwitch: KillSwitch;
  alerter: Pick<Alerter, "actions">;
  storage: Storage;
  metrics: Metrics;
}

export function registerHookRoutes(app: FastifyInstance, options: HookOptions): void {
  const hooks = new Map(options.hooks.map((h) => [h.name, h]));
  app.post<{ Params: { name: string } }>("/v1/hooks/:name", async (request) => {
    const hook = hooks.get(request.params.name);
    if (!hook) throw new AgentwatchError("notFound", `no hook named ${request.params.name} is configured`);
    if (!authentic(hook, request)) {
      options.metrics.authFailures.inc({ reason: "hook" });
      throw new AgentwatchError(
        "unauthorized",
        hook.token
          ? `hook ${hook.name}: send its token as Authorization: Bearer <token>`
          : `hook ${hook.name}: sign the body (${SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of "<${TIMESTAMP_HEADER}>.<body>">, a timestamp within 5 minutes)`,
      );
    }
    const payload = parseInput(payloadSchema, request.body, "body");
    const actor = `hook:${hook.name}`;
    const answer: HookAnswer = { paused: [], resumed: [], acknowledged: [], skipped: [] };
    const active = await options.storage.listActiveIncidents();
    for (const alert of payload.alerts) {
      const name = alert.labels.alertname ?? "alert";
      const agent = alert.labels[hook.agent_label];
      if (agent === undefined || !AGENT_ID.test(agent)) {
        answer.skipped.push({
          alert: name,
          reason:
            agent === undefined ? `no ${hook.agent_label} label` : `${hook.agent_label} is not an agent id`,
        });
        continue;
      }
      const summary = alert.annotations?.summary ?? alert.annotations?.description ?? "";
      const reason =
        `${payload.receiver ?? hook.name} alert ${name} ${alert.status}${summary ? `: ${summary}` : ""}`.slice(
          0,
          4096,
        );
      const incidents = active
        .filter((a) => a.incident.agent_id === agent)
        .sort((a, b) => (a.incident.started_at < b.incident.started_at ? 1 : -1));
      const incidentId = incidents[0]?.incident.id ?? null;
      if (alert.status === "resolved") {
        if (hook.action === "pause" && hook.resume_on_resolved) {
          await options.killSwitch.resume(agent, { actor, reason, incidentId });
          answer.resumed.push(agent);
        } else
          answer.skipped.push({ alert: name, reason: "resolved (the hook does not act on resolved alerts)" });
        continue;
      }
      if (hook.action === "pause") {
        await options.killSwitch.pause(agent, { actor, reason, incidentId });
        answer.paused.push(agent);
      } else if (hook.action === "resume") {
        await options.killSwitch.resume(agent, { actor, reason, incidentId });
        answer.resumed.push(agent);
      } else {
        for (const { incident } of incidents) {
          if (incident.status !== "open") continue;
          await options.alerter.actions.acknowledge(incident.id, actor, reason);
          answer.acknowledged.push(incident.id);
        }
      }
    }
    return answer;
  });
}

function authentic(hook: HookConfig, request: FastifyRequest): boolean {
  if (hook.token) {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    const expected = Buffer.from(hook.token.reveal());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return verifySignature({
    secret: (hook.secret as NonNullable<HookConfig["secret"]>).reveal(),
    timestamp: single(request.headers[TIMESTAMP_HEADER]),
    signature: single(request.headers[SIGNATURE_HEADER]),
    body: (request as { rawBody?: string }).rawBody ?? "",
  });
}
