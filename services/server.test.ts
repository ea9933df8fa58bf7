/**
 * Ready means ready (issue 29): while the workers start, /healthz says alive, /readyz says not
 * ready (to a probe without a token too) and every API route answers 503 `not_ready` with
 * Retry-After; once started, /readyz answers 200.
 */
import { describe, expect, it } from "vitest";
import { Secret } from "../lib/secret.ts";
import { Authenticator } from "./runtime/auth.ts";
import { createLogger } from "./runtime/logger.ts";
import { Metrics } from "./runtime/metrics.ts";
import { createServer } from "./server.ts";

const VIEWER = "viewer-token-0123456789";

function serverStarting(state: { starting: boolean }) {
  const app = createServer({
    authenticator: new Authenticator([{ name: "dash", role: "viewer", token: new Secret(VIEWER) }]),
    metrics: new Metrics(),
    logger: createLogger("silent"),
    bodyLimit: 1024 * 1024,
    starting: () => state.starting,
    ready: async () => ({
      ready: !state.starting,
      checks: { bus: true, storage: true, workers: !state.starting },
    }),
  });
  app.get("/v1/things", { config: { permission: "read" } }, async () => ({ things: [] }));
  return app;
}

describe("readiness", () => {
  it("answers probes and refuses the API with 503 until the workers run", async () => {
    const state = { starting: true };
    const app = serverStarting(state);
    const auth = { authorization: `Bearer ${VIEWER}` };

    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const probe = await app.inject({ url: "/readyz" });
    expect(probe.statusCode).toBe(503);
    expect(probe.json()).toEqual({ status: "not_ready", ready: false });
    const detailed = await app.inject({ url: "/readyz", headers: auth });
    expect(detailed.json()).toMatchObject({ status: "not_ready", checks: { workers: false } });
    expect((await app.inject({ url: "/metrics", headers: auth })).statusCode).toBe(200);
    const api = await app.inject({ url: "/v1/things", headers: auth });
    expect(api.statusCode).toBe(503);
    expect(api.headers["retry-after"]).toBe("1");
    expect(api.json().error.code).toBe("not_ready");
    // Authentication still comes first: no token is 401, starting or not.
    expect((await app.inject({ url: "/v1/things" })).statusCode).toBe(401);

    state.starting = false;
    expect((await app.inject({ url: "/readyz" })).json()).toEqual({ status: "ready", ready: true });
    expect((await app.inject({ url: "/v1/things", headers: auth })).statusCode).toBe(200);
    // A wrong token on /readyz is still refused: only a missing one gets the short answer.
    expect(
      (await app.inject({ url: "/readyz", headers: { authorization: "Bearer nope-nope-nope-nope" } }))
        .statusCode,
    ).toBe(401);
    await app.close();
  });
});
