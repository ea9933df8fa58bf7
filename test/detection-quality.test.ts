/**
 * Detection quality on simulated traffic (services/simulate.ts), replayed through every detector
 * with the default configuration (services/replay.ts):
 * - a clean fortnight of 50 agents raises at most one incident per 100 agent-days;
 * - every labelled attack scenario is caught by the detectors expected for it, on the right agent,
 *   while it happens.
 */
import { describe, expect, it } from "vitest";
import { Replayer } from "../services/replay.ts";
import { parseConfig } from "../services/runtime/config.ts";
import { groundTruth, type SimulationOptions, simulate, simulatedProviders } from "../services/simulate.ts";

const config = parseConfig(
  { auth: { tokens: [{ name: "t", role: "admin", token: "quality-token-0123456789" }] } },
  {},
);
const START = Date.parse("2026-11-02T00:00:00Z"); // a Monday
const DAY = 86_400_000;
const HOUR = 3_600_000;

function replay(options: SimulationOptions, with_ = config) {
  const replayer = new Replayer(with_);
  for (const event of simulate(options)) replayer.push(event);
  return replayer.finish();
}

describe("detection quality on simulated traffic", () => {
  // 1.2 million events through every detector: about 12 s alone, several times that on a busy
  // shared machine. The limit is there to catch a hang, not to time it (bench/ does that).
  it("raises at most one incident per 100 agent-days on a clean fortnight of 50 agents", {
    timeout: 300_000,
  }, () => {
    const result = replay({ agents: 50, usersPerAgent: 20, days: 14, start: START, seed: 11, attacks: [] });
    const agentDays = 50 * 14;
    const rate = (100 * result.incidents.length) / agentDays;
    console.log(
      `clean fortnight: ${result.events} events, ${result.incidents.length} incidents = ${rate.toFixed(2)} per 100 agent-days`,
      result.incidents.map((i) => `${i.detector}:${i.agent_id}@${i.first_finding_at}`),
    );
    expect(result.events).toBeGreaterThan(1_000_000);
    expect(rate).toBeLessThanOrEqual(1);
    // The drift findings' thresholds were chosen on this fortnight (issue 26): none here.
    expect(result.incidents.filter((i) => i.detectors.some((d) => d.endsWith("_drift")))).toEqual([]);
  });

  it("catches every attack scenario with the expected detectors", () => {
    // A learning week first, then one attack of each kind on days 8 and 9, in the agents' office
    // hours (agent i has UTC offset [-5, 0, 1, 5.5, 9][i % 5]; agents 1 and 6 are on UTC).
    const at = (day: number, hour: number) => day * DAY + hour * HOUR;
    const options: SimulationOptions = {
      agents: 10,
      usersPerAgent: 20,
      days: 10,
      start: START,
      seed: 5,
      attacks: [
        { scenario: "stolen_key", at: at(7, 10), agent: 1 },
        { scenario: "runaway_loop", at: at(7, 14), agent: 2 },
        { scenario: "brute_force", at: at(7, 11), agent: 3 },
        { scenario: "spraying", at: at(7, 15), agent: 4 },
        { scenario: "injection_campaign", at: at(8, 10), agent: 5 },
        { scenario: "hijacked_agent", at: at(8, 11), agent: 6 },
        { scenario: "exfiltration", at: at(8, 13), agent: 7 },
        { scenario: "pii_leak", at: at(8, 14), agent: 8 },
        { scenario: "silent_agent", at: at(8, 10), agent: 1 },
      ],
    };
    const result = replay(options);
    const missed: string[] = [];
    for (const truth of groundTruth(options)) {
      const from = Date.parse(truth.start);
      const to = Date.parse(truth.end) + HOUR;
      for (const detector of truth.expected_detectors) {
        const caught = result.incidents.some(
          (i) =>
            i.detectors.includes(detector) &&
            i.agent_id === truth.agent_id &&
            Date.parse(i.first_finding_at) >= from &&
            Date.parse(i.first_finding_at) <= to,
        );
        if (!caught) missed.push(`${truth.scenario} → ${detector} on ${truth.agent_id}`);
      }
    }
    expect(missed).toEqual([]);
  });

  it("catches a leaked key in the providers' records, and raises nothing where they match the agents' reports", () => {
    const agents = 6;
    // Every simulated key mapped to its agent, under the providers the simulation names.
    const withProviders = parseConfig(
      {
        auth: { tokens: [{ name: "t", role: "admin", token: "quality-token-0123456789" }] },
        providers: simulatedProviders(agents),
      },
      {},
    );
    const options: SimulationOptions = {
      agents,
      usersPerAgent: 20,
      days: 3,
      start: START,
      seed: 9,
      providers: true,
      attacks: [{ scenario: "leaked_key", at: 2 * DAY + 10 * HOUR, agent: 1 }],
    };
    const result = replay(options, withProviders);
    const [truth] = groundTruth(options);
    const unattributed = result.incidents.filter((i) => i.detectors.includes("unattributed_usage"));
    console.log(
      `leaked key: ${result.events} events (the providers' records included), incidents:`,
      result.incidents.map((i) => `${i.detector}:${i.agent_id}@${i.first_finding_at}`),
    );
    expect(unattributed.length).toBeGreaterThan(0);
    // The leak is large (about twenty times the key's busiest minutes): the key's own baseline,
    // kept on the provider's records, spikes too.
    expect(
      result.incidents.some((i) => i.detector === "token_spike" && i.labels.api_key_id === "key-1-b"),
    ).toBe(true);
    // Nothing else: where the providers' records match the agents' reports, nothing is raised.
    for (const incident of result.incidents) {
      expect(incident.agent_id).toBe(truth?.agent_id);
      const at = Date.parse(incident.first_finding_at);
      expect(at).toBeGreaterThanOrEqual(Date.parse(truth?.start as string));
      expect(at).toBeLessThanOrEqual(Date.parse(truth?.end as string) + HOUR);
    }
  });
});
