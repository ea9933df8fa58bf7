import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { authBruteforce } from "./auth-bruteforce.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const detector = authBruteforce({ threshold: 5, windowMs: 60_000, severity: "critical" });

function auth(i: number, at: number, opts: { principal?: string; ip?: string; outcome?: string } = {}) {
  const event = {
    id: `e${i}`,
    time: new Date(at).toISOString(),
    type: "auth",
    agent_id: "bot",
    ...(opts.ip ? { source_ip: opts.ip } : {}),
    auth: { outcome: opts.outcome ?? "failure", ...(opts.principal ? { principal: opts.principal } : {}) },
  } as AgentEvent;
  return { event, time: at };
}

describe("auth_bruteforce", () => {
  it("raises one finding when the threshold is reached within the window", () => {
    const state = detector.initialState();
    const findings = [0, 1, 2, 3, 4, 5, 6].flatMap((i) =>
      detector.update(state, auth(i, T0 + i * 1000, { principal: "alice" })),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      detector: "auth_bruteforce",
      agent_id: "bot",
      key: "principal:alice",
      severity: "critical",
      observed: { failures: 5, window_seconds: 60 },
      baseline: { threshold: 5 },
      event_ids: ["e0", "e1", "e2", "e3", "e4"],
      labels: { principal: "alice" },
      time: new Date(T0 + 4000).toISOString(),
    });
    expect(findings[0]?.score).toBe(0.5);
  });

  it("does not count failures that fell out of the window, nor successes", () => {
    const state = detector.initialState();
    const spaced = [0, 1, 2, 3, 4, 5].flatMap((i) =>
      detector.update(state, auth(i, T0 + i * 20_000, { principal: "bob" })),
    );
    expect(spaced).toEqual([]);
    const successes = [10, 11, 12, 13, 14].flatMap((i) =>
      detector.update(state, auth(i, T0 + 200_000, { principal: "carol", outcome: "success" })),
    );
    expect(successes).toEqual([]);
  });

  it("tracks principals and source IPs separately", () => {
    const state = detector.initialState();
    const findings = [0, 1, 2, 3, 4].flatMap((i) =>
      detector.update(state, auth(i, T0 + i, { principal: `user${i}`, ip: "198.51.100.4" })),
    );
    expect(findings.map((f) => f.key)).toEqual(["ip:198.51.100.4"]);
    expect(findings[0]?.title).toBe("Brute force from 198.51.100.4 on bot");
  });

  it("raises again only after a window while the attack goes on", () => {
    const state = detector.initialState();
    const findings = Array.from({ length: 40 }, (_, i) => i).flatMap((i) =>
      detector.update(state, auth(i, T0 + i * 2000, { principal: "dave" })),
    );
    // Alerts at t=8s (5th failure) and then once per 60 s window: t=68s.
    expect(findings.map((f) => f.time)).toEqual([
      new Date(T0 + 8000).toISOString(),
      new Date(T0 + 68_000).toISOString(),
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
  });

  it("gives the same finding ids on a replay from a serialized state", () => {
    const events = Array.from({ length: 8 }, (_, i) => auth(i, T0 + i * 100, { principal: "erin" }));
    const first = detector.initialState();
    const a = events.flatMap((e) => detector.update(first, e));
    const restored = JSON.parse(JSON.stringify(detector.initialState()));
    const b = events.flatMap((e) => detector.update(restored, e));
    expect(b).toEqual(a);
    // Checkpoint in the middle: the rest continues exactly as without it.
    const mid = detector.initialState();
    for (const e of events.slice(0, 3)) detector.update(mid, e);
    const resumed = JSON.parse(JSON.stringify(mid));
    expect(events.slice(3).flatMap((e) => detector.update(resumed, e))).toEqual(a);
  });

  it("handles out-of-order events and evicts idle entities on tick", () => {
    const state = detector.initialState();
    const order = [4, 0, 3, 1, 2];
    const findings = order.flatMap((i) =>
      detector.update(state, auth(i, T0 + i * 1000, { principal: "frank" })),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.event_ids).toEqual(["e0", "e1", "e2", "e3", "e4"]);
    detector.update(state, auth(99, T0 + 10 * 60_000, { principal: "other" }));
    detector.tick?.(state, T0 + 10 * 60_000); // the runner's clock
    expect(Object.keys(state.entities)).toEqual(["bot|principal:other"]);
  });

  it("keeps bounded state under a flood", () => {
    const state = detector.initialState();
    for (let i = 0; i < 5000; i += 1) detector.update(state, auth(i, T0 + i, { principal: "flood" }));
    expect(state.entities["bot|principal:flood"]?.failures.length).toBeLessThanOrEqual(200);
  });

  it("27,000 failures of one agent with distinct principals and IPs never evict another agent's: its 10th failure still pages, and the flood is a finding of its own", () => {
    const shipped = authBruteforce({ threshold: 10, windowMs: 5 * 60_000, severity: "critical" });
    const state = shipped.initialState();
    const of = (agent: string, i: number, at: number, principal: string, ip: string) => {
      const observed = auth(i, at, { principal, ip });
      return { ...observed, event: { ...observed.event, agent_id: agent }, received: at };
    };
    for (let i = 0; i < 9; i += 1) shipped.update(state, of("victim", i, T0 + i, "admin", "198.51.100.7"));
    const raised = [];
    for (let i = 0; i < 27_000; i += 1) {
      const at = T0 + 1000 + i / 10; // 2.7 s of flood, ticks once a second
      raised.push(
        ...shipped.update(
          state,
          of("attacker", 100 + i, at, `p${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`),
        ),
      );
      if (i % 10_000 === 9_999) shipped.tick?.(state, at);
    }
    shipped.tick?.(state, T0 + 4000);
    expect(raised.map((f) => [f.detector, f.agent_id, f.key])).toEqual([
      ["entity_flood", "attacker", "auth_bruteforce:principals_and_ips"],
    ]);
    expect(raised[0]?.observed).toMatchObject({ new_entities: 1000, window_seconds: 600 });
    const tenth = shipped.update(state, of("victim", 9, T0 + 5000, "admin", "198.51.100.7"));
    expect(tenth.map((f) => [f.detector, f.agent_id, f.key])).toEqual([
      ["auth_bruteforce", "victim", "principal:admin"],
      ["auth_bruteforce", "victim", "ip:198.51.100.7"],
    ]);
  });
});
