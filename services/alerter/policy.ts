/**
 * The alerter's policy stage (alerting.auto_pause): an incident that has fired (a notification
 * went out: never while silenced) and matches a policy, for any of its detectors, gets its agent
 * paused through the kill switch, once; recorded in its `notify`, stored by the caller. A crash
 * before that store pauses again on replay, which the kill switch takes as a no-op for a paused
 * agent.
 */
import type { Config } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import { matchesAnyDetector } from "../runtime/matchers.ts";
import type { StoredIncident } from "../runtime/model.ts";

export type PauseAgent = (
  agentId: string,
  input: { actor: string; reason: string; incidentId: string },
) => Promise<void>;

export class PolicyStage {
  readonly #policies: Config["alerting"]["auto_pause"];
  readonly #pause: PauseAgent | undefined;
  readonly #logger: Logger;

  constructor(policies: Config["alerting"]["auto_pause"], pause: PauseAgent | undefined, logger: Logger) {
    this.#policies = policies;
    this.#pause = pause;
    this.#logger = logger;
  }

  async act(stored: StoredIncident): Promise<void> {
    const { incident, notify } = stored;
    if (!this.#pause || this.#policies.length === 0 || notify.auto_paused !== undefined) return;
    if (incident.status === "resolved" || notify.last_firing_at === null) return;
    const policy = this.#policies.find((p) => matchesAnyDetector(p.matchers, incident));
    if (!policy) return;
    await this.#pause(incident.agent_id, {
      actor: `policy:${policy.name}`,
      reason: `auto-pause (${policy.name}): ${incident.title}`,
      incidentId: incident.id,
    });
    notify.auto_paused = policy.name;
    this.#logger.warn(
      { incident: incident.id, agent_id: incident.agent_id, policy: policy.name },
      "agent paused by policy",
    );
  }
}
