/**
 * Crash safety: the process is killed with SIGKILL while clients post events. After a restart
 * on the same data dir, every event that got a 202 is stored exactly once, repeated ids are still
 * recognised, and the detector resumes from its checkpoint: failures counted before the crash
 * still count, and none is counted twice.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AgentwatchProcess,
  eventually,
  launch,
  startAgentwatch,
  storedEventIds,
} from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const post = (aw: AgentwatchProcess, events: unknown[]) =>
  aw.fetch("/v1/events", {
    method: "POST",
    headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
    body: JSON.stringify(events),
  });

const failure = (i: number) => ({
  id: `victim-${i}`,
  time: new Date(Date.now() - 60_000 + i).toISOString(),
  type: "auth",
  agent_id: AGENT,
  auth: { outcome: "failure", principal: "victim" },
});

describe("crash safety (SIGKILL)", () => {
  let aw: AgentwatchProcess;
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  it("keeps every acknowledged event exactly once and resumes detection from the checkpoint", async () => {
    aw = await startAgentwatch({
      config: { detectors: { auth_bruteforce: { threshold: 50, window: "1h" } } },
    });

    // 30 of the 50 failures that make a brute force, before the crash.
    expect(
      (
        await post(
          aw,
          Array.from({ length: 30 }, (_, i) => failure(i)),
        )
      ).status,
    ).toBe(202);

    // Clients flood the collector; the process is killed under them.
    const acked: string[] = [];
    const firstBatch: unknown[] = [];
    let stop = false;
    const client = async (c: number) => {
      for (let batch = 0; !stop; batch += 1) {
        const events = Array.from({ length: 100 }, (_, i) => ({
          id: `flood-${c}-${batch}-${i}`,
          time: new Date().toISOString(),
          type: "prompt",
          agent_id: AGENT,
          session_id: `s-${c}`,
          text: `message ${batch}/${i} from client ${c}`,
        }));
        try {
          const res = await post(aw, events);
          if (res.status !== 202) continue;
          const body = await res.json();
          expect(body.accepted).toBe(100);
          acked.push(...events.map((e) => e.id));
          if (firstBatch.length === 0) firstBatch.push(...events);
        } catch {
          return; // the connection died with the process: this batch was never acknowledged
        }
      }
    };
    const clients = [0, 1, 2].map(client);
    await sleep(1500); // long enough for a detector checkpoint (every second) to be written
    await aw.kill();
    stop = true;
    await Promise.all(clients);
    expect(acked.length).toBeGreaterThan(500);
    console.log(`${acked.length} events acknowledged before SIGKILL`);

    await launch(aw);
    const restored = aw.logged("restored detector state from checkpoint");
    expect(restored).toHaveLength(1);
    expect(restored[0]?.offset as number).toBeGreaterThan(30);

    // Every acknowledged event is stored, once.
    const stored = await eventually(async () => {
      const ids = await storedEventIds(aw, "prompt");
      return ids.length >= acked.length ? ids : undefined;
    }, 30_000);
    expect(new Set(stored).size).toBe(stored.length);
    const storedSet = new Set(stored);
    expect(acked.filter((id) => !storedSet.has(id))).toEqual([]);

    // Ids are still remembered after the crash.
    const again = await (await post(aw, firstBatch)).json();
    expect(again).toEqual({ accepted: 0, duplicates: 100, conflicts: [], rejected: [] });

    // The other 20 failures: exactly 50 in the window, so exactly one finding, with 50 counted.
    expect(
      (
        await post(
          aw,
          Array.from({ length: 20 }, (_, i) => failure(30 + i)),
        )
      ).status,
    ).toBe(202);
    const incident = await eventually(async () => {
      const res = await aw.fetch(`/v1/incidents?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) });
      const { incidents } = await res.json();
      return incidents.find((i: { labels: Record<string, string> }) => i.labels.principal === "victim");
    });
    expect(incident.finding_count).toBe(1);
    expect(incident.findings[0].observed).toEqual({ failures: 50, window_seconds: 3600 });
    expect(incident.findings[0].event_ids).toContain("victim-49");
  });
});
