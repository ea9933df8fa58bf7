import { describe, expect, it } from "vitest";
import { eventIdConflict, eventIdConflictDefinition } from "./event-id-conflict.ts";
import type { AgentEvent } from "./types.ts";

const T = Date.parse("2026-11-20T10:00:00Z");
const event: AgentEvent = {
  id: "r-1~0123456789abcdef",
  time: new Date(T).toISOString(),
  type: "response",
  agent_id: "support-bot",
  session_id: "s-1",
  text: "Here is the key",
};
const reusedId = { id: "r-1", firstHash: "a".repeat(64), hash: "b".repeat(64), token: "support-ingest" };

describe("event_id_conflict", () => {
  it("says nothing of an event that was not kept under a new id", () => {
    const d = eventIdConflict({ severity: "warning" });
    expect(d.update(d.initialState(), { event, time: T })).toEqual([]);
  });

  it("names the agent, the token, the id as sent and its new one, and both content hashes", () => {
    const d = eventIdConflict({ severity: "warning" });
    const [finding, ...rest] = d.update(d.initialState(), { event, time: T, reusedId });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      detector: "event_id_conflict",
      agent_id: "support-bot",
      session_id: "s-1",
      key: "token:support-ingest",
      time: "2026-11-20T10:00:00.000Z",
      severity: "warning",
      observed: {
        id: "r-1",
        kept_as: event.id,
        type: "response",
        token: "support-ingest",
        content_hash: reusedId.hash,
      },
      baseline: { content_hash: reusedId.firstHash },
      event_ids: ["r-1", event.id],
      labels: { token: "support-ingest" },
    });
    expect(finding?.summary).toContain(reusedId.firstHash);
    expect(finding?.summary).toContain(reusedId.hash);
    // Deterministic: a replay raises the same id; another kept event another one.
    expect(d.update(d.initialState(), { event, time: T, reusedId })[0]?.id).toBe(finding?.id);
    const other = d.update(d.initialState(), { event: { ...event, id: "r-2~ff" }, time: T, reusedId });
    expect(other[0]?.id).not.toBe(finding?.id);
  });

  it("is on by default, at warning; its severity is configurable and it can be turned off", () => {
    const defaults = eventIdConflictDefinition.settings.parse({});
    expect(defaults).toEqual({ enabled: true, severity: "warning" });
    const context = { agents: [], providers: [], all: {} };
    const [critical] = eventIdConflictDefinition.create({ enabled: true, severity: "critical" }, context);
    expect(critical?.update(critical.initialState(), { event, time: T, reusedId })[0]?.severity).toBe(
      "critical",
    );
    expect(eventIdConflictDefinition.create({ enabled: false, severity: "warning" }, context)).toEqual([]);
  });
});
