/**
 * One ingest token, or none, cannot hold the listener (issue 30), through the real process:
 * - a request refused before its body came (401, 413, 429) has its connection closed, whatever
 *   the client declared and never sent; headers, bodies and idle keep-alives have deadlines;
 *   one address may hold only `server.max_connections_per_address` connections;
 * - every agent id the contract allows (up to 128 characters) can be read, paused and resumed;
 *   a longer one is a 400 that says why;
 * - NDJSON is bounded while it is read (413 `too_many_events` before the rest of the body
 *   comes; a line longer than one event may be is rejected without being kept), and rejected
 *   events count against the token's rate;
 * - "authentication failed" is logged at most once per reason every few seconds, with the
 *   count held back; every event is bounded in size, `text` on any type and undeclared fields.
 * The speed side (200 held sockets, the NDJSON flood, /healthz meanwhile) is bench/listener.ts.
 */
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, processes } from "./helpers/process.ts";
import { AGENT, bearer, postJson, TOKENS } from "./helpers/tokens.ts";

const { start, cleanup } = processes({ agents: [{ id: AGENT }] });
afterEach(cleanup);

interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the server closed the connection (or it failed). */
  closed: Promise<void>;
  isClosed(): boolean;
}

async function rawConnection(aw: AgentwatchProcess): Promise<RawConnection> {
  const { hostname, port } = new URL(aw.url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => undefined);
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("utf8");
  });
  const closedPromise = new Promise<void>((resolve) =>
    socket.once("close", () => {
      closed = true;
      resolve();
    }),
  );
  await once(socket, "connect");
  return { socket, received: () => received, closed: closedPromise, isClosed: () => closed };
}

