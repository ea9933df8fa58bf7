/**
 * What a new user trips on in the first hour (issue 10): a second process on the same data dir,
 * a port already in use, a server left running when the npm that launched it is stopped, and a
 * start-up warning that names every example secret.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exampleSecrets } from "../services/cli.ts";
import { parseConfig } from "../services/runtime/config.ts";
import { type AgentwatchProcess, freePort, startAgentwatch } from "./helpers/process.ts";
import { TOKENS } from "./helpers/tokens.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/agentwatch.js");
const start = (config: string, timeout = 30_000) =>
  spawnSync(process.execPath, [BIN, "start", "--config", config], { encoding: "utf8", timeout });

describe("the first hour", () => {
  const running: AgentwatchProcess[] = [];
  afterAll(async () => {
    for (const aw of running) {
      await aw.stop();
      aw.cleanup();
    }
  });

  it("refuses a second process on the same data dir with one line, and takes over a stale lock", async () => {
    const first = await startAgentwatch();
    running.push(first);
    const second = start(first.configPath);
    expect(second.status).toBe(1);
    expect(second.stderr.trim()).toMatch(
      /^agentwatch: data_dir .* is in use by another agentwatch \(pid \d+, since [^)]+\); stop it first, or give this one another data_dir$/,
    );
    // A crash leaves the lock behind; the next start recognises it as stale.
    await first.kill();
    const again = await startAgentwatch({ dataDir: first.dataDir });
    running.push(again);
    expect((await again.fetch("/healthz")).status).toBe(200);
  });

  it("says in one line that the port is in use, with no stack trace", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const aw = await startAgentwatch();
      await aw.stop();
      running.push(aw);
      const text = readFileSync(aw.configPath, "utf8").replace(/port: 0/, `port: ${port}`);
      const { writeFileSync } = await import("node:fs");
      writeFileSync(aw.configPath, text);
      const result = start(aw.configPath);
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(
        `agentwatch: 127.0.0.1:${port} is in use by another program; stop it, or set server.port`,
      );
      // The data dir was opened and closed again: its lock is released.
      expect(() => readFileSync(join(aw.dataDir, "agentwatch.pid"))).toThrow();
    } finally {
      blocker.close();
    }
  });

  it("stops when the process that launched it is gone (npm start, npx), as on SIGTERM", async () => {
    const aw = await startAgentwatch();
    await aw.stop();
    running.push(aw);
    // A shell stands in for npm: the server is its child; the shell is killed outright.
    const shell = spawn(
      "bash",
      ["-c", `"${process.execPath}" "${BIN}" start --config "${aw.configPath}" & wait`],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    shell.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const deadline = Date.now() + 30_000;
    while (!output.includes('"agentwatch started"') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain('"agentwatch started"');
    shell.kill("SIGKILL");
    const lock = join(aw.dataDir, "agentwatch.pid");
    const pid = JSON.parse(readFileSync(lock, "utf8")).pid as number;
    const stopped = Date.now() + 15_000;
    let alive = true;
    while (alive && Date.now() < stopped) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 200));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect(() => readFileSync(lock)).toThrow(); // it stopped cleanly: the holder's record is gone
  });

  it("warns about every secret that still has its example value, hook and control secrets included", () => {
    const raw = parse(readFileSync(join(ROOT, "agentwatch.example.yaml"), "utf8"));
    const config = parseConfig(raw, {});
    const keys = exampleSecrets(config);
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^auth\.tokens\[\d\]\.token/),
        expect.stringMatching(/^receivers\[\d\]\.secret/),
        expect.stringMatching(/^agents\[\d\]\.control\.secret/),
      ]),
    );
  });

  it("simulate --post says what the server refused and why, and fails when anything was", async () => {
    // Texts over 60 bytes are refused by this server: some of the simulated events are.
    const aw = await startAgentwatch({ config: { limits: { max_text_bytes: 60 } } });
    running.push(aw);
    const result = spawnSync(
      process.execPath,
      [
        BIN,
        "simulate",
        "--agents",
        "2",
        "--users",
        "3",
        "--days",
        "1",
        "--attacks",
        "none",
        "--post",
        aw.url,
        "--token",
        TOKENS.admin,
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/posted \d+ events to .*: \d+ accepted, 0 duplicates, [1-9]\d* rejected/);
    expect(result.stderr).toMatch(/rejected \S+: text: is longer than the limit of 60 bytes/);
  });
});
