/** The operator commands against a running agentwatch, through the real `agentwatch` entry point. */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentwatchProcess,
  eventually,
  freePort,
  type Json,
  startAgentwatch,
} from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const BIN = resolve(import.meta.dirname, "../bin/agentwatch.js");

describe("agentwatch incidents, agents, silences", () => {
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    aw = await startAgentwatch({
      config: { detectors: { auth_bruteforce: { threshold: 3, window: "5m" } } },
    });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const cli = (args: string[], token: string = TOKENS.operator) =>
    spawnSync(process.execPath, [BIN, ...args, "--url", aw.url], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, AGENTWATCH_TOKEN: token },
    });

  it("lists, shows and acknowledges incidents; pauses agents; adds and ends silences; tables or --json", async () => {
    await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(
        [1, 2, 3].map((i) => ({
          id: `bf-${i}`,
          time: new Date().toISOString(),
          type: "auth",
          agent_id: AGENT,
          auth: { outcome: "failure", principal: "alice" },
        })),
      ),
    });
    const incident: Json = await eventually(async () => {
      const list = JSON.parse(cli(["incidents", "list", "--json"]).stdout) as Json[];
      return list.find((i) => i.detector === "auth_bruteforce");
    });
    const table = cli(["incidents", "list", "--status", "open"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+SEVERITY\s+AGENT/);
    expect(table.stdout).toContain(incident.id);
    expect(cli(["incidents", "show", incident.id]).stdout).toContain("auth_bruteforce");
    expect(cli(["incidents", "ack", incident.id, "--comment", "on it"]).stdout.trim()).toBe(
      `${incident.id}: acknowledged`,
    );

    const paused = cli(["agents", "pause", AGENT, "--reason", "brute force"]);
    expect(paused.status).toBe(0);
    expect(paused.stdout.trim()).toBe(`${AGENT}: paused, no control URL configured`);
    expect(cli(["agents", "list"]).stdout).toMatch(new RegExp(`${AGENT}\\s+paused`));
    expect(cli(["agents", "pause", AGENT]).stderr.trim()).toBe(
      "agentwatch: agents pause needs --reason (it goes into the audit trail)",
    );

    const added = cli([
      "silences",
      "add",
      "--matcher",
      "principal=~pentest-.*",
      "--duration",
      "2h",
      "--comment",
      "drill",
      "--json",
    ]);
    expect(added.status).toBe(0);
    const silence = JSON.parse(added.stdout) as Json;
    expect(silence.matchers).toEqual([{ name: "principal", op: "=~", value: "pentest-.*" }]);
    expect(cli(["silences", "list", "--state", "active"]).stdout).toContain("principal=~pentest-.*");
    expect(cli(["silences", "expire", silence.id as string]).stdout.trim()).toBe(`${silence.id}: expired`);
  });

  it("says in one line what went wrong: the server's refusal, a missing token, an unreachable server", async () => {
    const viewer = cli(["agents", "pause", AGENT, "--reason", "x"], TOKENS.viewer);
    expect(viewer.status).toBe(1);
    expect(viewer.stderr.trim()).toMatch(
      /^agentwatch: token "\S+" \(role viewer\) may not do this; it needs an operator or admin token$/,
    );
    const none = cli(["incidents", "list"], "");
    expect(none.stderr.trim()).toBe("agentwatch: no token: give --token or set AGENTWATCH_TOKEN");
    const port = await freePort();
    const away = spawnSync(
      process.execPath,
      [BIN, "incidents", "list", "--url", `http://127.0.0.1:${port}`, "--token", "t"],
      { encoding: "utf8" },
    );
    expect(away.stderr.trim()).toBe(
      `agentwatch: cannot reach agentwatch at http://127.0.0.1:${port} (ECONNREFUSED); check --url`,
    );
  });
});
