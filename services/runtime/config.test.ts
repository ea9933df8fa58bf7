import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Secret } from "../../lib/secret.ts";
import { loadConfig, parseConfig, renderConfig } from "./config.ts";
import { AgentwatchError } from "./errors.ts";

const minimal = { auth: { tokens: [{ name: "root", role: "admin", token: "0123456789abcdef" }] } };

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentwatchError);
    expect((err as AgentwatchError).code).toBe("configInvalid");
    const listed = ((err as AgentwatchError).details?.problems ?? []) as { path: string; message: string }[];
    return listed.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe("config", () => {
  it("fills the documented defaults", () => {
    const config = parseConfig(minimal, {});
    expect(config.data_dir).toBe("./data");
    expect(config.server).toEqual({
      host: "127.0.0.1",
      port: 8080,
      shutdown_timeout: 5000,
      headers_timeout: 10_000,
      request_timeout: 30_000,
      keep_alive_timeout: 65_000,
      connection_timeout: 120_000,
      max_connections_per_address: 256,
    });
    expect(config.bus).toEqual({ type: "embedded", retention: 7 * 86_400_000 });
    expect(config.limits.max_body_bytes).toBe(1024 * 1024);
    expect(config.limits.max_events_per_request).toBe(1000);
    expect(config.limits.max_tool_arguments_bytes).toBe(64 * 1024);
    expect(config.limits.max_event_bytes).toBe(256 * 1024);
    expect(config.limits.max_event_time_ahead).toBe(5 * 60_000);
    expect(config.limits.max_event_time_behind).toBe(30 * 86_400_000);
    expect(config.detectors.auth_bruteforce).toEqual({
      enabled: true,
      threshold: 10,
      window: 300_000,
      severity: "critical",
    });
    expect(config.alerting).toEqual({
      group_interval: 60_000,
      resolve_timeout: 900_000,
      group_by: ["agent_id", "detector"],
      max_incidents_per_group: 5,
      group_window: 3_600_000,
      routes: [],
      inhibit_rules: [],
      auto_pause: [],
    });
  });

  it("accepts the contract's minimal config", () => {
    const config = parseConfig(
      {
        data_dir: "./data",
        server: { host: "127.0.0.1", port: 8080 },
        bus: { type: "embedded" },
        storage: { type: "embedded" },
        auth: {
          tokens: [
            { name: "support-ingest", role: "ingest", token: "${AW_INGEST_TOKEN}", agents: ["support-bot"] },
            { name: "oncall", role: "operator", token: "${AW_OPERATOR_TOKEN}" },
          ],
        },
        receivers: [
          {
            name: "oncall-hook",
            type: "webhook",
            url: "http://127.0.0.1:9999/alerts",
            secret: "${AW_HOOK_SECRET}",
          },
        ],
        agents: [
          {
            id: "support-bot",
            control: { url: "http://127.0.0.1:9999/control", secret: "${AW_CONTROL_SECRET}" },
          },
        ],
      },
      {
        AW_INGEST_TOKEN: "ingest-token-0123456789",
        AW_OPERATOR_TOKEN: "operator-token-0123456789",
        AW_HOOK_SECRET: "hook-secret-0123456789",
        AW_CONTROL_SECRET: "control-secret-0123456789",
      },
    );
    expect(config.auth.tokens[0]?.token.reveal()).toBe("ingest-token-0123456789");
    expect(config.receivers[0]?.timeout).toBe(5000);
    expect(config.agents[0]?.control?.secret.reveal()).toBe("control-secret-0123456789");
  });

  it("substitutes ${VAR}, ${VAR:-default} and $${ in every string", () => {
    const config = parseConfig(
      {
        ...minimal,
        data_dir: "${BASE}/data",
        log: { level: "${LEVEL:-warn}" },
        server: { host: "$${literal}" },
      },
      { BASE: "/srv/aw" },
    );
    expect(config.data_dir).toBe("/srv/aw/data");
    expect(config.log.level).toBe("warn");
    expect(config.server.host).toBe("${literal}");
  });

  it("checks the listener's deadlines (issue 30): none may be 0, the headers' within the request's", () => {
    const found = problems({
      server: { headers_timeout: "1m", request_timeout: "30s", keep_alive_timeout: 0 },
      limits: { max_event_bytes: 10 },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "server.headers_timeout: must not be longer than server.request_timeout (the headers are part of the request)",
        "server.keep_alive_timeout: must be more than 0",
        expect.stringMatching(/^limits\.max_event_bytes: /),
      ]),
    );
  });

  it("reports every problem at once, with its key path", () => {
    const found = problems({
      bogus: true,
      server: { port: 70000, extra: 1 },
      auth: {
        tokens: [
          { name: "a", role: "ingest", token: "${MISSING_TOKEN}" },
          { name: "b", role: "superuser", token: "short" },
        ],
      },
      receivers: [{ name: "r", type: "webhook", url: "ftp://example", secret: "s-0123456789abcdef" }],
      agents: [{ id: "bad id" }, { id: "ok", control: { url: "http://127.0.0.1:9/c", secret: "short" } }],
      alerting: { group_interval: "five minutes" },
      detectors: { auth_bruteforce: { threshold: 1 } },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "bogus: unknown key",
        "server.extra: unknown key",
        expect.stringMatching(/^server\.port: /),
        "auth.tokens[0].token: environment variable MISSING_TOKEN is not set",
        expect.stringMatching(/^auth\.tokens\[1\]\.role: /),
        "auth.tokens[1].token: must be at least 16 characters",
        "receivers[0].url: must be an http:// or https:// URL",
        "agents[0].id: must match [A-Za-z0-9._:-]{1,128}",
        "agents[1].control.secret: must be at least 16 characters",
        'alerting.group_interval: "five minutes" is not a duration (examples: 500ms, 30s, 5m, 1h)',
        expect.stringMatching(/^detectors\.auth_bruteforce\.threshold: /),
      ]),
    );
    expect(found.length).toBeGreaterThanOrEqual(10);
  });

  it("checks routes: matchers, and receivers that exist", () => {
    const receivers = [
      { name: "pager", type: "webhook", url: "http://127.0.0.1:9/p", secret: "s-0123456789abcdef" },
    ];
    expect(
      problems({
        ...minimal,
        receivers,
        alerting: {
          routes: [
            { matchers: [{ name: "severity", value: "critical" }], receivers: ["pager", "slack"] },
            { matchers: [{ name: "agent_id", value: "(", op: "=~" }], receivers: ["pager"] },
            { matchers: [{ name: "agent_id", value: "x", op: "==" }], receivers: [] },
          ],
        },
      }),
    ).toEqual([
      expect.stringMatching(/^alerting\.routes\[1\]\.matchers\[0\]\.value: not a regular expression/),
      expect.stringMatching(/^alerting\.routes\[2\]\.matchers\[0\]\.op: /),
      expect.stringMatching(/^alerting\.routes\[2\]\.receivers: /),
    ]);
    expect(
      problems({
        ...minimal,
        receivers,
        alerting: {
          routes: [{ matchers: [{ name: "severity", value: "critical" }], receivers: ["pager", "slack"] }],
        },
      }),
    ).toEqual(['alerting.routes[0].receivers[1]: no receiver is named "slack" (receivers: pager)']);
    const config = parseConfig(
      {
        ...minimal,
        receivers,
        alerting: { routes: [{ receivers: ["pager"], matchers: [{ name: "a", value: "b" }] }] },
      },
      {},
    );
    expect(config.alerting.routes).toEqual([
      { matchers: [{ name: "a", value: "b", op: "=" }], receivers: ["pager"], continue: false },
    ]);
  });

  it("rejects duplicate names and tokens, and ingest tokens without agents", () => {
    const found = problems({
      auth: {
        tokens: [
          { name: "a", role: "admin", token: "same-token-0123456789" },
          { name: "a", role: "viewer", token: "same-token-0123456789" },
          { name: "c", role: "ingest", token: "other-token-0123456789" },
        ],
      },
    });
    expect(found).toEqual([
      'auth.tokens[1].name: duplicate name "a" (first at auth.tokens[0])',
      "auth.tokens[1].token: same token as auth.tokens[0]; each must be unique",
      'auth.tokens[2].agents: an ingest token must list the agents it may post for (["*"] for any)',
    ]);
    // The duplicate token's value is never in the message.
    expect(found.join("\n")).not.toContain("same-token");
  });

  it("never prints a secret", () => {
    const config = parseConfig(
      {
        ...minimal,
        receivers: [{ name: "r", type: "webhook", url: "http://127.0.0.1:1/x", secret: "hook-secret-value" }],
      },
      {},
    );
    const rendered = renderConfig(config);
    expect(rendered).toContain("token: <secret>");
    expect(rendered).toContain("secret: <secret>");
    expect(rendered).not.toContain("0123456789abcdef");
    expect(rendered).not.toContain("hook-secret-value");
    const secret = new Secret("s3cr3t");
    expect(`${secret}`).toBe("<secret>");
    expect(JSON.stringify({ secret })).toBe('{"secret":"<secret>"}');
    expect(inspect({ secret })).not.toContain("s3cr3t");
  });

  it("loads YAML files and reports syntax errors and missing files", () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-config-"));
    const good = join(dir, "good.yaml");
    writeFileSync(good, "auth:\n  tokens:\n    - { name: root, role: admin, token: '${TOKEN}' }\n");
    expect(loadConfig(good, { TOKEN: "token-from-env-0123" }).config.auth.tokens[0]?.name).toBe("root");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "auth: [unclosed\n");
    expect(() => loadConfig(bad)).toThrow(/is not valid YAML/);
    expect(() => loadConfig(join(dir, "missing.yaml"))).toThrow(
      /there is no config file .*missing\.yaml: copy agentwatch\.example\.yaml to it and edit it, or name another with --config FILE/,
    );
  });

  it("suggests the key a typo meant, and lists every problem in one pass, agents' own settings included", () => {
    let message = "";
    try {
      parseConfig(
        {
          ...minimal,
          server: { port: 70000 },
          detectors: { auth_bruteforce: { treshold: 3 } },
          agents: [{ id: "bot", detectors: { auth_bruteforce: { threshold: 0, windw: "5m" } } }],
        },
        {},
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("detectors.auth_bruteforce.treshold: unknown key; did you mean `threshold`?");
    expect(message).toMatch(/server\.port: /);
    expect(message).toMatch(/agents\[0\]\.detectors\.auth_bruteforce\.threshold: /);
    expect(message).toContain(
      "agents[0].detectors.auth_bruteforce.windw: unknown key; did you mean `window`?",
    );
  });

  it("prints an effective config that is itself valid config: durations as durations, secrets as their variables", () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-config-"));
    const env = {
      AW_INGEST_TOKEN: "ingest-token-0123456789",
      AW_OPERATOR_TOKEN: "operator-token-0123456789",
      AW_VIEWER_TOKEN: "viewer-token-0123456789",
      AW_HOOK_SECRET: "hook-secret-0123456789",
      AW_CONTROL_SECRET: "control-secret-0123456789",
    };
    const example = loadConfig(join(import.meta.dirname, "../../agentwatch.example.yaml"), env);
    const rendered = renderConfig(example.config, example.raw);
    expect(rendered).toContain("window: 5m");
    expect(rendered).toContain("token: ${AW_INGEST_TOKEN}");
    expect(rendered).not.toMatch(/change-me|0123456789|agent_detectors/);
    const again = join(dir, "effective.yaml");
    writeFileSync(again, rendered);
    expect(loadConfig(again, env).config).toEqual(example.config);
  });
});
