import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { authFailureRate } from "./auth-failure-rate.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const detector = authFailureRate({
  windowMs: 10 * 60_000,
  distinctThreshold: 5,
  successAfter: 3,
  rateMinFailures: 20,
  rateRobustZ: 6,
  severity: "warning",
});

let seq = 0;
function auth(at: number, outcome: "success" | "failure", principal?: string, ip?: string) {
  seq += 1;
  const event = {
    id: `a${seq}`,
    time: new Date(at).toISOString(),
    type: "auth",
    agent_id: "bot",
    ...(ip ? { source_ip: ip } : {}),
    auth: { outcome, ...(principal ? { principal } : {}) },
  } as AgentEvent;
  return { event, time: at };
}

describe("auth_failure_rate", () => {
  it("detects password spraying: one IP, many principals", () => {
    const state = detector.initialState();
    const findings = Array.from({ length: 12 }, (_, i) =>
      detector.update(state, auth(T0 + i * 1000, "failure", `user${i}`, "198.51.100.20")),
    ).flat();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      key: "spray:ip:198.51.100.20",
      observed: { principals: 5, window_seconds: 600 },
      labels: { source_ip: "198.51.100.20", pattern: "spraying" },
    });
  });

  it("detects distributed attempts: one principal, many IPs", () => {
    const state = detector.initialState();
    const findings = Array.from({ length: 6 }, (_, i) =>
      detector.update(state, auth(T0 + i * 1000, "failure", "admin", `203.0.113.${i + 1}`)),
    ).flat();
    expect(findings.map((f) => f.key)).toEqual(["distributed:principal:admin"]);
  });

  it("flags a success right after a run of failures as critical", () => {
    const state = detector.initialState();
    for (let i = 0; i < 4; i += 1)
      detector.update(state, auth(T0 + i * 1000, "failure", "carol", "192.0.2.9"));
    const findings = detector.update(state, auth(T0 + 5000, "success", "carol", "192.0.2.9"));
    expect(findings.map((f) => f.key).sort()).toEqual([
      "compromise:ip:192.0.2.9",
      "compromise:principal:carol",
    ]);
    expect(findings.every((f) => f.severity === "critical")).toBe(true);
    expect(findings[0]?.observed).toEqual({ failures_before_success: 4, window_seconds: 600 });
    // A typo then a success is ordinary.
    detector.update(state, auth(T0 + 60_000, "failure", "dan"));
    expect(detector.update(state, auth(T0 + 61_000, "success", "dan"))).toEqual([]);
  });

  it("forgets failures outside the window", () => {
    const state = detector.initialState();
    for (let i = 0; i < 4; i += 1) detector.update(state, auth(T0 + i * 1000, "failure", "erin"));
    expect(detector.update(state, auth(T0 + 11 * 60_000, "success", "erin"))).toEqual([]);
  });

  it("detects a failure-rate spike against the agent's own baseline", () => {
    const state = detector.initialState();
    // Two hours of a few scattered failures per 5 minutes (typos), no pattern.
    const quiet = [];
    for (let w = 0; w < 24; w += 1) {
      for (let i = 0; i < 2 + (w % 3); i += 1) {
        quiet.push(
          ...detector.update(state, auth(T0 + w * 300_000 + i * 60_000, "failure", `typo${w}-${i}`)),
        );
      }
    }
    expect(quiet).toEqual([]);
    const burstStart = T0 + 24 * 300_000 + 1000;
    const burst = Array.from({ length: 40 }, (_, i) =>
      detector.update(state, auth(burstStart + i * 2000, "failure", `victim${i}`)),
    ).flat();
    expect(burst.map((f) => f.key)).toEqual(["rate:agent"]);
    expect((burst[0]!.observed as { failures_in_5_min: number }).failures_in_5_min).toBe(20);
  });

  it("evicts subjects idle past the window", () => {
    const state = detector.initialState();
    detector.update(state, auth(T0, "failure", "old", "192.0.2.1"));
    detector.update(state, auth(T0 + 20 * 60_000, "failure", "new"));
    detector.tick?.(state, T0 + 20 * 60_000);
    expect(Object.keys(state.subjects)).toEqual(["bot|principal:new"]);
  });
});
