/**
 * The detector role killed with SIGKILL and restarted, over Kafka: its baselines come back from
 * the checkpoint (failures before the crash still count, none twice), and no incident is raised
 * twice for the same findings.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentwatchProcess,
  eventually,
  type KafkaRoles,
  launch,
  startKafkaRoles,
} from "./helpers/process.ts";
import { Receiver } from "./helpers/receiver.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";

const brokers = process.env.AW_KAFKA_BROKERS;

describe.skipIf(!brokers)("detector role killed and restarted over Kafka", () => {
  const receiver = new Receiver();
  let roles: KafkaRoles;
  let collector: AgentwatchProcess;
  let workers: AgentwatchProcess;

  beforeAll(async () => {
    await receiver.start();
    roles = await startKafkaRoles({
      brokers: brokers as string,
      hookUrl: `${receiver.url}/alerts`,
      hookSecret: "crash-hook-secret",
      config: { detectors: { auth_bruteforce: { threshold: 50, window: "1h" } } },
    });
    ({ collector, workers } = roles);
  });

  afterAll(async () => {
    await roles?.stop();
    await receiver.stop();
  });

  const failures = (from: number, count: number) =>
    collector.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
      body: JSON.stringify(
        Array.from({ length: count }, (_, i) => ({
          id: `crash-${from + i}`,
          time: new Date(Date.now() - 60_000 + from + i).toISOString(),
          type: "auth",
          agent_id: AGENT,
          auth: { outcome: "failure", principal: "checkpointed" },
        })),
      ),
    });

  it("restores the baseline and raises the incident once", async () => {
    expect((await failures(0, 30)).status).toBe(202);
    // Until the detector has taken them in and checkpointed (once a second).
    await eventually(async () => {
      const text = await (await workers.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
      const events = Number(/agentwatch_detector_events_total (\d+)/.exec(text)?.[1] ?? 0);
      const checkpoints = Number(/agentwatch_detector_checkpoints_total (\d+)/.exec(text)?.[1] ?? 0);
      return events >= 30 && checkpoints >= 1 ? true : undefined;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    await workers.kill();
    await launch(workers);

    expect((await failures(30, 20)).status).toBe(202);
    const alert = await receiver.waitFor((r) => r.path === "/alerts", 60_000);
    const incident = JSON.parse(alert.body).incident;
    expect(incident.findings[0].observed).toEqual({ failures: 50, window_seconds: 3600 });
    // With Kafka a partition is restored when its first batch arrives, after the group join.
    expect(workers.logged("restored detector state from checkpoint").length).toBeGreaterThan(0);

    // Give a replay every chance to raise it again, then count.
    await new Promise((r) => setTimeout(r, 3000));
    const list = await (
      await workers.fetch(`/v1/incidents?agent_id=${AGENT}`, { headers: bearer(TOKENS.viewer) })
    ).json();
    const ours = list.incidents.filter(
      (i: { labels: Record<string, string> }) => i.labels.principal === "checkpointed",
    );
    expect(ours).toHaveLength(1);
    expect(ours[0].finding_count).toBe(1);
  });
});
