/**
 * The detector runner's checkpoint, written in pieces: a detector's state is serialized again
 * only when it changed; the checkpoint is still exactly the whole state, restored as it was.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { driftConfig } from "../../detectors/drift.ts";
import { errorDriftDefinition, errorRate } from "../../detectors/error-rate.ts";
import type { Detector } from "../../detectors/types.ts";
import { eventually } from "../../test/helpers/process.ts";
import { Topics } from "../runtime/bus/bus.ts";
import { EmbeddedBus } from "../runtime/bus/embedded.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { DETECTOR_GROUP, DetectorRunner } from "./runner.ts";

/** Counts the events of one type; its state is what the checkpoint must hold. */
function counter(name: string, type: "prompt" | "auth"): Detector<{ count: number; ids: string[] }> {
  return {
    name,
    eventTypes: [type],
    initialState: () => ({ count: 0, ids: [] }),
    update(state, { event }) {
      state.count += 1;
      state.ids.push(event.id);
      return [];
    },
  };
}

describe("detector runner checkpoints", () => {
  let dir: string;
  let bus: EmbeddedBus;
  let storage: EmbeddedStorage;
  const logger = createLogger("silent");
  const metrics = new Metrics();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-runner-"));
    bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    storage = new EmbeddedStorage(dir);
    await bus.start();
    await storage.start();
  });
  afterEach(async () => {
    await bus.stop();
    await storage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (type: string, ids: string[]) =>
    bus.append(
      Topics.events,
      ids.map((id) => ({
        key: "bot",
        value: JSON.stringify({
          event: {
            id,
            time: new Date().toISOString(),
            type,
            agent_id: "bot",
            text: "x",
            auth: { outcome: "failure" },
          },
          received_at: new Date().toISOString(),
          token: "t",
        }),
      })),
    );
  const start = async (detectors: Detector[] = [counter("prompts", "prompt"), counter("logins", "auth")]) => {
    const runner = new DetectorRunner({
      bus,
      storage,
      detectors,
      metrics,
      logger,
      checkpointIntervalMs: 0,
      tickIntervalMs: 20,
    });
    await runner.start();
    return runner;
  };
  const saved = async () => JSON.parse((await storage.loadCheckpoint(DETECTOR_GROUP, 0))?.state ?? "null");

  it("writes only what changed, and the checkpoint is the whole state", async () => {
    const runner = await start();
    await append("prompt", ["p1", "p2"]);
    await eventually(async () => ((await saved())?.states?.prompts?.count === 2 ? true : undefined));
    await append("auth", ["a1"]); // only `logins` changes: `prompts` is its earlier piece
    await eventually(async () => ((await saved())?.states?.logins?.count === 1 ? true : undefined));
    await append("prompt", ["p3"]);
    await eventually(async () => ((await saved())?.states?.prompts?.count === 3 ? true : undefined));
    await runner.stop();
    expect(await saved()).toEqual({
      version: 3,
      states: {
        prompts: { count: 3, ids: ["p1", "p2", "p3"] },
        logins: { count: 1, ids: ["a1"] },
        // What providers' usage records counted (none here: provider-usage.ts).
        _provider_usage: { counted: {}, newest: 0 },
      },
    });

    // Restored as it was, and counting goes on from there.
    const again = await start();
    await append("auth", ["a2"]);
    await eventually(async () => ((await saved())?.states?.logins?.count === 2 ? true : undefined));
    await again.stop();
    expect((await saved()).states).toEqual({
      prompts: { count: 3, ids: ["p1", "p2", "p3"] },
      logins: { count: 2, ids: ["a1", "a2"] },
      _provider_usage: { counted: {}, newest: 0 },
    });
  });

  it("reads the log from its start when there is no checkpoint, even past the group's committed offset", async () => {
    // A process killed before its first checkpoint had committed its batches to the log: the
    // events it had counted must be counted again, not skipped.
    await append("auth", ["a1", "a2", "a3"]);
    bus.commit(DETECTOR_GROUP, Topics.events, 3);
    expect(await storage.loadCheckpoint(DETECTOR_GROUP, 0)).toBeUndefined();
    const runner = await start();
    await append("auth", ["a4"]);
    await eventually(async () => ((await saved())?.states?.logins?.count === 4 ? true : undefined));
    await runner.stop();
    expect((await saved()).states.logins.ids).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("restores a version 1 checkpoint, except spend_cap and token_spike, whose keys counted across agents: they start fresh", async () => {
    const old = { count: 7, ids: ["old"] };
    await storage.saveCheckpoint({
      consumer: DETECTOR_GROUP,
      partition: 0,
      offset: 0,
      state: JSON.stringify({ version: 1, states: { prompts: old, spend_cap: old, token_spike: old } }),
      saved_at: Date.now(),
    });
    const runner = await start([
      counter("prompts", "prompt"),
      counter("spend_cap", "prompt"),
      counter("token_spike", "prompt"),
    ]);
    await append("prompt", ["p1"]);
    await eventually(async () => ((await saved())?.states?.prompts?.count === 8 ? true : undefined));
    await runner.stop();
    expect(await saved()).toMatchObject({
      version: 3,
      states: {
        prompts: { count: 8, ids: ["old", "p1"] },
        spend_cap: { count: 1, ids: ["p1"] },
        token_spike: { count: 1, ids: ["p1"] },
      },
    });
  });

  it("restores a version 2 checkpoint as it was: an entity gains its drift reference at its next event", async () => {
    // error_rate's state before issue 26: no `drift` on its agents.
    const before = Date.now() - 3_600_000;
    const agent = {
      window: { window_start: before, count: 3 },
      history: { values: [1, 2, 1], next: 0 },
      median: 1,
      spread: 1.48,
      windows: 20,
      alerted_window: 0,
      last_seen: before,
      recent: ["old"],
    };
    await storage.saveCheckpoint({
      consumer: DETECTOR_GROUP,
      partition: 0,
      offset: 0,
      state: JSON.stringify({ version: 2, states: { error_rate: { agents: { bot: agent } } } }),
      saved_at: Date.now(),
    });
    const detector = errorRate({
      minErrors: 10,
      robustZ: 6,
      entityTtlMs: 7 * 86_400_000,
      severity: "warning",
      drift: driftConfig(errorDriftDefinition.settings.parse({}), "sum"),
    });
    const runner = await start([detector as Detector]);
    await append("error", ["e1"]);
    await eventually(async () =>
      (await saved())?.states?.error_rate?.agents?.bot?.recent?.length === 2 ? true : undefined,
    );
    await runner.stop();
    const { version, states } = await saved();
    expect(version).toBe(3);
    // What it had learned is kept (the window of an hour ago closed into its history)...
    expect(states.error_rate.agents.bot).toMatchObject({ windows: 21, recent: ["old", "e1"] });
    expect(states.error_rate.agents.bot.history.values).toEqual([1, 2, 1, 3]);
    // ...and the reference starts with this event: one error in the running hour, nothing learned yet.
    expect(states.error_rate.agents.bot.drift).toMatchObject({ value: 1, hours: 0, ref: [], cusum: 0 });
  });
});
