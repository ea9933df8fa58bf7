/**
 * A crash never keeps agentwatch down (issue 29). Rounds of ingest load, SIGKILL at a random
 * moment (as the OOM killer or a power cut would), and a restart 100 ms later without waiting for
 * the old process to be reaped, as a supervisor with a short restart delay does. Each round must
 * be back and ready (/readyz 200, no token, as a probe asks) within 15 s. Across all rounds no
 * acknowledged event is lost or stored twice; a brute force whose failures straddle a crash
 * raises one incident and one notification; a notification queued but not delivered at the kill
 * is delivered once after it. The data-dir lock is the kernel's, never a pid: a lock file naming
 * a zombie, or a live process that is not agentwatch, never blocks a start; a second live
 * agentwatch is refused in one line naming the first.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../lib/random.ts";
import {
  type AgentwatchProcess,
  eventually,
  launch,
  startAgentwatch,
  storedEventIds,
} from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const ROUNDS = Number(process.env.AW_CRASH_ROUNDS ?? 30);
const READY_WITHIN_MS = 15_000;
const BIN = resolve(import.meta.dirname, "..", "bin", "agentwatch.js");
/** The round whose crash falls between the first and the second half of a brute force. */
const STRADDLE_ROUND = Math.min(3, ROUNDS - 1);
/** The round whose crash falls while a notification waits in the outbox for its receiver. */
const QUEUED_ROUND = Math.min(6, ROUNDS - 1);

const post = (aw: AgentwatchProcess, events: unknown[]) =>
  aw.fetch("/v1/events", {
    method: "POST",
    headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
    body: JSON.stringify(events),
  });

