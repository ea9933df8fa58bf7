/**
 * The setup most end-to-end tests share: a local receiver (alert webhook and agent runtime) and
 * a real agentwatch sending its alerts there, started before a describe block's tests and stopped
 * after them.
 */
import { afterAll, beforeAll } from "vitest";
import { type AgentwatchProcess, startAgentwatch } from "./process.ts";
import { Receiver } from "./receiver.ts";

export const HOOK_SECRET = "hook-secret-0123456789";
export const CONTROL_SECRET = "control-secret-0123456789";

/** An agent whose control calls go to the receiver's `path` (signed with CONTROL_SECRET). */
export function controlledAgent(receiver: Receiver, id: string, path = "/control") {
  return { id, control: { url: `${receiver.url}${path}`, secret: CONTROL_SECRET } };
}

export interface WithReceiver {
  receiver: Receiver;
  /** agentwatch, once the block's beforeAll has run. */
  readonly aw: AgentwatchProcess;
}

/**
 * Registers the block's beforeAll/afterAll. `config(receiver)` is merged over a webhook receiver
 * named `hook` posting to `<receiver>/alerts` (signed with HOOK_SECRET); `prepare` sets the
 * receiver up (status codes) before agentwatch starts.
 */
export function agentwatchWithReceiver(
  config: (receiver: Receiver) => Record<string, unknown> = () => ({}),
  prepare: (receiver: Receiver) => void = () => undefined,
): WithReceiver {
  const receiver = new Receiver();
  let aw: AgentwatchProcess | undefined;
  beforeAll(async () => {
    await receiver.start();
    prepare(receiver);
    aw = await startAgentwatch({
      config: {
        receivers: [{ name: "hook", type: "webhook", url: `${receiver.url}/alerts`, secret: HOOK_SECRET }],
        ...config(receiver),
      },
    });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
  });
  return {
    receiver,
    get aw() {
      if (!aw) throw new Error("agentwatch is not started yet (use it inside a test)");
      return aw;
    },
  };
}
