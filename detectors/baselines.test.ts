import { describe, expect, it } from "vitest";
import {
  addSliding,
  addTumbling,
  alphaForHalfLife,
  decayDistribution,
  distributionTotal,
  evictIdle,
  hourOfWeek,
  jensenShannon,
  newDistribution,
  newEwma,
  newRobustWindow,
  newSeasonalProfile,
  newSlidingCounter,
  OTHER,
  observeCategory,
  pushRobust,
  robustMedian,
  robustScore,
  seasonalSlot,
  slidingTotal,
  updateEwma,
  zScore,
} from "./baselines.ts";

const T0 = Date.parse("2026-11-16T00:00:00Z"); // a Monday

describe("ewma", () => {
  it("converges to the mean and variance of a stationary series", () => {
    const state = newEwma();
    const alpha = alphaForHalfLife(50);
    for (let i = 0; i < 5000; i += 1) updateEwma(state, i % 2 === 0 ? 90 : 110, alpha);
    expect(state.mean).toBeCloseTo(100, 0);
    expect(Math.sqrt(state.variance)).toBeCloseTo(10, 0);
    expect(zScore(state, 150, 1)).toBeCloseTo(5, 0);
  });

  it("weighs an observation half after `halfLife` more", () => {
    expect(alphaForHalfLife(1)).toBeCloseTo(0.5);
    const state = newEwma();
    updateEwma(state, 0, alphaForHalfLife(10));
    updateEwma(state, 100, alphaForHalfLife(10));
    expect(state.mean).toBeCloseTo(100 * alphaForHalfLife(10));
  });

  it("uses the floor when the history is flat", () => {
    const state = newEwma();
    for (let i = 0; i < 10; i += 1) updateEwma(state, 5, 0.1);
    expect(state.variance).toBe(0);
    expect(zScore(state, 7, 0.5)).toBe(4);
  });
});

describe("robust window", () => {
  it("scores with median and MAD, unmoved by one burst", () => {
    const state = newRobustWindow();
    for (let i = 0; i < 31; i += 1) pushRobust(state, 100 + (i % 5), 32);
    pushRobust(state, 100_000, 32); // the burst
    expect(robustMedian(state)).toBe(102);
    expect(robustScore(state, 102, 1)).toBe(0);
    expect(robustScore(state, 130, 1) as number).toBeGreaterThan(8);
  });

  it("keeps only the last `capacity` values", () => {
    const state = newRobustWindow();
    for (let i = 0; i < 100; i += 1) pushRobust(state, i, 8);
    expect(state.values).toHaveLength(8);
    expect([...state.values].sort((a, b) => a - b)).toEqual([92, 93, 94, 95, 96, 97, 98, 99]);
    expect(robustScore(newRobustWindow(), 1, 1)).toBeUndefined();
  });
});

describe("window counters", () => {
  it("counts over a sliding window to within a bucket", () => {
    const state = newSlidingCounter(6);
    const window = 60_000;
    for (let s = 0; s < 60; s += 1) addSliding(state, T0 + s * 1000, window);
    expect(slidingTotal(state)).toBe(60);
    addSliding(state, T0 + 90_000, window);
    // Buckets of 10 s: [40 s, 90 s] remain: 20 + the new one.
    expect(slidingTotal(state)).toBe(21);
    addSliding(state, T0 + 10 * 60_000, window);
    expect(slidingTotal(state)).toBe(1);
    addSliding(state, T0, window); // far too old: ignored
    expect(slidingTotal(state)).toBe(1);
  });

  it("closes tumbling windows and reports their counts", () => {
    const state = { window_start: 0, count: 0 };
    expect(addTumbling(state, T0 + 1, 60_000)).toBeUndefined();
    addTumbling(state, T0 + 59_000, 60_000, 4);
    expect(addTumbling(state, T0 + 61_000, 60_000)).toEqual({ start: T0, count: 5 });
    expect(state).toEqual({ window_start: T0 + 60_000, count: 1 });
  });
});

describe("decaying distribution", () => {
  it("decays counts by half per half-life and drops the negligible", () => {
    const state = newDistribution();
    for (let i = 0; i < 8; i += 1) observeCategory(state, "search", T0, 3_600_000, 16);
    decayDistribution(state, T0 + 3_600_000, 3_600_000);
    expect(state.counts.search).toBeCloseTo(4);
    decayDistribution(state, T0 + 100 * 3_600_000, 3_600_000);
    expect(state.counts).toEqual({});
  });

  it("folds the rarest categories into (other) past the cap", () => {
    const state = newDistribution();
    for (let i = 0; i < 5; i += 1) observeCategory(state, "common", T0, 3_600_000, 3);
    for (let i = 0; i < 50; i += 1) observeCategory(state, `spray-${i}`, T0, 3_600_000, 3);
    expect(Object.keys(state.counts).length).toBeLessThanOrEqual(3);
    expect(state.counts.common).toBe(5);
    expect(state.counts[OTHER]).toBe(49);
    expect(distributionTotal(state)).toBe(55);
  });

  it("measures Jensen-Shannon divergence from 0 (same) to 1 (disjoint)", () => {
    expect(jensenShannon({ a: 10, b: 10 }, { a: 1, b: 1 })).toBeCloseTo(0);
    expect(jensenShannon({ a: 10 }, { b: 3 })).toBeCloseTo(1);
    const shifted = jensenShannon({ search: 80, reply: 20 }, { search: 20, reply: 20, shell: 60 });
    expect(shifted).toBeGreaterThan(0.3);
    expect(shifted).toBeLessThan(1);
    expect(jensenShannon({}, { a: 1 })).toBe(0);
  });
});

