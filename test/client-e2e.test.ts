/**
 * agentwatch/client against the real agentwatch (a child process, embedded backends), through a
 * small local proxy that counts the requests and can answer 503 with Retry-After, or lose the
 * server's 202 on the way back: batching, recovery with nothing lost and nothing stored twice,
 * the bounded queue, a 4xx and a per-event rejection, `guard()` after a pause made through the
 * API (polled), and the control handler taking the server's own signed control calls and
 * refusing a bad signature, an old timestamp and a replay.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AgentPausedError,
  AgentwatchClient,
  type AgentwatchClientError,
  type AgentwatchClientOptions,
  type ControlCommand,
  promptEvent,
} from "agentwatch/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../services/runtime/signing.ts";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, OTHER_AGENT, postJson, TOKENS } from "./helpers/tokens.ts";

const SECRET = "client-control-secret-0123456789";

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Forwards to agentwatch; `unavailable` answers 503 (Retry-After: 1) without forwarding; `loseAnswers` forwards and then answers 503 as if the 202 never came back. */
class FaultyProxy {
  target = "";
  unavailable = 0;
  loseAnswers = 0;
  readonly posts: { status: number; body: string }[] = [];
  server!: Server;
  url = "";

  async start(): Promise<void> {
    ({ server: this.server, url: this.url } = await listen((req, res) => {
      void this.#handle(req, res.writeHead.bind(res), res.end.bind(res));
    }));
  }

  async #handle(
    req: IncomingMessage,
    writeHead: (status: number, headers: Record<string, string>) => void,
    end: (body: string) => void,
  ): Promise<void> {
    const body = (await readAll(req)).toString("utf8");
    const unavailable = () => {
      writeHead(503, { "content-type": "application/json", "retry-after": "1" });
      end(JSON.stringify({ error: { code: "unavailable", message: "proxy: try again" } }));
    };
    if (req.method === "POST" && this.unavailable > 0) {
      this.unavailable -= 1;
      this.posts.push({ status: 503, body });
      unavailable();
      return;
    }
    const answer = await fetch(`${this.target}${req.url}`, {
      method: req.method ?? "GET",
      headers: {
        authorization: String(req.headers.authorization ?? ""),
        "content-type": String(req.headers["content-type"] ?? "application/json"),
      },
      ...(req.method === "POST" ? { body } : {}),
    });
    const text = await answer.text();
    if (req.method === "POST" && this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      this.posts.push({ status: 503, body });
      unavailable();
      return;
    }
    if (req.method === "POST") this.posts.push({ status: answer.status, body });
    writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    end(text);
  }
}

