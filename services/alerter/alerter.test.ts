/**
 * The alerter over a real embedded bus and storage: a consumer batch of findings goes through
 * dedupe, grouping and notification as a batch, with the same outcome as one finding at a time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../../test/helpers/process.ts";
import { Topics } from "../runtime/bus/bus.ts";
import { EmbeddedBus } from "../runtime/bus/embedded.ts";
import { parseConfig } from "../runtime/config.ts";
import { createLogger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { Finding, Incident } from "../runtime/model.ts";
import { EmbeddedStorage } from "../runtime/storage/embedded.ts";
import { Alerter } from "./alerter.ts";
import { DeliveryDispatcher } from "./dispatcher.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const config = parseConfig(
  {
    auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
    receivers: [
      { name: "hook", type: "webhook", url: "http://127.0.0.1:9/a", secret: "s-0123456789abcdef" },
      { name: "pager", type: "webhook", url: "http://127.0.0.1:9/b", secret: "s-0123456789abcdef" },
    ],
  },
  {},
);

function finding(n: number, principal: string, severity: Finding["severity"] = "warning"): Finding {
  return {
    id: `f-${principal}-${n}`,
    detector: "auth_bruteforce",
    agent_id: "support-bot",
    key: `principal:${principal}`,
    time: new Date(T0 + n * 1000).toISOString(),
    severity,
    score: 0.5,
    observed: { failures: n },
    baseline: null,
    event_ids: [`e${n}`],
    title: `Brute force on ${principal}`,
    summary: `${n} failures for ${principal}`,
    labels: { principal },
  };
}

describe("alerter", () => {
  let dir: string;
  let bus: EmbeddedBus;
  let storage: EmbeddedStorage;
  let alerter: Alerter;
  let now: number;

  const audit: { action: string; target: string; reason: string | null }[] = [];

  /** An alerter on this test's bus and storage; its dispatcher is not started, so deliveries stay queued to be read back. */
  const paused: { agentId: string; actor: string; incidentId: string }[] = [];

  const startAlerter = async (tickIntervalMs: number, alerting = config.alerting) => {
    const logger = createLogger("silent");
    const metrics = new Metrics();
    alerter = new Alerter({
      bus,
      storage,
      dispatcher: new DeliveryDispatcher({
        storage,
        metrics,
        logger,
        now: () => now,
        senderFor: () => undefined,
      }),
      receivers: config.receivers,
      alerting,
      metrics,
      logger,
      audit: async (entry) => {
        audit.push(entry);
      },
      now: () => now,
      tickIntervalMs,
      pauseAgent: async (agentId, input) => {
        paused.push({ agentId, actor: input.actor, incidentId: input.incidentId });
      },
    });
    await alerter.start();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "aw-alerter-"));
    const logger = createLogger("silent");
    bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics: new Metrics() });
    storage = new EmbeddedStorage(dir);
    await bus.start();
    await storage.start();
    now = T0 + 60_000;
    audit.length = 0;
    paused.length = 0;
    // No tick during a test unless it asks for one.
    await startAlerter(3_600_000);
  });

  afterEach(async () => {
    await alerter.stop();
    await bus.stop();
    await storage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (findings: Finding[]) =>
    bus.append(
      Topics.findings,
      findings.map((f) => ({ key: f.agent_id, value: JSON.stringify(f) })),
    );
  const incidents = async () =>
    (await storage.listIncidents({ limit: 100 })).sort((a, b) =>
      String(a.incident.labels.principal).localeCompare(String(b.incident.labels.principal)),
    );

  it("groups a batch into one incident per fingerprint, one notification per incident and receiver", async () => {
    // Three principals × 10 findings, interleaved, and 5 exact repeats: one append, one batch.
    const batch = Array.from({ length: 30 }, (_, i) => finding(Math.floor(i / 3) + 1, `p${i % 3}`));
    batch[29] = finding(10, "p2", "critical");
    await append([...batch, ...batch.slice(0, 5)]);

    await eventually(async () => expect((await storage.knownFindings(batch)).size).toBe(30));
    const stored = await incidents();
    expect(stored.map((s) => [s.incident.labels.principal, s.incident.finding_count])).toEqual([
      ["p0", 10],
      ["p1", 10],
      ["p2", 10],
    ]);
    expect(stored.map((s) => s.incident.severity)).toEqual(["warning", "warning", "critical"]);
    expect(stored[0]?.incident.findings.map((f) => f.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `f-p0-${i + 1}`),
    );
    const queued = await storage.dueDeliveries(now, 100);
    expect(queued.map((d) => d.id).sort()).toEqual(
      stored
        .flatMap((s) => [`alert:${s.incident.id}:hook:firing:10`, `alert:${s.incident.id}:pager:firing:10`])
        .sort(),
    );
    expect(JSON.parse((queued[0] as { body: string }).body).incident.finding_count).toBe(10);

    // The same findings again (a replay after a crash): nothing changes.
    await append(batch);
    await append([finding(11, "p0")]);
    await eventually(async () => expect((await storage.knownFindings([finding(11, "p0")])).size).toBe(1));
    const after = await incidents();
    expect(after.map((s) => s.incident.finding_count)).toEqual([11, 10, 10]);
    // Within group_interval of the first notification: the new finding waits for the next one.
    expect(await storage.pendingDeliveries()).toBe(6);
  });

  it("an escalation pages at once; a finding of the same severity waits for group_interval", async () => {
    await append([finding(1, "p0", "warning")]);
    await eventually(async () => expect(await incidents()).toHaveLength(1));
    const id = (await incidents())[0]?.incident.id as string;
    expect(await storage.getDelivery(`alert:${id}:hook:firing:1`)).toBeDefined();
    // Within group_interval: another warning waits ...
    await append([finding(2, "p0", "warning")]);
    await eventually(async () => expect((await incidents())[0]?.incident.finding_count).toBe(2));
    expect(await storage.getDelivery(`alert:${id}:hook:firing:2`)).toBeUndefined();
    // ... but the incident turning critical pages now, with every finding so far.
    await append([finding(3, "p0", "critical")]);
    const escalation = await eventually(async () => {
      const delivery = await storage.getDelivery(`alert:${id}:hook:firing:3`);
      expect(delivery).toBeDefined();
      return delivery;
    });
    expect(JSON.parse(escalation?.body as string).incident.severity).toBe("critical");
    // Critical already told: the next critical finding waits for group_interval again.
    await append([finding(4, "p0", "critical")]);
    await eventually(async () => expect((await incidents())[0]?.incident.finding_count).toBe(4));
    expect(await storage.getDelivery(`alert:${id}:hook:firing:4`)).toBeUndefined();
  });

  it("a finding after group_interval notifies again, and a resolved incident's fingerprint opens a new one", async () => {
    await append([finding(1, "p0")]);
    await eventually(async () => expect(await incidents()).toHaveLength(1));
    const first = (await incidents())[0]?.incident.id as string;
    now += config.alerting.group_interval;
    await append([finding(2, "p0")]);
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${first}:hook:firing:2`)).toBeDefined(),
    );
    expect((await storage.getDelivery(`alert:${first}:hook:firing:1`))?.status).toBe("superseded");

    await alerter.actions.resolve(first, "oncall", "handled");
    expect(await storage.getDelivery(`alert:${first}:hook:resolved:2`)).toBeDefined();
    await append([finding(3, "p0")]);
    await eventually(async () => expect(await incidents()).toHaveLength(2));
    const reopened = (await storage.listIncidents({ status: "open", limit: 10 }))[0]?.incident;
    expect(reopened?.id).not.toBe(first);
    expect(reopened?.finding_count).toBe(1);
  });

  it("holds back a silenced incident's notifications until the silence ends; a resolved one still goes out", async () => {
    // An alerter that ticks (the shared one does not).
    await alerter.stop();
    await startAlerter(20);
    const pentest = await alerter.actions.createSilence(
      {
        matchers: [{ name: "principal", value: "p0|p9", op: "=~" }],
        endsAt: now + 3_600_000,
        comment: "pentest",
      },
      "oncall",
    );
    await append([finding(1, "p0"), finding(1, "p1")]);
    await eventually(async () => expect(await incidents()).toHaveLength(2));
    const [p0, p1] = (await incidents()).map((s) => s.incident.id) as [string, string];
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${p1}:hook:firing:1`)).toBeDefined(),
    );
    await new Promise((r) => setTimeout(r, 200)); // ten ticks: still held back
    expect(await storage.getDelivery(`alert:${p0}:hook:firing:1`)).toBeUndefined();
    const held = await storage.getIncident(p0);
    expect(held && alerter.silencedBy(held.incident)).toEqual([pentest.id]);

    const ended = await alerter.actions.expireSilence(pentest.id, "oncall", "pentest over");
    expect(ended.expired_by).toBe("oncall");
    expect(Date.parse(ended.ends_at)).toBe(now);
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${p0}:hook:firing:1`)).toBeDefined(),
    );
    // Ending it again changes nothing.
    expect(await alerter.actions.expireSilence(pentest.id, "root", null)).toEqual(ended);

    // p1 paged before its silence began: its resolution is sent all the same.
    await alerter.actions.createSilence(
      { matchers: [{ name: "principal", value: "p1", op: "=" }], endsAt: now + 3_600_000, comment: "known" },
      "oncall",
    );
    await alerter.actions.resolve(p1, "oncall", "fixed");
    expect(await storage.getDelivery(`alert:${p1}:hook:resolved:1`)).toBeDefined();
    expect(audit.filter((e) => e.action.startsWith("silence")).map((e) => [e.action, e.reason])).toEqual([
      ["silence_create", "pentest"],
      ["silence_delete", "pentest over"],
      ["silence_create", "known"],
    ]);
    expect(audit[0]?.target).toBe(`silence:${pentest.id}`);
  });

  it("refuses a silence that ends before it starts or in the past", async () => {
    const matchers = [{ name: "agent_id", value: "support-bot", op: "=" as const }];
    await expect(
      alerter.actions.createSilence({ matchers, endsAt: now - 1, comment: "x" }, "oncall"),
    ).rejects.toThrow(/ends_at must be after starts_at/);
    await expect(
      alerter.actions.createSilence(
        { matchers, startsAt: now + 10_000, endsAt: now + 5_000, comment: "x" },
        "oncall",
      ),
    ).rejects.toThrow(/ends_at must be after starts_at/);
    expect(await storage.listSilences()).toEqual([]);
  });

  it("routes each incident to the receivers its routes pick; its resolution to those that heard it fire", async () => {
    await alerter.stop();
    const routed = parseConfig(
      {
        auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
        receivers: [
          { name: "hook", type: "webhook", url: "http://127.0.0.1:9/a", secret: "s-0123456789abcdef" },
          { name: "pager", type: "webhook", url: "http://127.0.0.1:9/b", secret: "s-0123456789abcdef" },
        ],
        alerting: {
          routes: [
            { matchers: [{ name: "severity", value: "critical" }], receivers: ["pager"], continue: true },
            { matchers: [{ name: "principal", value: "p1|p3", op: "=~" }], receivers: ["hook"] },
          ],
        },
      },
      {},
    );
    await startAlerter(3_600_000, routed.alerting);
    await append([finding(1, "p0"), finding(1, "p1"), finding(1, "p2", "critical")]);
    await eventually(async () => expect(await incidents()).toHaveLength(3));
    const [p0, p1, p2] = (await incidents()).map((s) => s.incident.id) as [string, string, string];
    const targets = async (id: string, status: string, count: number) => {
      const found: string[] = [];
      for (const r of ["hook", "pager"])
        if (await storage.getDelivery(`alert:${id}:${r}:${status}:${count}`)) found.push(r);
      return found;
    };
    expect(await targets(p0, "firing", 1)).toEqual(["hook", "pager"]); // no route holds: everyone
    expect(await targets(p1, "firing", 1)).toEqual(["hook"]);
    expect(await targets(p2, "firing", 1)).toEqual(["pager"]); // critical, continue, p2 not routed on

    // p1 turns critical: the pager hears of it too (first route, continue, then the second).
    now += config.alerting.group_interval;
    await append([finding(2, "p1", "critical")]);
    await eventually(async () => expect(await targets(p1, "firing", 2)).toEqual(["hook", "pager"]));
    await alerter.actions.resolve(p2, "oncall", null);
    expect(await targets(p2, "resolved", 1)).toEqual(["pager"]);
    await alerter.actions.resolve(p1, "oncall", null);
    expect(await targets(p1, "resolved", 2)).toEqual(["hook", "pager"]);
  });

  it("pauses the agent of an incident that fires and matches an auto-pause policy, once, and not while silenced", async () => {
    await alerter.stop();
    const withPolicy = parseConfig(
      {
        auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
        alerting: {
          auto_pause: [
            {
              name: "critical-bruteforce",
              matchers: [
                { name: "severity", value: "critical" },
                { name: "detector", value: "auth_bruteforce" },
              ],
            },
          ],
        },
      },
      {},
    );
    await startAlerter(20, withPolicy.alerting);
    await alerter.actions.createSilence(
      { matchers: [{ name: "principal", value: "p2", op: "=" }], endsAt: now + 3_600_000, comment: "drill" },
      "oncall",
    );
    await append([finding(1, "p0"), finding(1, "p1", "critical"), finding(1, "p2", "critical")]);
    await eventually(async () => expect(await incidents()).toHaveLength(3));
    const [, p1, p2] = (await incidents()).map((s) => s.incident) as [
      unknown,
      { id: string },
      { id: string },
    ];
    await eventually(async () => expect(paused).toHaveLength(1));
    expect(paused[0]).toEqual({
      agentId: "support-bot",
      actor: "policy:critical-bruteforce",
      incidentId: p1.id,
    });
    expect((await storage.getIncident(p1.id))?.notify.auto_paused).toBe("critical-bruteforce");
    // More findings, another notification: no second pause.
    now += config.alerting.group_interval;
    await append([finding(2, "p1", "critical")]);
    await eventually(async () => expect((await storage.getIncident(p1.id))?.incident.finding_count).toBe(2));
    await new Promise((r) => setTimeout(r, 100));
    expect(paused).toHaveLength(1);
    // The silenced one fires when its silence ends, and only then pauses.
    const [drill] = await storage.listSilences();
    await alerter.actions.expireSilence(drill?.id as string, "oncall", null);
    await eventually(async () => expect(paused.map((p) => p.incidentId)).toEqual([p1.id, p2.id]));
  });

  it("holds back what an active incident inhibits, and sends it once that incident is resolved", async () => {
    await alerter.stop();
    const inhibiting = parseConfig(
      {
        auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
        alerting: {
          inhibit_rules: [
            {
              source_matchers: [{ name: "severity", value: "critical" }],
              target_matchers: [{ name: "severity", value: "warning" }],
              equal: ["agent_id"],
            },
          ],
        },
      },
      {},
    );
    await startAlerter(20, inhibiting.alerting);
    const elsewhere: Finding = { ...finding(1, "p2"), id: "f-other", agent_id: "other-bot" };
    await append([finding(1, "p0", "critical"), finding(1, "p1"), elsewhere]);
    await eventually(async () => expect(await incidents()).toHaveLength(3));
    const [p0, p1, p2] = (await incidents()).map((s) => s.incident) as [Incident, Incident, Incident];
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${p0.id}:hook:firing:1`)).toBeDefined(),
    );
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${p2.id}:hook:firing:1`)).toBeDefined(),
    );
    await new Promise((r) => setTimeout(r, 200)); // ten ticks
    // The warning on the agent with a critical incident waits; the other agent's does not.
    expect(await storage.getDelivery(`alert:${p1.id}:hook:firing:1`)).toBeUndefined();
    expect(alerter.inhibitedBy(p1)).toEqual([p0.id]);
    expect(alerter.inhibitedBy(p0)).toEqual([]);
    expect(alerter.inhibitedBy(p2)).toEqual([]);

    await alerter.actions.resolve(p0.id, "oncall", null);
    await eventually(async () =>
      expect(await storage.getDelivery(`alert:${p1.id}:hook:firing:1`)).toBeDefined(),
    );
    expect(alerter.inhibitedBy(p1)).toEqual([]);
  });

  it("a correlated session incident is seen with every detector: policies, routes and inhibition follow the leak, a silence on the injection does not hide it, severity escalates", async () => {
    await alerter.stop();
    const correlated = parseConfig(
      {
        auth: { tokens: [{ name: "a", role: "admin", token: "admin-token-0123456789" }] },
        receivers: [
          { name: "hook", type: "webhook", url: "http://127.0.0.1:9/a", secret: "s-0123456789abcdef" },
          { name: "pager", type: "webhook", url: "http://127.0.0.1:9/b", secret: "s-0123456789abcdef" },
        ],
        alerting: {
          routes: [{ matchers: [{ name: "detector", value: "secret_leak" }], receivers: ["pager"] }],
          auto_pause: [
            { name: "leaks", matchers: [{ name: "detector", value: "secret_leak|canary_leak", op: "=~" }] },
          ],
          inhibit_rules: [
            {
              source_matchers: [{ name: "detector", value: "secret_leak" }],
              target_matchers: [{ name: "detector", value: "pii_leak" }],
              equal: ["agent_id"],
            },
          ],
        },
      },
      {},
    );
    await startAlerter(20, correlated.alerting);
    const injectionSilence = await alerter.actions.createSilence(
      {
        matchers: [{ name: "detector", value: "injection_attempt", op: "=" }],
        endsAt: now + 3_600_000,
        comment: "known red-team prompts",
      },
      "oncall",
    );
    const inSession = (
      id: string,
      detector: string,
      severity: Finding["severity"],
      labels: Record<string, string>,
    ): Finding => ({
      ...finding(1, "x", severity),
      id,
      detector,
      session_id: "s-1",
      key: `session:s-1:${detector}`,
      labels,
      title: detector,
    });
    await append([inSession("inj", "injection_attempt", "warning", { origin: "user" })]);
    await eventually(async () => expect(await incidents()).toHaveLength(1));
    const first = (await incidents())[0]?.incident as Incident;
    await new Promise((r) => setTimeout(r, 100));
    // The injection alone is silenced: nothing sent, nobody paused.
    expect(await storage.pendingDeliveries()).toBe(0);
    expect(alerter.silencedBy(first)).toEqual([injectionSilence.id]);

    now += config.alerting.group_interval;
    await append([inSession("leak", "secret_leak", "critical", { secret_type: "aws_access_key" })]);
    await eventually(async () => expect(paused).toHaveLength(1));
    const joined = (await storage.getIncident(first.id))?.incident as Incident;
    expect(joined.detectors).toEqual(["injection_attempt", "secret_leak"]);
    expect(joined.severity).toBe("critical");
    expect(joined.detector_labels?.secret_leak).toMatchObject({ secret_type: "aws_access_key" });
    expect(alerter.silencedBy(joined)).toEqual([]); // the silence covers the injection, not the leak
    expect(paused[0]).toMatchObject({ actor: "policy:leaks", incidentId: first.id });
    expect(await storage.getDelivery(`alert:${first.id}:pager:firing:2`)).toBeDefined(); // routed by the leak
    expect(await storage.getDelivery(`alert:${first.id}:hook:firing:2`)).toBeUndefined();

    // The leak's incident inhibits another session's PII incident on the same agent.
    await append([{ ...inSession("pii", "pii_leak", "warning", { pii_type: "email" }), session_id: "s-2" }]);
    await eventually(async () => expect(await incidents()).toHaveLength(2));
    const pii = (await incidents()).find((s) => s.incident.detector === "pii_leak")?.incident as Incident;
    expect(alerter.inhibitedBy(pii)).toEqual([first.id]);
  });

  it("a flood of sessions with the same attack pages a few times, not fifty: the rest join the group's overflow incident", async () => {
    const attack = (session: number, agent = "support-bot"): Finding => ({
      ...finding(1, "x", "warning"),
      id: `inj-${agent}-${session}`,
      detector: "injection_attempt",
      agent_id: agent,
      session_id: `s-${session}`,
      key: `session:s-${session}`,
      labels: { user_id: "mallory" },
      title: "Prompt injection attempt",
    });
    await append(Array.from({ length: 50 }, (_, i) => attack(i)));
    await append([attack(0, "other-bot")]);
    await eventually(async () => expect((await storage.knownFindings([attack(49)])).size).toBe(1));
    await eventually(async () =>
      expect((await storage.knownFindings([attack(0, "other-bot")])).size).toBe(1),
    );
    const all = (await storage.listIncidents({ limit: 100 })).map((s) => s.incident);
    const mine = all.filter((i) => i.agent_id === "support-bot");
    const overflow = mine.filter((i) => i.labels.overflow === "true");
    expect(mine).toHaveLength(config.alerting.max_incidents_per_group + 1);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]?.finding_count).toBe(50 - config.alerting.max_incidents_per_group);
    expect(overflow[0]?.labels).toEqual({
      agent_id: "support-bot",
      detector: "injection_attempt",
      overflow: "true",
    });
    expect(overflow[0]?.title).toMatch(/^More incidents of agent_id=support-bot, detector=injection_attempt/);
    // Each incident pages each receiver once: 6 incidents, not 50.
    expect(await storage.pendingDeliveries()).toBe((mine.length + 1) * config.receivers.length);
    // Another agent's group is its own.
    expect(all.filter((i) => i.agent_id === "other-bot")).toHaveLength(1);
  });

  it("sends findings it cannot place (no id, no valid time, not JSON) to the dead-letter topic, and applies the rest", async () => {
    const undated = { ...finding(1, "p9"), time: "yesterday" };
    await bus.append(Topics.findings, [
      { key: "support-bot", value: JSON.stringify(undated) },
      { key: "support-bot", value: "{not json" },
      { key: "support-bot", value: JSON.stringify(finding(1, "p0")) },
    ]);
    const letters: string[] = [];
    const reader = await bus.consume({
      group: "test-reader",
      topic: Topics.deadLetter,
      handleBatch: async (batch) => {
        letters.push(...batch.records.map((r) => JSON.parse(r.value).reason as string));
      },
    });
    await eventually(async () => expect(letters).toHaveLength(2));
    await reader.stop();
    expect(letters[0]).toBe('not a finding record: time "yesterday" is not a timestamp');
    expect(letters[1]).toMatch(/^not a finding record: /);
    expect((await incidents()).map((s) => s.incident.labels.principal)).toEqual(["p0"]);
  });
});
