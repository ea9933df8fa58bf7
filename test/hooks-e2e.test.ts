/**
 * The kill-switch webhook for existing alert tools, through the real process: a real
 * Alertmanager (Debian's prometheus-alertmanager, started here on loopback) firing an alert
 * pauses the agent its labels name; a signed hook resumes on resolve when told to; refused calls
 * change nothing.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../services/runtime/signing.ts";
import {
  type AgentwatchProcess,
  eventually,
  freePort,
  type Json,
  startAgentwatch,
} from "./helpers/process.ts";
import { Receiver, signedWith } from "./helpers/receiver.ts";
import { AGENT, bearer, OTHER_AGENT, TOKENS } from "./helpers/tokens.ts";
import { CONTROL_SECRET, controlledAgent } from "./helpers/with-receiver.ts";

const HOOK_TOKEN = "hook-token-0123456789abcdef";
const HOOK_SECRET = "hook-secret-0123456789abcdef";
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";

describe("kill-switch hooks", () => {
  const receiver = new Receiver();
  let aw: AgentwatchProcess;

  beforeAll(async () => {
    await receiver.start();
    aw = await startAgentwatch({
      config: {
        agents: [controlledAgent(receiver, AGENT), controlledAgent(receiver, OTHER_AGENT, "/control-other")],
        hooks: [
          { name: "alertmanager", token: HOOK_TOKEN },
          { name: "grafana", secret: HOOK_SECRET, resume_on_resolved: true },
          { name: "ack-only", token: `${HOOK_TOKEN}-ack`, action: "ack" },
        ],
      },
    });
  });
  afterAll(async () => {
    await aw?.stop();
    aw?.cleanup();
    await receiver.stop();
  });

  const state = async (agent: string): Promise<Json> =>
    (await aw.fetch(`/v1/agents/${agent}`, { headers: bearer(TOKENS.viewer) })).json();
  const alert = (status: "firing" | "resolved", agent: string) => ({
    version: "4",
    receiver: "agentwatch",
    status,
    groupKey: '{}:{alertname="AgentRunaway"}',
    alerts: [
      {
        status,
        labels: { alertname: "AgentRunaway", agent_id: agent, severity: "critical" },
        annotations: { summary: `${agent} spends without end` },
        startsAt: new Date().toISOString(),
        generatorURL: "http://prometheus.example/graph",
        fingerprint: "abc123",
      },
    ],
  });

  it("refuses a call without the hook's token or signature, and changes nothing", async () => {
    const body = JSON.stringify(alert("firing", AGENT));
    const post = (headers: Record<string, string>, name = "alertmanager") =>
      aw.fetch(`/v1/hooks/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer not-the-hook-token-at-all" })).status).toBe(401);
    // agentwatch's own admin token is not the hook's.
    expect((await post(bearer(TOKENS.admin))).status).toBe(401);
    expect((await post(signedHeaders("another-secret-0123456789", body), "grafana")).status).toBe(401);
    // A signature of another body, or an old one, is refused too.
    expect((await post(signedHeaders(HOOK_SECRET, `${body} `), "grafana")).status).toBe(401);
    expect((await post(signedHeaders(HOOK_SECRET, body, Date.now() - 10 * 60_000), "grafana")).status).toBe(
      401,
    );
    expect((await post({ authorization: `Bearer ${HOOK_TOKEN}` }, "nope")).status).toBe(404);
    const bad = await aw.fetch("/v1/hooks/alertmanager", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${HOOK_TOKEN}` },
      body: JSON.stringify({ alerts: "none" }),
    });
    expect(bad.status).toBe(400);
    expect((await state(AGENT)).state).toBe("active");
    expect(receiver.on("/control")).toHaveLength(0);
  });

  it("pauses on a signed firing alert and, as configured, resumes when it resolves", async () => {
    const firing = JSON.stringify(alert("firing", OTHER_AGENT));
    const res = await aw.fetch("/v1/hooks/grafana", {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(HOOK_SECRET, firing) },
      body: firing,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ paused: [OTHER_AGENT] });
    expect(await state(OTHER_AGENT)).toMatchObject({ state: "paused", by: "hook:grafana" });
    const resolved = JSON.stringify(alert("resolved", OTHER_AGENT));
    const back = await aw.fetch("/v1/hooks/grafana", {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(HOOK_SECRET, resolved) },
      body: resolved,
    });
    expect(await back.json()).toMatchObject({ resumed: [OTHER_AGENT] });
    expect((await state(OTHER_AGENT)).state).toBe("active");
    await receiver.waitFor((r) => r.path === "/control-other" && JSON.parse(r.body).action === "resume");
  });

  it("with action ack, acknowledges the agent's open incidents and pauses nothing", async () => {
    const failures = Array.from({ length: 10 }, (_, i) => ({
      id: `hook-ack-auth-${i}`,
      time: new Date().toISOString(),
      type: "auth",
      agent_id: OTHER_AGENT,
      auth: { outcome: "failure", principal: "hook-victim" },
    }));
    const posted = await aw.fetch("/v1/events", {
      method: "POST",
      headers: { ...bearer(TOKENS.ingestOther), "content-type": "application/json" },
      body: JSON.stringify(failures),
    });
    expect(posted.status).toBe(202);
    const incident = await eventually(async () => {
      const all: Json[] = (
        await (
          await aw.fetch(`/v1/incidents?agent_id=${OTHER_AGENT}&status=open`, {
            headers: bearer(TOKENS.viewer),
          })
        ).json()
      ).incidents;
      return all[0];
    });
    const res = await aw.fetch("/v1/hooks/ack-only", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${HOOK_TOKEN}-ack` },
      body: JSON.stringify(alert("firing", OTHER_AGENT)),
    });
    expect(await res.json()).toMatchObject({ acknowledged: [incident.id], paused: [] });
    const after: Json = await (
      await aw.fetch(`/v1/incidents/${incident.id}`, { headers: bearer(TOKENS.viewer) })
    ).json();
    expect(after).toMatchObject({ status: "acknowledged" });
    expect((await state(OTHER_AGENT)).state).toBe("active");
  });

  // A real Alertmanager: installed by .ci/run in CI; skipped elsewhere when it is not installed.
  it.skipIf(!existsSync(ALERTMANAGER) && !process.env.CI)(
    "a real Alertmanager firing an alert pauses the agent its labels name, by hook:alertmanager, with the alert as the reason",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "aw-alertmanager-"));
      const port = await freePort();
      const amUrl = `http://127.0.0.1:${port}`;
      const config = join(dir, "alertmanager.yml");
      writeFileSync(
        config,
        [
          "route:",
          "  receiver: agentwatch",
          "  group_wait: 0s",
          "  group_interval: 1s",
          "  repeat_interval: 1h",
          "receivers:",
          "  - name: agentwatch",
          "    webhook_configs:",
          `      - url: ${aw.url}/v1/hooks/alertmanager`,
          "        send_resolved: true",
          "        http_config:",
          "          authorization:",
          "            type: Bearer",
          `            credentials: ${HOOK_TOKEN}`,
          "",
        ].join("\n"),
      );
      const alertmanager: ChildProcess = spawn(
        ALERTMANAGER,
        [
          `--config.file=${config}`,
          `--storage.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address=",
        ],
        { stdio: "ignore" },
      );
      try {
        await eventually(async () =>
          (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined,
        );
        const posted = await fetch(`${amUrl}/api/v2/alerts`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([
            {
              labels: { alertname: "AgentRunaway", agent_id: AGENT, severity: "critical" },
              annotations: { summary: "support-bot burns tokens" },
              startsAt: new Date().toISOString(),
            },
          ]),
        });
        expect(posted.ok).toBe(true);
        const paused = await eventually(async () => {
          const view = await state(AGENT);
          return view.state === "paused" ? view : undefined;
        });
        expect(paused).toMatchObject({ by: "hook:alertmanager" });
        expect(paused.reason).toContain("AgentRunaway");
        expect(paused.reason).toContain("support-bot burns tokens");
        // The agent's runtime got the signed pause; the audit trail says who and why.
        const control = await receiver.waitFor(
          (r) => r.path === "/control" && JSON.parse(r.body).action === "pause",
        );
        expect(signedWith(control, CONTROL_SECRET)).toBe(true);
        const audit: Json[] = (
          await (
            await aw.fetch("/v1/audit?actor=hook:alertmanager", { headers: bearer(TOKENS.viewer) })
          ).json()
        ).entries;
        expect(audit.some((e) => e.action === "pause" && e.target === `agent:${AGENT}`)).toBe(true);
      } finally {
        // Alertmanager writes its state as it stops: its folder goes once it has exited.
        const exited =
          alertmanager.exitCode === null && alertmanager.signalCode === null
            ? once(alertmanager, "exit")
            : undefined;
        alertmanager.kill("SIGTERM");
        await exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
