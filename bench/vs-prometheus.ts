/**
 * Detection speed against the usual alternative, side by side in one run. A team without
 * agentwatch exports a counter of failed logins from its agent, writes a Prometheus rule, and
 * routes the alert through Alertmanager to a webhook. Here both watch the same brute force (ten
 * failed logins, auth_bruteforce's default threshold):
 *
 * - agentwatch, embedded (`agentwatch start`), posting its signed webhook;
 * - a small exporter standing in for the agent (`agent_auth_failures_total{agent_id, principal}`),
 *   scraped by Debian's Prometheus with the intervals of Prometheus' example config (scrape and
 *   rule evaluation every 15 s), the rule `increase(agent_auth_failures_total[5m]) >= 10`, and
 *   Debian's Alertmanager with its default `group_wait` (30 s), grouping by alert name and agent.
 *
 *   npm run bench:vs-prometheus [-- --attacks 3]
 *
 * Prints, per attack, the time from the attack's last event to each webhook, then the medians
 * and their ratio. Each attack is on a new agent (its own Alertmanager group, its own incident),
 * started at a random point of Prometheus' 15-second cycle. Exits 1 when either side missed an
 * attack (no webhook within 3 minutes); skips with a message when the packages are missing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startAgentwatch } from "../test/helpers/process.ts";
import { postJson, TOKENS } from "../test/helpers/tokens.ts";
import { bruteForceFailures } from "./attacks.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
const WAIT_MS = 180_000;

const { values } = parseArgs({ options: { attacks: { type: "string", default: "3" } } });
const attacks = Number(values.attacks);
if (!Number.isInteger(attacks) || attacks < 1) {
  console.error("--attacks must be a positive integer");
  process.exit(2);
}
const missing = [PROMETHEUS, ALERTMANAGER].filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.log(
    `skipped: ${missing.join(" and ")} not installed (apt-get install prometheus prometheus-alertmanager)`,
  );
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "aw-vs-prometheus-"));
const children: ChildProcess[] = [];
const servers: Server[] = [];

/** Webhook arrivals by side ("agentwatch", "alertmanager") and agent. */
const arrivals = new Map<string, number>();
const waiters: { key: string; resolve: (at: number) => void }[] = [];
function arrived(key: string, at: number) {
  if (arrivals.has(key)) return;
  arrivals.set(key, at);
  for (const w of waiters.filter((w) => w.key === key)) w.resolve(at);
}
function waitFor(key: string): Promise<number | undefined> {
  const at = arrivals.get(key);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve) => {
    waiters.push({ key, resolve });
    setTimeout(() => resolve(undefined), WAIT_MS).unref();
  });
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const agents = Array.from({ length: attacks }, (_, i) => `bench-agent-${i + 1}`);
const counters = new Map(agents.map((a) => [a, 0]));

