import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedBus } from "../services/runtime/bus/embedded.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { busConformance } from "./conformance/bus.ts";

const root = mkdtempSync(join(tmpdir(), "aw-bus-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

busConformance("embedded", {
  async open(name) {
    const bus = new EmbeddedBus({
      dataDir: join(root, name),
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
    return bus;
  },
});

describe("embedded bus", () => {
  it("refuses a second live consumer for the same group and topic", async () => {
    const bus = new EmbeddedBus({
      dataDir: join(root, "single-consumer"),
      retentionMs: 86_400_000,
      logger: createLogger("silent"),
      metrics: new Metrics(),
    });
    await bus.start();
    const handleBatch = async () => undefined;
    const first = await bus.consume({ group: "g", topic: "events", handleBatch });
    await expect(bus.consume({ group: "g", topic: "events", handleBatch })).rejects.toThrow(/already reads/);
    await first.stop();
    const again = await bus.consume({ group: "g", topic: "events", handleBatch });
    await again.stop();
    await bus.stop();
  });
});
