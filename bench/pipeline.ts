/**
 * The production pipeline under load: collector → Kafka → detector / alerter / indexer →
 * Elasticsearch, as separate processes, on this machine.
 *
 *   scripts/servers/servers.sh start all
 *   npm run bench:pipeline [-- --seconds 30 --clients 4 --batch 500 --rate 20000]
 *
 * Prints the events/s acknowledged (202, in Kafka with acks=all) while the load runs; how long
 * the indexer takes to have every acknowledged event in Elasticsearch, and whether the counts
 * match (zero loss); and the latency from posting the event that completes a brute force to the
 * signed webhook arriving (p50, p99), with bursts injected while the load runs.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { startAgentwatch } from "../test/helpers/process.ts";
import { TOKENS } from "../test/helpers/tokens.ts";
import { bruteForceFailures } from "./attacks.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    clients: { type: "string", default: "4" },
    batch: { type: "string", default: "500" },
    /** Events per second to offer (all clients together); 0 = as fast as the collector takes them. */
    rate: { type: "string", default: "0" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const batchSize = Number(values.batch);
const brokers = process.env.AW_KAFKA_BROKERS ?? "127.0.0.1:19092";
const es = process.env.AW_ES_URL ?? "http://127.0.0.1:19200";

try {
  await fetch(`${es}/_cluster/health`);
} catch {
  console.error(`Elasticsearch is not reachable at ${es}: run scripts/servers/servers.sh start all first`);
  process.exit(1);
}

// The webhook receiver: when each brute-force incident's first alert arrives.
const arrivals = new Map<string, number>();
const hook = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => {
    body += c.toString("utf8");
  });
  req.on("end", () => {
    const principal = JSON.parse(body).incident?.labels?.principal;
    if (principal && !arrivals.has(principal)) arrivals.set(principal, performance.now());
    res.end("ok");
  });
});
await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;

const run = randomUUID().slice(0, 8);
const shared = {
  bus: { type: "kafka", brokers: brokers.split(","), topic_prefix: `bench-${run}`, partitions: 6 },
  receivers: [{ name: "hook", type: "webhook", url: hookUrl, secret: "bench-secret-0123456789" }],
  limits: { events_per_second: 10_000_000, burst_events: 10_000_000 },
  // Every brute force here is a separate attack whose own notification is timed: grouped by
  // principal, so flood control (alerting.group_by, by default agent + detector) does not fold
  // the 6th and later into one overflow incident, notified once a group_interval.
  alerting: { group_by: ["agent_id", "detector", "principal"] },
};
const collector = await startAgentwatch({ config: shared, roles: ["collector"] });
const workers = await startAgentwatch({
  config: { ...shared, storage: { type: "elasticsearch", node: es, index_prefix: `bench-${run}` } },
  roles: ["detector", "alerter", "indexer"],
});
const post = (events: unknown[]) =>
  fetch(`${collector.url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKENS.ingest}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });

let acked = 0;
/** Events acknowledged per 10 s of the load, to tell the start (JIT, group joins) from the steady state. */
const perWindow: number[] = [];
const ack = (n: number) => {
  acked += n;
  const window = Math.floor((performance.now() - started) / 10_000);
  perWindow[window] = (perWindow[window] ?? 0) + n;
};
let refused = 0;
const latencies: number[] = [];
const started = performance.now();
const deadline = started + seconds * 1000;

const load = Array.from({ length: clients }, async (_, c) => {
  // Paced: each client sends a batch every batch/(rate/clients) seconds.
  const interval = rate > 0 ? (batchSize * clients * 1000) / rate : 0;
  for (let n = 0; performance.now() < deadline; n += 1) {
    if (interval > 0) {
      const due = started + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const events = Array.from({ length: batchSize }, (_, i) => ({
      id: `b-${c}-${n}-${i}`,
      time: new Date().toISOString(),
      type: i % 3 === 0 ? "llm_usage" : "prompt",
      agent_id: "support-bot",
      user_id: `u-${i % 300}`,
      session_id: `s-${c}-${n % 50}`,
      text: "Where is my order? It should have arrived on Tuesday.",
      usage: {
        provider: "openai",
        model: "gpt-4o",
        input_tokens: 900,
        output_tokens: 200,
        api_key_id: "key-1",
      },
    }));
    const res = await post(events);
    const body = (await res.json()) as { accepted?: number };
    if (res.status === 202) ack(body.accepted ?? 0);
    else refused += 1;
  }
});

// Brute forces four times a second during the load (enough for a p99): 9 failures, then the one
// that completes it.
let attacksTried = 0;
const attacks = (async () => {
  for (let a = 0; performance.now() < deadline - 2000; a += 1) {
    attacksTried += 1;
    const principal = `victim-${a}`;
    const failures = bruteForceFailures(`atk-${a}`, "support-bot", principal);
    await post(failures.slice(0, 9));
    const sent = performance.now();
    await post(failures.slice(9));
    ack(10);
    void (async () => {
      const until = performance.now() + 30_000;
      while (!arrivals.has(principal) && performance.now() < until)
        await new Promise((r) => setTimeout(r, 5));
      const at = arrivals.get(principal);
      if (at !== undefined) latencies.push(at - sent);
    })();
    await new Promise((r) => setTimeout(r, 250));
  }
})();

// Consumer lag of the workers' groups (records behind the end of their topic), sampled each second:
// the highest seen tells which consumer fell behind.
const maxLag = new Map<string, number>();
const sampling = setInterval(async () => {
  try {
    const res = await fetch(`${workers.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    for (const line of (await res.text()).split("\n")) {
      const m = /^agentwatch_bus_consumer_lag_records\{([^}]*)\} (\S+)/.exec(line);
      if (!m) continue;
      const group = /group="([^"]*)"/.exec(m[1] as string)?.[1] ?? "?";
      maxLag.set(group, Math.max(maxLag.get(group) ?? 0, Number(m[2])));
    }
  } catch {
    // a sample missed while the machine is saturated: the next one counts
  }
}, 1000);

