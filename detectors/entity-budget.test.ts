import { describe, expect, it } from "vitest";
import { smallBudget } from "../test/helpers/budgets.ts";
import { admitEntity, newLedger, settleTable } from "./entity-budget.ts";
import { newRecord } from "./record.ts";
import type { Finding } from "./types.ts";

const HOUR = 3_600_000;
const budget = smallBudget(10, 20, 5);
const where = { detector: "auth_bruteforce", table: "principals_and_ips" };

interface Entity {
  agent_id: string;
  last_seen: number;
}

/** A table and its ledger, filled the way a detector does: admit, then create. */
function table() {
  const entities = newRecord<Entity>();
  const ledger = newLedger();
  const findings: Finding[] = [];
  const add = (agent: string, name: string, seen: number): boolean => {
    const key = `${agent}|${name}`;
    if (entities[key]) return true;
    if (
      !admitEntity(ledger, budget, where, agent, { seen, time: seen, eventId: `${agent}-${name}` }, findings)
    )
      return false;
    entities[key] = { agent_id: agent, last_seen: seen };
    return true;
  };
  const settle = (now: number, ttl = HOUR) =>
    settleTable(
      entities,
      ledger,
      budget,
      now,
      ttl,
      (e) => e.agent_id,
      (e) => e.last_seen,
    );
  const of = (agent: string) => Object.keys(entities).filter((k) => k.startsWith(`${agent}|`));
  return { entities, ledger, findings, add, settle, of };
}

describe("per-agent entity budgets", () => {
  it("refuses an agent's entities past its budget, then the tick drops its own oldest, never another agent's", () => {
    const t = table();
    t.add("victim", "carol", 1);
    const admitted = Array.from({ length: 15 }, (_, i) => t.add("attacker", `u${i}`, 10 + i));
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(t.settle(100)).toBe(2); // down to 80% of its budget
    expect(t.of("attacker")).toEqual([
      "attacker|u2",
      "attacker|u3",
      "attacker|u4",
      "attacker|u5",
      "attacker|u6",
      "attacker|u7",
      "attacker|u8",
      "attacker|u9",
    ]);
    expect(t.of("victim")).toEqual(["victim|carol"]);
    expect(t.ledger.counts).toEqual({ victim: 1, attacker: 8 });
    expect(t.add("attacker", "u20", 101)).toBe(true);
  });

  it("a full table refuses only the agents holding their share: a quiet agent still gets its entities, and nothing is evicted for it", () => {
    const t = table();
    for (const agent of ["a", "b"]) for (let i = 0; i < 10; i += 1) t.add(agent, `u${i}`, i);
    expect(t.ledger.total).toBe(20);
    // a and b hold their share (20 / 3 agents once c arrives); c holds none.
    expect(t.add("c", "first", 50)).toBe(true);
    expect(t.add("c", "second", 51)).toBe(true);
    expect(t.add("a", "more", 52)).toBe(false);
    expect(t.of("a")).toHaveLength(10);
    expect(t.of("b")).toHaveLength(10);
  });

  it("a flood of new entities is one entity_flood finding per agent and table per cooldown, naming the agent, the table and the count", () => {
    const t = table();
    for (let i = 0; i < 8; i += 1) t.add("attacker", `u${i}`, 1000 + i);
    for (let i = 0; i < 4; i += 1) t.add("victim", `v${i}`, 1000 + i);
    expect(t.findings).toHaveLength(1);
    expect(t.findings[0]).toMatchObject({
      detector: "entity_flood",
      agent_id: "attacker",
      key: "auth_bruteforce:principals_and_ips",
      observed: { new_entities: 5, refused: 0, entities: 5, window_seconds: 600 },
      baseline: { threshold: 5, max_entities_per_agent: 10 },
      labels: { source_detector: "auth_bruteforce", table: "principals_and_ips" },
    });
    // A new window within the hour: counted, not raised again; past the hour: raised again.
    for (let i = 0; i < 10; i += 1) t.add("attacker", `w${i}`, 1000 + 700_000 + i);
    expect(t.findings).toHaveLength(1);
    t.settle(1000 + HOUR, 2 * HOUR); // the counter stays while its cooldown runs
    for (let i = 0; i < 10; i += 1) t.add("attacker", `x${i}`, 1000 + HOUR + i);
    expect(t.findings.map((f) => f.agent_id)).toEqual(["attacker", "attacker"]);
  });

  it("a table restored without a ledger (a checkpoint from before budgets) is recounted by the tick", () => {
    const t = table();
    for (let i = 0; i < 12; i += 1) t.entities[`old|u${i}`] = { agent_id: "old", last_seen: i };
    expect(t.settle(20)).toBe(4);
    expect(t.ledger).toMatchObject({ counts: { old: 8 }, agents: 1, total: 8 });
  });
});
