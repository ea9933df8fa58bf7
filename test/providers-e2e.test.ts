/**
 * Provider usage through the real process: a local server answering as Anthropic's Admin API
 * usage report does, the collector role polling it, the detectors judging a key's usage from the
 * provider's side against what its agent reported.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider, type UsageRecord } from "./helpers/fake-providers.ts";
import {
  type AgentwatchProcess,
  eventually,
  type Json,
  type KafkaRoles,
  launch,
  startAgentwatch,
  startKafkaRoles,
} from "./helpers/process.ts";
import { AGENT, bearer, postJson, TOKENS } from "./helpers/tokens.ts";

const ADMIN_KEY = "sk-ant-admin01-e2e-0123456789abcdef";

/** An llm_usage event the agent reports: `input` and `output` tokens on `apiKeyId` at `time`. */
function agentUsage(
  id: string,
  time: number,
  apiKeyId: string,
  input: number,
  output: number,
  provider = "anthropic",
  model = "claude-sonnet-4",
) {
  return {
    id,
    time: new Date(time).toISOString(),
    type: "llm_usage",
    agent_id: AGENT,
    usage: { provider, model, input_tokens: input, output_tokens: output, api_key_id: apiKeyId },
  };
}

/** A provider usage record: `input` and `output` tokens on `apiKeyId` at `time`. */
function record(
  time: number,
  apiKeyId: string,
  input: number,
  output: number,
  more: Partial<UsageRecord> = {},
): UsageRecord {
  return { time, apiKeyId, input, output, model: "claude-sonnet-4", workspaceId: null, ...more };
}
const MINUTE = 60_000;

