import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider } from "../../test/helpers/fake-providers.ts";
import { newProviderTotals, providerIncrement } from "../detector/provider-usage.ts";
import { Topics } from "../runtime/bus/bus.ts";
import { EmbeddedBus } from "../runtime/bus/embedded.ts";
import { parseConfig } from "../runtime/config.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { IngestedEvent } from "../runtime/model.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { UsagePoller } from "./poller.ts";
import { adminKeyOf, usageClientFor } from "./providers.ts";

const ADMIN_KEY = "sk-ant-admin01-test-key-0123456789";

/** The input tokens the detector runner counts from these records, in order (provider-usage.ts). */
function countedByRunner(records: IngestedEvent[]): number {
  const totals = newProviderTotals();
  let sum = 0;
  for (const { event } of records) {
    const increment = providerIncrement(totals, { event, time: Date.parse(event.time), source: "provider" });
    sum += increment?.event.usage?.input_tokens ?? 0;
  }
  return sum;
}
const MINUTE = 60_000;
/** A fixed clock: 2026-12-01 12:00:30 UTC (half a minute into a bucket). */
const NOW = Date.parse("2026-12-01T12:00:30Z");

function configFor(kind: "anthropic" | "openai", url: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    auth: { tokens: [{ name: "admin", role: "admin", token: "admin-token-0123456789" }] },
    providers: [
      {
        name: `${kind}-org`,
        type: kind,
        admin_key: ADMIN_KEY,
        api_url: url,
        keys: [{ id: "key-support", agent: "support-bot" }],
        ...extra,
      },
    ],
  });
}

