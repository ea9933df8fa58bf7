/**
 * `POST /v1/slack/interactions`: the clicks on the Slack app's buttons (notifiers/slack-app.ts).
 * Public, and authenticated only by Slack's request signature: `X-Slack-Signature` is checked
 * against the app's signing secret (constant time) and a timestamp older than 5 minutes is
 * refused, as is a signature already used (a replayed click). Slack wants an answer within 3
 * seconds: the endpoint answers 200 at once and does the work after.
 *
 * Who may do what: `slack.users` maps Slack user ids to agentwatch roles (operator or admin, who
 * may act); anyone else may only look, and a click of theirs gets an ephemeral message and
 * changes nothing. Each action is audited as `slack:<user id> (<name>)`; the incident's message
 * is then edited to show it (the alerter's updates), and a failure is told to the clicking user.
 */

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Alerter } from "../alerter/alerter.ts";
import { SLACK_ACTIONS, type SlackAction, type SlackAppNotifier } from "../alerter/notifiers/slack-app.ts";
import { oneLine } from "../alerter/notifiers/text.ts";
import { LogThrottle, REFUSAL_LOG_INTERVAL_MS } from "../log-throttle.ts";
import type { Config } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackSignature } from "../runtime/signing.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { KillSwitch } from "./kill-switch.ts";

const SILENCE_MS = 3_600_000;
/** Signatures seen within the timestamp window; more than this many clicks in 5 minutes is not on-call. */
const MAX_SEEN_SIGNATURES = 10_000;
const TOLERANCE_SECONDS = 300;

const buttonValue = z.strictObject({
  receiver: z.string().min(1).max(64),
  incident: z.string().min(1).max(128),
  agent: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
});

/** Slack's block_actions payload (https://api.slack.com/reference/interaction-payloads/block-actions), the parts used. */
const payloadSchema = z.looseObject({
  type: z.string(),
  user: z.looseObject({
    id: z.string().min(1).max(32),
    username: z.string().max(256).optional(),
    name: z.string().max(256).optional(),
  }),
  channel: z.looseObject({ id: z.string().min(1).max(64) }).optional(),
  container: z.looseObject({ channel_id: z.string().min(1).max(64).optional() }).optional(),
  actions: z
    .array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional() }))
    .max(25)
    .default([]),
});
type Payload = z.output<typeof payloadSchema>;

const ACTION_BY_ID = new Map<string, SlackAction>(
  Object.entries(SLACK_ACTIONS).map(([action, id]) => [id, action as SlackAction]),
);
const VERB: Record<SlackAction, string> = {
  ack: "acknowledge the incident",
  resolve: "resolve the incident",
  silence: "silence the incident",
  pause: "pause the agent",
  resume: "resume the agent",
};

