/**
 * Issue 30, "one ingest token can still blind another agent", through the real process: each
 * block is a row of the red team's report, replayed with an ingest token scoped to one agent
 * (support-bot, the attacker "A") against another agent (coding-agent, "B").
 * 1. A's flood of 27,000 auth failures with distinct principals and IPs evicts only A's own
 *    state: B's 10th failure still pages, and the flood is an `entity_flood` incident on A.
 * 2. A posting B's API key id with a cost counts for A: no spend_cap on B, no pause of B, no
 *    inhibition of B's next pii_leak; the finding, and the auto-pause, are A's.
 * 3. A posting a secret under B's session id holds A's records only: B's user can be erased.
 */
import { describe, expect, it } from "vitest";
import { cardLeak, spendPauseAndInhibit, usageOnKey } from "../bench/attacks.ts";
import { type AgentwatchProcess, eventually, type Json } from "./helpers/process.ts";
import { AGENT, bearer, OTHER_AGENT, postJson, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver, controlledAgent } from "./helpers/with-receiver.ts";

const A = AGENT;
const B = OTHER_AGENT;

async function post(aw: AgentwatchProcess, token: string, events: unknown[]): Promise<void> {
  const res = await aw.fetch("/v1/events", postJson(token, events));
  expect(res.status).toBe(202);
  expect((await res.json()).accepted).toBe(events.length);
}

async function incidentsOf(aw: AgentwatchProcess, agent: string): Promise<Json[]> {
  const res = await aw.fetch(`/v1/incidents?agent_id=${agent}`, { headers: bearer(TOKENS.viewer) });
  return (await res.json()).incidents;
}