describe.each(["anthropic", "openai"] as const)("%s usage poller", (kind) => {
  let dir: string;
  let bus: EmbeddedBus;
  let storage: EmbeddedStorage;
  let fake: FakeProvider;
  const logger = createLogger("silent");
  let metrics: Metrics;
  let now = NOW;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-providers-"));
    metrics = new Metrics();
    bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    storage = new EmbeddedStorage(dir);
    await bus.start();
    await storage.start();
    fake = await startFakeProvider(kind, ADMIN_KEY);
    now = NOW;
  });

  afterEach(async () => {
    await fake.close();
    await bus.stop();
    await storage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A poller for the fake provider; `storage`: another collector's (its own cursor). */
  const pollerFor = (
    extra: Record<string, unknown> = {},
    options: { storage?: EmbeddedStorage; report?: "usage" | "cost" } = {},
  ) => {
    const config = configFor(kind, fake.url, extra);
    const provider = config.providers[0] as (typeof config.providers)[number];
    return new UsagePoller({
      provider,
      client: usageClientFor(provider),
      bus,
      storage: options.storage ?? storage,
      logger,
      metrics,
      limits: config.limits,
      now: () => now,
      ...(options.report ? { report: options.report } : {}),
    });
  };
  /** Runs `use` with a second collector's storage (another cursor), then closes it. */
  const withOtherCollector = async (use: (other: EmbeddedStorage) => Promise<void>) => {
    const other = new EmbeddedStorage(mkdtempSync(join(tmpdir(), "aw-providers-other-")));
    await other.start();
    try {
      await use(other);
    } finally {
      await other.stop();
    }
  };
  /** Usage on key-support in the minute of `time`, as the provider records it. */
  const used = (time: number, input: number, output: number) =>
    fake.records.push({ time, apiKeyId: "key-support", model: "m", workspaceId: null, input, output });
  const appended = (): IngestedEvent[] =>
    bus.read(Topics.events, 0, 100_000).map((r) => JSON.parse(r.value) as IngestedEvent);

  it("turns each bucket's rows into llm_usage events once, mapped to their agents", async () => {
    fake.records.push(
      {
        time: NOW - 10 * MINUTE,
        apiKeyId: "key-support",
        model: "model-a",
        workspaceId: "ws-1",
        input: 1000,
        output: 200,
        cacheRead: 300,
      },
      {
        time: NOW - 10 * MINUTE + 5000,
        apiKeyId: "key-support",
        model: "model-a",
        workspaceId: "ws-1",
        input: 500,
        output: 100,
      },
      {
        time: NOW - 5 * MINUTE,
        apiKeyId: "key-stolen",
        model: "model-b",
        workspaceId: null,
        input: 7000,
        output: 50,
      },
      { time: NOW - 4 * MINUTE, apiKeyId: null, model: "model-a", workspaceId: null, input: 10, output: 10 },
    );
    const poller = pollerFor();
    expect(await poller.pollOnce()).toBe(3);
    const events = appended().map((e) => e.event);
    const support = events.find((e) => e.usage?.api_key_id === "key-support");
    expect(support).toMatchObject({
      type: "llm_usage",
      agent_id: "support-bot",
      time: new Date(NOW - 10 * MINUTE - 30_000).toISOString(),
      usage: { provider: kind, model: "model-a", input_tokens: 1800, output_tokens: 300 },
      attributes: {
        reported_by: "provider",
        provider: `${kind}-org`,
        bucket_width: "1m",
        cached_input_tokens: 300,
        workspace_id: "ws-1",
      },
    });
    // A key no agent is mapped to is reported under the provider; usage without a key says so.
    expect(events.find((e) => e.usage?.api_key_id === "key-stolen")?.agent_id).toBe(`provider:${kind}-org`);
    expect(events.find((e) => e.usage?.api_key_id === undefined)?.attributes).toMatchObject({
      api_key: "none",
    });
    // The admin key went where the provider documents it, and nowhere in what was stored.
    expect(JSON.stringify(appended())).not.toContain(ADMIN_KEY);
    const request = fake.requests[0] as URL;
    if (kind === "anthropic") {
      expect(request.searchParams.getAll("group_by[]")).toEqual(["api_key_id", "model", "workspace_id"]);
      expect(request.searchParams.get("starting_at")).toBe(
        new Date(NOW - 60 * MINUTE - 30_000).toISOString(),
      );
    } else {
      expect(request.searchParams.getAll("group_by")).toEqual(["api_key_id", "model", "project_id"]);
      expect(Number(request.searchParams.get("start_time")) * 1000).toBe(NOW - 60 * MINUTE - 30_000);
    }
    // The same poll again appends nothing: nothing changed.
    now += MINUTE;
    expect(await poller.pollOnce()).toBe(0);
    expect(appended()).toHaveLength(3);
  });

  it("adds only what a revised bucket gained, and a restart neither re-reads nor loses a bucket", async () => {
    used(NOW - 3 * MINUTE, 100, 10);
    const first = pollerFor();
    expect(await first.pollOnce()).toBe(1);
    // Late data for the same bucket (the provider revises recent buckets), and a new bucket.
    fake.records.push(
      {
        time: NOW - 3 * MINUTE + 1000,
        apiKeyId: "key-support",
        model: "m",
        workspaceId: null,
        input: 50,
        output: 5,
      },
      { time: NOW - MINUTE, apiKeyId: "key-support", model: "m", workspaceId: null, input: 7, output: 7 },
    );
    now += MINUTE;
    // A new poller on the same storage: a restart.
    const restarted = pollerFor();
    await restarted.restore();
    expect(await restarted.pollOnce()).toBe(2);
    const events = appended().map((e) => e.event);
    const bucket = new Date(NOW - 3 * MINUTE - 30_000).toISOString();
    const sameBucket = events.filter((e) => e.time === bucket);
    // The bucket's totals so far, each time they rose.
    expect(sameBucket.map((e) => e.usage?.input_tokens)).toEqual([100, 150]);
    expect(sameBucket[1]?.attributes).toMatchObject({ revision: true, cumulative: true });
    expect(events.filter((e) => e.time !== bucket).map((e) => e.usage?.input_tokens)).toEqual([7]);
    expect(countedByRunner(appended())).toBe(157);
  });

  it("counts a bucket once whichever collector reported which totals first", async () => {
    used(NOW - 3 * MINUTE, 100, 10);
    await pollerFor().pollOnce();
    used(NOW - 3 * MINUTE + 1000, 50, 5);
    // A second collector with its own (empty) cursor sees the revised bucket first.
    await withOtherCollector(async (other) => {
      expect(await pollerFor({}, { storage: other }).pollOnce()).toBe(1);
    });
    // Then the first collector reads the same revision: the bus drops it (same totals, same id).
    const first = pollerFor();
    await first.restore();
    await first.pollOnce();
    expect(appended()).toHaveLength(2);
    expect(countedByRunner(appended())).toBe(150);
  });

  it("a second collector appends nothing the first did (same event ids, dropped by the bus)", async () => {
    used(NOW - 2 * MINUTE, 40, 4);
    await pollerFor().pollOnce();
    await withOtherCollector(async (other) => {
      await pollerFor({}, { storage: other }).pollOnce();
    });
    expect(appended()).toHaveLength(1);
  });

  it("reads the day's cost report into events that state each group's spend so far", async () => {
    const day = Math.floor(NOW / 86_400_000) * 86_400_000;
    fake.costs.push(
      {
        time: day + 3_600_000,
        workspaceId: "ws-1",
        apiKeyId: "key-support",
        item: "model-a usage",
        usd: 12.34,
      },
      {
        time: day + 7_200_000,
        workspaceId: "ws-1",
        apiKeyId: "key-support",
        item: "model-a usage",
        usd: 0.5,
      },
    );
    const costs = pollerFor({}, { report: "cost" });
    expect(await costs.pollOnce()).toBe(1);
    const [first] = appended().map((e) => e.event);
    expect(first).toMatchObject({
      type: "llm_usage",
      time: new Date(day).toISOString(),
      usage: { provider: kind, input_tokens: 0, output_tokens: 0, cost_usd: 12.84 },
      attributes: {
        reported_by: "provider",
        report: "cost",
        bucket_width: "1d",
        workspace_id: "ws-1",
        line_item: "model-a usage",
      },
    });
    // OpenAI groups costs by key too; Anthropic's cost report does not.
    expect(first?.usage?.api_key_id).toBe(kind === "openai" ? "key-support" : undefined);
    const request = fake.requests.at(-1) as URL;
    expect(request.pathname).toBe(
      kind === "anthropic" ? "/v1/organizations/cost_report" : "/v1/organization/costs",
    );
    expect(request.searchParams.get("bucket_width")).toBe("1d");
    expect(request.searchParams.get("limit")).toBe(kind === "anthropic" ? "31" : "180");
    // The day goes on: the report's total rises, and only the rise is counted.
    fake.costs.push({
      time: day + 9_000_000,
      workspaceId: "ws-1",
      apiKeyId: "key-support",
      item: "model-a usage",
      usd: 1,
    });
    now += 15 * MINUTE;
    expect(await costs.pollOnce()).toBe(1);
    const totals = newProviderTotals();
    let spent = 0;
    for (const { event } of appended()) {
      spent +=
        providerIncrement(totals, { event, time: Date.parse(event.time), source: "provider" })?.event.usage
          ?.cost_usd ?? 0;
    }
    expect(spent).toBeCloseTo(13.84, 6);
  });

  it("reads every page of a long backfill", async () => {
    // 25 hours of 1-minute buckets is more than the 1,440 one page may hold.
    fake.records.push(
      {
        time: NOW - 24 * 60 * MINUTE,
        apiKeyId: "key-support",
        model: "m",
        workspaceId: null,
        input: 1,
        output: 1,
      },
      { time: NOW - 2 * MINUTE, apiKeyId: "key-support", model: "m", workspaceId: null, input: 2, output: 2 },
    );
    expect(await pollerFor({ backfill: "25h" }).pollOnce()).toBe(2);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(fake.requests.every((r) => Number(r.searchParams.get("limit")) <= 1440)).toBe(true);
  });

  it("waits as Retry-After says on 429, backs off on 500, and reports a refused key once", async () => {
    used(NOW - 2 * MINUTE, 1, 1);
    fake.failures.push({ status: 429, headers: { "retry-after": "7" } }, { status: 500 });
    const poller = pollerFor();
    await expect(poller.pollOnce()).rejects.toMatchObject({ code: "deliveryFailed", retryAfterSeconds: 7 });
    await expect(poller.pollOnce()).rejects.toMatchObject({ code: "deliveryFailed", retryable: true });
    expect(appended()).toHaveLength(0);
    expect(await poller.pollOnce()).toBe(1);

    const refused = pollerFor({ admin_key: "sk-wrong-key-0000000000" });
    const error = await refused.pollOnce().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "providerUnauthorized" });
    expect(String((error as Error).message)).not.toContain("sk-wrong-key");
    // Run as a worker: one poll, counted as unauthorized.
    await refused.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await refused.stop();
    const counted = (await metrics.registry.getSingleMetricAsString("agentwatch_provider_polls_total")).split(
      "\n",
    );
    expect(counted.some((line) => line.includes('outcome="unauthorized"') && line.endsWith(" 1"))).toBe(true);
  });
});

