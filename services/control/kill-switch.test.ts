/**
 * The kill switch's order of writes: the audit entry comes first, so a failed audit write leaves
 * neither a paused state nor a control command that nobody can account for; and every command
 * carries a sequence larger than the last, also across a restart of the kill switch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryDispatcher } from "../alerter/dispatcher.ts";
import { parseConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { AuditEntry } from "../runtime/model.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { KillSwitch } from "./kill-switch.ts";

const config = parseConfig(
  {
    auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
    agents: [
      { id: "bot", control: { url: "http://127.0.0.1:9/control", secret: "control-secret-0123456789" } },
    ],
  },
  {},
);

describe("kill switch", () => {
  let dir: string;
  let storage: EmbeddedStorage;
  let now = Date.parse("2026-11-20T10:00:00Z");
  let failAudit = false;
  const audited: Omit<AuditEntry, "id" | "time">[] = [];

  const killSwitch = () => {
    const logger = createLogger("silent");
    const metrics = new Metrics();
    // Never started: deliveries stay queued to be read back.
    const dispatcher = new DeliveryDispatcher({
      storage,
      metrics,
      logger,
      senderFor: () => undefined,
      now: () => now,
    });
    return new KillSwitch({
      storage,
      dispatcher,
      agents: config.agents,
      metrics,
      logger,
      now: () => now,
      audit: async (entry) => {
        if (failAudit) throw new AgentwatchError("storageUnavailable", "audit index is down");
        audited.push(entry);
      },
    });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-kill-"));
    storage = new EmbeddedStorage(dir);
    await storage.start();
    failAudit = false;
    audited.length = 0;
  });
  afterEach(async () => {
    await storage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a failed audit write leaves no pause and sends no command", async () => {
    failAudit = true;
    await expect(
      killSwitch().pause("bot", { actor: "oncall", reason: "r", incidentId: null }),
    ).rejects.toThrow(/audit index is down/);
    expect((await storage.getAgent("bot"))?.state ?? "active").toBe("active");
    expect(await storage.pendingDeliveries()).toBe(0);
  });

  it("every command's sequence is larger than the last, across restarts and a clock that stands still", async () => {
    const sequences: number[] = [];
    const read = async () => {
      const id = (await storage.getAgent("bot"))?.control?.delivery_id as string;
      sequences.push(JSON.parse((await storage.getDelivery(id))?.body ?? "{}").sequence);
    };
    await killSwitch().pause("bot", { actor: "oncall", reason: "r", incidentId: null });
    await read();
    await killSwitch().resume("bot", { actor: "oncall", reason: "ok", incidentId: null }); // a new instance: a restart
    await read();
    await killSwitch().pause("bot", { actor: "oncall", reason: "again", incidentId: null });
    await read();
    expect(sequences).toHaveLength(3);
    expect(sequences[0]).toBe(now);
    expect(sequences[1]).toBe(now + 1); // the clock did not move: one more than the last
    expect(sequences[2]).toBe(now + 2);
    expect(audited.map((a) => a.action)).toEqual(["pause", "resume", "pause"]);
    now += 1;
  });
});