try {
  // The webhook both sides post to.
  const hookPort = await listen(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const at = performance.now();
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        if (req.url === "/agentwatch" && body.status === "firing")
          arrived(`agentwatch:${body.incident?.agent_id}`, at);
        if (req.url === "/alertmanager") {
          for (const alert of body.alerts ?? []) {
            if (alert.status === "firing") arrived(`alertmanager:${alert.labels?.agent_id}`, at);
          }
        }
        res.writeHead(200).end("ok");
      });
    }),
  );
  // The exporter standing in for the agent: every series exists from the start at 0, as a
  // client library's counter does once the code path is registered.
  const exporterPort = await listen(
    createServer((_req, res) => {
      const lines = [
        "# HELP agent_auth_failures_total Failed logins seen by the agent.",
        "# TYPE agent_auth_failures_total counter",
        ...[...counters].map(
          ([agent, n]) => `agent_auth_failures_total{agent_id="${agent}",principal="admin"} ${n}`,
        ),
      ];
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
    }),
  );

  mkdirSync(join(dir, "agentwatch"));
  const aw = await startAgentwatch({
    dataDir: join(dir, "agentwatch"),
    config: {
      receivers: [
        {
          name: "bench",
          type: "webhook",
          url: `http://127.0.0.1:${hookPort}/agentwatch`,
          secret: "bench-secret-0123456789",
        },
      ],
    },
  });
  children.push(aw.child as ChildProcess);

  const amPort = await freePort();
  writeFileSync(
    join(dir, "alertmanager.yml"),
    [
      "route:",
      "  receiver: team",
      "  group_by: [alertname, agent_id]",
      "receivers:",
      "  - name: team",
      "    webhook_configs:",
      `      - url: http://127.0.0.1:${hookPort}/alertmanager`,
      "",
    ].join("\n"),
  );
  children.push(
    spawn(
      ALERTMANAGER,
      [
        `--config.file=${join(dir, "alertmanager.yml")}`,
        `--storage.path=${join(dir, "am")}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        "--cluster.listen-address=",
      ],
      { stdio: "ignore" },
    ),
  );
  writeFileSync(
    join(dir, "rules.yml"),
    [
      "groups:",
      "  - name: agent",
      "    rules:",
      "      - alert: AgentBruteForce",
      "        expr: sum by (agent_id, principal) (increase(agent_auth_failures_total[5m])) >= 10",
      "        labels: { severity: critical }",
      "",
    ].join("\n"),
  );
  const promPort = await freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "# The intervals of Prometheus' example config (documentation/examples/prometheus.yml).",
      "global:",
      "  scrape_interval: 15s",
      "  evaluation_interval: 15s",
      "alerting:",
      "  alertmanagers:",
      `    - static_configs: [{ targets: ["127.0.0.1:${amPort}"] }]`,
      "rule_files:",
      `  - ${JSON.stringify(join(dir, "rules.yml"))}`,
      "scrape_configs:",
      "  - job_name: agent",
      `    static_configs: [{ targets: ["127.0.0.1:${exporterPort}"] }]`,
      "",
    ].join("\n"),
  );
  children.push(
    spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "prom")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: "ignore" },
    ),
  );
  // Ready, and the exporter scraped at least once (its counters seen at 0).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await fetch(
      `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('up{job="agent"}')}`,
    )
      .then((r) => r.json() as Promise<{ data?: { result?: { value: [number, string] }[] } }>)
      .catch(() => undefined);
    if (answer?.data?.result?.[0]?.value[1] === "1") break;
    if (Date.now() > deadline) throw new Error("Prometheus did not scrape the exporter within 60 s");
    await new Promise((r) => setTimeout(r, 500));
  }

  console.log(
    `${attacks} brute forces (10 failed logins each), each on a new agent; seconds from the last event to the webhook:`,
  );
  const rows: { agent: string; agentwatch?: number; prometheus?: number }[] = [];
  for (const agent of agents) {
    // A random point of Prometheus' 15-second scrape and evaluation cycle.
    await new Promise((r) => setTimeout(r, Math.random() * 15_000));
    const events = bruteForceFailures(`${agent}-auth`, agent, "admin");
    // The same instant for both: the exporter's counter moves as the events are sent.
    counters.set(agent, (counters.get(agent) ?? 0) + 10);
    const sentAt = performance.now();
    const res = await aw.fetch("/v1/events", postJson(TOKENS.admin, events));
    if (res.status !== 202)
      throw new Error(`agentwatch refused the attack: ${res.status} ${await res.text()}`);
    const [awAt, amAt] = await Promise.all([
      waitFor(`agentwatch:${agent}`),
      waitFor(`alertmanager:${agent}`),
    ]);
    const row = {
      agent,
      ...(awAt === undefined ? {} : { agentwatch: (awAt - sentAt) / 1000 }),
      ...(amAt === undefined ? {} : { prometheus: (amAt - sentAt) / 1000 }),
    };
    rows.push(row);
    console.log(
      `  ${agent}: agentwatch ${row.agentwatch?.toFixed(3) ?? "MISSED"} s, Prometheus + Alertmanager ${row.prometheus?.toFixed(1) ?? "MISSED"} s`,
    );
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  };
  const awTimes = rows.flatMap((r) => (r.agentwatch === undefined ? [] : [r.agentwatch]));
  const promTimes = rows.flatMap((r) => (r.prometheus === undefined ? [] : [r.prometheus]));
  if (awTimes.length > 0 && promTimes.length > 0) {
    const a = median(awTimes);
    const p = median(promTimes);
    console.log(
      `median: agentwatch ${a.toFixed(3)} s, Prometheus + Alertmanager ${p.toFixed(1)} s: agentwatch is ${(p / a).toFixed(0)}× faster`,
    );
    console.log(
      `range: agentwatch ${Math.min(...awTimes).toFixed(3)}–${Math.max(...awTimes).toFixed(3)} s, Prometheus + Alertmanager ${Math.min(...promTimes).toFixed(1)}–${Math.max(...promTimes).toFixed(1)} s`,
    );
  }
  await aw.stop();
  aw.cleanup();
  const missed = rows.filter((r) => r.agentwatch === undefined || r.prometheus === undefined);
  if (missed.length > 0) {
    console.error(`FAILED: ${missed.length} attack(s) not alerted by one side within ${WAIT_MS / 1000} s`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`FAILED: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill("SIGTERM");
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
}