describe("provider configuration", () => {
  it("reads the admin key from a file, and reports a missing one with its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-key-"));
    try {
      writeFileSync(join(dir, "key"), `${ADMIN_KEY}\n`);
      const config = parseConfig({
        auth: { tokens: [{ name: "admin", role: "admin", token: "admin-token-0123456789" }] },
        providers: [{ name: "org", type: "openai", admin_key_file: join(dir, "key") }],
      });
      const provider = config.providers[0] as (typeof config.providers)[number];
      expect(adminKeyOf(provider).reveal()).toBe(ADMIN_KEY);
      expect(String(adminKeyOf(provider))).toBe("<secret>");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() =>
      parseConfig({
        auth: { tokens: [{ name: "admin", role: "admin", token: "admin-token-0123456789" }] },
        providers: [
          {
            name: "org",
            type: "anthropic",
            keys: [
              { id: "k", agent: "a" },
              { id: "k", agent: "b" },
            ],
          },
          { name: "org", type: "openai", admin_key: "x", bucket_width: "5m" },
        ],
      }),
    ).toThrow(/providers\.0\.admin_key[\s\S]*providers\.0\.keys[\s\S]*providers\.1\.bucket_width|providers/);
  });
});

describe.each(["anthropic", "openai"] as const)(
  "the local %s server answers as the provider documents",
  (kind) => {
    let fake: FakeProvider;
    beforeEach(async () => {
      fake = await startFakeProvider(kind, ADMIN_KEY);
    });
    afterEach(async () => {
      await fake.close();
    });
    const path =
      kind === "anthropic" ? "/v1/organizations/usage_report/messages" : "/v1/organization/usage/completions";
    const auth: Record<string, string> =
      kind === "anthropic"
        ? { "x-api-key": ADMIN_KEY, "anthropic-version": "2023-06-01" }
        : { authorization: `Bearer ${ADMIN_KEY}` };
    const start = (t: number) =>
      kind === "anthropic"
        ? `starting_at=${new Date(t).toISOString()}`
        : `start_time=${Math.floor(t / 1000)}`;
    const end = (t: number) =>
      kind === "anthropic" ? `ending_at=${new Date(t).toISOString()}` : `end_time=${Math.floor(t / 1000)}`;
    const get = async (query: string, headers: Record<string, string> = auth) => {
      const res = await fetch(`${fake.url}${path}?${query}`, { headers });
      return {
        status: res.status,
        body: (await res.json()) as {
          data: Record<string, unknown>[];
          has_more: boolean;
          next_page: string | null;
        },
      };
    };

    it("401 without the admin key, 400 past the limit's maximum, buckets snapped to UTC, null for what is not grouped", async () => {
      const t = Date.parse("2026-12-01T10:17:42Z");
      fake.records.push(
        { time: t, apiKeyId: "k1", model: "m1", workspaceId: "w1", input: 10, output: 1 },
        { time: t + 1000, apiKeyId: "k2", model: "m1", workspaceId: "w1", input: 20, output: 2 },
      );
      expect((await get(`${start(t)}&bucket_width=1m`, {})).status).toBe(401);
      expect((await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1m&limit=1441`)).status).toBe(400);
      expect((await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1h&limit=169`)).status).toBe(400);
      expect((await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1d&limit=32`)).status).toBe(400);
      // Not grouped: one row for the bucket, its dimensions null; the bucket starts on the minute.
      const whole = await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1m`);
      expect(whole.status).toBe(200);
      const bucket = whole.body.data[0] as Record<string, unknown>;
      expect(kind === "anthropic" ? bucket.starting_at : bucket.start_time).toBe(
        kind === "anthropic" ? "2026-12-01T10:17:00.000Z" : Date.parse("2026-12-01T10:17:00Z") / 1000,
      );
      const [row] = bucket.results as Record<string, unknown>[];
      expect(row).toMatchObject({ api_key_id: null, model: null });
      // group_by[]= and repeated group_by= are the same request.
      const brackets = await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1m&group_by[]=api_key_id`);
      const repeated = await get(`${start(t)}&${end(t + MINUTE)}&bucket_width=1m&group_by=api_key_id`);
      expect(brackets.body).toEqual(repeated.body);
      expect(((brackets.body.data[0] as Record<string, unknown>).results as unknown[]).length).toBe(2);
      // Pages: has_more and next_page until the range is read.
      const paged = await get(`${start(t - 10 * MINUTE)}&${end(t + MINUTE)}&bucket_width=1m&limit=4`);
      expect(paged.body.has_more).toBe(true);
      const next = await get(
        `${start(t - 10 * MINUTE)}&${end(t + MINUTE)}&bucket_width=1m&limit=4&page=${encodeURIComponent(paged.body.next_page as string)}`,
      );
      expect(next.body.data).toHaveLength(4);
    });
  },
);