describe("provider usage end to end", () => {
  let aw: AgentwatchProcess;
  let fake: FakeProvider;
  // Two whole minutes in the past: their figures are complete (lag 1 s) as soon as they arrive.
  const matched = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
  const leaked = matched + MINUTE;

  beforeAll(async () => {
    fake = await startFakeProvider("anthropic", ADMIN_KEY);
    aw = await startAgentwatch({
      config: {
        providers: [
          {
            name: "anthropic-org",
            type: "anthropic",
            admin_key: "${AW_TEST_ANTHROPIC_ADMIN_KEY}",
            api_url: fake.url,
            poll_interval: "1s",
            lag: "1s",
            keys: [
              { id: "key-support", agent: AGENT },
              { id: "key-bulk", agent: AGENT },
            ],
          },
        ],
        detectors: { unattributed_usage: { window: "1m" } },
      },
      env: { AW_TEST_ANTHROPIC_ADMIN_KEY: ADMIN_KEY },
    });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await fake?.close();
  });

  const incidents = async (): Promise<Json[]> =>
    (await (await aw.fetch("/v1/incidents", { headers: bearer(TOKENS.viewer) })).json()).incidents;
  const usageEvents = async (): Promise<Json[]> =>
    (
      await (
        await aw.fetch(`/v1/events?type=llm_usage&limit=1000`, { headers: bearer(TOKENS.viewer) })
      ).json()
    ).events;

  it("raises nothing where the agent reported what the provider counted, and unattributed_usage and unknown_key where not", async () => {
    // The agent reports its call first...
    const posted = await aw.fetch(
      "/v1/events",
      postJson(TOKENS.ingest, agentUsage("agent-usage-1", matched + 5000, "key-support", 4000, 1000)),
    );
    expect(posted.status).toBe(202);
    await eventually(async () => ((await usageEvents()).length === 1 ? true : undefined));
    // ...then the provider's records arrive: the same call, then 80,000 tokens no agent reported,
    // and a key no agent is mapped to.
    fake.records.push(
      record(matched + 10_000, "key-support", 3000, 1000, {
        model: "claude-sonnet-4",
        workspaceId: "wrkspc_1",
        cacheRead: 1000,
      }),
      record(leaked + 20_000, "key-support", 70_000, 10_000, {
        model: "claude-sonnet-4",
        workspaceId: "wrkspc_1",
      }),
      record(matched + 30_000, "key-unknown", 600, 100, { model: "claude-haiku-4", workspaceId: null }),
    );
    const found = await eventually(async () => {
      const all = await incidents();
      const unattributed = all.filter((i) => i.detector === "unattributed_usage");
      const unknown = all.filter((i) => i.detector === "unknown_key");
      return unattributed.length > 0 && unknown.length > 0 ? { unattributed, unknown } : undefined;
    });
    expect(found.unattributed).toHaveLength(1);
    expect(found.unattributed[0]).toMatchObject({ agent_id: AGENT });
    expect(found.unattributed[0].findings[0].observed).toMatchObject({
      api_key_id: "key-support",
      window_start: new Date(leaked).toISOString(),
      provider_tokens: 80_000,
      agent_tokens: 0,
      excess_tokens: 80_000,
    });
    expect(found.unknown[0]).toMatchObject({ agent_id: "provider:anthropic-org" });
    expect(found.unknown[0].findings[0].observed).toMatchObject({ api_key_id: "key-unknown", tokens: 700 });
    // The provider's records are in the audit log, marked as the provider's; the admin key nowhere.
    const events = await usageEvents();
    expect(events.filter((e) => e.attributes?.reported_by === "provider")).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain(ADMIN_KEY);
    expect(aw.logs.join("\n")).not.toContain(ADMIN_KEY);
  });

  it("after a restart reads on from its cursor: no bucket twice, none lost", async () => {
    const before = (await usageEvents()).length;
    const incidentsBefore = (await incidents()).length;
    await aw.stop();
    // Usage while agentwatch was down.
    fake.records.push(
      record(Date.now() - 30_000, "key-support", 50, 5, {
        model: "claude-sonnet-4",
        workspaceId: "wrkspc_1",
      }),
    );
    await launch(aw, { AW_TEST_ANTHROPIC_ADMIN_KEY: ADMIN_KEY });
    await eventually(async () => ((await usageEvents()).length === before + 1 ? true : undefined));
    // Several polls later, still exactly one more.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await usageEvents()).toHaveLength(before + 1);
    expect((await incidents()).length).toBe(incidentsBefore);
  });

  it("a large leak also spikes the key's own baseline, kept on the provider's records", async () => {
    // Forty minutes of ordinary use of key-bulk, reported by its agent and by the provider alike...
    const first = Math.floor(Date.now() / MINUTE) * MINUTE - 50 * MINUTE;
    const history = Array.from({ length: 40 }, (_, i) => first + i * MINUTE);
    const posted = await aw.fetch(
      "/v1/events",
      postJson(
        TOKENS.ingest,
        history.map((minute, i) => agentUsage(`bulk-${i}`, minute + 5000, "key-bulk", 900, 100)),
      ),
    );
    expect(posted.status).toBe(202);
    for (const minute of history) {
      fake.records.push(record(minute + 10_000, "key-bulk", 900, 100));
    }
    // ...then, a minute later, 60 times that on the key, from somewhere else.
    fake.records.push(
      record(first + 41 * MINUTE + 10_000, "key-bulk", 55_000, 5_000, {
        model: "claude-sonnet-4",
        workspaceId: null,
      }),
    );
    const spiked = await eventually(async () => {
      const all = await incidents();
      const spike = all.find((i) => i.detector === "token_spike" && i.labels?.api_key_id === "key-bulk");
      const unattributed = all.find(
        (i) => i.detector === "unattributed_usage" && i.findings[0]?.observed?.api_key_id === "key-bulk",
      );
      return spike && unattributed ? { spike, unattributed } : undefined;
    });
    expect(spiked.spike.agent_id).toBe(AGENT);
    expect(spiked.unattributed.findings[0].observed).toMatchObject({ excess_tokens: 60_000 });
    // The forty ordinary minutes, reported by both, raised nothing about key-bulk but that.
    const aboutBulk = (await incidents()).filter(
      (i) => i.labels?.api_key_id === "key-bulk" || i.findings?.[0]?.observed?.api_key_id === "key-bulk",
    );
    expect(aboutBulk).toHaveLength(2);
  });
});

