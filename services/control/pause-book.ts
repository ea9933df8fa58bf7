/**
 * Which agents are paused, with the pause delivered to their runtime, as the collector marks
 * the events it accepts (IngestedEvent.while_paused; the paused_agent_active detector judges
 * them). Read from storage once a second, so a pause made through any process counts everywhere
 * within a second; the request path never waits on storage for it.
 */
import type { Logger } from "../runtime/logger.ts";
import type { Storage } from "../runtime/storage/storage.ts";

export interface DeliveredPause {
  since: string;
  delivered_at: string;
}

export class PauseBook {
  readonly #storage: Storage;
  readonly #logger: Logger;
  #paused = new Map<string, DeliveredPause>();
  #timer: NodeJS.Timeout | undefined;

  constructor(storage: Storage, logger: Logger) {
    this.#storage = storage;
    this.#logger = logger;
  }

  async start(intervalMs = 1000): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((err) =>
        this.#logger.warn({ err }, "could not read the paused agents; using the last known"),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    const paused = new Map<string, DeliveredPause>();
    for (const agent of await this.#storage.listAgents()) {
      const deliveredAt = agent.control?.delivered_at;
      if (agent.state === "paused" && agent.since && deliveredAt) {
        paused.set(agent.agent_id, { since: agent.since, delivered_at: deliveredAt });
      }
    }
    this.#paused = paused;
  }

  /** The delivered pause the agent is under, if any. */
  pauseOf(agentId: string): DeliveredPause | undefined {
    return this.#paused.get(agentId);
  }
}
