/**
 * Kafka over SASL_SSL, as managed Kafka services offer it (issue 22): a real broker of its own
 * (scripts/servers/servers.sh with AW_KAFKA_SECURITY=sasl_ssl, on free ports, in its own folder),
 * a CA and certificates made by openssl, SCRAM users added when its storage is formatted.
 *  - the bus contract over SCRAM-SHA-512, and PLAIN and SCRAM-SHA-256 logins;
 *  - ingest → detect → alert end to end, collector and workers as separate processes;
 *  - a wrong password, a broker certificate agentwatch cannot verify, and a missing client
 *    certificate (the broker requires one: mutual TLS) each stop the start within seconds with
 *    one error naming the cause.
 * Runs where the Kafka tests run (AW_KAFKA_BROKERS set: the servers are fetched there).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../lib/secret.ts";
import { KafkaBus, type KafkaBusOptions } from "../services/runtime/bus/kafka.ts";
import { parseConfig } from "../services/runtime/config.ts";
import type { AgentwatchError } from "../services/runtime/errors.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { busConformance } from "./conformance/bus.ts";
import { freePort, type KafkaRoles, startAgentwatch, startKafkaRoles } from "./helpers/process.ts";
import { Receiver, signedWith } from "./helpers/receiver.ts";
import { AGENT, bearer, TOKENS, tokenConfig } from "./helpers/tokens.ts";

const SERVERS = resolve(import.meta.dirname, "../scripts/servers/servers.sh");
const enabled = Boolean(process.env.AW_KAFKA_BROKERS);
const USER = "aw-sasl-user";
const PASSWORD = "aw-sasl-password-1";
const run = Math.random().toString(36).slice(2, 8);

describe("bus.ssl and bus.sasl in the config", () => {
  const dir = mkdtempSync(join(tmpdir(), "aw-kafka-sasl-config-"));
  const pem = join(dir, "ca.pem");
  writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const parse = (bus: Record<string, unknown>) =>
    parseConfig({
      bus: { type: "kafka", brokers: ["127.0.0.1:9093"], ...bus },
      auth: { tokens: tokenConfig() },
    });
  const problems = (bus: Record<string, unknown>) => {
    try {
      parse(bus);
      return [];
    } catch (err) {
      const found = (err as AgentwatchError).details?.problems as { path: string; message: string }[];
      return found.map((p) => `${p.path}: ${p.message}`);
    }
  };

  it("takes TLS and SASL settings, the password a secret", () => {
    const { bus } = parse({
      ssl: { ca: pem },
      sasl: { mechanism: "scram-sha-512", username: "u", password: "p" },
    }) as unknown as { bus: { ssl: unknown; sasl: { password: unknown } } };
    expect(bus.ssl).toEqual({ ca: pem, reject_unauthorized: true });
    expect(bus.sasl.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(bus.sasl)).not.toContain('"p"');
  });

  it("names an unreadable PEM file, a lone cert and an unknown mechanism", () => {
    expect(problems({ ssl: { ca: join(dir, "missing.pem") } })).toEqual([
      expect.stringMatching(/^bus\.ssl\.ca: cannot read .*missing\.pem: ENOENT/),
    ]);
    expect(problems({ ssl: { cert: pem } })).toEqual([
      "bus.ssl.key: give cert and key together (a client certificate and its private key)",
    ]);
    expect(problems({ sasl: { mechanism: "gssapi", username: "u", password: "p" } })).toEqual([
      "bus.sasl.mechanism: mechanism must be one of: plain, scram-sha-256, scram-sha-512",
    ]);
  });
});

describe.skipIf(!enabled)("Kafka over SASL_SSL (a broker of its own)", () => {
  // Made in beforeAll: a skipped suite leaves no folder behind.
  let runDir = "";
  let tls = "";
  let brokers = "";
  let env: NodeJS.ProcessEnv = {};
  const servers = (...args: string[]) =>
    execFileSync("bash", [SERVERS, ...args], { env, stdio: "pipe", timeout: 180_000 });

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), "aw-kafka-sasl-"));
    tls = join(runDir, "kafka", "tls");
    const [port, controller] = [await freePort(), await freePort()];
    brokers = `127.0.0.1:${port}`;
    env = {
      ...process.env,
      AW_KAFKA_SECURITY: "sasl_ssl",
      // Mutual TLS on top of SASL: every client below shows the client certificate the script made.
      AW_KAFKA_SSL_CLIENT_AUTH: "required",
      AW_KAFKA_SASL_USERNAME: USER,
      AW_KAFKA_SASL_PASSWORD: PASSWORD,
      AW_KAFKA_PORT: String(port),
      AW_KAFKA_CONTROLLER_PORT: String(controller),
      AW_SERVERS_RUN: runDir,
    };
    servers("start", "kafka");
  }, 200_000);

  afterAll(() => {
    if (!runDir) return;
    try {
      servers("stop", "kafka");
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 60_000);

  const busConfig = (overrides: Record<string, unknown> = {}) => ({
    type: "kafka",
    brokers: [brokers],
    topic_prefix: `aw-sasl-${run}-${Math.random().toString(36).slice(2, 8)}`,
    partitions: 2,
    ssl: { ca: join(tls, "ca.pem"), cert: join(tls, "client.pem"), key: join(tls, "client-key.pem") },
    sasl: { mechanism: "scram-sha-512", username: USER, password: PASSWORD },
    ...overrides,
  });

  const openBus = async (name: string, sasl: Partial<KafkaBusOptions["sasl"]> = {}) => {
    const bus = new KafkaBus({
      brokers: [brokers],
      topicPrefix: `aw-sasl-${run}-${name}`,
      clientId: "agentwatch-test",
      partitions: 1,
      logger: createLogger("warn"),
      metrics: new Metrics(),
      ssl: {
        ca: readFileSync(join(tls, "ca.pem"), "utf8"),
        cert: readFileSync(join(tls, "client.pem"), "utf8"),
        key: readFileSync(join(tls, "client-key.pem"), "utf8"),
        rejectUnauthorized: true,
      },
      sasl: { mechanism: "scram-sha-512", username: USER, password: new Secret(PASSWORD), ...sasl },
    });
    await bus.start();
    return bus;
  };

  busConformance("kafka over SASL_SSL with SCRAM-SHA-512", { open: (name) => openBus(name) });

  for (const mechanism of ["plain", "scram-sha-256"] as const) {
    it(`appends and consumes with ${mechanism}`, async () => {
      const bus = await openBus(`${mechanism}-${run}`, { mechanism });
      try {
        await bus.append("events", [{ key: "k", value: `over ${mechanism}` }]);
        const seen: string[] = [];
        const consumer = await bus.consume({
          group: "g",
          topic: "events",
          handleBatch: async (batch) => {
            seen.push(...batch.records.map((r) => r.value));
          },
        });
        const deadline = Date.now() + 20_000;
        while (seen.length < 1 && Date.now() < deadline) await sleep(20);
        await consumer.stop();
        expect(seen).toEqual([`over ${mechanism}`]);
      } finally {
        await bus.stop();
      }
    }, 30_000);
  }

  describe("collector and workers over SASL_SSL", () => {
    const receiver = new Receiver();
    let roles: KafkaRoles;

    beforeAll(async () => {
      await receiver.start();
      roles = await startKafkaRoles({
        brokers,
        hookUrl: `${receiver.url}/alerts`,
        hookSecret: "kafka-sasl-hook-secret",
        config: { bus: busConfig() },
      });
    }, 90_000);

    afterAll(async () => {
      await roles?.stop();
      await receiver.stop();
    });

    it("carries a brute force from the collector through Kafka to a signed alert", async () => {
      const events = Array.from({ length: 10 }, (_, i) => ({
        id: `kafka-sasl-auth-${i}`,
        time: new Date().toISOString(),
        type: "auth",
        agent_id: AGENT,
        auth: { outcome: "failure", principal: "sasl-victim" },
      }));
      const res = await roles.collector.fetch("/v1/events", {
        method: "POST",
        headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: 10, duplicates: 0 });
      const alert = await receiver.waitFor(
        (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "sasl-victim",
        30_000,
      );
      expect(signedWith(alert, "kafka-sasl-hook-secret")).toBe(true);
      expect(JSON.parse(alert.body).incident).toMatchObject({ detector: "auth_bruteforce", agent_id: AGENT });
      const ready = await (await roles.workers.fetch("/readyz", { headers: bearer(TOKENS.viewer) })).json();
      expect(ready).toMatchObject({ ready: true, checks: { bus: true } });
    }, 60_000);
  });

  /** Starts agentwatch with `bus`, which must fail: how long it took and what it said. */
  const failedStart = async (bus: Record<string, unknown>) => {
    const dataDir = mkdtempSync(join(tmpdir(), "aw-kafka-sasl-fail-"));
    const started = Date.now();
    try {
      const aw = await startAgentwatch({ dataDir, config: { bus } });
      await aw.stop();
      throw new Error("agentwatch started");
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/exited with 1 before starting/);
      return { ms: Date.now() - started, lines: message.split("\n").filter((l) => l.trim() !== "") };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  it("refuses to start with a wrong password, saying once that authentication failed", async () => {
    const { ms, lines } = await failedStart(
      busConfig({ sasl: { mechanism: "scram-sha-512", username: USER, password: "not-the-password" } }),
    );
    expect(ms).toBeLessThan(10_000);
    const errors = lines.filter((l) => /authentication failed/i.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(`^agentwatch: Kafka SASL authentication failed for user "${USER}" \\(scram-sha-512\\)`),
    );
    expect(errors[0]).toContain("check bus.sasl");
    expect(lines.join("\n")).not.toContain("not-the-password");
    // kafkajs's own lines about each attempt (it logs every one) stay below the info level.
    expect(lines.filter((l) => /"level":(40|50)/.test(l) && l.includes("kafka_logger"))).toEqual([]);
  }, 30_000);

  it("refuses to start when the broker's certificate cannot be verified, naming TLS verification", async () => {
    const { ms, lines } = await failedStart(
      busConfig({ ssl: { cert: join(tls, "client.pem"), key: join(tls, "client-key.pem") } }),
    );
    expect(ms).toBeLessThan(10_000);
    const errors = lines.filter((l) => /TLS verification/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^agentwatch: TLS verification of the Kafka broker's certificate failed at 127\.0\.0\.1:\d+ \(SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain\); give the CA that signed the broker's certificate in bus\.ssl\.ca$/,
    );
    expect(lines.filter((l) => /"level":(40|50)/.test(l) && l.includes("kafka_logger"))).toEqual([]);
  }, 30_000);

  it("refuses a CA that did not sign the broker's certificate", async () => {
    // The client certificate's own (self-made, unrelated) CA: here, the client cert stands in.
    const { lines } = await failedStart(
      busConfig({
        ssl: { ca: join(tls, "client.pem"), cert: join(tls, "client.pem"), key: join(tls, "client-key.pem") },
      }),
    );
    expect(lines.filter((l) => /TLS verification/.test(l))).toEqual([
      expect.stringMatching(/bus\.ssl\.ca is not the CA that signed the broker's certificate$/),
    ]);
  }, 30_000);

  it("refuses to start without the client certificate the broker requires, naming it", async () => {
    const { ms, lines } = await failedStart(busConfig({ ssl: { ca: join(tls, "ca.pem") } }));
    expect(ms).toBeLessThan(10_000);
    expect(lines.filter((l) => l.startsWith("agentwatch:"))).toEqual([
      expect.stringMatching(
        /^agentwatch: the Kafka broker at 127\.0\.0\.1:\d+ refused the TLS handshake \(bad certificate\): it requires a client certificate; give bus\.ssl\.cert and bus\.ssl\.key$/,
      ),
    ]);
  }, 30_000);
});
