/**
 * The Kafka broker killed with SIGKILL while clients post, then restarted: while it is down the
 * collector answers 503 (never 202), and every event that got a 202 is stored exactly once.
 * Uses its own broker (other ports, other folder) so killing it disturbs no other test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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

  it("answers 503 while the broker is down, and loses no acknowledged event", {
    timeout: 240_000,
  }, async () => {
    const acked: string[] = [];
    const statuses = new Map<number, number>();
    let batch = 0;
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

    for (let i = 0; i < 10; i += 1) expect(await post()).toBe(202);
    servers("kill", "kafka");
    // While the broker is gone: every answer is a 503, none a 202.
    const down: number[] = [];
    for (let i = 0; i < 3; i += 1) down.push(await post());
    expect(down).toEqual([503, 503, 503]);

    servers("start", "kafka");
    const back = await eventually(async () => ((await post()) === 202 ? true : undefined), 120_000);
    expect(back).toBe(true);
    for (let i = 0; i < 5; i += 1) await post();
    console.log("statuses", Object.fromEntries(statuses), "acknowledged", acked.length);

    // Every acknowledged event reaches storage (through Kafka and the indexer), once.
    const stored = await eventually(async () => {
      const page = await (
        await aw.fetch(`/v1/events?agent_id=${AGENT}&limit=1000`, { headers: bearer(TOKENS.viewer) })
      ).json();
      const ids: string[] = page.events.map((e: { id: string }) => e.id);
      return acked.every((id) => ids.includes(id)) ? ids : undefined;
    }, 120_000);
    expect(new Set(stored).size).toBe(stored.length);
  });
});
