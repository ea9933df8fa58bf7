/**
 * The kill switch (contract §3). Pausing records the state first (so anyone who asks sees it
 * even if the agent's runtime is unreachable), writes the audit entry, then tells the runtime
 * through the outbox: one attempt at once, whose outcome the API returns, and retries with
 * backoff until a 2xx. A newer command supersedes a pending one, so a late retry of "pause" can
 * never land after a "resume".
 */

import type { DeliveryDispatcher } from "../alerter/dispatcher.ts";
import type { AgentConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { AgentState, AuditEntry, ControlStatus, Delivery } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { ControlCommand } from "./agent-control.ts";

export interface KillSwitchOptions {
  storage: Storage;
  dispatcher: DeliveryDispatcher;
  agents: readonly AgentConfig[];
  metrics: Metrics;
  logger: Logger;
  audit(entry: Omit<AuditEntry, "id" | "time">): Promise<void>;
  /**
   * Told after an agent was paused or resumed (not when it already was), so the alerts about it
   * can show it (a Slack message edited). A failure here is logged: the pause stands.
   */
  onChange?(agentId: string, action: "pause" | "resume", input: ActionInput, at: string): Promise<void>;
  now?: () => number;
}

export interface ActionInput {
  actor: string;
  reason: string | null;
  incidentId: string | null;
}

/** The pause/resume answer: the agent's state and how the control call went. */
export type AgentView = Omit<AgentState, "control" | "first_seen"> & { control: ControlStatus };

export class KillSwitch {
  readonly #o: KillSwitchOptions & { now: () => number };
  readonly #configured: Map<string, AgentConfig>;
  readonly #mutex = new Mutex();

  constructor(options: KillSwitchOptions) {
    this.#o = { now: Date.now, ...options, logger: options.logger.child({ component: "kill-switch" }) };
    this.#configured = new Map(options.agents.map((a) => [a.id, a]));
  }

  pause(agentId: string, input: ActionInput): Promise<AgentView> {
    return this.#act("pause", agentId, input);
  }

  resume(agentId: string, input: ActionInput): Promise<AgentView> {
    return this.#act("resume", agentId, input);
  }

  /** The agent's state, or undefined for an agent that is neither configured nor ever seen. */
  async get(agentId: string): Promise<AgentView | undefined> {
    const state = await this.#o.storage.getAgent(agentId);
    if (!state && !this.#configured.has(agentId)) return undefined;
    return this.#view(state ?? this.#fresh(agentId));
  }

  /** Every configured or seen agent. */
  async list(): Promise<AgentView[]> {
    const stored = new Map((await this.#o.storage.listAgents()).map((a) => [a.agent_id, a]));
    for (const id of this.#configured.keys()) if (!stored.has(id)) stored.set(id, this.#fresh(id));
    return [...stored.values()]
      .sort((a, b) => a.agent_id.localeCompare(b.agent_id))
      .map((s) => this.#view(s));
  }

  /** Keeps the agent's `control` status in step with the latest control delivery. */
  async onDeliveryAttempt(delivery: Delivery): Promise<void> {
    if (delivery.kind !== "control") return;
    await this.#mutex.run(async () => {
      const state = await this.#o.storage.getAgent(delivery.target);
      if (!state?.control || state.control.delivery_id !== delivery.id) return;
      state.control = {
        ...controlStatus(delivery),
        ...(state.control.sequence === undefined ? {} : { sequence: state.control.sequence }),
      };
      await this.#o.storage.putAgent(state);
    });
  }

  #act(action: "pause" | "resume", agentId: string, input: ActionInput): Promise<AgentView> {
    return this.#mutex
      .run(async () => {
        const existing = await this.#o.storage.getAgent(agentId);
        if (!existing && !this.#configured.has(agentId)) {
          throw new AgentwatchError(
            "notFound",
            `agent ${agentId} is not configured and has never sent an event; check the id`,
          );
        }
        const state = existing ?? this.#fresh(agentId);
        const target = action === "pause" ? "paused" : "active";
        const already = state.state === target;
        if (!already) {
          state.state = target;
          state.since = new Date(this.#o.now()).toISOString();
          state.by = input.actor;
          state.reason = input.reason;
          state.incident_id = input.incidentId;
        }
        const control = this.#configured.get(agentId)?.control;
        // Audited first, before the command goes out and the state is written: a failed audit
        // write then leaves no unaudited pause (a later failure leaves an audited attempt).
        await this.#o.audit({
          actor: input.actor,
          action,
          target: `agent:${agentId}`,
          reason: input.reason,
          incident_id: input.incidentId,
          details: { already, state: state.state, control_configured: control !== undefined },
        });
        let delivery: Delivery | undefined;
        if (control) {
          // Sent again when already in that state: the runtime may have restarted and forgotten.
          const sequence = Math.max(this.#o.now(), (state.control?.sequence ?? 0) + 1);
          const command: ControlCommand = {
            action,
            agent_id: agentId,
            reason: state.reason,
            incident_id: state.incident_id,
            time: new Date(this.#o.now()).toISOString(),
            sequence,
          };
          delivery = await this.#o.dispatcher.enqueue({
            kind: "control",
            target: agentId,
            body: JSON.stringify(command),
            supersedeKey: `control:${agentId}`,
          });
          state.control = { ...controlStatus(delivery), sequence };
        } else {
          state.control = { delivered: false, attempts: 0, configured: false };
        }
        await this.#o.storage.putAgent(state);
        this.#o.metrics.agentControl.inc({ action });
        this.#o.logger.info(
          { agent_id: agentId, action, actor: input.actor, reason: input.reason, already },
          `agent ${action === "pause" ? "paused" : "resumed"}`,
        );
        return { delivery, changed: already ? undefined : (state.since as string) };
      })
      .then(async ({ delivery, changed }) => {
        // The first attempt runs outside the mutex: its outcome is recorded through onDeliveryAttempt.
        if (delivery) await this.#o.dispatcher.attemptNow(delivery.id);
        if (changed !== undefined) {
          await this.#o
            .onChange?.(agentId, action, input, changed)
            .catch((err: unknown) =>
              this.#o.logger.error(
                { err, agent_id: agentId, action },
                "telling the receivers of the change failed",
              ),
            );
        }
        const view = await this.get(agentId);
        return view as AgentView;
      });
  }

  #fresh(agentId: string): AgentState {
    return {
      agent_id: agentId,
      state: "active",
      since: null,
      by: null,
      reason: null,
      incident_id: null,
      control: null,
      first_seen: null,
      last_seen: null,
    };
  }

  #view(state: AgentState): AgentView {
    return {
      agent_id: state.agent_id,
      state: state.state,
      since: state.since,
      by: state.by,
      reason: state.reason,
      incident_id: state.incident_id,
      control: state.control ?? {
        delivered: false,
        attempts: 0,
        configured: this.#configured.get(state.agent_id)?.control !== undefined,
      },
      last_seen: state.last_seen,
    };
  }
}

function controlStatus(delivery: Delivery): ControlStatus {
  return {
    delivered: delivery.status === "delivered",
    ...(delivery.status === "delivered" ? { delivered_at: new Date(delivery.updated_at).toISOString() } : {}),
    attempts: delivery.attempts,
    configured: true,
    delivery_id: delivery.id,
    ...(delivery.last_error ? { last_error: delivery.last_error } : {}),
  };
}
