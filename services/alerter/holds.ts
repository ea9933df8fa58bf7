/**
 * Evidence preserved at the moment it matters: pausing an agent for an incident (by anyone or
 * any policy), or a critical incident, places a hold on the incident's records: the agent's
 * events (its own only: sessions are per agent, and another agent's events under the same
 * session id are not this incident's evidence, issue 30), from `lookback` before its first finding
 * until it is resolved (open-ended until then), the incident and its findings, the audit entries
 * about the incident and the agent's state changes (pause, resume) in that time. Held records are
 * exempt from retention and erasure (both backends) until an admin releases the hold. Placing and
 * releasing are audited.
 *
 * The keeper looks at the active incidents and the agents' states every few seconds (and at once
 * when the kill switch pauses), so a hold is placed whoever caused it and after a restart too;
 * a hold's id is its incident's, so placing it again changes nothing.
 */
import { AgentwatchError } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import { type AuditEntry, type Hold, type Incident, incidentSessions } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";

export interface HoldKeeperOptions {
  storage: Storage;
  audit(entry: Omit<AuditEntry, "id" | "time">): Promise<void>;
  logger: Logger;
  /** How long before the incident's first finding the held events start. */
  lookbackMs: number;
  intervalMs?: number;
  now?: () => number;
}

export class HoldKeeper {
  readonly #o: HoldKeeperOptions & { intervalMs: number; now: () => number };
  readonly #mutex = new Mutex();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HoldKeeperOptions) {
    this.#o = {
      intervalMs: 5000,
      now: Date.now,
      ...options,
      logger: options.logger.child({ component: "holds" }),
    };
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.#o.logger.error({ err }, "keeping evidence holds failed; tried again shortly"),
      );
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#mutex.run(async () => undefined);
  }

  /** Places the holds now due, and closes the window of holds whose incident was resolved. */
  refresh(): Promise<void> {
    return this.#mutex.run(async () => {
      const holds = new Map((await this.#o.storage.listHolds()).map((h) => [h.id, h]));
      const active = await this.#o.storage.listActiveIncidents();
      const agents = new Map((await this.#o.storage.listAgents()).map((a) => [a.agent_id, a]));
      for (const { incident } of active) {
        if (holds.has(holdId(incident.id))) continue;
        const agent = agents.get(incident.agent_id);
        if (agent?.state === "paused" && agent.incident_id === incident.id) {
          await this.#place(
            incident,
            agent.by ?? "agentwatch",
            `agent ${incident.agent_id} paused: ${agent.reason ?? ""}`.trim(),
          );
        } else if (incident.severity === "critical") {
          await this.#place(incident, "agentwatch", "critical incident");
        }
      }
      // A paused agent's incident may be resolved already: its hold still is placed.
      for (const agent of agents.values()) {
        if (agent.state !== "paused" || !agent.incident_id || holds.has(holdId(agent.incident_id))) continue;
        if (active.some((a) => a.incident.id === agent.incident_id)) continue;
        const stored = await this.#o.storage.getIncident(agent.incident_id);
        if (stored)
          await this.#place(stored.incident, agent.by ?? "agentwatch", `agent ${agent.agent_id} paused`);
      }
      for (const hold of holds.values()) {
        if (hold.released_at !== null || hold.to !== null) continue;
        const stored = await this.#o.storage.getIncident(hold.incident_id);
        if (stored?.incident.status === "resolved" && stored.incident.resolved_at) {
          await this.#o.storage.putHold({ ...hold, to: stored.incident.resolved_at });
        }
      }
    });
  }

  async release(id: string, actor: string, reason: string | null): Promise<Hold> {
    return this.#mutex.run(async () => {
      const hold = (await this.#o.storage.listHolds()).find((h) => h.id === id);
      if (!hold) throw new AgentwatchError("notFound", `hold ${id} does not exist`);
      if (hold.released_at !== null) return hold;
      const released: Hold = {
        ...hold,
        to: hold.to ?? new Date(this.#o.now()).toISOString(),
        released_at: new Date(this.#o.now()).toISOString(),
        released_by: actor,
      };
      await this.#o.storage.putHold(released);
      await this.#o.audit({
        actor,
        action: "hold_release",
        target: `hold:${id}`,
        reason,
        incident_id: hold.incident_id,
        details: { agent_id: hold.agent_id, from: hold.from, to: released.to },
      });
      return released;
    });
  }

  async #place(incident: Incident, actor: string, reason: string): Promise<void> {
    const first = Math.min(
      Date.parse(incident.started_at),
      ...incident.findings.map((f) => Date.parse(f.time)).filter((t) => !Number.isNaN(t)),
    );
    const hold: Hold = {
      id: holdId(incident.id),
      incident_id: incident.id,
      agent_id: incident.agent_id,
      ...(incidentSessions(incident).length > 0 ? { sessions: incidentSessions(incident) } : {}),
      from: new Date(first - this.#o.lookbackMs).toISOString(),
      to: incident.status === "resolved" ? (incident.resolved_at ?? null) : null,
      reason,
      created_at: new Date(this.#o.now()).toISOString(),
      created_by: actor,
      released_at: null,
      released_by: null,
    };
    await this.#o.storage.putHold(hold);
    await this.#o.audit({
      actor,
      action: "hold_place",
      target: `hold:${hold.id}`,
      reason,
      incident_id: incident.id,
      details: { agent_id: hold.agent_id, sessions: hold.sessions ?? [], from: hold.from },
    });
    this.#o.logger.info({ hold: hold.id, agent_id: hold.agent_id, actor }, "evidence held");
  }
}

export function holdId(incidentId: string): string {
  return `hold_${incidentId}`;
}
