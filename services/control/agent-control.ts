/**
 * Telling an agent's runtime to pause or resume (contract §3): a signed POST of the command to
 * the agent's `control.url`. `send` rejects with an AgentwatchError when the runtime did not
 * answer 2xx; the dispatcher retries it with backoff until it does.
 */
import type { ControlCommand as ReceivedCommand } from "../../client/src/control.ts";
import type { AgentConfig } from "../runtime/config.ts";
import { postSigned } from "../runtime/outbound.ts";

/**
 * A command as the agent's runtime receives it: the client's shape (client/src/control.ts, which
 * runtimes use to check it), with the sequence the server always sends. It grows with every
 * command to this agent (epoch ms, or one more than the last when that is larger), inside the
 * signed body: a runtime keeps the highest it acted on and refuses any command with a sequence
 * not above it, so a captured command cannot be replayed within the signature's five-minute
 * window.
 */
export interface ControlCommand extends ReceivedCommand {
  sequence: number;
}

export interface AgentControl {
  send(command: ControlCommand): Promise<void>;
}

export class HttpAgentControl implements AgentControl {
  readonly #control: NonNullable<AgentConfig["control"]>;

  constructor(control: NonNullable<AgentConfig["control"]>) {
    this.#control = control;
  }

  send(command: ControlCommand): Promise<void> {
    return postSigned(
      this.#control.url,
      this.#control.secret,
      JSON.stringify(command),
      this.#control.timeout,
    );
  }
}
