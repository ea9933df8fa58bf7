/**
 * agentwatch/client as a user gets it: client/dist is what client/src builds to (rebuilt here and
 * compared), and a program that imports "agentwatch/client" from node_modules (where Node strips
 * no types) runs on this Node and on an older system Node, reports events and, doing nothing
 * else, has them sent by the exit flush (through a 503 and its Retry-After) before the process ends.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const DIST = join(ROOT, "client", "dist");
const tmp = mkdtempSync(join(tmpdir(), "agentwatch-client-pkg-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("agentwatch/client package", () => {
  it("client/dist is up to date with client/src (npm run build:client)", () => {
    const out = join(tmp, "build");
    execFileSync(
      join(ROOT, "node_modules", ".bin", "tsc"),
      ["-p", join(ROOT, "client", "tsconfig.json"), "--outDir", out],
      {
        cwd: ROOT,
      },
    );
    const built = readdirSync(out).sort();
    expect(readdirSync(DIST).sort()).toEqual(built);
    for (const file of built) {
      expect(readFileSync(join(DIST, file), "utf8"), `${file} is stale: npm run build:client`).toBe(
        readFileSync(join(out, file), "utf8"),
      );
    }
  });

  it("is exported as agentwatch/client and runs from node_modules, flushing on exit", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.exports["./client"]).toEqual({
      types: "./client/dist/index.d.ts",
      default: "./client/dist/index.js",
    });
    const app = join(tmp, "app");
    const installed = join(app, "node_modules", "agentwatch");
    mkdirSync(join(installed, "client"), { recursive: true });
    writeFileSync(
      join(installed, "package.json"),
      JSON.stringify({ name: "agentwatch", type: "module", exports: pkg.exports }),
    );
    cpSync(DIST, join(installed, "client", "dist"), { recursive: true });

    const received: unknown[][] = [];
    let unavailable = true;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/v1/events" && unavailable) {
          // Once per run: the exit flush must wait out the Retry-After, keeping the process alive.
          unavailable = false;
          res.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: "unavailable", message: "try again" } }));
          return;
        }
        if (req.url === "/v1/events") received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        res.writeHead(req.url === "/v1/events" ? 202 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify({ accepted: 3, duplicates: 0, conflicts: [], rejected: [] }));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(
      join(app, "main.mjs"),
      `import { AgentwatchClient, usageEvent, toolCallEvent, promptEvent } from "agentwatch/client";
const client = new AgentwatchClient({ url: process.argv[2], token: "t", agentId: "bot", statusPollIntervalMs: 0, flushIntervalMs: 60000 });
client.report(promptEvent("hello", { sessionId: "s" }));
client.report(toolCallEvent({ name: "search", arguments: { q: "x" } }));
client.report(usageEvent({ provider: "openai", model: "gpt-4o", usage: { prompt_tokens: 3, completion_tokens: 4 } }));
console.log("reported", client.stats().queued);
`,
    );
    const nodes = [process.execPath, "/usr/bin/node"].filter((n) => existsSync(n));
    try {
      for (const node of nodes) {
        const before = received.length;
        unavailable = true;
        const child = spawn(node, ["main.mjs", url], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (c: Buffer) => {
          output += c.toString("utf8");
        });
        child.stderr.on("data", (c: Buffer) => {
          output += c.toString("utf8");
        });
        const [code] = await once(child, "exit");
        expect(code, `${node}: ${output}`).toBe(0);
        expect(output).toContain("reported 3");
        // Nothing flushed explicitly: the beforeExit flush sent the three events in one POST, after a 503.
        expect(received.slice(before)).toHaveLength(1);
        expect(received[before]?.map((e) => (e as { type: string }).type)).toEqual([
          "prompt",
          "tool_call",
          "llm_usage",
        ]);
      }
    } finally {
      server.close();
    }
  });
});