describe("agentwatch providers check", () => {
  it("says what works per provider, the keys no agent is mapped to, and never the admin key", async () => {
    const { spawn } = await import("node:child_process");
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join, resolve } = await import("node:path");
    const { stringify } = await import("yaml");
    const anthropic = await startFakeProvider("anthropic", ADMIN_KEY);
    const openai = await startFakeProvider("openai", ADMIN_KEY);
    const dir = mkdtempSync(join(tmpdir(), "aw-providers-check-"));
    try {
      const recent = Date.now() - 5 * MINUTE;
      anthropic.records.push(record(recent, "key-support", 10, 1), record(recent, "key-mystery", 10, 1));
      const file = join(dir, "agentwatch.yaml");
      writeFileSync(
        file,
        stringify({
          auth: { tokens: [{ name: "root", role: "admin", token: TOKENS.admin }] },
          providers: [
            {
              name: "anthropic-org",
              type: "anthropic",
              admin_key: ADMIN_KEY,
              api_url: anthropic.url,
              keys: [{ id: "key-support", agent: AGENT }],
            },
            {
              name: "openai-org",
              type: "openai",
              admin_key: "sk-admin-wrong-0123456789",
              api_url: openai.url,
            },
          ],
        }),
      );
      const run = () =>
        new Promise<{ code: number | null; out: string; err: string }>((done) => {
          const child = spawn(process.execPath, [
            resolve(import.meta.dirname, "../bin/agentwatch.js"),
            "providers",
            "check",
            "--config",
            file,
          ]);
          let out = "";
          let err = "";
          child.stdout.on("data", (c: Buffer) => {
            out += c.toString();
          });
          child.stderr.on("data", (c: Buffer) => {
            err += c.toString();
          });
          child.on("exit", (code) => done({ code, out, err }));
        });
      const { code, out, err } = await run();
      expect(code).toBe(1);
      const [first, second] = out
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Json);
      expect(first).toMatchObject({
        provider: "anthropic-org",
        ok: true,
        keys: { mapped: 1, seen: ["key-mystery", "key-support"], unmapped: ["key-mystery"] },
      });
      expect(first.latest_bucket).toBe(new Date(Math.floor(recent / MINUTE) * MINUTE).toISOString());
      expect(second).toMatchObject({ provider: "openai-org", ok: false });
      expect(second.error).toMatch(/401/);
      expect(out + err).not.toContain("sk-admin-wrong");
      expect(out + err).not.toContain(ADMIN_KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await anthropic.close();
      await openai.close();
    }
  });
});

const brokers = process.env.AW_KAFKA_BROKERS;

describe.skipIf(!brokers)("provider usage over Kafka (collector and workers apart)", () => {
  let roles: KafkaRoles;
  let fake: FakeProvider;
  const matched = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
  const leaked = matched + MINUTE;
  const providers = (url: string) => [
    {
      name: "openai-org",
      type: "openai",
      admin_key: ADMIN_KEY,
      api_url: url,
      poll_interval: "1s",
      lag: "1s",
      keys: [{ id: "key-support", agent: AGENT }],
    },
  ];

  beforeAll(async () => {
    fake = await startFakeProvider("openai", ADMIN_KEY);
    roles = await startKafkaRoles({
      brokers: brokers as string,
      hookUrl: "http://127.0.0.1:9/alerts",
      hookSecret: "kafka-hook-secret-0123",
      config: { providers: providers(fake.url), detectors: { unattributed_usage: { window: "1m" } } },
    });
  });
  afterAll(async () => {
    await roles?.stop();
    await fake?.close();
  });

  it("judges the provider's records against the agent's, and a collector restart re-ingests nothing", async () => {
    const { collector, workers } = roles;
    const usageEvents = async (): Promise<Json[]> =>
      (
        await (
          await workers.fetch("/v1/events?type=llm_usage&limit=1000", { headers: bearer(TOKENS.viewer) })
        ).json()
      ).events;
    const posted = await collector.fetch(
      "/v1/events",
      postJson(
        TOKENS.ingest,
        agentUsage("kafka-agent-usage-1", matched + 5000, "key-support", 4000, 1000, "openai", "gpt-4o"),
      ),
    );
    expect(posted.status).toBe(202);
    await eventually(async () => ((await usageEvents()).length === 1 ? true : undefined), 60_000);
    fake.records.push(
      record(matched + 10_000, "key-support", 4000, 1000, { model: "gpt-4o", workspaceId: "proj_1" }),
      record(leaked + 20_000, "key-support", 90_000, 10_000, { model: "gpt-4o", workspaceId: "proj_1" }),
    );
    const incident = await eventually(async () => {
      const all: Json[] = (
        await (await workers.fetch("/v1/incidents", { headers: bearer(TOKENS.viewer) })).json()
      ).incidents;
      return all.find((i) => i.detector === "unattributed_usage");
    }, 60_000);
    expect(incident.findings[0].observed).toMatchObject({ excess_tokens: 100_000, agent_tokens: 0 });
    const before = (await usageEvents()).length;
    expect(before).toBe(3);
    await collector.stop();
    await launch(collector);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await usageEvents()).toHaveLength(before);
    const incidents: Json[] = (
      await (await workers.fetch("/v1/incidents", { headers: bearer(TOKENS.viewer) })).json()
    ).incidents;
    expect(incidents.filter((i) => i.detector === "unattributed_usage")).toHaveLength(1);
  });
});
