/**
 * When the log cannot take writes the collector answers 503 with Retry-After, never 202. Real
 * collector, real HTTP stack (fastify inject) and a real embedded log that has been closed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerCollector } from "../services/collector/collector.ts";
import { Authenticator } from "../services/runtime/auth.ts";
import { EmbeddedBus } from "../services/runtime/bus/embedded.ts";
import { parseConfig } from "../services/runtime/config.ts";
import { createLogger } from "../services/runtime/logger.ts";
import { Metrics } from "../services/runtime/metrics.ts";
import { createServer } from "../services/server.ts";
import { AGENT, bearer, TOKENS, tokenConfig } from "./helpers/tokens.ts";

describe("log unavailable", () => {
  const dir = mkdtempSync(join(tmpdir(), "aw-503-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers 503 with Retry-After and accepts nothing while the log cannot take writes", async () => {
    const config = parseConfig({ auth: { tokens: tokenConfig() } }, {});
    const metrics = new Metrics();
    const logger = createLogger("silent");
    const bus = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    await bus.start();
    const server = createServer({
      authenticator: new Authenticator(config.auth.tokens),
      metrics,
      logger,
      bodyLimit: config.limits.max_body_bytes,
      ready: async () => ({ ready: await bus.ready(), checks: { bus: await bus.ready() } }),
    });
    registerCollector(server, { bus, limits: config.limits, metrics });
    const post = (id: string) =>
      server.inject({
        method: "POST",
        url: "/v1/events",
        headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
        payload: { id, time: "2026-11-20T10:00:00Z", type: "prompt", agent_id: AGENT, text: "hi" },
      });

    expect((await post("before")).statusCode).toBe(202);
    await bus.stop();
    const refused = await post("during");
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json().error.code).toBe("log_unavailable");
    expect(refused.json().error.message).toMatch(/cannot take writes now.*retry later/);
    const ready = await server.inject({ method: "GET", url: "/readyz", headers: bearer(TOKENS.viewer) });
    expect(ready.statusCode).toBe(503);
    await server.close();

    // Nothing of the refused request reached the log.
    const reopened = new EmbeddedBus({ dataDir: dir, retentionMs: 86_400_000, logger, metrics });
    await reopened.start();
    expect(await reopened.lag("anyone", "events")).toBe(1);
    await reopened.stop();
  });
});
