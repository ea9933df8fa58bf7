/**
 * The Kafka broker killed with SIGKILL while clients post, then restarted: while it is down the
 * collector answers 503 (never 202), and every event that got a 202 is stored exactly once.
 * Uses its own broker (other ports, other folder) so killing it disturbs no other test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const SERVERS = resolve(import.meta.dirname, "../scripts/servers/servers.sh");
const enabled = Boolean(process.env.AW_KAFKA_BROKERS);
const runDir = mkdtempSync(join(tmpdir(), "aw-kafka-fault-"));
const env = {
  ...process.env,
  AW_KAFKA_PORT: "19192",
  AW_KAFKA_CONTROLLER_PORT: "19193",
  AW_SERVERS_RUN: runDir,
};
const servers = (...args: string[]) =>
  execFileSync("bash", [SERVERS, ...args], { env, stdio: "pipe", timeout: 120_000 });

describe.skipIf(!enabled)("Kafka broker killed and restarted", () => {
  let aw: AgentwatchProcess;

  beforeAll(async () => {
    servers("start", "kafka");
    aw = await startAgentwatch({
      config: {
        bus: { type: "kafka", brokers: ["127.0.0.1:19192"], topic_prefix: "aw-fault", partitions: 2 },
      },
    });
  });

  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    try {
      servers("stop", "kafka");
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  const acked: string[] = [];
  const statuses = new Map<number, number>();
  let batch = 0;
  /** Posts 20 events; remembers which were acknowledged. A refusal must be a proper 503. */
  const post = async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      id: `fault-${batch}-${i}`,
      time: new Date().toISOString(),
      type: "prompt",
      agent_id: AGENT,
      text: `message ${batch}/${i}`,
    }));
    batch += 1;
    const res = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(events),
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const body = await res.json();
    if (res.status === 202) acked.push(...events.map((e) => e.id));
    else {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect(body.error.code).toBe("log_unavailable");
    }
    return res.status;
  };
  /** What the process logged at warning and above (kafkajs's constant EoS notice left out). */
  const problems = () => {
    const notable = aw.logs.filter((l) => /"level":(40|50|60)/.test(l) && !l.includes("Limiting retries"));
    // Consumer crashes and restarts first (they explain a stuck group), then the latest lines.
    const consumers = notable.filter((l) =>
      /Crash|consumer for good|replaced the stopped|did not start/.test(l),
    );
    return [...consumers.slice(-20), "...", ...notable.slice(-20)].join("\n");
  };
  /** Waits for a 202; on failure says what the process logged, for the CI log. */
  const acceptsAgain = async () => {
    try {
      await eventually(async () => ((await post()) === 202 ? true : undefined), 120_000);
    } catch (err) {
      throw new Error(`${String(err)}\nthe process logged:\n${problems()}`);
    }
  };
  /** Every acknowledged event reaches storage (through Kafka and the indexer), once. */
  const expectAllStored = async () => {
    let missing: string[] = [];
    try {
      const stored = await eventually(async () => {
        const page = await (
          await aw.fetch(`/v1/events?agent_id=${AGENT}&limit=1000`, { headers: bearer(TOKENS.viewer) })
        ).json();
        const ids = new Set<string>(page.events.map((e: { id: string }) => e.id));
        missing = acked.filter((id) => !ids.has(id));
        return missing.length === 0 ? (page.events as unknown[]) : undefined;
      }, 120_000);
      expect(new Set(stored.map((e) => (e as { id: string }).id)).size).toBe(stored.length);
    } catch (err) {
      throw new Error(
        `${String(err)}\n${missing.length} of ${acked.length} acknowledged events not stored, e.g. ${missing.slice(0, 5).join(", ")}\nthe process logged:\n${problems()}`,
      );
    }
  };

  it("answers 503 while the broker is down, and loses no acknowledged event", {
    timeout: 240_000,
  }, async () => {
    for (let i = 0; i < 10; i += 1) expect(await post()).toBe(202);
    servers("kill", "kafka");
    // While the broker is gone: every answer is a 503, none a 202.
    const down: number[] = [];
    for (let i = 0; i < 3; i += 1) down.push(await post());
    expect(down).toEqual([503, 503, 503]);

    servers("start", "kafka");
    await acceptsAgain();
    for (let i = 0; i < 5; i += 1) await post();
    console.log("statuses", Object.fromEntries(statuses), "acknowledged", acked.length);
    await expectAllStored();
  });

  // A broker that stops answering past the request timeout (a long GC pause, a frozen VM) and then
  // resumes writes the timed-out records after all. kafkajs had already wound its sequence numbers
  // back, so every later send of that producer was refused as out of order, for ever: the
  // collector answered 503 until restarted. The bus now starts a fresh producer after a failure.
  it("recovers when a stalled broker resumes and writes what had timed out", {
    timeout: 240_000,
  }, async () => {
    expect(await post()).toBe(202);
    const pid = Number(readFileSync(join(runDir, "kafka", "pid"), "utf8"));
    process.kill(pid, "SIGSTOP");
    let stalled: number;
    try {
      // The append gives up after 8 s (its deadline): a 503.
      stalled = await post();
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(stalled).toBe(503);
    await acceptsAgain();
    for (let i = 0; i < 5; i += 1) expect(await post()).toBe(202);
    await expectAllStored();
  });
});
