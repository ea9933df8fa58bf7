/**
 * A stop never waits on a client (issue 27). SIGTERM after the auth matrix's traffic used to hang
 * 2 runs in 3 on a loaded machine: the test's HTTP client (undici) had opened a spare connection
 * and sent nothing on it, and Node's close() waits for such a connection for ever. Here that
 * connection is opened on purpose, so the hang is certain without the fix. Requests in hand at
 * the stop are answered; past `server.shutdown_timeout` the stop names what it waited for,
 * closes it and exits 1; nothing acknowledged is lost either way.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MATRIX_CASES, sendCase } from "./helpers/auth-matrix.ts";
import { type AgentwatchProcess, eventually, freePort, launch, processes } from "./helpers/process.ts";
import { AGENT, TOKENS } from "./helpers/tokens.ts";

const { start, cleanup } = processes({ agents: [{ id: AGENT }] });
afterEach(cleanup);

/** A connection that sends nothing, as an HTTP client's spare connection or a browser's preconnect. */
async function silentConnection(aw: AgentwatchProcess): Promise<Socket> {
  const { hostname, port } = new URL(aw.url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  socket.on("error", () => undefined);
  return socket;
}

interface PartialRequest {
  socket: Socket;
  /** Everything the server sent back, once it closed the connection. */
  answer: Promise<string>;
  finish(): void;
}

/**
 * POST /v1/events with `Expect: 100-continue`, headers only: the request is in hand once the
 * server says `100 Continue` (Node emits the request then). `finish()` sends the body.
 */
async function requestInHand(aw: AgentwatchProcess, events: unknown[]): Promise<PartialRequest> {
  const { hostname, port } = new URL(aw.url);
  const body = JSON.stringify(events);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => undefined);
  await once(socket, "connect");
  let received = "";
  const answer = new Promise<string>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
    });
    socket.on("close", () => resolve(received));
  });
  socket.write(
    [
      "POST /v1/events HTTP/1.1",
      `Host: ${hostname}:${port}`,
      `Authorization: Bearer ${TOKENS.ingest}`,
      "Content-Type: application/json",
      `Content-Length: ${Buffer.byteLength(body)}`,
      "Expect: 100-continue",
      "",
      "",
    ].join("\r\n"),
  );
  await eventually(async () => (received.includes("100 Continue") ? true : undefined), 10_000);
  return { socket, answer, finish: () => socket.write(body) };
}

const promptEvent = (id: string) => ({
  id,
  time: new Date().toISOString(),
  type: "prompt",
  agent_id: AGENT,
  session_id: "s-shutdown",
  text: `event ${id}`,
});

async function post(aw: AgentwatchProcess, events: unknown[]): Promise<void> {
  const res = await aw.fetch("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKENS.ingest}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
  expect((await res.json()).accepted).toBe(events.length);
}

async function storedIds(aw: AgentwatchProcess): Promise<string[]> {
  const res = await aw.fetch(`/v1/events?agent_id=${AGENT}&limit=1000`, {
    headers: { authorization: `Bearer ${TOKENS.viewer}` },
  });
  const body = await res.json();
  return (body.events as { id: string }[]).map((e) => e.id).sort();
}

describe("stopping", () => {
  it("stops cleanly after the auth matrix's traffic and a silent connection, round after round", async () => {
    const aw = await start();
    for (let round = 1; round <= 5; round += 1) {
      if (round > 1) await launch(aw);
      // The matrix's 149 requests, answers left unread as the matrix test leaves most of them.
      for (const { endpoint, caller } of MATRIX_CASES) await sendCase(aw, endpoint, caller);
      const silent = await silentConnection(aw);
      const closedByServer = once(silent, "close");
      const code = await aw.stop();
      expect(code, `round ${round}`).toBe(0);
      await closedByServer;
      const stopped = aw.logged("stopped").at(-1);
      expect(stopped?.ms, `round ${round}`).toEqual(expect.any(Number));
    }
    expect(aw.logged("stopped")).toHaveLength(5);
    expect(aw.logged(/past the shutdown deadline/)).toEqual([]);
  });

  it("answers a request in hand at the stop, then closes its connection; the event is kept", async () => {
    const aw = await start();
    const partial = await requestInHand(aw, [promptEvent("in-hand-1")]);
    const exited = aw.stop();
    // The stop has begun (new connections are refused) while the request is still in hand.
    await eventually(async () => (aw.logged(/^stopping: no new requests/).length > 0 ? true : undefined));
    partial.finish();
    const answer = await partial.answer;
    expect(answer).toMatch(/HTTP\/1\.1 202/);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain('"accepted":1');
    expect(await exited).toBe(0);
    await launch(aw);
    expect(
      await eventually(async () => ((await storedIds(aw)).includes("in-hand-1") ? true : undefined)),
    ).toBe(true);
  });

  it("past server.shutdown_timeout names what it waited for, closes it, exits 1, and loses nothing acknowledged", async () => {
    const aw = await start({ server: { host: "127.0.0.1", port: 0, shutdown_timeout: "1s" } });
    const acknowledged = Array.from({ length: 50 }, (_, i) => promptEvent(`acked-${i}`));
    await post(aw, acknowledged);
    const stalled = await requestInHand(aw, [promptEvent("never-sent")]);
    const silent = await silentConnection(aw);
    const code = await aw.stop();
    expect(code).toBe(1);
    // The stalled client's connection was closed without an answer: it retries; nothing was acknowledged.
    expect(await stalled.answer).not.toMatch(/HTTP\/1\.1 202/);
    expect(silent.destroyed || silent.readableEnded).toBe(true);
    const [warning] = aw.logged(/requests still in hand at their deadline/);
    expect(JSON.stringify(warning?.connections)).toContain("POST /v1/events");
    const [summary] = aw.logged(/past the shutdown deadline/);
    expect(summary?.waited_for).toEqual(["1 HTTP connection(s)"]);
    // The workers still committed and checkpointed after the forced close.
    expect(aw.logged("a worker failed to stop cleanly")).toEqual([]);

    await launch(aw);
    const ids = await eventually(async () => {
      const stored = await storedIds(aw);
      return stored.length >= acknowledged.length ? stored : undefined;
    });
    expect(ids).toEqual(acknowledged.map((e) => e.id).sort());
  });

  it("a config reload does not wait on connections whose request was refused before its body came", async () => {
    // A fixed port: the reloaded server listens where the old one did.
    const aw = await start({ server: { host: "127.0.0.1", port: await freePort() } });
    const { hostname, port } = new URL(aw.url);
    // No token, a large declared body and one byte of it: answered 401, then nothing more.
    const holders = await Promise.all(
      [1, 2, 3].map(async () => {
        const socket = connect(Number(port), hostname);
        socket.on("error", () => undefined);
        await once(socket, "connect");
        let received = "";
        socket.on("data", (chunk: Buffer) => {
          received += chunk.toString("utf8");
        });
        socket.write(
          `POST /v1/events HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[`,
        );
        await eventually(async () => (received.includes("401") ? true : undefined), 10_000);
        return socket;
      }),
    );
    const reload = await aw.fetch("/v1/admin/config/reload", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "shutdown test" }),
    });
    expect(reload.status).toBe(202);
    await eventually(async () => (aw.logged("config reloaded").length > 0 ? true : undefined), 30_000);
    expect((await aw.fetch("/healthz")).status).toBe(200);
    for (const socket of holders) expect(socket.destroyed || socket.readableEnded).toBe(true);
    expect(aw.logged(/past the shutdown deadline/)).toEqual([]);
  });
});
