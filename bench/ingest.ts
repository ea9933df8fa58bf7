/**
 * Ingest and detection benchmark on the embedded default (one process, as `npm start` runs it).
 *
 *   npm run bench [-- --seconds 10 --clients 4 --batch 100]
 *
 * Prints: events/s acknowledged (202, durable) through HTTP into the embedded log, with
 * `clients` concurrent connections posting batches of `batch` events; how far the indexer and
 * detector lag behind at the end; and the latency from posting the event that completes a
 * brute force to the signed webhook arriving (p50, p99), for brute forces posted while the load
 * runs and for `attacks` runs after it. The figures are for comparing runs on one machine; the
 * exit code is not: it is 1 when any brute force's notification did not arrive within 10 s.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Agentwatch } from "../services/app.ts";
import { parseConfig } from "../services/runtime/config.ts";
import { bruteForceFailures } from "./attacks.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "4" },
    batch: { type: "string", default: "100" },
    attacks: { type: "string", default: "50" },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const batchSize = Number(values.batch);
const attacks = Number(values.attacks);
const INGEST = "bench-ingest-token-0123456789";
const VIEWER = "bench-viewer-token-0123456789";

// A local webhook receiver that notes when each incident's first notification arrives.
const arrivals = new Map<string, number>();
const hook = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const principal = body.incident?.labels?.principal;
    if (body.status === "firing" && principal && !arrivals.has(principal))
      arrivals.set(principal, performance.now());
    res.end("ok");
  });
});
await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;

const dataDir = mkdtempSync(join(tmpdir(), "agentwatch-bench-"));
const app = new Agentwatch(
  parseConfig(
    {
      data_dir: dataDir,
      server: { host: "127.0.0.1", port: 0 },
      auth: {
        tokens: [
          { name: "ingest", role: "ingest", token: INGEST, agents: ["*"] },
          { name: "viewer", role: "viewer", token: VIEWER },
        ],
      },
      receivers: [{ name: "hook", type: "webhook", url: hookUrl, secret: "bench-secret-0123456789" }],
      limits: { events_per_second: 10_000_000, burst_events: 10_000_000 },
      detectors: { auth_bruteforce: { threshold: 10, window: "5m" } },
      // Every brute force here is a separate attack whose own notification is timed: grouped by
      // principal, so flood control (alerting.group_by, by default agent + detector) does not fold
      // the 6th and later into one overflow incident, notified once a group_interval.
      alerting: { group_by: ["agent_id", "detector", "principal"] },
      log: { level: "warn" },
    },
    {},
  ),
);
await app.start();
const base = `http://${app.address.host}:${app.address.port}`;
const post = (events: unknown[]) =>
  fetch(`${base}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${INGEST}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });

/**
 * One brute force: nine failures, then the tenth that completes it; the time until its signed
 * webhook arrives, or undefined when it did not within 10 s.
 */
async function bruteForce(principal: string): Promise<number | undefined> {
  const failures = bruteForceFailures(`atk-${principal}`, "agent-1", principal);
  await post(failures.slice(0, 9));
  const sent = performance.now();
  await post(failures.slice(9));
  const waitUntil = performance.now() + 10_000;
  while (!arrivals.has(principal) && performance.now() < waitUntil)
    await new Promise((r) => setTimeout(r, 1));
  const at = arrivals.get(principal);
  return at === undefined ? undefined : at - sent;
}

function report(what: string, latencies: number[], tried: number): boolean {
  latencies.sort((x, y) => x - y);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(
    `detection ${what}: brute force → signed webhook p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(0)} ms (${latencies.length}/${tried} delivered)`,
  );
  return latencies.length === tried;
}

// 1. Sustained ingest, with brute forces posted while it runs: the load itself raises thousands
// of warnings (message_rate for its 200 users per agent) whose notifications must not hold back
// the critical ones.
let acked = 0;
let refused = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
const underLoad: number[] = [];
let triedUnderLoad = 0;
await Promise.all([
  ...Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; performance.now() < deadline; n += 1) {
      const events = Array.from({ length: batchSize }, (_, i) => ({
        id: `b-${c}-${n}-${i}`,
        time: new Date().toISOString(),
        type: i % 2 ? "prompt" : "llm_usage",
        agent_id: `agent-${(c * 7 + i) % 50}`,
        session_id: `s-${c}-${n % 20}`,
        user_id: `u-${i % 200}`,
        text: "Summarise the attached ticket and propose a reply to the customer.",
        usage: { provider: "openai", model: "gpt-4o", input_tokens: 900, output_tokens: 200 },
      }));
      const res = await post(events);
      if (res.status === 202) acked += ((await res.json()) as { accepted: number }).accepted;
      else {
        refused += 1;
        await res.arrayBuffer();
      }
    }
  }),
  (async () => {
    // After a second of load, one brute force at a time until the load ends.
    await new Promise((r) => setTimeout(r, 1000));
    while (performance.now() < deadline - 500) {
      triedUnderLoad += 1;
      const ms = await bruteForce(`load-victim-${triedUnderLoad}`);
      if (ms !== undefined) underLoad.push(ms);
    }
  })(),
]);
const elapsed = (performance.now() - started) / 1000;
console.log(
  `ingest: ${acked} events acknowledged in ${elapsed.toFixed(1)} s = ${Math.round(acked / elapsed)} events/s`,
);
console.log(`        (${clients} clients, batches of ${batchSize}, ${refused} requests refused)`);

// 2. Catch-up of the consumers.
const catchUpStart = performance.now();
const metric = async (name: string) => {
  const text = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${VIEWER}` } })
  ).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ").at(-1) ?? 0);
};
while (
  (await metric("agentwatch_detector_events_total")) < acked &&
  performance.now() - catchUpStart < 120_000
) {
  await new Promise((r) => setTimeout(r, 100));
}
console.log(
  `detector: caught up with all ${acked} events ${((performance.now() - catchUpStart) / 1000).toFixed(1)} s after ingest stopped`,
);
const warnings = await metric("agentwatch_incidents_open");
const pending = await metric("agentwatch_notifications_pending");

// 3. Detection latency once the load has stopped (its notifications may still be going out).
const afterLoad: number[] = [];
for (let a = 0; a < attacks; a += 1) {
  const ms = await bruteForce(`victim-${a}`);
  if (ms !== undefined) afterLoad.push(ms);
}
const allUnderLoad = report("under load", underLoad, triedUnderLoad);
const allAfter = report("after load", afterLoad, attacks);
console.log(
  `        (the load left ${warnings} incidents open, ${pending} notifications pending when it stopped)`,
);
console.log(`memory: rss ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
if (triedUnderLoad === 0) console.error("FAIL: no brute force was posted under load (run longer: --seconds)");
if (!allUnderLoad || !allAfter) console.error("FAIL: brute forces whose critical notification never arrived");
process.exitCode = triedUnderLoad > 0 && allUnderLoad && allAfter ? 0 : 1;

await app.stop();
hook.close();
rmSync(dataDir, { recursive: true, force: true });