await Promise.all([...load, attacks]);
clearInterval(sampling);
const loadSeconds = (performance.now() - started) / 1000;
console.log(
  `load: ${acked} events acknowledged in ${loadSeconds.toFixed(1)} s = ${Math.round(acked / loadSeconds)} events/s (${clients} clients, batches of ${batchSize}, ${refused} requests refused)`,
);

console.log(
  `  acknowledged per 10 s of the load (events/s): ${Array.from(perWindow, (n, w) =>
    Math.round((n ?? 0) / Math.max(0.001, Math.min(10, loadSeconds - w * 10))).toLocaleString("en"),
  ).join(", ")}`,
);

const count = async () => {
  await fetch(`${es}/bench-${run}-events-*/_refresh`, { method: "POST" });
  const res = await fetch(`${es}/bench-${run}-events-*/_count`);
  return ((await res.json()) as { count?: number }).count ?? 0;
};
const drainStart = performance.now();
let indexed = await count();
while (indexed < acked && performance.now() - drainStart < 600_000) {
  await new Promise((r) => setTimeout(r, 1000));
  indexed = await count();
}
const total = (performance.now() - started) / 1000;
console.log(
  `indexing: ${indexed} of ${acked} events in Elasticsearch ${((performance.now() - drainStart) / 1000).toFixed(1)} s after the load stopped (${indexed === acked ? "zero loss" : `MISSING ${acked - indexed}`}); end to end ${Math.round(indexed / total)} events/s`,
);
await new Promise((r) => setTimeout(r, 3000));
latencies.sort((x, y) => x - y);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
console.log(
  `consumer lag during the load (highest sample, records): ${[...maxLag].map(([g, n]) => `${g} ${n}`).join(", ") || "not reported"}`,
);
console.log(
  `detection under load: brute force → signed webhook p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms (${latencies.length}/${attacksTried} delivered within 30 s)`,
);
// The figures are for comparing runs; the exit code says whether what was measured happened.
const failures = [
  ...(attacksTried === 0 ? ["no brute force was posted (run longer)"] : []),
  ...(latencies.length < attacksTried
    ? [`${attacksTried - latencies.length} brute forces never notified`]
    : []),
  ...(indexed < acked ? [`${acked - indexed} acknowledged events missing from Elasticsearch`] : []),
];
for (const failure of failures) console.error(`FAIL: ${failure}`);
process.exitCode = failures.length > 0 ? 1 : 0;

await collector.stop();
await workers.stop();
collector.cleanup();
workers.cleanup();
hook.close();