const failures = (principal: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${principal}-${from + i}`,
    time: new Date().toISOString(),
    type: "auth",
    agent_id: AGENT,
    source_ip: "203.0.113.9",
    auth: { outcome: "failure", principal },
  }));

async function postAll(aw: AgentwatchProcess, events: unknown[]): Promise<void> {
  const res = await post(aw, events);
  expect(res.status).toBe(202);
  expect((await res.json()).accepted).toBe(events.length);
}

/** Clients posting prompt events until the process dies under them; the ids answered 202. */
function ingestLoad(aw: AgentwatchProcess, round: number, acked: Set<string>): { stop(): Promise<void> } {
  let stopped = false;
  const client = async (c: number) => {
    for (let batch = 0; !stopped; batch += 1) {
      const events = Array.from({ length: 50 }, (_, i) => ({
        id: `r${round}-c${c}-b${batch}-${i}`,
        time: new Date().toISOString(),
        type: "prompt",
        agent_id: AGENT,
        session_id: `s-${c}`,
        text: `round ${round}, message ${batch}/${i} from client ${c}`,
      }));
      try {
        const res = await post(aw, events);
        if (res.status !== 202) continue;
        const body = await res.json();
        if (body.accepted + body.duplicates === events.length) for (const e of events) acked.add(e.id);
      } catch {
        return; // the connection died with the process: this batch was never acknowledged
      }
    }
  };
  const clients = [0, 1, 2].map(client);
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
    },
  };
}

/** SIGKILL, then a new process 100 ms later, without waiting for the old one's exit to be reaped. */
async function crashAndRestart(aw: AgentwatchProcess): Promise<number> {
  const old = aw.child as ChildProcess;
  const killedAt = Date.now();
  old.kill("SIGKILL");
  await sleep(100);
  await launch(aw);
  const ready = await eventually(async () => {
    const res = await aw.fetch("/readyz");
    return res.status === 200 ? ((await res.json()) as { status: string }) : undefined;
  }, READY_WITHIN_MS);
  expect(ready.status).toBe("ready");
  if (old.exitCode === null && old.signalCode === null) await once(old, "exit");
  return Date.now() - killedAt;
}

async function incidentsFor(aw: AgentwatchProcess, principal: string): Promise<{ id: string }[]> {
  const res = await aw.fetch(`/v1/incidents?agent_id=${AGENT}&limit=200`, { headers: bearer(TOKENS.viewer) });
  const { incidents } = await res.json();
  return incidents.filter((i: { labels: Record<string, string> }) => i.labels.principal === principal);
}

describe("crash and restart (SIGKILL, restarted 100 ms later)", () => {
  const receiver = new Receiver();
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
  });

  const notificationsOf = (incidentId: string, answered: number) =>
    receiver
      .on("/alerts")
      .filter((r) => r.answered === answered)
      .map((r) => JSON.parse(r.body) as { status: string; incident: { id: string } })
      .filter((n) => n.incident.id === incidentId && n.status === "firing");

  it(`comes back ready within 15 s, ${ROUNDS} rounds, and loses or repeats nothing acknowledged`, {
    timeout: 900_000,
  }, async () => {
    aw = await startAgentwatch({
      config: {
        agents: [{ id: AGENT }],
        receivers: [
          { name: "hook", type: "webhook", url: `${receiver.url}/alerts`, secret: "crash-test-secret-0123" },
        ],
        detectors: { auth_bruteforce: { threshold: 20, window: "1h" } },
      },
    });
    const next = seededRandom(29);
    const acked = new Set<string>();
    const readyMs: number[] = [];
    let queuedIncident: string | undefined;

    for (let round = 0; round < ROUNDS; round += 1) {
      const load = ingestLoad(aw, round, acked);
      if (round === STRADDLE_ROUND) await postAll(aw, failures("straddle", 0, 12));
      if (round === QUEUED_ROUND) {
        // The receiver is down: the incident's notification waits in the outbox at the kill.
        receiver.status.set("/alerts", 503);
        await postAll(aw, failures("queued", 0, 20));
        const attempt = await receiver.waitFor(
          (r) => r.path === "/alerts" && r.answered === 503 && r.body.includes('"queued"'),
          20_000,
        );
        queuedIncident = (JSON.parse(attempt.body) as { incident: { id: string } }).incident.id;
      }
      // Killed at a random moment of the load (a detector checkpoint is written every second).
      await sleep(200 + Math.floor(next() * 1300));
      const restart = crashAndRestart(aw);
      await load.stop();
      readyMs.push(await restart);
      if (round === QUEUED_ROUND) receiver.status.delete("/alerts");
      if (round === STRADDLE_ROUND) await postAll(aw, failures("straddle", 12, 8));
    }

    const slowest = Math.max(...readyMs);
    console.log(
      `${ROUNDS} crashes: ${acked.size} events acknowledged; ready again after ${Math.min(...readyMs)}-${slowest} ms (median ${readyMs.sort((a, b) => a - b)[Math.floor(readyMs.length / 2)]} ms)`,
    );
    expect(slowest).toBeLessThanOrEqual(READY_WITHIN_MS);
    expect(aw.logs.filter((l) => l.includes("is in use by another agentwatch"))).toEqual([]);

    // Every acknowledged event is stored, once.
    const stored = await eventually(async () => {
      const ids = await storedEventIds(aw, "prompt");
      return ids.length >= acked.size ? ids : undefined;
    }, 60_000);
    expect(stored.length - new Set(stored).size).toBe(0);
    const storedSet = new Set(stored);
    expect([...acked].filter((id) => !storedSet.has(id))).toEqual([]);

    // The straddling brute force: 12 failures before a crash and 8 after are one incident, one page.
    const [straddle, ...more] = await eventually(async () => {
      const found = await incidentsFor(aw, "straddle");
      return found.length > 0 ? found : undefined;
    });
    expect(more).toEqual([]);
    const straddlePages = await eventually(async () => {
      const pages = notificationsOf(straddle?.id as string, 200);
      return pages.length > 0 ? pages : undefined;
    });
    expect(straddlePages).toHaveLength(1);

    // The notification queued at the kill is delivered after it, once.
    expect(queuedIncident).toBeDefined();
    const delivered = await eventually(async () => {
      const pages = notificationsOf(queuedIncident as string, 200);
      return pages.length > 0 ? pages : undefined;
    }, 60_000);
    expect(delivered).toHaveLength(1);
    expect(await incidentsFor(aw, "queued")).toHaveLength(1);
    // Nothing arrives later: a second look after the dispatcher's retries would have come.
    await sleep(3000);
    expect(notificationsOf(queuedIncident as string, 200)).toHaveLength(1);
    expect(notificationsOf(straddle?.id as string, 200)).toHaveLength(1);
  });
});

describe("the data-dir lock is the kernel's, not a pid", () => {
  const dirs: string[] = [];
  const running: AgentwatchProcess[] = [];
  const others: ChildProcess[] = [];
  afterAll(async () => {
    for (const aw of running) {
      await aw.stop();
      aw.cleanup();
    }
    for (const child of others) child.kill("SIGKILL");
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A data dir whose lock files name `pid`, as a crashed agentwatch of any version would leave them. */
  function dataDirNaming(pid: number): string {
    const dir = mkdtempSync(join(tmpdir(), "agentwatch-lock-"));
    dirs.push(dir);
    writeFileSync(join(dir, "agentwatch.lock"), `${pid}\n`);
    writeFileSync(join(dir, "agentwatch.pid"), `${JSON.stringify({ pid, since: "2026-01-01T00:00:00Z" })}\n`);
    return dir;
  }

  it("starts when the lock files name a live process that is not agentwatch (a recycled pid)", async () => {
    const stranger = spawn("sleep", ["60"], { stdio: "ignore" });
    others.push(stranger);
    const pid = stranger.pid as number;
    const aw = await startAgentwatch({ dataDir: dataDirNaming(pid) });
    running.push(aw);
    expect((await aw.fetch("/readyz")).status).toBe(200);
    // The lock files now name this agentwatch; the old pid file is gone.
    expect(JSON.parse(readFileSync(join(aw.dataDir, "agentwatch.pid"), "utf8")).pid).toBe(aw.child?.pid);
    expect(existsSync(join(aw.dataDir, "agentwatch.lock"))).toBe(false);
  });

  it("starts when the lock files name a zombie (killed, never reaped)", async () => {
    // The shell starts a child that exits at once, then becomes `sleep`, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 60"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    others.push(parent);
    const [line] = (await once(parent.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
    const zombie = Number(line.toString().trim());
    await eventually(async () =>
      readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ? true : undefined,
    );
    process.kill(zombie, 0); // it still "exists" for kill(pid, 0), which the old lock trusted
    const aw = await startAgentwatch({ dataDir: dataDirNaming(zombie) });
    running.push(aw);
    expect((await aw.fetch("/readyz")).status).toBe(200);
  });

  it("refuses a second live agentwatch on the same data dir at once, in one line naming the first", async () => {
    const first = await startAgentwatch();
    running.push(first);
    const second = spawnSync(process.execPath, [BIN, "start", "--config", first.configPath], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^agentwatch: data_dir .* is in use by another agentwatch \\(pid ${first.child?.pid}, since [^)]+\\); stop it first, or give this one another data_dir$`,
      ),
    );
    // The first runs on, untouched.
    expect((await first.fetch("/readyz")).status).toBe(200);
  });
});