describe("seasonality and eviction", () => {
  it("maps times to the hour of the week (UTC, Monday first)", () => {
    expect(hourOfWeek(T0)).toBe(0);
    expect(hourOfWeek(T0 + 9 * 3_600_000)).toBe(9);
    expect(hourOfWeek(T0 + 6 * 86_400_000 + 23 * 3_600_000)).toBe(167);
    const profile = newSeasonalProfile();
    updateEwma(seasonalSlot(profile, T0 + 10 * 3_600_000), 50, 0.5);
    expect(profile.hours[10]?.mean).toBe(50);
    expect(profile.hours[11]?.n).toBe(0);
  });

  it("evicts entities idle longer than the TTL", () => {
    const entities = { a: { last_seen: T0 }, b: { last_seen: T0 + 50_000 } };
    expect(evictIdle(entities, T0 + 60_000, 30_000)).toBe(1);
    expect(Object.keys(entities)).toEqual(["b"]);
  });

  it("keeps every state JSON-serializable", () => {
    const states = [
      newEwma(),
      newRobustWindow(),
      newSlidingCounter(4),
      newDistribution(),
      newSeasonalProfile(),
    ];
    for (const state of states) expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe("entity caps (a flood of distinct values)", () => {
  it("evicts the least recently seen past the cap, idle ones first, and says how many", async () => {
    const { evictIdle, countEntities } = await import("./baselines.ts");
    const table: Record<string, { last_seen: number }> = Object.create(null);
    for (let i = 0; i < 1000; i += 1) table[`user-${i}`] = { last_seen: 10_000 + i };
    table.idle = { last_seen: 1 };
    expect(evictIdle(table, 20_000, 15_000, 100)).toBe(901);
    expect(countEntities(table)).toBe(100);
    // The 100 most recently seen are the ones kept.
    expect(Object.keys(table).sort()).toEqual(
      Array.from({ length: 100 }, (_, i) => `user-${900 + i}`).sort(),
    );
  });

  it("a detector flooded with distinct users by one agent keeps that agent within its budget, never evicts another's, and says so once", async () => {
    const { MAX_ENTITIES } = await import("./baselines.ts");
    const { DEFAULT_ENTITY_BUDGET } = await import("./entity-budget.ts");
    const { tokenSpike } = await import("./token-spike.ts");
    const detector = tokenSpike({
      minTokensPerMinute: 10_000,
      robustZ: 6,
      minRatio: 10,
      warmupMinutes: 30,
      entityTtlMs: 7 * 86_400_000,
      severity: "warning",
    });
    const state = detector.initialState();
    const T = Date.parse("2026-11-20T10:00:00Z");
    const usage = (agent: string, user: string, i: number) => ({
      event: {
        id: `f${i}`,
        time: new Date(T).toISOString(),
        type: "llm_usage" as const,
        agent_id: agent,
        user_id: user,
        usage: { provider: "openai", model: "gpt-4o", input_tokens: 1, output_tokens: 1 },
      },
      time: T,
      received: T + i,
    });
    detector.update(state, usage("victim", "carol", 0));
    const flood = MAX_ENTITIES + 5000;
    const raised = [];
    for (let i = 1; i <= flood; i += 1) {
      raised.push(...detector.update(state, usage("bot", `u${i}`, i)));
      if (i % 10_000 === 0) detector.tick?.(state, T + i);
    }
    detector.tick?.(state, T + flood);
    const perAgent = DEFAULT_ENTITY_BUDGET.perAgent;
    const bots = Object.keys(state.entities.user).filter((k) => k.startsWith("bot|"));
    expect(bots.length).toBeLessThanOrEqual(perAgent);
    expect(state.entities.user["victim|carol"]).toBeDefined();
    expect(state.entities.user["bot|u1"]).toBeUndefined(); // its own oldest went first
    expect(raised.map((f) => [f.detector, f.agent_id, f.key])).toEqual([
      ["entity_flood", "bot", "token_spike:users"],
    ]);
  });
});