describe("agentwatch/client against agentwatch", () => {
  let aw: AgentwatchProcess;
  const proxy = new FaultyProxy();
  // The agent's control endpoint: the handler under test is plugged in once the client exists.
  let control: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let controlServer: { server: Server; url: string };
  const clients: AgentwatchClient[] = [];

  beforeAll(async () => {
    controlServer = await listen((req, res) => control(req, res));
    aw = await startAgentwatch({
      config: {
        agents: [
          { id: AGENT, control: { url: `${controlServer.url}/control`, secret: SECRET, timeout: "2s" } },
          { id: OTHER_AGENT },
        ],
      },
    });
    proxy.target = aw.url;
    await proxy.start();
  });
  afterAll(async () => {
    for (const c of clients) await c.close({ timeoutMs: 1000 });
    await aw?.stop();
    aw?.cleanup();
    proxy.server?.close();
    controlServer?.server.close();
  });

  function newClient(options: Partial<AgentwatchClientOptions> = {}) {
    const errors: AgentwatchClientError[] = [];
    const client = new AgentwatchClient({
      url: proxy.url,
      token: TOKENS.ingest,
      agentId: AGENT,
      flushIntervalMs: 60_000,
      statusPollIntervalMs: 0,
      flushOnExit: false,
      onError: (e) => errors.push(e),
      ...options,
    });
    clients.push(client);
    return { client, errors };
  }

  async function storedIds(session: string, agent = AGENT): Promise<string[]> {
    const page: Json = await (
      await aw.fetch(`/v1/events?agent_id=${agent}&session_id=${session}&limit=1000`, {
        headers: bearer(TOKENS.viewer),
      })
    ).json();
    return page.events.map((e: { id: string }) => e.id).sort();
  }

  const postsSince = (n: number) => proxy.posts.slice(n);

  it("batches several reports into one POST", async () => {
    const { client, errors } = newClient();
    const before = proxy.posts.length;
    const ids = [1, 2, 3, 4, 5].map((i) =>
      client.report(promptEvent(`question ${i}`, { sessionId: "batch" })),
    );
    await client.flush();
    const posts = postsSince(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.status).toBe(202);
    expect(JSON.parse(posts[0]?.body as string)).toHaveLength(5);
    expect(client.stats()).toMatchObject({ accepted: 5, duplicates: 0, failed: 0, queued: 0, inFlight: 0 });
    expect(errors).toEqual([]);
    await eventually(async () => ((await storedIds("batch")).length === 5 ? true : undefined));
    expect(await storedIds("batch")).toEqual([...ids].sort());
  });

  it("rides out a 503 with Retry-After, and a lost 202, with nothing lost and nothing stored twice", async () => {
    const { client, errors } = newClient({ maxBatchEvents: 10 });
    const before = proxy.posts.length;
    proxy.unavailable = 2;
    const started = Date.now();
    const ids = Array.from({ length: 20 }, (_, i) =>
      client.report(promptEvent(`m${i}`, { sessionId: "outage" })),
    );
    await client.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900); // two Retry-After: 1
    const posts = postsSince(before);
    expect(posts.map((p) => p.status)).toEqual([503, 503, 202, 202]);
    expect(posts[0]?.body).toBe(posts[2]?.body); // the retry resends the same events, same ids
    expect(client.stats()).toMatchObject({ accepted: 20, failed: 0, dropped: 0, retries: 2 });

    // The server stores a batch, but its answer is lost: the client resends it, the server dedupes.
    proxy.loseAnswers = 1;
    const more = Array.from({ length: 5 }, (_, i) =>
      client.report(promptEvent(`n${i}`, { sessionId: "outage" })),
    );
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 20, duplicates: 5, failed: 0 });
    expect(errors).toEqual([]);
    const all = [...ids, ...more].sort();
    await eventually(async () => ((await storedIds("outage")).length >= 25 ? true : undefined));
    expect(await storedIds("outage")).toEqual(all);
  });

  it("keeps a bounded queue: drops the oldest, counts them, delivers the rest", async () => {
    const { client } = newClient({ maxQueueEvents: 5, dropPolicy: "drop_oldest" });
    const ids = Array.from({ length: 12 }, (_, i) =>
      client.report(promptEvent(`q${i}`, { sessionId: "bounded" })),
    );
    expect(client.dropped).toBe(7);
    expect(client.stats().queued).toBe(5);
    await client.flush();
    await eventually(async () => ((await storedIds("bounded")).length === 5 ? true : undefined));
    expect(await storedIds("bounded")).toEqual(ids.slice(7).sort());
  });

  it("does not retry a 401, and passes on the server's code, message and per-event rejections", async () => {
    const { client, errors } = newClient({ token: "not-a-token-0123456789" });
    const before = proxy.posts.length;
    client.report(promptEvent("x", { sessionId: "refused" }));
    await client.flush();
    expect(postsSince(before).map((p) => p.status)).toEqual([401]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: "request_failed", status: 401, code: "unauthorized" });
    expect(client.stats().failed).toBe(1);

    const second = newClient();
    const ok = second.client.report(promptEvent("fine", { sessionId: "partial" }));
    const tooLong = second.client.report(promptEvent("x".repeat(70_000), { sessionId: "partial" }));
    await second.client.flush();
    expect(second.errors).toHaveLength(1);
    expect(second.errors[0]).toMatchObject({ kind: "rejected", eventIds: [tooLong] });
    expect(second.client.stats()).toMatchObject({ accepted: 1, rejected: 1 });
    await eventually(async () => ((await storedIds("partial")).length === 1 ? true : undefined));
    expect(await storedIds("partial")).toEqual([ok]);
  });

  it("guard() throws AgentPausedError once a pause made through the API is polled, and passes after resume", async () => {
    const { client } = newClient({
      url: aw.url,
      agentId: OTHER_AGENT,
      token: TOKENS.ingestOther,
      statusPollIntervalMs: 200,
    });
    await eventually(async () => client.status());
    expect(client.paused()).toBe(false);
    client.guard();

    const paused = await aw.fetch(
      `/v1/agents/${OTHER_AGENT}/pause`,
      postJson(TOKENS.operator, { reason: "exfiltration to pastebin" }),
    );
    expect(paused.status).toBe(200);
    await eventually(async () => (client.paused() ? true : undefined), 10_000);
    let thrown: unknown;
    try {
      client.guard();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AgentPausedError);
    expect(thrown).toMatchObject({ agentId: OTHER_AGENT, reason: "exfiltration to pastebin", by: "oncall" });
    expect(Date.parse((thrown as AgentPausedError).since as string)).not.toBeNaN();

    await aw.fetch(`/v1/agents/${OTHER_AGENT}/resume`, postJson(TOKENS.operator, { reason: "fixed" }));
    await eventually(async () => (client.paused() ? undefined : true), 10_000);
    client.guard();
  });

  it("controlHandler takes the server's signed control calls, and refuses a bad signature, an old timestamp and a replay", async () => {
    const { client } = newClient({ url: aw.url });
    const commands: ControlCommand[] = [];
    control = client.controlHandler({
      secret: SECRET,
      onPause: (c) => {
        commands.push(c);
      },
      onResume: (c) => {
        commands.push(c);
      },
    });

    const pause = await (
      await aw.fetch(`/v1/agents/${AGENT}/pause`, postJson(TOKENS.operator, { reason: "prompt injection" }))
    ).json();
    expect(pause.control).toMatchObject({ delivered: true });
    expect(commands.map((c) => c.action)).toEqual(["pause"]);
    expect(client.paused()).toBe(true);
    expect(() => client.guard()).toThrow(AgentPausedError);
    // Who paused it is not in the command: the client reads it back.
    await eventually(async () => (client.status()?.by === "oncall" ? true : undefined), 10_000);
    expect(client.status()).toMatchObject({ state: "paused", reason: "prompt injection", by: "oncall" });

    const resume = await (await aw.fetch(`/v1/agents/${AGENT}/resume`, postJson(TOKENS.operator, {}))).json();
    expect(resume.control).toMatchObject({ delivered: true });
    expect(commands.map((c) => c.action)).toEqual(["pause", "resume"]);
    expect(client.paused()).toBe(false);

    const send = (body: string, headers: Record<string, string>) =>
      fetch(`${controlServer.url}/control`, { method: "POST", headers, body });
    const forged = JSON.stringify({
      action: "pause",
      agent_id: AGENT,
      reason: "forged",
      incident_id: null,
      time: new Date().toISOString(),
      sequence: Date.now() + 1_000_000,
    });
    const signed = signedHeaders(SECRET, forged);
    expect(
      (await send(forged, { ...signed, "x-agentwatch-signature": `sha256=${"0".repeat(64)}` })).status,
    ).toBe(401);
    expect((await send(forged, signedHeaders("another-secret-0123456789", forged))).status).toBe(401);
    expect((await send(forged, {})).status).toBe(401);
    expect((await send(forged, signedHeaders(SECRET, forged, Date.now() - 600_000))).status).toBe(401);
    expect((await send(`${forged} `, signed)).status).toBe(401); // body changed after signing
    expect(client.paused()).toBe(false);

    // The first pause, captured and re-signed fresh (as if within the window): its sequence is old.
    const replay = JSON.stringify(commands[0]);
    expect((await send(replay, signedHeaders(SECRET, replay))).status).toBe(200);
    expect(client.paused()).toBe(false);
    expect(commands).toHaveLength(2);

    // A genuine, newer command signed as the server signs is obeyed.
    expect((await send(forged, signed)).status).toBe(200);
    expect(client.paused()).toBe(true);
    expect(commands).toHaveLength(3);
  });
});
