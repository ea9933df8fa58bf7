/**
 * Silences through the real process and HTTP: an operator silences a principal under a known
 * pentest, its brute-force incident is recorded but not paged, another principal's is; ending the
 * silence sends what was held back. Bad silences are refused with every problem named, and each
 * change is in the audit trail.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AgentwatchProcess, eventually } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver } from "./helpers/with-receiver.ts";

function authFailures(principal: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `auth-${principal}-${i}`,
    time: new Date(Date.now() - 1000 + i).toISOString(),
    type: "auth",
    agent_id: AGENT,
    auth: { outcome: "failure", principal, method: "password" },
  }));
}

const send = (method: string, token: string, body?: unknown): RequestInit => ({
  method,
  headers: { ...bearer(token), ...(body === undefined ? {} : { "content-type": "application/json" }) },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

describe("silences end to end", () => {
  const setup = agentwatchWithReceiver(() => ({
    detectors: { auth_bruteforce: { threshold: 5, window: "5m" } },
  }));
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  /** An operator's silence of this agent's principals matching `pattern` (RE2, anchored). */
  const silencePrincipals = (pattern: string, duration: string, comment: string) =>
    aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, {
        matchers: [
          { name: "agent_id", value: AGENT },
          { name: "principal", value: pattern, op: "=~" },
        ],
        duration,
        comment,
      }),
    );

  const alertsFor = (principal: string) =>
    receiver.requests.filter(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === principal,
    );

  it("refuses bad silences, naming every problem", async () => {
    const res = await aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, {
        matchers: [
          { name: "principal", value: "(unclosed", op: "=~" },
          { name: "agent_id", value: "x", op: "~" },
        ],
        duration: "soon",
        comment: " ",
      }),
    );
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/matchers\[0\]\.value: not a regular expression/);
    expect(error.message).toMatch(/matchers\[1\]\.op/);
    expect(error.message).toMatch(/duration: "soon" is not a duration/);
    expect(error.message).toMatch(/comment: say why/);

    const everything = await aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, {
        matchers: [{ name: "agent_id", value: ".*", op: "=~" }],
        duration: "1h",
        comment: "quiet please",
      }),
    );
    expect(everything.status).toBe(400);
    expect((await everything.json()).error.message).toMatch(/would hold back every incident/);

    const both = await aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, {
        matchers: [{ name: "agent_id", value: AGENT }],
        duration: "1h",
        ends_at: new Date(Date.now() + 60_000).toISOString(),
        comment: "x",
      }),
    );
    expect((await both.json()).error.message).toMatch(/ends_at: give either ends_at or duration/);
  });

  it("words every validation problem for a person, never in a parser's terms", async () => {
    const res = await aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, { matchers: [{ name: "agent_id", value: 5 }], duration: "1h", limit: 1 }),
    );
    expect(res.status).toBe(400);
    const { message } = (await res.json()).error;
    expect(message).toContain("comment: required");
    expect(message).toContain("matchers[0].value: must be a string (got the number 5)");
    expect(message).toContain("limit: unknown parameter");
    expect(message).not.toMatch(/Invalid input|expected string, received/);
  });

  it("holds back a silenced incident's alert, pages the others, and sends it once the silence ends", async () => {
    const created = await silencePrincipals("pentest-.*", "2h", "red team exercise, ticket SEC-42");
    expect(created.status).toBe(201);
    const silence = await created.json();
    expect(silence).toMatchObject({ state: "active", created_by: "oncall", expired_by: null });
    expect(Date.parse(silence.ends_at) - Date.parse(silence.starts_at)).toBe(7_200_000);

    const posted = await aw.fetch(
      "/v1/events",
      send("POST", TOKENS.ingest, [...authFailures("pentest-1", 5), ...authFailures("alice", 5)]),
    );
    expect(posted.status).toBe(202);
    await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "alice",
    );
    const incidents = await eventually(async () => {
      const list = (await (await aw.fetch("/v1/incidents", send("GET", TOKENS.viewer))).json()).incidents;
      return list.length === 2 ? list : undefined;
    });
    expect(incidents.map((i: { labels: { principal: string } }) => i.labels.principal).sort()).toEqual([
      "alice",
      "pentest-1",
    ]);
    // Alice's alert went out after the incidents were both opened; give the held one a few ticks more.
    await new Promise((r) => setTimeout(r, 2000));
    expect(alertsFor("pentest-1")).toHaveLength(0);
    // The incident says why nobody was paged.
    const held = incidents.find((i: { labels: { principal: string } }) => i.labels.principal === "pentest-1");
    const shown = await (await aw.fetch(`/v1/incidents/${held.id}`, send("GET", TOKENS.viewer))).json();
    expect(shown).toMatchObject({ silenced_by: [silence.id], inhibited_by: [] });

    const active = await (await aw.fetch("/v1/silences?state=active", send("GET", TOKENS.viewer))).json();
    expect(active.silences.map((s: { id: string }) => s.id)).toEqual([silence.id]);

    const ended = await aw.fetch(
      `/v1/silences/${silence.id}`,
      send("DELETE", TOKENS.operator, { comment: "done" }),
    );
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({ id: silence.id, state: "expired", expired_by: "oncall" });
    const released = await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "pentest-1",
    );
    expect(JSON.parse(released.body).status).toBe("firing");

    const read = await (await aw.fetch(`/v1/silences/${silence.id}`, send("GET", TOKENS.viewer))).json();
    expect(read.state).toBe("expired");
    expect(
      (await (await aw.fetch("/v1/silences?state=active", send("GET", TOKENS.viewer))).json()).silences,
    ).toEqual([]);
    const audit = await (
      await aw.fetch("/v1/audit?action=silence_delete", send("GET", TOKENS.viewer))
    ).json();
    const entries = audit.entries as { target: string; actor: string; reason: string }[];
    expect(entries.map((e) => [e.target, e.actor, e.reason])).toEqual([
      [`silence:${silence.id}`, "oncall", "done"],
    ]);
    const createdAudit = await (
      await aw.fetch("/v1/audit?action=silence_create", send("GET", TOKENS.viewer))
    ).json();
    expect(createdAudit.entries[0].reason).toBe("red team exercise, ticket SEC-42");
  });

  it("an operator's catastrophic regex cannot freeze the alerter: matchers run in linear time, look-arounds are refused", async () => {
    const lookaround = await aw.fetch(
      "/v1/silences",
      send("POST", TOKENS.operator, {
        matchers: [{ name: "principal", value: "(?=admin).*", op: "=~" }],
        duration: "1h",
        comment: "x",
      }),
    );
    expect(lookaround.status).toBe(400);
    expect((await lookaround.json()).error.message).toMatch(
      /matchers\[0\]\.value: not a regular expression: .*RE2 syntax/,
    );

    // This silence froze the process for 45-65 s a tick with a backtracking engine.
    const evil = await silencePrincipals("(\\w+\\s?)+", "1h", "catastrophic backtracking on purpose");
    expect(evil.status).toBe(201);
    const principal = `${"a".repeat(28)}!`; // 29 characters, the near miss
    const started = Date.now();
    const posted = await aw.fetch("/v1/events", send("POST", TOKENS.ingest, authFailures(principal, 5)));
    expect(posted.status).toBe(202);
    // Not silenced (the regex does not match the "!"), so it is paged; the process answers throughout.
    const alert = receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === principal,
    );
    for (let i = 0; i < 5; i += 1) {
      const before = Date.now();
      expect((await aw.fetch("/healthz")).status).toBe(200);
      expect(Date.now() - before).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 200));
    }
    await alert;
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
