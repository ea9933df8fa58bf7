/**
 * agentwatch/client without a server: backoff and Retry-After, the control signature against the
 * server's own signing code, the event helpers and checks, the bounded queue, and how each kind
 * of answer is handled (a fake fetch that records what it was sent).
 */
import {
  AgentPausedError,
  AgentwatchClient,
  type AgentwatchClientError,
  backoffDelay,
  controlSignature,
  InvalidEventError,
  parseRetryAfter,
  promptEvent,
  responseEvent,
  toolCallEvent,
  toolResultEvent,
  usageEvent,
  verifyControlRequest,
} from "agentwatch/client";
import { describe, expect, it } from "vitest";
import { signatureFor, signedHeaders, verifySignature } from "../services/runtime/signing.ts";

describe("backoffDelay", () => {
  const opts = { initialDelayMs: 500, maxDelayMs: 30_000 };
  it("doubles per attempt, with jitter between half and all of it", () => {
    expect(backoffDelay(1, { ...opts, random: () => 0 })).toBe(250);
    expect(backoffDelay(1, { ...opts, random: () => 0.999999 })).toBe(500);
    expect(backoffDelay(2, { ...opts, random: () => 0 })).toBe(500);
    expect(backoffDelay(4, { ...opts, random: () => 0.5 })).toBe(3000);
    for (let attempt = 1; attempt < 12; attempt++) {
      const d = backoffDelay(attempt, opts);
      const cap = Math.min(30_000, 500 * 2 ** (attempt - 1));
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    }
  });
  it("never grows past maxDelayMs, even after very many attempts", () => {
    expect(backoffDelay(1000, { ...opts, random: () => 0.999999 })).toBe(30_000);
    expect(backoffDelay(1000, { ...opts, random: () => 0 })).toBe(15_000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-05-01T12:00:00Z");
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("1", now)).toBe(1000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
  });
  it("reads an HTTP date; one in the past is 0", () => {
    expect(parseRetryAfter("Fri, 01 May 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Fri, 01 May 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores what is absent or malformed, and caps what is huge", () => {
    for (const bad of [undefined, null, "", "-1", "1.5", "soon", "12abc"]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
    expect(parseRetryAfter("99999999", now)).toBe(300_000);
    expect(parseRetryAfter("99999999", now, 10_000)).toBe(10_000);
  });
});

describe("verifyControlRequest", () => {
  const secret = "control-secret-0123456789";
  const body = JSON.stringify({ action: "pause", agent_id: "a", reason: "café ☕", sequence: 1 });
  const now = Date.parse("2026-05-01T12:00:00Z");

  it("signs byte for byte as the server does, and accepts the server's headers", () => {
    const ts = Math.floor(now / 1000);
    expect(controlSignature(secret, ts, body)).toBe(signatureFor(secret, ts, body));
    expect(controlSignature(secret, ts, Buffer.from(body))).toBe(signatureFor(secret, ts, body));
    const headers = signedHeaders(secret, body, now);
    expect(verifyControlRequest(secret, headers, body, { now })).toEqual({ ok: true, timestamp: ts });
    expect(verifyControlRequest(secret, headers, Buffer.from(body), { now }).ok).toBe(true);
    // Fetch Headers, and header names in another case.
    expect(verifyControlRequest(secret, new Headers(headers), body, { now }).ok).toBe(true);
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyControlRequest(secret, upper, body, { now }).ok).toBe(true);
    // And the server's own verifier agrees with what the client signs.
    expect(
      verifySignature({
        secret,
        timestamp: String(ts),
        signature: controlSignature(secret, ts, body),
        body,
        nowMs: now,
      }),
    ).toBe(true);
  });

  it("refuses a wrong secret, a changed body, missing headers and a bad timestamp", () => {
    const headers = signedHeaders(secret, body, now);
    expect(verifyControlRequest("other-secret", headers, body, { now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(verifyControlRequest(secret, headers, `${body} `, { now }).ok).toBe(false);
    expect(verifyControlRequest(secret, {}, body, { now })).toEqual({
      ok: false,
      reason: "missing_signature",
    });
    const bad = { ...headers, "x-agentwatch-timestamp": "12.5" };
    expect(verifyControlRequest(secret, bad, body, { now })).toEqual({ ok: false, reason: "bad_timestamp" });
  });

  it("keeps the replay window: 300 s by default, either way, or the tolerance given", () => {
    const old = signedHeaders(secret, body, now - 301_000);
    expect(verifyControlRequest(secret, old, body, { now })).toEqual({
      ok: false,
      reason: "stale_timestamp",
    });
    const future = signedHeaders(secret, body, now + 301_000);
    expect(verifyControlRequest(secret, future, body, { now }).ok).toBe(false);
    expect(verifyControlRequest(secret, signedHeaders(secret, body, now - 299_000), body, { now }).ok).toBe(
      true,
    );
    expect(verifyControlRequest(secret, old, body, { now, toleranceSeconds: 600 }).ok).toBe(true);
    expect(
      verifyControlRequest(secret, signedHeaders(secret, body, now - 31_000), body, {
        now,
        toleranceSeconds: 30,
      }),
    ).toEqual({ ok: false, reason: "stale_timestamp" });
  });
});

describe("event helpers", () => {
  it("build the contract's events from common shapes", () => {
    expect(
      usageEvent({ provider: "openai", model: "gpt-4o", usage: { prompt_tokens: 12, completion_tokens: 3 } }),
    ).toEqual({
      type: "llm_usage",
      usage: { provider: "openai", model: "gpt-4o", input_tokens: 12, output_tokens: 3 },
    });
    expect(
      usageEvent({
        provider: "anthropic",
        model: "claude",
        usage: { input_tokens: 5, output_tokens: 7 },
        costUsd: 0.01,
        apiKeyId: "key-1",
        sessionId: "s-1",
      }),
    ).toEqual({
      type: "llm_usage",
      session_id: "s-1",
      usage: {
        provider: "anthropic",
        model: "claude",
        input_tokens: 5,
        output_tokens: 7,
        cost_usd: 0.01,
        api_key_id: "key-1",
      },
    });
    expect(
      toolCallEvent({ name: "http_get", arguments: '{"url":"https://x.test"}', target: "x.test" }),
    ).toEqual({
      type: "tool_call",
      tool: { name: "http_get", arguments: { url: "https://x.test" }, target: "x.test" },
    });
    expect(toolCallEvent({ name: "sh", arguments: "not json" }).tool?.arguments).toEqual({ raw: "not json" });
    expect(toolResultEvent({ name: "lookup", result: { rows: 1 }, userId: "u" })).toEqual({
      type: "tool_result",
      user_id: "u",
      tool: { name: "lookup" },
      status: "ok",
      text: '{"rows":1}',
    });
    expect(toolResultEvent({ name: "lookup", result: "boom", status: "error" }).status).toBe("error");
    expect(promptEvent("hi", { origin: "retrieval" })).toEqual({
      type: "prompt",
      text: "hi",
      origin: "retrieval",
    });
    expect(responseEvent("hello", { latencyMs: 12.4 })).toEqual({
      type: "response",
      text: "hello",
      latency_ms: 12,
    });
  });
});

/** A fetch double: answers from `answers` in turn (the last one repeats) and records the bodies. */
function fakeFetch(answers: (() => Response | Promise<Response>)[]) {
  const bodies: string[] = [];
  let i = 0;
  const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
    bodies.push(String(init?.body));
    const answer = answers[Math.min(i++, answers.length - 1)] as () => Response;
    return answer();
  };
  return { fetch: fetch as typeof globalThis.fetch, bodies };
}

const accepted = (n: number) => () =>
  new Response(JSON.stringify({ accepted: n, duplicates: 0, conflicts: [], rejected: [] }), { status: 202 });

function client(fetch: typeof globalThis.fetch, options: Record<string, unknown> = {}) {
  const errors: AgentwatchClientError[] = [];
  const c = new AgentwatchClient({
    url: "http://agentwatch.invalid",
    token: "t",
    agentId: "bot",
    fetch,
    statusPollIntervalMs: 0,
    flushOnExit: false,
    flushIntervalMs: 60_000,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    onError: (e) => errors.push(e),
    ...options,
  });
  return { c, errors };
}

describe("AgentwatchClient (fake fetch)", () => {
  it("fills id, time and agent_id, and refuses what the contract does not allow", async () => {
    const f = fakeFetch([accepted(1)]);
    const { c } = client(f.fetch);
    const id = c.report({ type: "prompt", text: "hi", time: new Date("2026-05-01T00:00:00Z") });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => c.report({ type: "prompt" } as never)).toThrow(InvalidEventError);
    expect(() => c.report({ type: "bogus" } as never)).toThrow(/type must be one of/);
    expect(() => c.report({ type: "tool_call", tool: {} } as never)).toThrow(/tool.name/);
    expect(() =>
      c.report({
        type: "llm_usage",
        usage: { provider: "p", model: "m", input_tokens: -1, output_tokens: 0 },
      }),
    ).toThrow(/input_tokens/);
    expect(() => c.report({ type: "prompt", text: "x", agent_id: "bad id!" })).toThrow(/agent_id/);
    await c.flush();
    expect(JSON.parse(f.bodies[0] as string)).toEqual([
      { type: "prompt", text: "hi", time: "2026-05-01T00:00:00.000Z", id, agent_id: "bot" },
    ]);
    await c.close();
  });

  it("batches by count and by bytes", async () => {
    const f = fakeFetch([accepted(3)]);
    const { c } = client(f.fetch, { maxBatchEvents: 3 });
    for (let i = 0; i < 7; i++) c.report({ type: "prompt", text: `p${i}` });
    await c.flush();
    expect(f.bodies.map((b) => JSON.parse(b).length)).toEqual([3, 3, 1]);

    const g = fakeFetch([accepted(1)]);
    const { c: d } = client(g.fetch, { maxBatchBytes: 2048 });
    for (let i = 0; i < 5; i++) d.report({ type: "prompt", text: "x".repeat(700) });
    await d.flush();
    expect(g.bodies.every((b) => Buffer.byteLength(b) <= 2048)).toBe(true);
    expect(g.bodies.map((b) => JSON.parse(b).length)).toEqual([2, 2, 1]);
    expect(() => d.report({ type: "prompt", text: "x".repeat(3000) })).toThrow(/maxBatchBytes/);
  });

  it("sends after flushIntervalMs without a flush", async () => {
    const f = fakeFetch([accepted(1)]);
    const { c } = client(f.fetch, { flushIntervalMs: 20 });
    c.report({ type: "prompt", text: "a" });
    await new Promise((r) => setTimeout(r, 200));
    expect(f.bodies).toHaveLength(1);
    expect(c.stats()).toMatchObject({ accepted: 1, queued: 0 });
  });

  it("retries 5xx, 429 and network errors with the same body, and never a 4xx", async () => {
    const f = fakeFetch([
      () => new Response("{}", { status: 503, headers: { "retry-after": "0" } }),
      () => {
        throw new TypeError("fetch failed");
      },
      () => new Response("{}", { status: 429 }),
      () => new Response("oops", { status: 500 }),
      accepted(2),
    ]);
    const { c, errors } = client(f.fetch);
    c.report({ type: "prompt", text: "a" });
    c.report({ type: "prompt", text: "b" });
    await c.flush();
    expect(f.bodies).toHaveLength(5);
    expect(new Set(f.bodies).size).toBe(1); // the same ids each time: the server dedupes
    expect(c.stats()).toMatchObject({ accepted: 2, failed: 0, retries: 4, requests: 5 });
    expect(errors).toEqual([]);

    const unauthorized = fakeFetch([
      () =>
        new Response(
          JSON.stringify({ error: { code: "unauthorized", message: "missing or unknown bearer token" } }),
          {
            status: 401,
          },
        ),
    ]);
    const { c: d, errors: dErrors } = client(unauthorized.fetch);
    const id = d.report({ type: "prompt", text: "a" });
    await d.flush();
    expect(unauthorized.bodies).toHaveLength(1);
    expect(dErrors).toHaveLength(1);
    expect(dErrors[0]).toMatchObject({
      kind: "request_failed",
      code: "unauthorized",
      status: 401,
      eventIds: [id],
    });
    expect(dErrors[0]?.message).toMatch(/missing or unknown bearer token/);
    expect(d.stats().failed).toBe(1);
  });

  it("gives a batch up after maxAttempts, and reports per-event rejections", async () => {
    const f = fakeFetch([() => new Response("", { status: 502 })]);
    const { c, errors } = client(f.fetch, { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } });
    c.report({ type: "prompt", text: "a" });
    await c.flush();
    expect(f.bodies).toHaveLength(3);
    expect(errors[0]).toMatchObject({ kind: "retries_exhausted", code: "http_502", status: 502 });

    const g = fakeFetch([
      () =>
        new Response(
          JSON.stringify({
            accepted: 1,
            duplicates: 0,
            conflicts: [],
            rejected: [{ index: 1, id: "e2", error: "text: too long" }],
          }),
          { status: 202 },
        ),
    ]);
    const { c: d, errors: dErrors } = client(g.fetch);
    d.report({ type: "prompt", text: "a", id: "e1" });
    d.report({ type: "prompt", text: "b", id: "e2" });
    await d.flush();
    expect(dErrors).toHaveLength(1);
    expect(dErrors[0]).toMatchObject({ kind: "rejected", eventIds: ["e2"] });
    expect(d.stats()).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it("keeps the queue bounded: drop_newest and drop_oldest, by count and by bytes, counted", async () => {
    for (const dropPolicy of ["drop_newest", "drop_oldest"] as const) {
      const f = fakeFetch([accepted(3)]);
      const { c } = client(f.fetch, { maxQueueEvents: 3, dropPolicy });
      const ids = [0, 1, 2, 3, 4].map((i) => c.report({ type: "prompt", text: `p${i}`, id: `e${i}` }));
      expect(c.dropped).toBe(2);
      expect(c.stats()).toMatchObject({ queued: 3, dropped: 2 });
      await c.flush();
      const sent = JSON.parse(f.bodies[0] as string).map((e: { id: string }) => e.id);
      if (dropPolicy === "drop_newest") {
        expect(ids).toEqual(["e0", "e1", "e2", undefined, undefined]);
        expect(sent).toEqual(["e0", "e1", "e2"]);
      } else {
        expect(ids).toEqual(["e0", "e1", "e2", "e3", "e4"]);
        expect(sent).toEqual(["e2", "e3", "e4"]);
      }
    }
    const f = fakeFetch([accepted(1)]);
    const { c } = client(f.fetch, { maxQueueBytes: 4096, maxBatchBytes: 100_000, maxBatchEvents: 1000 });
    for (let i = 0; i < 20; i++) c.report({ type: "prompt", text: "x".repeat(900) });
    expect(c.stats().queuedBytes).toBeLessThanOrEqual(4096);
    expect(c.dropped).toBeGreaterThan(0);
    expect(c.stats().queued + c.dropped).toBe(20);
  });

  it("close({timeoutMs}) gives up at the deadline instead of waiting out the retries", async () => {
    const f = fakeFetch([() => new Response("", { status: 503, headers: { "retry-after": "30" } })]);
    const { c, errors } = client(f.fetch);
    const id = c.report({ type: "prompt", text: "a" });
    void c.flush();
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await c.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: "retries_exhausted", status: 503, eventIds: [id] });
    expect(c.stats()).toMatchObject({ failed: 1, queued: 0, inFlight: 0 });
    expect(c.report({ type: "prompt", text: "late" })).toBeUndefined();
    expect(c.dropped).toBe(1);
  });

  it("flush resolves for what was queued while a request is in flight", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const f = fakeFetch([
      async () => {
        await gate;
        return accepted(1)();
      },
      accepted(1),
    ]);
    const { c } = client(f.fetch);
    c.report({ type: "prompt", text: "a" });
    const first = c.flush();
    c.report({ type: "prompt", text: "b" });
    const second = c.flush();
    let done = false;
    void second.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await first;
    await second;
    expect(f.bodies).toHaveLength(2);
    expect(c.stats()).toMatchObject({ accepted: 2, queued: 0, inFlight: 0 });
  });

  it("guard() throws AgentPausedError from the polled state", async () => {
    const f = fakeFetch([
      () =>
        new Response(
          JSON.stringify({
            agent_id: "bot",
            state: "paused",
            since: "2026-05-01T00:00:00Z",
            by: "oncall",
            reason: "hijack",
          }),
          { status: 200 },
        ),
    ]);
    const { c } = client(f.fetch);
    expect(c.paused()).toBe(false);
    c.guard();
    await c.refreshStatus();
    expect(c.paused()).toBe(true);
    expect(() => c.guard()).toThrow(AgentPausedError);
    try {
      c.guard();
    } catch (err) {
      expect(err).toMatchObject({
        reason: "hijack",
        by: "oncall",
        since: "2026-05-01T00:00:00Z",
        agentId: "bot",
      });
    }
  });
});
