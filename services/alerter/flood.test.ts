import { describe, expect, it } from "vitest";
import type { Finding } from "../runtime/model.ts";
import { FloodGuard } from "./flood.ts";

const finding = (detector: string, agent: string, user: string): Finding => ({
  id: `${detector}-${agent}-${user}`,
  detector,
  agent_id: agent,
  key: `user:${user}`,
  time: "2026-11-20T10:00:00Z",
  severity: "warning",
  score: 1,
  observed: null,
  baseline: null,
  event_ids: [],
  title: "t",
  summary: "s",
  labels: { user_id: user },
});

describe("flood control groups", () => {
  const guard = new FloodGuard({
    groupBy: ["agent_id", "detector"],
    routes: [
      { matchers: [{ name: "detector", value: "message_rate", op: "=" }], group_by: ["agent_id", "user_id"] },
      { matchers: [{ name: "detector", value: "message_rate", op: "=" }], group_by: ["agent_id"] },
    ],
    maxPerGroup: 2,
    windowMs: 3_600_000,
  });

  it("groups by the first matching route's group_by, else alerting.group_by", () => {
    expect(guard.groupLabels(finding("message_rate", "bot", "u1"))).toEqual({
      agent_id: "bot",
      user_id: "u1",
    });
    expect(guard.groupLabels(finding("pii_leak", "bot", "u1"))).toEqual({
      agent_id: "bot",
      detector: "pii_leak",
    });
    // Different label sets never share a group, even with equal values.
    expect(guard.groupKey(finding("message_rate", "bot", "u1"))).not.toBe(
      guard.groupKey(finding("pii_leak", "bot", "u1")),
    );
  });

  it("admits max_incidents_per_group within the window, then again once it passed", () => {
    const key = guard.groupKey(finding("pii_leak", "bot", "u1"));
    expect([guard.admit(key, 0), guard.admit(key, 1000), guard.admit(key, 2000)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(guard.admit(key, 3_600_001)).toBe(true);
  });
});
