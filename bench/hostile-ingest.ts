/**
 * Hostile text through the real process (issue 30): agent A's token posts 1 MiB requests of
 * 1,000 events whose text is a short phone-like pattern of digits and brackets repeated a few
 * hundred times (each text unique), as `response` text and as `tool.arguments`, while /healthz
 * is polled and agent B suffers a brute force. Before the scanners had budgets, one such
 * request held the event loop for some 45 s: /healthz answered in 45.7 s and B's page came 45.4 s
 * late.
 *
 *   npm run bench:hostile-ingest
 *
 * Prints, per shape: the slowest /healthz answer while the request was handled, and how long B's
 * page took from B's tenth failure. Exits 1 when /healthz took 1 s or more, or B's page 5 s or
 * more, or did not come.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type AgentwatchProcess, startAgentwatch } from "../test/helpers/process.ts";
import { AGENT, OTHER_AGENT, postJson, TOKENS } from "../test/helpers/tokens.ts";

const HEALTHZ_BOUND_MS = 1000;
const PAGE_BOUND_MS = 5000;

/** A phone-like pattern of digits and brackets, repeated; the counter makes each text unique. */
function hostileText(i: number, size: number): string {
  const pattern = `(${String(i % 1000).padStart(3, "0")}) ${String(i).padStart(3, "0").slice(-3)}-(01`;
  return `${pattern} `.repeat(Math.ceil(size / (pattern.length + 1))).slice(0, size);
}

type Shape = "response" | "tool.arguments";
function hostileEvents(shape: Shape, round: number): unknown[] {
  return Array.from({ length: 1000 }, (_, i) => {
    const base = {
      id: `h${round}-${i}`,
      time: new Date().toISOString(),
      agent_id: AGENT,
      session_id: `s${i % 10}`,
    };
    // Under the 1 MiB body limit with the event's other fields.
    const text = hostileText(round * 1000 + i, shape === "response" ? 900 : 850);
    return shape === "response"
      ? { ...base, type: "response", text }
      : { ...base, type: "tool_call", tool: { name: "notes", arguments: { body: text } } };
  });
}

const pages: { at: number; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => {
    body += c.toString("utf8");
  });
  req.on("end", () => {
    pages.push({ at: Date.now(), body });
    res.end("ok");
  });
});
await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;

let failed = false;
const aw: AgentwatchProcess = await startAgentwatch({
  config: {
    agents: [{ id: AGENT }, { id: OTHER_AGENT }],
    receivers: [{ name: "hook", type: "webhook", url: hookUrl, secret: "bench-hook-secret-0123" }],
  },
});
try {
  for (const [round, shape] of (["response", "tool.arguments"] as Shape[]).entries()) {
    const body = JSON.stringify(hostileEvents(shape, round));
    let slowest = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const started = Date.now();
        await fetch(`${aw.url}/healthz`);
        slowest = Math.max(slowest, Date.now() - started);
        await sleep(50);
      }
    })();
    const posted = await aw.fetch("/v1/events", postJson(TOKENS.ingest, JSON.parse(body)));
    const answer = await posted.json();
    // B's brute force, right behind A's request in the log.
    const principal = `victim-${round}`;
    const failures = Array.from({ length: 10 }, (_, i) => ({
      id: `bf${round}-${i}`,
      time: new Date().toISOString(),
      type: "auth",
      agent_id: OTHER_AGENT,
      auth: { outcome: "failure", principal },
    }));
    const attackedAt = Date.now();
    await aw.fetch("/v1/events", postJson(TOKENS.ingestOther, failures));
    let pagedAt: number | undefined;
    while (pagedAt === undefined && Date.now() - attackedAt < 60_000) {
      pagedAt = pages.find((p) => p.body.includes(principal))?.at;
      if (pagedAt === undefined) await sleep(20);
    }
    await sleep(500);
    polling = false;
    await poll;
    const pageMs = pagedAt === undefined ? Number.POSITIVE_INFINITY : pagedAt - attackedAt;
    console.log(
      `${shape}: ${(Buffer.byteLength(body) / 1048576).toFixed(2)} MiB, ${answer.accepted} accepted; slowest /healthz ${slowest} ms; B paged ${pagedAt === undefined ? "never (60 s)" : `${pageMs} ms`} after its tenth failure`,
    );
    if (slowest >= HEALTHZ_BOUND_MS) {
      console.error(`FAIL ${shape}: /healthz took ${slowest} ms (bound ${HEALTHZ_BOUND_MS} ms)`);
      failed = true;
    }
    if (!(pageMs < PAGE_BOUND_MS)) {
      console.error(`FAIL ${shape}: B's page took ${pageMs} ms (bound ${PAGE_BOUND_MS} ms)`);
      failed = true;
    }
  }
  const truncated = await (
    await aw.fetch(`/v1/incidents?agent_id=${AGENT}&limit=200`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    })
  ).json();
  const cutShort = truncated.incidents.filter(
    (i: { labels: Record<string, string> }) => i.labels.types === "scan_truncated",
  );
  console.log(`scan_truncated incidents on A: ${cutShort.length} (the hostile text is itself reported)`);
} finally {
  await aw.stop();
  aw.cleanup();
  receiver.close();
}
process.exit(failed ? 1 : 0);
