/**
 * The listener against clients that try to hold it (issue 30), on the real process as users run
 * it (`agentwatch start`, embedded backends, shipped defaults), from 127.0.0.1 only.
 *
 *   npm run bench:listener [-- --held 200 --floods 4 --rounds 10]
 *
 * Phases, each with /healthz asked every 50 ms on a fresh connection meanwhile:
 * 1. held: `held` connections with no token send POST /v1/events headers declaring a 900 KB body
 *    and one byte of it, then nothing (the red team's pattern): each must be closed within 10 s;
 * 2. slowloris: `held / 4` connections send half a header block, then nothing: closed by
 *    server.headers_timeout (10 s) within 15 s;
 * 3. flood: `floods` concurrent NDJSON bodies of near-empty lines, as many as limits.max_body_bytes
 *    allows (`1\n`, 524,287 lines: the red team's half a million), `rounds` times, and as many
 *    blank-line bodies, and as many JSON arrays of 524,287 `1`: 413 too_many_events (or 429 once
 *    the token's rate is spent), 400 for the blank lines;
 * 4. reload: POST /v1/admin/config/reload; the listener must answer again, and phase 1 is run
 *    again (a quarter of `held`) on the reloaded one.
 * Bounds: /healthz under 1 s at every probe, every held socket closed in time, the reload's
 * listener answering within 10 s. Prints each phase's figures and the child's rss; exits 1 past
 * a bound.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";

const { values } = parseArgs({
  options: {
    held: { type: "string", default: "200" },
    floods: { type: "string", default: "4" },
    rounds: { type: "string", default: "10" },
  },
});
const HELD = Number(values.held);
const FLOODS = Number(values.floods);
const ROUNDS = Number(values.rounds);
const HEALTHZ_BOUND_MS = 1000;
const HELD_CLOSE_BOUND_MS = 10_000;
const SLOWLORIS_CLOSE_BOUND_MS = 15_000;
const INGEST = "bench-ingest-token-0123456789";
const ADMIN = "bench-admin-token-0123456789";

const ROOT = resolve(import.meta.dirname, "..");
const failures: string[] = [];

// ---- the process -------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const dataDir = mkdtempSync(join(tmpdir(), "agentwatch-bench-listener-"));
const port = await freePort();
const configPath = join(dataDir, "agentwatch.yaml");
writeFileSync(
  configPath,
  stringify({
    data_dir: dataDir,
    // A fixed port: the reloaded listener opens where the first one was.
    server: { host: "127.0.0.1", port },
    auth: {
      tokens: [
        { name: "ingest", role: "ingest", token: INGEST, agents: ["*"] },
        { name: "admin", role: "admin", token: ADMIN },
      ],
    },
    log: { level: "warn", format: "json" },
  }),
);
const logs: string[] = [];
const child: ChildProcess = spawn(
  process.execPath,
  [join(ROOT, "bin", "agentwatch.js"), "start", "--config", configPath],
  { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
);
child.stdout?.on("data", (chunk: Buffer) => logs.push(chunk.toString("utf8")));
child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString("utf8")));

function rssMiB(): number | undefined {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kib ? Math.round(Number(kib) / 1024) : undefined;
  } catch {
    return undefined; // not Linux
  }
}

// ---- HTTP helpers (no connection reuse: each probe is a new client) ---------------------------

interface Answer {
  status: number | "reset";
  ms: number;
}

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => done({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      res.on("error", () => done({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    // A refused body's connection is closed before the body is all sent: its answer still counts.
    req.on("error", () => done({ status: "reset", ms: performance.now() - started }));
    req.end(body);
  });
}

async function waitForHealthz(withinMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    const answer = await send("GET", "/healthz", {});
    if (answer.status === 200) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

/** Asks /healthz every 50 ms until stopped; the slowest answer, and failures. */
function probeHealthz(): { stop(): Promise<{ probes: number; maxMs: number; failed: number }> } {
  let running = true;
  let probes = 0;
  let maxMs = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const answer = await send("GET", "/healthz", {});
      probes += 1;
      maxMs = Math.max(maxMs, answer.ms);
      if (answer.status !== 200) failed += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, maxMs, failed };
    },
  };
}

// ---- phases --------------------------------------------------------------------------------

/** `count` connections that each write `head` and then nothing; ms until each was closed. */
async function heldSockets(
  count: number,
  head: string,
  boundMs: number,
): Promise<{ closedMaxMs: number; open: number }> {
  const closedAfter: number[] = [];
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.on("data", () => undefined);
      await once(socket, "connect");
      const sent = performance.now();
      socket.once("close", () => closedAfter.push(performance.now() - sent));
      socket.write(head);
      return socket;
    }),
  );
  const deadline = performance.now() + boundMs + 2000;
  while (closedAfter.length < count && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const open = count - closedAfter.length;
  for (const socket of sockets) socket.destroy();
  return { closedMaxMs: Math.max(0, ...closedAfter), open };
}

const refusedHead = [
  "POST /v1/events HTTP/1.1",
  `Host: 127.0.0.1:${port}`,
  "Content-Type: application/json",
  "Content-Length: 900000",
  "",
  "[",
].join("\r\n");
const slowlorisHead = `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: appl`;

