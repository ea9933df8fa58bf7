/**
 * Config reload through the real process: the admin endpoint and SIGHUP read the file again,
 * validate it as a start does, audit the reload (`config_reload`) and apply it; an invalid file
 * or a change that needs a restart changes nothing and says why, and agentwatch goes on serving.
 */

import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentwatchProcess,
  eventually,
  freePort,
  type Json,
  startAgentwatch,
  writeConfig,
} from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

describe("config reload", () => {
  const receiver = new Receiver();
  let aw: AgentwatchProcess;
  let port: number;
  const config = (overrides: Record<string, unknown>) => ({
    server: { host: "127.0.0.1", port },
    ...overrides,
  });

  beforeAll(async () => {
    await receiver.start();
    port = await freePort();
    aw = await startAgentwatch({ config: config({}) });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
  });

  const reload = (token: string, body: unknown = {}) =>
    aw.fetch("/v1/admin/config/reload", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const bruteForce = (principal: string, count: number) =>
    aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(
        Array.from({ length: count }, (_, i) => ({
          id: `${principal}-${i}`,
          time: new Date().toISOString(),
          type: "auth",
          agent_id: AGENT,
          auth: { outcome: "failure", principal },
        })),
      ),
    });
  /** The config with a webhook receiver and the brute-force threshold given. */
  const writeWithHook = (threshold: number) =>
    writeConfig(
      aw.dataDir,
      config({
        receivers: [
          {
            name: "new-hook",
            type: "webhook",
            url: `${receiver.url}/alerts`,
            secret: "hook-secret-0123456789",
          },
        ],
        detectors: { auth_bruteforce: { threshold, window: "5m" } },
      }),
    );
  const audit = async (): Promise<Json[]> =>
    (await (await aw.fetch("/v1/audit?action=config_reload", { headers: bearer(TOKENS.viewer) })).json())
      .entries;

  it("needs an admin token", async () => {
    expect((await reload(TOKENS.operator)).status).toBe(403);
  });

  it("refuses an invalid file, naming every problem, and runs on as it was", async () => {
    writeFileSync(aw.configPath, "auth: [this is not: valid\n");
    const bad = await reload(TOKENS.admin);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(
      /config not reloaded, agentwatch runs on as it was: .*not valid YAML/s,
    );

    writeConfig(aw.dataDir, config({ detectors: { auth_bruteforce: { threshold: 0, window: "soon" } } }));
    const invalid = await reload(TOKENS.admin);
    expect(invalid.status).toBe(400);
    const message = (await invalid.json()).error.message as string;
    expect(message).toMatch(/detectors\.auth_bruteforce\.threshold/);
    expect(message).toMatch(/detectors\.auth_bruteforce\.window/);

    writeConfig(aw.dataDir, config({ server: { host: "127.0.0.1", port: port + 1 } }));
    const moved = await reload(TOKENS.admin);
    expect(moved.status).toBe(400);
    expect((await moved.json()).error.message).toMatch(/server changed, and it takes a restart/);
    expect((await aw.fetch("/healthz")).status).toBe(200);
    expect(await audit()).toEqual([]);
  });

  it("applies a valid file: new thresholds and receivers take effect, and the reload is audited", async () => {
    writeWithHook(3);
    const ok = await reload(TOKENS.admin, { reason: "lower the brute-force threshold" });
    expect(ok.status).toBe(202);
    expect((await ok.json()).changed).toEqual(["receivers", "detectors"]);
    // The process restarts its roles on the same address.
    await eventually(async () =>
      (await aw.fetch("/healthz").catch(() => undefined))?.status === 200 ? true : undefined,
    );
    await eventually(async () =>
      (await bruteForce("carol", 3).catch(() => undefined))?.status === 202 ? true : undefined,
    );
    const alert = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "carol",
    );
    expect(JSON.parse(alert.body).incident.detector).toBe("auth_bruteforce");
    const [entry] = await audit();
    expect(entry).toMatchObject({
      action: "config_reload",
      actor: "root", // the admin token's name
      reason: "lower the brute-force threshold",
      details: { changed: ["receivers", "detectors"] },
    });
  });

  it("reloads on SIGHUP too", async () => {
    writeWithHook(2);
    aw.child?.kill("SIGHUP");
    const entries = await eventually(async () => {
      const found = await audit().catch(() => []);
      return found.length === 2 ? found : undefined;
    });
    expect(entries[0]).toMatchObject({ actor: "signal:SIGHUP", details: { changed: ["detectors"] } });
    await eventually(async () =>
      (await bruteForce("dave", 2).catch(() => undefined))?.status === 202 ? true : undefined,
    );
    await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "dave",
    );
  });
});
