/** Shared by the notifier tests: a receiver's parsed config, and the error a failed send gives. */
import { expect } from "vitest";
import { parseConfig, type ReceiverConfig } from "../../services/runtime/config.ts";
import { AgentwatchError } from "../../services/runtime/errors.ts";
import type { Incident, IncidentFinding } from "../../services/runtime/model.ts";

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

/**
 * An open incident for a notifier to render: the fields every notifier reads, with what a test
 * is about (title, labels, findings) given. Findings only need id, detector, time and summary.
 */
export function incidentFor(
  fields: Pick<Incident, "severity" | "detector" | "agent_id" | "title" | "summary" | "labels"> &
    Partial<Omit<Incident, "findings">> & {
      findings?: Array<Pick<IncidentFinding, "id" | "detector" | "time" | "summary">>;
    },
): Incident {
  const findings = (fields.findings ?? []).map((f) => ({
    event_ids: [],
    score: 1,
    observed: {},
    baseline: {},
    ...f,
  }));
  return {
    id: "inc_1",
    status: "open",
    fingerprint: "fp-1",
    started_at: "2026-11-20T10:00:00.000Z",
    updated_at: "2026-11-20T10:00:00.000Z",
    detectors: [fields.detector],
    finding_count: Math.max(1, findings.length),
    notes: [],
    ...fields,
    findings,
  };
}