export interface SlackInteractionOptions {
  slack: NonNullable<Config["slack"]>;
  /** The Slack app receivers by name (to answer the clicking user in their channel). */
  apps: ReadonlyMap<string, SlackAppNotifier>;
  alerter: Pick<Alerter, "actions">;
  killSwitch: KillSwitch;
  storage: Storage;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/** Registers the endpoint; `stop` waits for the clicks being handled. */
export function registerSlackInteractions(
  app: FastifyInstance,
  options: SlackInteractionOptions,
): { stop(): Promise<void> } {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: "slack-interactions" });
  const seen = new Map<string, number>();
  const working = new Set<Promise<void>>();
  const refusalLog = new LogThrottle(REFUSAL_LOG_INTERVAL_MS);

  app.post("/v1/slack/interactions", async (request, reply) => {
    const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
    const signature = single(request.headers[SLACK_SIGNATURE_HEADER]);
    const authentic = verifySlackSignature({
      secret: options.slack.signing_secret.reveal(),
      timestamp: single(request.headers[SLACK_TIMESTAMP_HEADER]),
      signature,
      body: (request as { rawBody?: string }).rawBody ?? "",
      nowMs: now(),
      toleranceSeconds: TOLERANCE_SECONDS,
    });
    if (!authentic || replayed(seen, signature as string, now())) {
      options.metrics.authFailures.inc({ reason: "slack" });
      // Anyone can post here: at most one line every few seconds, the metric counts each.
      const admitted = refusalLog.admit("slack");
      if (admitted) {
        logger.warn(
          { ip: request.ip, replay: authentic, suppressed: admitted.suppressed },
          "Slack interaction refused: bad, stale or replayed signature",
        );
      }
      throw new AgentwatchError(
        "unauthorized",
        `not signed by Slack: ${SLACK_SIGNATURE_HEADER} must be v0=<HMAC-SHA256 of "v0:<${SLACK_TIMESTAMP_HEADER}>:<body>"> with the signing secret, from the last 5 minutes, used once`,
      );
    }
    const form = (request.body ?? {}) as Record<string, unknown>;
    let payload: Payload;
    try {
      payload = payloadSchema.parse(JSON.parse(String(form.payload ?? "")));
    } catch {
      throw new AgentwatchError(
        "invalidRequest",
        "invalid body: the form field payload must be Slack's interaction JSON",
      );
    }
    // Only button clicks are acted on; other interactions (a shortcut, a dialog) are taken and left.
    if (payload.type === "block_actions") {
      const work = handle(payload).finally(() => working.delete(work));
      working.add(work);
    }
    return reply.code(200).send();
  });

  async function handle(payload: Payload): Promise<void> {
    const { user } = payload;
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    const name = oneLine(user.username ?? user.name ?? "").slice(0, 64);
    const actor = `slack:${user.id}${name ? ` (${name})` : ""}`;
    for (const clicked of payload.actions) {
      const action = ACTION_BY_ID.get(clicked.action_id);
      if (!action) continue;
      let value: z.output<typeof buttonValue>;
      try {
        value = buttonValue.parse(JSON.parse(clicked.value ?? ""));
      } catch {
        logger.warn(
          { action_id: clicked.action_id, user: user.id },
          "Slack button with a value agentwatch did not write",
        );
        continue;
      }
      const app = options.apps.get(value.receiver);
      const tell = async (text: string) => {
        if (!app || !channel) return;
        await app
          .ephemeral(channel, user.id, text)
          .catch((err: unknown) => logger.error({ err, user: user.id }, "could not answer the Slack user"));
      };
      const role = Object.hasOwn(options.slack.users, user.id) ? options.slack.users[user.id] : undefined;
      if (role === undefined) {
        options.metrics.authFailures.inc({ reason: "slack_role" });
        logger.warn(
          { user: user.id, action, incident: value.incident },
          "Slack user without a role clicked; nothing done",
        );
        await tell(
          `You may look, not act: your Slack user ${user.id} has no agentwatch role, so agentwatch did not ${VERB[action]}. An agentwatch admin can add it under slack.users.`,
        );
        continue;
      }
      try {
        await act(action, value, actor);
        logger.info({ actor, action, incident: value.incident, agent_id: value.agent }, "action from Slack");
      } catch (err) {
        logger.warn({ err, actor, action, incident: value.incident }, "action from Slack failed");
        await tell(`agentwatch could not ${VERB[action]}: ${(err as Error).message}`);
      }
    }
  }

  async function act(action: SlackAction, value: z.output<typeof buttonValue>, actor: string): Promise<void> {
    const { actions } = options.alerter;
    switch (action) {
      case "ack":
        await actions.acknowledge(value.incident, actor, null);
        return;
      case "resolve":
        await actions.resolve(value.incident, actor, null);
        return;
      case "silence": {
        const stored = await options.storage.getIncident(value.incident);
        if (!stored) throw new AgentwatchError("notFound", `incident ${value.incident} does not exist`);
        const matchers = Object.entries(stored.incident.labels).map(([name, labelValue]) => ({
          name,
          value: String(labelValue),
          op: "=" as const,
        }));
        const silence = await actions.createSilence(
          {
            matchers,
            endsAt: now() + SILENCE_MS,
            comment: `from Slack, for 1 hour: incident ${value.incident}`,
          },
          actor,
        );
        await actions.announce([value.incident], {
          kind: "silenced",
          by: actor,
          at: silence.created_at,
          reason: `for 1 hour, until ${silence.ends_at} (silence ${silence.id})`,
        });
        return;
      }
      case "pause":
      case "resume": {
        const stored = await options.storage.getIncident(value.incident);
        const input = {
          actor,
          reason: `from Slack, incident ${value.incident}${stored ? `: ${stored.incident.title}` : ""}`.slice(
            0,
            4096,
          ),
          incidentId: value.incident,
        };
        // The incident says which agent, where it is stored; the button only when it is not.
        const agent = stored?.incident.agent_id ?? value.agent;
        if (action === "pause") await options.killSwitch.pause(agent, input);
        else await options.killSwitch.resume(agent, input);
        return;
      }
    }
  }

  return {
    async stop() {
      await Promise.allSettled([...working]);
    },
  };
}

/** Whether this signature was used within the window (then a replay); remembers it if not. */
function replayed(seen: Map<string, number>, signature: string, now: number): boolean {
  for (const [old, at] of seen) {
    if (now - at <= TOLERANCE_SECONDS * 2000 && seen.size < MAX_SEEN_SIGNATURES) break;
    seen.delete(old);
  }
  if (seen.has(signature)) return true;
  seen.set(signature, now);
  return false;
}