/** `reopening`: the listener closes and opens again in this phase, so a refused probe is expected. */
async function phase(
  name: string,
  run: () => Promise<Record<string, unknown>>,
  reopening = false,
): Promise<void> {
  const rssBefore = rssMiB();
  const probe = probeHealthz();
  const started = performance.now();
  const figures = await run();
  const ms = Math.round(performance.now() - started);
  const healthz = await probe.stop();
  const line = {
    phase: name,
    ms,
    ...figures,
    healthz_probes: healthz.probes,
    healthz_max_ms: Math.round(healthz.maxMs),
    healthz_failed: healthz.failed,
    rss_mib_before: rssBefore,
    rss_mib_after: rssMiB(),
  };
  console.log(JSON.stringify(line));
  if (healthz.maxMs >= HEALTHZ_BOUND_MS)
    failures.push(`${name}: /healthz took ${Math.round(healthz.maxMs)} ms (bound ${HEALTHZ_BOUND_MS})`);
  if (healthz.failed > 0 && !reopening) failures.push(`${name}: ${healthz.failed} /healthz probes failed`);
}

async function heldPhase(name: string, count: number): Promise<void> {
  await phase(name, async () => {
    const held = await heldSockets(count, refusedHead, HELD_CLOSE_BOUND_MS);
    if (held.open > 0 || held.closedMaxMs > HELD_CLOSE_BOUND_MS) {
      failures.push(
        `${name}: ${held.open} of ${count} still open, slowest closed after ${Math.round(held.closedMaxMs)} ms (bound ${HELD_CLOSE_BOUND_MS})`,
      );
    }
    return { sockets: count, closed_max_ms: Math.round(held.closedMaxMs), still_open: held.open };
  });
}

try {
  const readyMs = await waitForHealthz(30_000);
  if (readyMs === undefined) throw new Error(`agentwatch did not answer within 30 s:\n${logs.join("")}`);
  console.log(JSON.stringify({ started: true, port, rss_mib: rssMiB() }));

  await heldPhase("held (no token, 900 KB declared, 1 byte sent)", HELD);

  await phase("slowloris (half a header block, then nothing)", async () => {
    const count = Math.max(1, Math.floor(HELD / 4));
    const held = await heldSockets(count, slowlorisHead, SLOWLORIS_CLOSE_BOUND_MS);
    if (held.open > 0 || held.closedMaxMs > SLOWLORIS_CLOSE_BOUND_MS) {
      failures.push(
        `slowloris: ${held.open} of ${count} still open, slowest closed after ${Math.round(held.closedMaxMs)} ms`,
      );
    }
    return { sockets: count, closed_max_ms: Math.round(held.closedMaxMs), still_open: held.open };
  });

  // As close to half a million near-empty lines as the body limit (1 MiB) allows.
  const maxBody = 1024 * 1024;
  const nearEmpty = Buffer.from("1\n".repeat(Math.floor((maxBody - 1) / 2)));
  const blank = Buffer.from(" \n".repeat(Math.floor((maxBody - 1) / 2)));
  // The same in a JSON array, which is parsed whole before it is counted (fastify's parser).
  const array = Buffer.from(`[${"1,".repeat(Math.floor((maxBody - 3) / 2))}1]`);
  for (const [name, body, contentType] of [
    ["flood (NDJSON, 524,287 lines of `1`)", nearEmpty, "application/x-ndjson"],
    ["flood (NDJSON, 524,287 blank lines)", blank, "application/x-ndjson"],
    ["flood (JSON array of 524,287 `1`)", array, "application/json"],
  ] as const) {
    await phase(name, async () => {
      const statuses: Record<string, number> = {};
      let slowestMs = 0;
      for (let round = 0; round < ROUNDS; round += 1) {
        const answers = await Promise.all(
          Array.from({ length: FLOODS }, () =>
            send(
              "POST",
              "/v1/events",
              {
                authorization: `Bearer ${INGEST}`,
                "content-type": contentType,
                "content-length": String(body.length),
              },
              body,
            ),
          ),
        );
        for (const answer of answers) {
          statuses[String(answer.status)] = (statuses[String(answer.status)] ?? 0) + 1;
          slowestMs = Math.max(slowestMs, answer.ms);
        }
      }
      return {
        bodies: FLOODS * ROUNDS,
        events_each: Math.floor(body.length / 2),
        statuses,
        slowest_answer_ms: Math.round(slowestMs),
      };
    });
  }

  await phase(
    "reload (POST /v1/admin/config/reload)",
    async () => {
      const answer = await send(
        "POST",
        "/v1/admin/config/reload",
        { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        Buffer.from(JSON.stringify({ reason: "bench:listener" })),
      );
      if (answer.status !== 202) failures.push(`reload: answered ${answer.status}`);
      // The old listener closes and the new one opens on the same port: /healthz answers again.
      await new Promise((r) => setTimeout(r, 200));
      const backMs = await waitForHealthz(10_000);
      if (backMs === undefined) failures.push("reload: the listener did not answer within 10 s");
      return {
        reload_status: answer.status,
        listener_back_ms: backMs === undefined ? null : Math.round(backMs),
      };
    },
    true,
  );
  await heldPhase("held after the reload", Math.max(1, Math.floor(HELD / 4)));
} catch (err) {
  failures.push(String(err));
} finally {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    await once(child, "exit");
  } else {
    failures.push(
      `agentwatch exited during the run (${child.exitCode ?? child.signalCode}):\n${logs.join("").slice(-4000)}`,
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`FAIL\n${failures.join("\n")}`);
  process.exit(1);
}
console.log("ok: every bound held");
