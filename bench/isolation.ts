/**
 * Issue 30's bound, measured through the real process (embedded backends, shipped detector
 * defaults, the HTTP API on 127.0.0.1):
 *
 *   npm run bench:isolation [-- --flood 27000 --bound-ms 5000]
 *
 * 1. Agent B (coding-agent) fails to log in 9 times; agent A's ingest token (support-bot) then
 *    posts `--flood` auth failures with distinct principals and IPs, as fast as the API takes
 *    them; B's 10th failure is posted as soon as the flood is acknowledged. Printed: the flood's
 *    events/s, and how long B's brute-force alert took to reach the webhook from its 10th failure
 *    (bound: `--bound-ms`). A's flood must be an entity_flood incident on A.
 * 2. A's token posts usage on B's API key (enough to cross the key's cap with B's own spend),
 *    with an auto-pause policy on spend_cap and an inhibit rule muting pii_leak behind spend_cap:
 *    B must have no spend_cap incident, stay active with no control call, and B's next pii_leak
 *    alert must arrive (not inhibited).
 *
 * Exits 1 when B's page comes later than the bound (or never, within 60 s), or when A raised a
 * finding on, paused or inhibited B.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { startAgentwatch } from "../test/helpers/process.ts";
import { AGENT, OTHER_AGENT, TOKENS } from "../test/helpers/tokens.ts";
import { cardLeak, spendPauseAndInhibit, usageOnKey } from "./attacks.ts";

const { values } = parseArgs({
  options: {
    flood: { type: "string", default: "27000" },
    "bound-ms": { type: "string", default: "5000" },
  },
});
const floodSize = Number(values.flood);
const boundMs = Number(values["bound-ms"]);
const A = AGENT;
const B = OTHER_AGENT;
const GIVE_UP_MS = 60_000;

interface Received {
  path: string;
  body: Record<string, unknown> & { incident?: Record<string, unknown> };
  at: number;
}
const received: Received[] = [];
const hook = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => {
    body += c.toString("utf8");
  });
  req.on("end", () => {
    received.push({ path: req.url ?? "", body: JSON.parse(body || "{}"), at: performance.now() });
    res.end("ok");
  });
});
await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

const aw = await startAgentwatch({
  config: {
    receivers: [{ name: "hook", type: "webhook", url: `${base}/alerts`, secret: "bench-hook-secret-0123" }],
    agents: [
      { id: A, control: { url: `${base}/control-a`, secret: "bench-control-secret-01" } },
      { id: B, control: { url: `${base}/control-b`, secret: "bench-control-secret-01" } },
    ],
    alerting: spendPauseAndInhibit(),
  },
});

const problems: string[] = [];
const post = async (token: string, events: unknown[]): Promise<void> => {
  const res = await aw.fetch("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
};
const get = async (path: string) =>
  (await aw.fetch(path, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json();
const waitFor = async <T>(what: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> => {
  const deadline = performance.now() + GIVE_UP_MS;
  while (performance.now() < deadline) {
    const found = await what();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
};
const failure = (agent: string, id: string, principal: string, ip: string) => ({
  id,
  time: new Date().toISOString(),
  type: "auth",
  agent_id: agent,
  source_ip: ip,
  auth: { outcome: "failure", principal, method: "password" },
});
const alertFor = (agent: string, detector: string) =>
  received.find(
    (r) =>
      r.path === "/alerts" && r.body.incident?.agent_id === agent && r.body.incident?.detector === detector,
  );

try {
  // 1. The flood, then B's 10th failure.
  await post(
    TOKENS.ingestOther,
    Array.from({ length: 9 }, (_, i) => failure(B, `b-fail-${i}`, "admin", "198.51.100.7")),
  );
  const floodStart = performance.now();
  for (let from = 0; from < floodSize; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, floodSize - from) }, (_, j) => {
      const i = from + j;
      return failure(A, `a-flood-${i}`, `user-${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    });
    await post(TOKENS.ingest, batch);
  }
  const floodMs = performance.now() - floodStart;
  const tenthAt = performance.now();
  await post(TOKENS.ingestOther, [failure(B, "b-fail-9", "admin", "198.51.100.7")]);
  const paged = await waitFor(() => alertFor(B, "auth_bruteforce"));
  const pageMs = paged ? paged.at - tenthAt : Number.POSITIVE_INFINITY;
  const floodIncident = await waitFor(async () =>
    (await get(`/v1/incidents?agent_id=${A}`)).incidents.find(
      (i: { detector: string }) => i.detector === "entity_flood",
    ),
  );
  const metrics = await (
    await aw.fetch("/metrics", { headers: { authorization: `Bearer ${TOKENS.viewer}` } })
  ).text();
  const entities = /^agentwatch_detector_entities\{detector="auth_bruteforce"\} (\d+)/m.exec(metrics)?.[1];

  console.log(`flood: ${floodSize} auth failures by ${A} with distinct principals and IPs`);
  console.log(
    `  acknowledged in ${(floodMs / 1000).toFixed(2)} s (${Math.round(floodSize / (floodMs / 1000))} events/s)`,
  );
  console.log(`  auth_bruteforce entities after it: ${entities ?? "?"}`);
  console.log(
    `  entity_flood incident on ${A}: ${floodIncident ? `yes (${JSON.stringify(floodIncident.findings?.[0]?.observed)})` : "NO"}`,
  );
  console.log(
    `B (${B}) paged ${Number.isFinite(pageMs) ? `${Math.round(pageMs)} ms` : "never"} after its 10th failure (bound ${boundMs} ms)`,
  );
  if (!(pageMs <= boundMs))
    problems.push(`B's page took ${Number.isFinite(pageMs) ? Math.round(pageMs) : "for ever"} ms`);
  if (!floodIncident) problems.push("A's flood raised no entity_flood incident");

  // 2. A's usage on B's key; then B's pii_leak.
  const usage = (agent: string, id: string, cost: number) => usageOnKey(agent, id, cost, "key-of-b");
  // B's own spend stays under a quarter of every cap (no forecast of its own).
  await post(TOKENS.ingestOther, [usage(B, "b-use", 40)]);
  await post(TOKENS.ingest, [usage(A, "a-use-1", 300), usage(A, "a-use-2", 300)]);
  const aPaused = await waitFor(() => received.find((r) => r.path === "/control-a"));
  await post(TOKENS.ingestOther, [cardLeak(B, "b-leak", "b-session")]);
  const bLeakAlert = await waitFor(() => alertFor(B, "pii_leak"));
  const bIncidents: { detector: string }[] = (await get(`/v1/incidents?agent_id=${B}`)).incidents;
  const raisedByA = bIncidents.filter((i) => i.detector !== "auth_bruteforce" && i.detector !== "pii_leak");
  const bState = (await get(`/v1/agents/${B}`)).state;
  const bControl = received.filter((r) => r.path === "/control-b").length;
  console.log(`${A} posted $600 of usage on ${B}'s key (B spent $40 of it):`);
  console.log(`  ${A} paused by the spend_cap policy: ${aPaused ? "yes" : "no"}`);
  console.log(
    `  incidents on ${B} raised by ${A}'s events: ${raisedByA.length} (${raisedByA.map((i) => i.detector).join(", ") || "none"})`,
  );
  console.log(
    `  ${B}: ${bState}, control calls ${bControl}; its pii_leak alert ${bLeakAlert ? "arrived" : "was held back"}`,
  );
  if (raisedByA.length > 0) problems.push(`A raised ${raisedByA.map((i) => i.detector).join(", ")} on B`);
  if (bState !== "active" || bControl > 0) problems.push("A's usage paused B");
  if (!bLeakAlert) problems.push("B's pii_leak was inhibited (or never arrived)");
} catch (err) {
  problems.push(`bench failed: ${(err as Error).message}`);
} finally {
  await aw.stop();
  aw.cleanup();
  hook.close();
}

if (problems.length > 0) {
  console.error(`FAIL: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("OK: B pages within the bound, and A cannot raise a finding on, pause or inhibit B");
