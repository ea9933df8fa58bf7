/**
 * Bad input on POST /v1/events: each case gets the contract's status and error body, nothing of
 * a rejected event is stored, valid events beside it are, and the process keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually, startAgentwatch } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const good = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  time: "2026-11-20T10:00:00.123+01:00",
  type: "prompt",
  agent_id: AGENT,
  text: "hello",
  ...extra,
});

describe("bad input", () => {
  let aw: AgentwatchProcess;
  beforeAll(async () => {
    // Rejected events, and the 1,000 of a too-many-events refusal, are charged too (issue 30): the
    // burst leaves room for the earlier tests' and one batch of 1,000 in the 429 test.
    aw = await startAgentwatch({ config: { limits: { events_per_second: 1000, burst_events: 2600 } } });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
  });

  const send = (body: string | Uint8Array, contentType: string | null = "application/json") =>
    aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), ...(contentType ? { "content-type": contentType } : {}) },
      body,
    });

  async function expectError(res: Awaited<ReturnType<typeof send>>, status: number, code: string) {
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    return body;
  }

  it("rejects malformed JSON with 400 invalid_json", async () => {
    const body = await expectError(await send('{"id": "x", "time": '), 400, "invalid_json");
    expect(body.error.message).toMatch(/not valid JSON/);
  });

  it("rejects NDJSON sent as application/json, with a hint", async () => {
    const ndjson = `${JSON.stringify(good("nd-as-json-1"))}\n${JSON.stringify(good("nd-as-json-2"))}`;
    const body = await expectError(await send(ndjson), 400, "invalid_json");
    expect(body.error.details.hint).toMatch(/application\/x-ndjson/);
  });

  it("rejects a body that is not an object, array or NDJSON", async () => {
    await expectError(await send("42"), 400, "invalid_request");
    await expectError(await send('"just a string"'), 400, "invalid_request");
    await expectError(await send("[]"), 400, "no_valid_events");
  });

  it("rejects unsupported and missing content types with 415", async () => {
    await expectError(await send(JSON.stringify(good("ct-1")), "text/plain"), 415, "unsupported_media_type");
    await expectError(
      await send(JSON.stringify(good("ct-2")), "application/xml"),
      415,
      "unsupported_media_type",
    );
    await expectError(await send(JSON.stringify(good("ct-3")), null), 415, "unsupported_media_type");
  });

  it("rejects a body over the size limit with 413", async () => {
    const big = JSON.stringify([good("big-1", { text: "x".repeat(1024 * 1024 + 10) })]);
    await expectError(await send(big), 413, "payload_too_large");
  });

  it("rejects more events than the per-request limit with 413", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => good(`many-${i}`, { text: "" }));
    const body = await expectError(await send(JSON.stringify(many)), 413, "too_many_events");
    expect(body.error.message).toMatch(/1001 events.*at most 1000/);
  });

  it("names every wrong field of every rejected event and accepts the valid ones", async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...good("x1"), id: undefined }, /id: required/],
      [{ ...good("x2"), id: 17 }, /id: .*expected string/i],
      [{ ...good("x3"), id: "" }, /id: must not be empty/],
      [{ ...good("x4"), id: "i".repeat(129) }, /id: must be at most 128/],
      [{ ...good("x5"), time: undefined }, /time: required/],
      [{ ...good("x6"), time: "yesterday" }, /time: must be an RFC 3339/],
      [{ ...good("x7"), time: "2026-02-30T10:00:00Z" }, /time: must be an RFC 3339/],
      [{ ...good("x8"), time: "2026-11-20T10:00:00" }, /time: must be an RFC 3339/],
      [{ ...good("x9"), type: "telepathy" }, /type: must be one of prompt, response/],
      [{ ...good("x10"), type: undefined }, /type: required/],
      [{ ...good("x11"), agent_id: "has spaces" }, /agent_id: must match/],
      [{ ...good("x12"), agent_id: undefined }, /agent_id: required/],
      [{ ...good("x13"), text: undefined }, /text: required/],
      [{ ...good("x14"), text: "y".repeat(64 * 1024 + 1) }, /text: is longer than the limit of 65536 bytes/],
      [{ ...good("x15"), attributes: [1, 2] }, /attributes: must be a JSON object/],
      [
        { ...good("x16"), attributes: { blob: "z".repeat(9000) } },
        /attributes: is larger than the limit of 8192/,
      ],
      [{ ...good("x17"), source_ip: "300.1.1.1" }, /source_ip: must be an IPv4 or IPv6/],
      [{ ...good("x18"), origin: "telepathy" }, /origin: /],
      [
        { id: "x19", time: "2026-11-20T10:00:00Z", type: "tool_call", agent_id: AGENT, tool: {} },
        /tool\.name: required/,
      ],
      [
        {
          id: "x20",
          time: "2026-11-20T10:00:00Z",
          type: "llm_usage",
          agent_id: AGENT,
          usage: { provider: "openai", model: "gpt", input_tokens: -1, output_tokens: 1.5 },
        },
        /usage\.input_tokens: must be >= 0; usage\.output_tokens: must be an integer/,
      ],
      [
        {
          id: "x21",
          time: "2026-11-20T10:00:00Z",
          type: "auth",
          agent_id: AGENT,
          auth: { outcome: "maybe" },
        },
        /auth\.outcome: /,
      ],
      ["not an object", /an event must be a JSON object/],
    ];
    const batch = [good("valid-1"), ...cases.map(([event]) => event), good("valid-2")];
    const res = await send(JSON.stringify(batch));
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.accepted).toBe(2);
    expect(body.duplicates).toBe(0);
    expect(body.rejected).toHaveLength(cases.length);
    cases.forEach(([, pattern], i) => {
      const rejection = body.rejected[i];
      expect(rejection.index).toBe(i + 1);
      expect(rejection.error).toMatch(pattern);
    });
    expect(body.rejected[1].id).toBeUndefined(); // id 17 is not a string id
    expect(body.rejected[5].id).toBe("x6");
  });

  it("answers 400 with the reasons when no event is valid", async () => {
    const body = await expectError(
      await send(JSON.stringify([{ ...good("all-bad-1"), time: "nope" }])),
      400,
      "no_valid_events",
    );
    expect(body.error.details.rejected).toEqual([
      { index: 0, id: "all-bad-1", error: expect.stringMatching(/time: must be an RFC 3339/) },
    ]);
  });

  it("accepts the good lines of NDJSON and reports the bad ones by index", async () => {
    const lines = [
      JSON.stringify(good("nd-1")),
      "{not json",
      "",
      JSON.stringify(good("nd-2")),
      JSON.stringify({ ...good("nd-bad"), type: "unknown" }),
      JSON.stringify(good("nd-3")),
    ].join("\n");
    const res = await send(lines, "application/x-ndjson");
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.accepted).toBe(3);
    expect(body.rejected).toEqual([
      { index: 1, error: expect.stringMatching(/^line 2 is not valid JSON/) },
      { index: 3, id: "nd-bad", error: expect.stringMatching(/^type: must be one of/) },
    ]);
  });

  it("counts a repeated id once", async () => {
    const first = await (await send(JSON.stringify([good("dup-1"), good("dup-1"), good("dup-2")]))).json();
    expect(first).toEqual({ accepted: 2, duplicates: 1, conflicts: [], rejected: [] });
    const second = await (await send(JSON.stringify(good("dup-1")))).json();
    expect(second).toEqual({ accepted: 0, duplicates: 1, conflicts: [], rejected: [] });
  });

  it("keeps other content under a used id under a new one, named in conflicts, also within a request", async () => {
    // Key order is not content: the same event written in another order is a retry.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(good("re-1")).reverse()));
    const body = `[${JSON.stringify(good("re-1"))},${reordered},${JSON.stringify(good("re-1", { text: "other" }))}]`;
    const first = await (await send(body)).json();
    expect(first).toEqual({
      accepted: 2,
      duplicates: 1,
      conflicts: [{ index: 2, id: expect.stringMatching(/^re-1~[0-9a-f]{16}$/) }],
      rejected: [],
    });
    const again = await (await send(JSON.stringify(good("re-1", { text: "other" })))).json();
    expect(again).toEqual({
      accepted: 0,
      duplicates: 1,
      conflicts: [{ index: 0, id: first.conflicts[0].id }],
      rejected: [],
    });
  });

  it("answers 429 with Retry-After over the token's rate, accepting nothing of that request", async () => {
    const burst = (prefix: string) =>
      JSON.stringify(
        Array.from({ length: 1000 }, (_, i) =>
          good(`${prefix}-${i}`, { text: "", time: "2026-11-19T00:00:00Z" }),
        ),
      );
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 8 && !limited; i += 1) {
      const res = await send(burst(`rate-${i}`));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses[0]).toBe(202);
    if (!limited) throw new Error(`never rate limited: ${statuses.join(", ")}`);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error.code).toBe("rate_limited");
  });

  it("stored the valid events and nothing of the rejected ones, and still serves", async () => {
    const ids = await eventually(async () => {
      const res = await aw.fetch(`/v1/events?agent_id=${AGENT}&limit=1000`, {
        headers: bearer(TOKENS.viewer),
      });
      const found: string[] = (await res.json()).events.map((e: { id: string }) => e.id);
      return found.includes("dup-2") && found.includes("nd-3") ? found : undefined;
    });
    const nonRate = ids.filter((id) => !id.startsWith("rate-")).sort();
    expect(nonRate).toEqual([
      "dup-1",
      "dup-2",
      "nd-1",
      "nd-2",
      "nd-3",
      "re-1",
      expect.stringMatching(/^re-1~[0-9a-f]{16}$/),
      "valid-1",
      "valid-2",
    ]);
    const stored = await (
      await aw.fetch("/v1/events?q=hello&limit=1", { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(stored.events[0]).toMatchObject({
      agent_id: AGENT,
      text: "hello",
      time: "2026-11-20T10:00:00.123+01:00",
    });
    expect((await aw.fetch("/healthz")).status).toBe(200);
    const metrics = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
    expect(metrics).toMatch(/agentwatch_ingest_events_total\{outcome="rejected"\} \d+/);
    expect(metrics).toMatch(/agentwatch_ingest_events_total\{outcome="duplicate"\} 4/);
    expect(metrics).toMatch(/agentwatch_event_id_conflicts_total\{found_by="collector"\} 1/);
  });

  it("answers 400, not an outage, for a search with control characters or a forged cursor", async () => {
    const get = (query: string) => aw.fetch(`/v1/events?${query}`, { headers: bearer(TOKENS.viewer) });
    const nul = await get("q=%00");
    expect(nul.status).toBe(400);
    expect((await nul.json()).error.message).toMatch(/q: must not contain control characters/);
    for (const forged of [
      ["x", "y"],
      [1, 2, 3],
    ]) {
      const res = await get(`cursor=${Buffer.from(JSON.stringify(forged)).toString("base64url")}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(/cursor is not one this server returned/);
    }
    expect((await aw.fetch("/healthz")).status).toBe(200);
  });
});