async function metric(aw: AgentwatchProcess, pattern: RegExp): Promise<number> {
  const text = await (await aw.fetch("/metrics", { headers: bearer(TOKENS.viewer) })).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

function authFailure(agent: string, id: string, principal: string, ip: string, at = Date.now()) {
  return {
    id,
    time: new Date(at).toISOString(),
    type: "auth",
    agent_id: agent,
    source_ip: ip,
    auth: { outcome: "failure", principal, method: "password" },
  };
}

/**
 * Every one of `events` read by the detectors, and a tick since has settled `detector`'s tables
 * (it evicted the flooding agent's own oldest entities).
 */
async function floodSettled(aw: AgentwatchProcess, events: number, detector: string): Promise<void> {
  await eventually(async () =>
    (await metric(aw, /^agentwatch_detector_events_total (\d+)/m)) >= events ? true : undefined,
  );
  const evictions = new RegExp(
    `^agentwatch_detector_evictions_total\\{detector="${detector}"\\} (\\d+)`,
    "m",
  );
  await eventually(async () => ((await metric(aw, evictions)) > 0 ? true : undefined));
}

describe("row 1: one agent's flood of distinct entities never evicts another agent's state", () => {
  const setup = agentwatchWithReceiver();

  it("after A's 27,000 failures with distinct principals and IPs, B's 10th failure pages, and A's flood is an entity_flood incident", async () => {
    const { aw } = setup;
    await post(
      aw,
      TOKENS.ingestOther,
      Array.from({ length: 9 }, (_, i) => authFailure(B, `b-fail-${i}`, "admin", "198.51.100.7")),
    );
    const flood = 27_000;
    for (let from = 0; from < flood; from += 1000) {
      await post(
        aw,
        TOKENS.ingest,
        Array.from({ length: 1000 }, (_, j) => {
          const i = from + j;
          return authFailure(A, `a-flood-${i}`, `user-${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
        }),
      );
    }
    // Every event was read, and a tick has since settled the tables (it evicts: A's own oldest).
    await floodSettled(aw, flood + 9, "auth_bruteforce");

    await post(aw, TOKENS.ingestOther, [authFailure(B, "b-fail-9", "admin", "198.51.100.7")]);
    const paged = await eventually(async () =>
      (await incidentsOf(aw, B)).find((i) => i.detector === "auth_bruteforce"),
    );
    expect(paged).toMatchObject({ agent_id: B, severity: "critical" });
    expect(paged.findings[0]).toMatchObject({ observed: { failures: 10 } });

    const floodIncident = await eventually(async () =>
      (await incidentsOf(aw, A)).find((i) => i.detector === "entity_flood"),
    );
    expect(floodIncident.agent_id).toBe(A);
    const sources = floodIncident.findings.map((f: Json) => f.observed);
    expect(sources.every((o: Json) => o.new_entities >= 1000)).toBe(true);
    // B has nothing but its own brute force (by principal and by IP): nothing of the flood.
    expect(new Set((await incidentsOf(aw, B)).map((i) => i.detector))).toEqual(new Set(["auth_bruteforce"]));
  });
});

describe("row 1: one agent's flood of distinct users and keys never evicts another agent's spend", () => {
  const setup = agentwatchWithReceiver(() => ({
    detectors: { spend_cap: { daily_cap_usd: { agent: 5000, user: 20, key: 500 }, forecast: false } },
  }));
  const usage = (agent: string, id: string, cost: number, user: string | undefined, key: string) => ({
    id,
    time: new Date().toISOString(),
    type: "llm_usage",
    agent_id: agent,
    ...(user ? { user_id: user } : {}),
    usage: {
      provider: "openai",
      model: "gpt-4o",
      input_tokens: 10,
      output_tokens: 1,
      cost_usd: cost,
      api_key_id: key,
    },
  });

  it("after A's 52,000 usage events with distinct user and key ids, B's per-user and per-key caps still fire on B", async () => {
    const { aw } = setup;
    await post(aw, TOKENS.ingestOther, [usage(B, "b-use-1", 15, "carol", "key-of-b")]);
    await post(aw, TOKENS.ingestOther, [usage(B, "b-use-2", 435, undefined, "key-of-b")]);
    const flood = 52_000;
    for (let from = 0; from < flood; from += 1000) {
      await post(
        aw,
        TOKENS.ingest,
        Array.from({ length: 1000 }, (_, j) =>
          usage(A, `a-use-${from + j}`, 0.0001, `u-${from + j}`, `k-${from + j}`),
        ),
      );
    }
    await floodSettled(aw, flood + 2, "spend_cap");

    await post(aw, TOKENS.ingestOther, [
      usage(B, "b-use-3", 6, "carol", "key-of-b"),
      usage(B, "b-use-4", 60, "carol", "key-of-b"),
    ]);
    const caps = await eventually(async () => {
      const found = (await incidentsOf(aw, B)).filter((i) => i.detector === "spend_cap");
      return found.length === 2 ? found : undefined;
    });
    expect(caps.map((i: Json) => i.labels.user_id ?? i.labels.api_key_id).sort()).toEqual([
      "carol",
      "key-of-b",
    ]);
    const floods = await eventually(async () => {
      const found = (await incidentsOf(aw, A)).filter((i) => i.detector === "entity_flood");
      return found.length > 0 ? found : undefined;
    });
    expect(floods.every((i: Json) => i.agent_id === A)).toBe(true);
  });
});

describe("row 2: a key id named by one agent's token counts for that agent", () => {
  const setup = agentwatchWithReceiver((receiver) => ({
    agents: [controlledAgent(receiver, A), controlledAgent(receiver, B, "/control-other")],
    alerting: spendPauseAndInhibit(),
    detectors: { spend_cap: { daily_cap_usd: { agent: 5000, user: 0, key: 500 }, forecast: false } },
  }));

  const usage = (agent: string, id: string, cost: number) => usageOnKey(agent, id, cost, "key-of-b");

  it("A's usage on B's key raises the cap, and the pause, on A; B is neither paged, paused nor inhibited", async () => {
    const { aw, receiver } = setup;
    // B spends $450 of its own key today: under every cap.
    await post(aw, TOKENS.ingestOther, [usage(B, "b-use-1", 450)]);
    // A's token names B's key: $60 (with B's $450 the key's $500 would be crossed), then $600.
    await post(aw, TOKENS.ingest, [usage(A, "a-use-1", 60)]);
    await post(aw, TOKENS.ingest, [usage(A, "a-use-2", 600)]);

    const capped = await eventually(async () =>
      (await incidentsOf(aw, A)).find((i) => i.detector === "spend_cap"),
    );
    expect(capped).toMatchObject({ agent_id: A, severity: "critical", labels: { api_key_id: "key-of-b" } });
    const pause = await receiver.waitFor((r) => r.path === "/control");
    expect(JSON.parse(pause.body)).toMatchObject({ action: "pause", agent_id: A });

    // B's next pii_leak is notified: no spend_cap incident of B inhibits it.
    await post(aw, TOKENS.ingestOther, [cardLeak(B, "b-leak", "b-session")]);
    const alert = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.agent_id === B,
    );
    expect(JSON.parse(alert.body).incident).toMatchObject({ detector: "pii_leak", agent_id: B });
    expect(JSON.parse(alert.body).incident.inhibited_by ?? []).toEqual([]);

    expect((await incidentsOf(aw, B)).map((i) => i.detector)).toEqual(["pii_leak"]);
    const b = await (await aw.fetch(`/v1/agents/${B}`, { headers: bearer(TOKENS.viewer) })).json();
    expect(b.state).toBe("active");
    expect(receiver.on("/control-other")).toEqual([]);
  });
});

describe("row 2: a key configured as shared by two agents", () => {
  const setup = agentwatchWithReceiver((receiver) => ({
    agents: [controlledAgent(receiver, A), controlledAgent(receiver, B, "/control-other")],
    alerting: { auto_pause: [{ name: "spend", matchers: [{ name: "detector", value: "spend_cap" }] }] },
    detectors: {
      spend_cap: {
        daily_cap_usd: { agent: 5000, user: 0, key: 500 },
        forecast: false,
        shared_keys: [{ id: "team-key", agents: [A, B] }],
      },
    },
  }));

  it("is capped on both agents' spend; the finding names both, and the pause follows only the agent whose usage crossed the cap", async () => {
    const { aw, receiver } = setup;
    const usage = (agent: string, id: string, cost: number) =>
      usageOnKey(agent, id, cost, "team-key", { input: 10, output: 1 });
    await post(aw, TOKENS.ingestOther, [usage(B, "b-team", 450)]);
    await post(aw, TOKENS.ingest, [usage(A, "a-team", 60)]);
    const capped = await eventually(async () =>
      (await incidentsOf(aw, A)).find((i) => i.detector === "spend_cap"),
    );
    expect(capped.labels).toMatchObject({ api_key_id: "team-key", agents: `${B},${A}` });
    expect(capped.findings[0].observed).toEqual({
      spent_usd_today: 510,
      spent_usd_by_agent: { [B]: 450, [A]: 60 },
    });
    const pause = await receiver.waitFor((r) => r.path === "/control");
    expect(JSON.parse(pause.body)).toMatchObject({ action: "pause", agent_id: A });
    expect(await incidentsOf(aw, B)).toEqual([]);
    expect(receiver.on("/control-other")).toEqual([]);
  });
});

describe("row 3: a hold covers the incident's own agent's records", () => {
  const setup = agentwatchWithReceiver();

  it("A's secret under B's session id holds A's records only: B's user is erased, not held", async () => {
    const { aw } = setup;
    const now = Date.now();
    await post(aw, TOKENS.ingestOther, [
      {
        id: "b-prompt",
        time: new Date(now - 2000).toISOString(),
        type: "prompt",
        agent_id: B,
        session_id: "b-session",
        user_id: "bob",
        text: "What is my order status?",
      },
    ]);
    await post(aw, TOKENS.ingest, [
      {
        id: "a-secret",
        time: new Date(now - 1000).toISOString(),
        type: "response",
        agent_id: A,
        session_id: "b-session",
        text: "Deploy token: ghp_Q8x2Lm4Nv6Bc1Zr7Tk9Wd3Fh5Jp0Ys2Ua4Ei",
      },
    ]);
    const hold = await eventually(async () => {
      const res = await aw.fetch("/v1/holds", { headers: bearer(TOKENS.viewer) });
      return (await res.json()).holds[0];
    });
    expect(hold).toMatchObject({ agent_id: A, sessions: ["b-session"], released_at: null });
    // B's event is stored (and so erasable) before the erasure is asked for.
    await eventually(async () => {
      const res = await aw.fetch(`/v1/events?agent_id=${B}`, { headers: bearer(TOKENS.viewer) });
      return (await res.json()).events.length === 1 ? true : undefined;
    });

    const erased = await (
      await aw.fetch("/v1/subjects/bob", {
        method: "DELETE",
        headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
        body: JSON.stringify({ reason: "erasure request" }),
      })
    ).json();
    expect(erased).toMatchObject({ user_id: "bob", erased: { events: 1 }, held: [] });
  });
});
