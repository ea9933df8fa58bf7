/** Shared by the notifier tests: a receiver's parsed config, and the error a failed send gives. */
import { expect } from "vitest";
import { parseConfig, type ReceiverConfig } from "../../services/runtime/config.ts";
import { AgentwatchError } from "../../services/runtime/errors.ts";

/** Parses a config holding just this receiver (as `agentwatch start` would) and returns it. */
export function parseReceiver<R extends ReceiverConfig>(receiver: Record<string, unknown>): R {
  const config = parseConfig(
    { auth: { tokens: [{ name: "root", role: "admin", token: "0123456789abcdef" }] }, receivers: [receiver] },
    {},
  );
  return config.receivers[0] as R;
}

/** The AgentwatchError a send rejected with (the test fails if it resolved or threw something else). */
export async function rejection(promise: Promise<unknown>): Promise<AgentwatchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentwatchError);
  return err as AgentwatchError;
}
