/**
 * Records that cannot be processed go to the dead-letter topic with the reason, are counted, and
 * do not block the consumers: garbage is put straight into a stopped instance's log, and the
 * restarted process sets it aside and goes on with the good records after it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type BusRecord, Topics } from "../services/runtime/bus/bus.ts";
import {
  type AgentwatchProcess,
  eventually,
  launch,
  openEmbeddedLog,
  startAgentwatch,
} from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

describe("dead-letter topic", () => {
  let aw: AgentwatchProcess;
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const openLog = () => openEmbeddedLog(aw.dataDir);

  it("sets undecodable records aside with the reason and goes on", async () => {
    aw = await startAgentwatch();
    await aw.stop();

    const bus = await openLog();
    const good = {
      event: {
        id: "after-garbage",
        time: new Date().toISOString(),
        type: "prompt",
        agent_id: AGENT,
        text: "hi",
      },
      received_at: new Date().toISOString(),
      token: "t",
    };
    await bus.append("events", [
      { key: AGENT, value: "{not json" },
      { key: AGENT, value: JSON.stringify({ something: "else" }) },
      { key: AGENT, value: JSON.stringify(good) },
    ]);
    await bus.append("findings", [{ key: AGENT, value: "[]" }]);
    await bus.stop();

    await launch(aw);
    // The good event after the garbage is indexed: nothing is blocked.
    await eventually(async () => {
      const page = await (
        await aw.fetch(`/v1/events?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
      ).json();
      return page.events.some((e: { id: string }) => e.id === "after-garbage") ? true : undefined;
    });
    const metrics = await eventually(async () => {
      const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
      return /agentwatch_dead_letter_records_total\{consumer="alerter"\} 1/.test(text) &&
        /agentwatch_dead_letter_records_total\{consumer="detector"\} 2/.test(text) &&
        /agentwatch_dead_letter_records_total\{consumer="indexer"\} 2/.test(text)
        ? text
        : undefined;
    });
    expect(metrics).toBeDefined();
    await aw.stop();

    const log = await openLog();
    const letters: BusRecord[] = [];
    const consumer = await log.consume({
      group: "test-reader",
      topic: Topics.deadLetter,
      handleBatch: async (batch) => {
        letters.push(...batch.records);
      },
    });
    await eventually(async () => (letters.length >= 5 ? true : undefined), 5000);
    await consumer.stop();
    await log.stop();
    const parsed = letters.map((l) => JSON.parse(l.value));
    expect(parsed.map((p) => p.consumer).sort()).toEqual([
      "alerter",
      "detector",
      "detector",
      "indexer",
      "indexer",
    ]);
    expect(parsed.find((p) => p.consumer === "indexer" && p.value === "{not json")).toMatchObject({
      topic: "events",
      offset: expect.any(Number),
      reason: expect.stringMatching(/^not an event record/),
    });
    expect(parsed.find((p) => p.consumer === "alerter")?.reason).toMatch(/^not a finding record/);
  });
});