/** Headers of a POST /v1/events (no body): `Content-Length` as declared, not as sent. */
function postHead(aw: AgentwatchProcess, headers: Record<string, string>): string {
  const { host } = new URL(aw.url);
  const lines = ["POST /v1/events HTTP/1.1", `Host: ${host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Waits for the server to close `connection` (the test's own deadline is the failure otherwise). */
async function closedByServer(connection: RawConnection, withinMs = 15_000): Promise<boolean> {
  return eventually(async () => (connection.isClosed() ? true : undefined), withinMs);
}

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  time: new Date().toISOString(),
  type: "prompt",
  agent_id: AGENT,
  text: `event ${id}`,
  ...extra,
});

async function metricValue(aw: AgentwatchProcess, pattern: RegExp): Promise<number> {
  const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe("row 1: a client cannot hold the listener", () => {
  it("closes the connection of a request refused before its body came: 401, 413, 429", async () => {
    const aw = await start({ limits: { events_per_second: 1, burst_events: 2 } });
    // The token's bucket emptied: its next request is refused before the body is read.
    const spend = await aw.fetch("/v1/events", postJson(TOKENS.ingest, [event("spend-1"), event("spend-2")]));
    expect(spend.status).toBe(202);

    // The rate case first, while the bucket is still empty (it refills at one event a second).
    const cases: { name: string; status: number; headers: Record<string, string> }[] = [
      {
        name: "over the token's rate",
        status: 429,
        headers: { authorization: `Bearer ${TOKENS.ingest}` },
      },
      { name: "no token", status: 401, headers: {} },
      { name: "over the body limit", status: 413, headers: { authorization: `Bearer ${TOKENS.admin}` } },
    ];
    for (const { name, status, headers } of cases) {
      const connection = await rawConnection(aw);
      // The pattern of issue 30: a large declared body, one byte of it, then nothing.
      const declared = status === 413 ? 50_000_000 : 900_000;
      connection.socket.write(
        postHead(aw, { ...headers, "Content-Type": "application/json", "Content-Length": String(declared) }),
      );
      connection.socket.write("[");
      expect(await closedByServer(connection), name).toBe(true);
      expect(connection.received(), name).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(connection.received().toLowerCase(), name).toContain("connection: close");
    }
    expect((await aw.fetch("/healthz")).status).toBe(200);
  });

  it("closes connections past server.max_connections_per_address at once and counts them", async () => {
    const aw = await start({ server: { host: "127.0.0.1", port: 0, max_connections_per_address: 4 } });
    const held = await Promise.all([1, 2, 3, 4].map(() => rawConnection(aw)));
    const extra = await rawConnection(aw);
    expect(await closedByServer(extra)).toBe(true);
    expect(extra.received()).toBe("");
    // The connections within the cap were left alone, and once they go, others are welcome.
    expect(held.some((c) => c.isClosed())).toBe(false);
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    expect(
      await eventually(async () =>
        (await aw.fetch("/healthz").catch(() => undefined))?.status === 200 ? true : undefined,
      ),
    ).toBe(true);
    // At least the extra one: a probe above may also have come before the server saw the others go.
    expect(
      await metricValue(aw, /agentwatch_http_connections_refused_total\{reason="per_address_limit"\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
  });

  it("holds headers, bodies and idle keep-alives to their deadlines (server.*_timeout)", async () => {
    const aw = await start({
      server: {
        host: "127.0.0.1",
        port: 0,
        headers_timeout: "1s",
        request_timeout: "2s",
        keep_alive_timeout: "1s",
      },
    });
    // Headers begun and never finished (slowloris).
    const slowHeaders = await rawConnection(aw);
    slowHeaders.socket.write("POST /v1/events HTTP/1.1\r\nHost: x\r\n");
    // A body begun and never finished, by a client allowed to send it.
    const slowBody = await rawConnection(aw);
    slowBody.socket.write(
      postHead(aw, {
        authorization: `Bearer ${TOKENS.ingest}`,
        "Content-Type": "application/json",
        "Content-Length": "1000",
      }),
    );
    slowBody.socket.write("[");
    // A keep-alive connection left idle after its answer.
    const idle = await rawConnection(aw);
    idle.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    await eventually(async () => (idle.received().includes("200 OK") ? true : undefined));

    expect(await closedByServer(slowHeaders)).toBe(true);
    expect(await closedByServer(slowBody)).toBe(true);
    expect(slowBody.received()).not.toMatch(/HTTP\/1\.1 202/);
    expect(await closedByServer(idle)).toBe(true);
    expect((await aw.fetch("/healthz")).status).toBe(200);
  });
});

describe("row 2: every agent id the contract allows reaches its agent", () => {
  it("reads, pauses and resumes agents with ids of 101 to 128 characters; longer is a 400", async () => {
    const ids = [101, 120, 128].map((n) => `a${"b".repeat(n - 2)}z`);
    const aw = await start({ agents: [{ id: AGENT }, ...ids.map((id) => ({ id }))] });
    for (const id of ids) {
      const read = await aw.fetch(`/v1/agents/${id}`, { headers: bearer(TOKENS.viewer) });
      expect(read.status, `${id.length} characters`).toBe(200);
      expect((await read.json()).agent_id).toBe(id);
      const pause = await aw.fetch(`/v1/agents/${id}/pause`, postJson(TOKENS.operator, { reason: "row 2" }));
      expect(pause.status, `${id.length} characters`).toBe(200);
      expect((await pause.json()).state).toBe("paused");
      const resume = await aw.fetch(`/v1/agents/${id}/resume`, postJson(TOKENS.operator, {}));
      expect(resume.status, `${id.length} characters`).toBe(200);
      expect((await resume.json()).state).toBe("active");
    }
    for (const id of ["x".repeat(129), "y".repeat(600)]) {
      for (const [path, init] of [
        [`/v1/agents/${id}`, { headers: bearer(TOKENS.viewer) }],
        [`/v1/agents/${id}/pause`, postJson(TOKENS.operator, { reason: "too long" })],
      ] as const) {
        const res = await aw.fetch(path, init);
        expect(res.status, `${id.length} characters`).toBe(400);
        const body = await res.json();
        expect(body.error.code).toBe("invalid_request");
        expect(body.error.message).toContain("[A-Za-z0-9._:-]{1,128}");
      }
    }
  });
});

describe("row 3: NDJSON is bounded while it is read", () => {
  const ndjsonHeaders = { ...bearer(TOKENS.ingest), "content-type": "application/x-ndjson" };

  it("answers 413 too_many_events once the line past the limit arrives, without waiting for the rest", async () => {
    const aw = await start();
    const connection = await rawConnection(aw);
    // Declared: a body within max_body_bytes; sent: 1,001 near-empty lines of it, then nothing.
    connection.socket.write(
      postHead(aw, {
        authorization: `Bearer ${TOKENS.ingest}`,
        "Content-Type": "application/x-ndjson",
        "Content-Length": String(1_000_000),
      }),
    );
    connection.socket.write("{}\n".repeat(1001));
    expect(await closedByServer(connection)).toBe(true);
    expect(connection.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(connection.received()).toContain('"code":"too_many_events"');
  });

  it("refuses four concurrent bodies of half a million near-empty lines with 413, and keeps serving", async () => {
    const aw = await start();
    const { hostname, port } = new URL(aw.url);
    // As many `1` lines as the default body limit (1 MiB) allows: 524,287.
    const body = Buffer.from("1\n".repeat(Math.floor((1024 * 1024 - 1) / 2)));
    const post = () =>
      new Promise<number | "closed">((resolve) => {
        const req = httpRequest(
          {
            host: hostname,
            port: Number(port),
            method: "POST",
            path: "/v1/events",
            agent: false,
            headers: {
              ...bearer(TOKENS.ingest),
              "content-type": "application/x-ndjson",
              "content-length": String(body.length),
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        // The server may close before the client has sent it all: refused either way.
        req.on("error", () => resolve("closed"));
        req.end(body);
      });
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all([post(), post(), post(), post()]);
      expect(
        answers.every((a) => a === 413 || a === "closed"),
        String(answers),
      ).toBe(true);
      expect(answers).toContain(413);
    }
    expect((await aw.fetch("/healthz")).status).toBe(200);
    const ok = await aw.fetch("/v1/events", postJson(TOKENS.ingest, [event("after-the-floods")]));
    expect(ok.status).toBe(202);
    expect(aw.child?.exitCode).toBe(null);
  });

  it("rejects a line longer than limits.max_event_bytes as it reads it, and accepts the lines beside it", async () => {
    const aw = await start();
    // 300 KB in a field no per-field limit covers (the default whole-event bound is 256 KiB).
    const huge = {
      ...event("huge-1", { type: "auth", auth: { outcome: "failure" } }),
      padding: "p".repeat(300_000),
    };
    const body = [event("beside-1"), huge, event("beside-2")].map((e) => JSON.stringify(e)).join("\n");
    const res = await aw.fetch("/v1/events", { method: "POST", headers: ndjsonHeaders, body });
    expect(res.status).toBe(202);
    const answer = await res.json();
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toEqual([{ index: 1, error: expect.stringContaining("limits.max_event_bytes") }]);
  });

  it("charges rejected events to the token's rate: invalid events are not free", async () => {
    const aw = await start({ limits: { events_per_second: 1, burst_events: 100 } });
    const invalid = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `bad-${i}`, type: "prompt" }));
    const flood = await aw.fetch("/v1/events", {
      method: "POST",
      headers: ndjsonHeaders,
      body: invalid.join("\n"),
    });
    expect(flood.status).toBe(400);
    expect((await flood.json()).error.code).toBe("no_valid_events");
    const next = await aw.fetch("/v1/events", postJson(TOKENS.ingest, [event("after-flood")]));
    expect(next.status).toBe(429);
    expect((await next.json()).error.code).toBe("rate_limited");
    expect(Number(next.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("row 4: logs and events are bounded", () => {
  it("logs 'authentication failed' at most once per reason every few seconds, with the count held back", async () => {
    const aw = await start();
    const refused = 30;
    for (let i = 0; i < refused; i += 1) {
      const res = await aw.fetch("/v1/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[]",
      });
      expect(res.status).toBe(401);
    }
    // Within one 5 s window (two if this machine is very slow), not one line per request.
    expect(aw.logged("authentication failed").length).toBeLessThanOrEqual(2);
    expect(await metricValue(aw, /agentwatch_api_auth_failures_total\{reason="missing"\} (\d+)/)).toBe(
      refused,
    );
    // A later line says how many were held back.
    const withCount = await eventually(async () => {
      await aw.fetch("/v1/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[]",
      });
      const lines = aw.logged("authentication failed").filter((l) => Number(l.suppressed) > 0);
      if (lines.length > 0) return lines[0];
      await new Promise((r) => setTimeout(r, 500));
      return undefined;
    });
    expect(withCount?.reason).toBe("missing");
    expect(Number(withCount?.suppressed)).toBeGreaterThan(0);
  });

  it("bounds every event: text on any type, and the whole event with its undeclared fields", async () => {
    const aw = await start();
    const auth = (id: string, extra: Record<string, unknown>) => ({
      ...event(id, { type: "auth", auth: { outcome: "failure" } }),
      ...extra,
    });
    for (const [sent, reason] of [
      // The red team's: 900 KB of text on an auth event, accepted and indexed before.
      [auth("auth-900k-text", { text: "t".repeat(900_000) }), "limits.max_event_bytes"],
      // Within the whole-event bound, past the text limit: that limit holds on every type.
      [
        auth("auth-100k-text", { text: "t".repeat(100_000) }),
        "text: is longer than the limit of 65536 bytes",
      ],
      // A field no per-field limit names.
      [auth("auth-300k-extra", { notes: "n".repeat(300_000) }), "limits.max_event_bytes"],
    ] as const) {
      const res = await aw.fetch("/v1/events", postJson(TOKENS.ingest, [sent, event(`ok-${sent.id}`)]));
      expect(res.status).toBe(202);
      const answer = await res.json();
      expect(answer.accepted, sent.id).toBe(1);
      expect(answer.rejected).toEqual([{ index: 0, id: sent.id, error: expect.stringContaining(reason) }]);
    }
  });
});
