/**
 * HTTPS on the listener (issue 22), through the real process: server.tls serves HTTPS and the
 * port refuses plain HTTP; SIGHUP puts a new certificate on the listener while a keep-alive
 * connection stays open (a bad one is refused and the old kept); client_auth: require refuses a
 * client without a certificate from the CA in the handshake; a token bound to a client
 * certificate is taken only with it; config check and start-up report bad certificate files.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpsRequest } from "node:https";
import { join, resolve } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { asn1Time, type Issued, TestPki } from "./helpers/pki.ts";
import { type AgentwatchProcess, eventually, type Json, startAgentwatch } from "./helpers/process.ts";
import { AGENT, TOKENS, tokenConfig } from "./helpers/tokens.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SERVER_SAN = "IP:127.0.0.1,DNS:localhost";

interface Answer {
  status: number;
  body: Json;
  /** The server certificate's CN as this connection saw it. */
  serverCn: string | undefined;
  socket: TLSSocket;
  reused: boolean;
}

/** One HTTPS request with node:https (the CA, and a client certificate, as given). */
function call(
  url: string,
  path: string,
  options: {
    ca: string;
    client?: { cert: Buffer; key: Buffer };
    agent?: Agent;
    method?: string;
    token?: string;
    body?: unknown;
  },
): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      `${url}${path}`,
      {
        method: options.method ?? "GET",
        ca: readFileSync(options.ca),
        ...(options.client ?? {}),
        agent: options.agent ?? false,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        // Taken now: once the answer is read, a keep-alive agent takes the socket back.
        const socket = res.socket as TLSSocket;
        const cn = socket.getPeerCertificate().subject?.CN;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolveAnswer({
            status: res.statusCode ?? 0,
            body: text.startsWith("{") ? JSON.parse(text) : text,
            serverCn: Array.isArray(cn) ? cn[0] : cn,
            socket,
            reused: req.reusedSocket,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const readPem = (issued: Issued) => ({ cert: readFileSync(issued.cert), key: readFileSync(issued.key) });

describe("HTTPS listener", () => {
  const pki = new TestPki("https-ca");
  // The files the config names; the test replaces their contents to rotate the certificate.
  const live = { cert: join(pki.dir, "live", "server.pem"), key: join(pki.dir, "live", "server.key") };
  let aw: AgentwatchProcess;
  // A keep-alive connection held open through the SIGHUP test and the stop.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    mkdirSync(join(pki.dir, "live"));
    const first = pki.issue("server-1", { cn: "server-1", san: SERVER_SAN });
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    aw = await startAgentwatch({
      config: { server: { host: "127.0.0.1", port: 0, tls: { cert: live.cert, key: live.key } } },
    });
  });
  afterAll(async () => {
    // The shutdown drain works over TLS: a clean, prompt stop with a keep-alive connection open.
    const started = Date.now();
    expect(await aw?.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    agent.destroy();
    aw?.cleanup();
    pki.cleanup();
  });

  it("serves HTTPS (healthz, readyz, the API) and logs an https address", async () => {
    expect(aw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(aw.url, "/healthz", { ca: pki.caCert });
    expect(health).toMatchObject({ status: 200, body: { status: "ok" }, serverCn: "server-1" });
    await eventually(async () =>
      (await call(aw.url, "/readyz", { ca: pki.caCert })).status === 200 ? true : undefined,
    );
    const posted = await call(aw.url, "/v1/events", {
      ca: pki.caCert,
      method: "POST",
      token: TOKENS.ingest,
      body: { id: "tls-1", time: new Date().toISOString(), type: "prompt", agent_id: AGENT, text: "hello" },
    });
    expect(posted.status).toBe(202);
    expect(posted.body.accepted).toBe(1);
  });

  it("refuses plain HTTP on the TLS port: the request fails, nothing is served", async () => {
    const plain = aw.url.replace("https://", "http://");
    await expect(fetch(`${plain}/healthz`)).rejects.toThrow();
    await expect(
      fetch(`${plain}/v1/agents`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } }),
    ).rejects.toThrow();
    // Still serving HTTPS afterwards.
    expect((await call(aw.url, "/healthz", { ca: pki.caCert })).status).toBe(200);
  });

  it("SIGHUP puts a new certificate on the listener; an open keep-alive connection is kept", async () => {
    {
      const before = await call(aw.url, "/healthz", { ca: pki.caCert, agent });
      expect(before.serverCn).toBe("server-1");

      const second = pki.issue("server-2", { cn: "server-2", san: SERVER_SAN });
      copyFileSync(second.cert, live.cert);
      copyFileSync(second.key, live.key);
      const reloads = aw.logged("config unchanged: certificates reloaded, nothing restarted").length;
      aw.child?.kill("SIGHUP");
      await eventually(async () =>
        aw.logged("config unchanged: certificates reloaded, nothing restarted").length > reloads
          ? true
          : undefined,
      );

      // The open connection is the same one, still answering (no restart, no drop).
      const after = await call(aw.url, "/healthz", { ca: pki.caCert, agent });
      expect(after.status).toBe(200);
      expect(after.reused).toBe(true);
      expect(after.socket).toBe(before.socket);
      expect(after.serverCn).toBe("server-1");
      // A new handshake sees the new certificate.
      expect((await call(aw.url, "/healthz", { ca: pki.caCert })).serverCn).toBe("server-2");
      expect(aw.logged("config reloaded")).toEqual([]);

      // A bad certificate (expired) is refused with a clear error; the listener keeps server-2.
      const expired = pki.issue("server-expired", {
        cn: "server-3",
        san: SERVER_SAN,
        start: "20200101000000Z",
        end: "20200102000000Z",
      });
      copyFileSync(expired.cert, live.cert);
      copyFileSync(expired.key, live.key);
      const refusals = aw.logged("config not reloaded").length;
      aw.child?.kill("SIGHUP");
      const [refused] = await eventually(async () => {
        const lines = aw.logged("config not reloaded");
        return lines.length > refusals ? lines.slice(refusals) : undefined;
      });
      expect(JSON.stringify(refused)).toMatch(/server\.tls\.cert: .*expired on 2020-01-02/);
      expect((await call(aw.url, "/healthz", { ca: pki.caCert })).serverCn).toBe("server-2");

      // The config reload endpoint reloads them too (and says which certificate it serves now).
      const third = pki.issue("server-4", { cn: "server-4", san: SERVER_SAN });
      copyFileSync(third.cert, live.cert);
      copyFileSync(third.key, live.key);
      const reload = await call(aw.url, "/v1/admin/config/reload", {
        ca: pki.caCert,
        method: "POST",
        token: TOKENS.admin,
        body: { reason: "certificate rotation" },
      });
      expect(reload.status).toBe(202);
      expect(reload.body).toMatchObject({
        reloading: false,
        changed: [],
        certificate: { subject: "CN=server-4" },
      });
      expect((await call(aw.url, "/healthz", { ca: pki.caCert })).serverCn).toBe("server-4");
      // And the keep-alive connection from the start still answers.
      const still = await call(aw.url, "/healthz", { ca: pki.caCert, agent });
      expect(still.socket).toBe(before.socket);
    }
  });
});

describe("mTLS", () => {
  const pki = new TestPki("mtls-ca");
  const stranger = new TestPki("stranger-ca");
  const BOUND = "bound-ingest-token-0123456789";
  const BOUND_SAN = "bound-san-token-0123456789ab";
  let server: Issued;
  let collectorA: Issued;
  let collectorB: Issued;
  let strangerA: Issued;
  const started: AgentwatchProcess[] = [];

  const start = (clientAuth: "request" | "require") =>
    startAgentwatch({
      config: {
        server: { host: "127.0.0.1", port: 0, tls: { ...server, ca: pki.caCert, client_auth: clientAuth } },
        auth: {
          tokens: [
            ...tokenConfig(),
            {
              name: "collector-a",
              role: "ingest",
              token: BOUND,
              agents: [AGENT],
              client_cert: { subject_cn: "collector-a" },
            },
            {
              name: "collector-a-san",
              role: "ingest",
              token: BOUND_SAN,
              agents: [AGENT],
              client_cert: { san: "URI:spiffe://agentwatch.test/collector-a" },
            },
          ],
        },
      },
    }).then((p) => {
      started.push(p);
      return p;
    });

  beforeAll(() => {
    server = pki.issue("server", { cn: "agentwatch", san: SERVER_SAN });
    collectorA = pki.issue("collector-a", {
      cn: "collector-a",
      san: "URI:spiffe://agentwatch.test/collector-a,DNS:collector-a.internal",
      clientAuth: true,
    });
    collectorB = pki.issue("collector-b", {
      cn: "collector-b",
      san: "URI:spiffe://agentwatch.test/collector-b",
      clientAuth: true,
    });
    strangerA = stranger.issue("collector-a", { cn: "collector-a", clientAuth: true });
  });
  afterAll(async () => {
    for (const p of started) {
      await p.stop();
      p.cleanup();
    }
    pki.cleanup();
    stranger.cleanup();
  });

  it("client_auth: require refuses a client without a certificate from the CA in the handshake", async () => {
    const aw = await start("require");
    await expect(call(aw.url, "/healthz", { ca: pki.caCert })).rejects.toThrow();
    await expect(call(aw.url, "/healthz", { ca: pki.caCert, client: readPem(strangerA) })).rejects.toThrow();
    const ok = await call(aw.url, "/healthz", { ca: pki.caCert, client: readPem(collectorA) });
    expect(ok.status).toBe(200);
    const posted = await call(aw.url, "/v1/events", {
      ca: pki.caCert,
      client: readPem(collectorA),
      method: "POST",
      token: BOUND,
      body: { id: "mtls-1", time: new Date().toISOString(), type: "prompt", agent_id: AGENT, text: "hi" },
    });
    expect(posted.status).toBe(202);
    expect(await aw.stop()).toBe(0);
  });

  it("a token bound to a certificate's subject or SAN is taken with it and refused with another or none", async () => {
    const aw = await start("request");
    const event = (id: string) => ({
      id,
      time: new Date().toISOString(),
      type: "prompt",
      agent_id: AGENT,
      text: "hello",
    });
    const post = (token: string, client: Issued | undefined, id: string) =>
      call(aw.url, "/v1/events", {
        ca: pki.caCert,
        ...(client ? { client: readPem(client) } : {}),
        method: "POST",
        token,
        body: event(id),
      });

    expect((await post(BOUND, collectorA, "a-1")).status).toBe(202);
    expect((await post(BOUND_SAN, collectorA, "a-2")).status).toBe(202);

    const other = await post(BOUND, collectorB, "b-1");
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("client_certificate_mismatch");
    expect(other.body.error.message).toMatch(
      /token "collector-a" is bound to a client certificate with subject CN "collector-a"; this request's certificate has subject CN "collector-b"/,
    );
    const otherSan = await post(BOUND_SAN, collectorB, "b-2");
    expect(otherSan.status).toBe(403);
    expect(otherSan.body.error.code).toBe("client_certificate_mismatch");

    const none = await post(BOUND, undefined, "n-1");
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("client_certificate_required");
    expect(none.body.error.message).toMatch(/without a client certificate signed by the configured CA/);
    // A certificate with the right CN from another CA does not verify: as good as none.
    const forged = await post(BOUND, strangerA, "f-1");
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("client_certificate_required");

    // Tokens that are not bound still work without a certificate (client_auth: request).
    expect((await post(TOKENS.ingest, undefined, "u-1")).status).toBe(202);
    const stored = await eventually(async () => {
      const page = await call(aw.url, `/v1/events?agent_id=${AGENT}`, {
        ca: pki.caCert,
        token: TOKENS.viewer,
      });
      return page.body.events?.length >= 3 ? page.body.events : undefined;
    });
    expect(stored.map((e: { id: string }) => e.id).sort()).toEqual(["a-1", "a-2", "u-1"]);
  });
});

describe("config check and start-up with bad certificate files", () => {
  const pki = new TestPki("check-ca");
  afterAll(() => pki.cleanup());

  const run = (command: string[], tls: Record<string, unknown>, tokens: unknown[] = tokenConfig()) => {
    const file = join(pki.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      stringify({
        data_dir: join(pki.dir, "data"),
        server: { host: "127.0.0.1", port: 0, tls },
        auth: { tokens },
      }),
    );
    return spawnSync(process.execPath, [join(ROOT, "bin", "agentwatch.js"), ...command, "--config", file], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
  };

  it("reports an expired certificate, a key that is not its own and a missing CA file, all at once", () => {
    const expired = pki.issue("expired", { cn: "old", start: "20200101000000Z", end: "20200102000000Z" });
    const other = pki.issue("other", { cn: "other" });
    const tls = {
      cert: expired.cert,
      key: other.key,
      ca: join(pki.dir, "missing-ca.pem"),
      client_auth: "request",
    };
    const check = run(["config", "check"], tls);
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/has 3 problems/);
    expect(check.stderr).toContain(
      `server.tls.cert: ${expired.cert} expired on 2020-01-02T00:00:00.000Z (subject CN=old); renew it`,
    );
    expect(check.stderr).toContain(
      `server.tls.key: ${other.key} is not the private key of the certificate ${expired.cert}`,
    );
    expect(check.stderr).toContain(`server.tls.ca: ${join(pki.dir, "missing-ca.pem")} does not exist`);
    // Start-up refuses with the same message.
    const start = run(["start"], tls);
    expect(start.status).toBe(1);
    expect(start.stderr).toContain(check.stderr.split("\n").slice(1).join("\n").trim());
  });

  it("reports a not-yet-valid certificate, an unreadable key, a missing certificate and a binding without mTLS", () => {
    const future = new Date(Date.now() + 5 * 86_400_000);
    const early = pki.issue("early", {
      cn: "early",
      start: asn1Time(future),
      end: asn1Time(new Date(future.getTime() + 86_400_000)),
    });
    const notYet = run(["config", "check"], { cert: early.cert, key: pki.dir });
    expect(notYet.status).toBe(1);
    expect(notYet.stderr).toMatch(
      new RegExp(
        `server\\.tls\\.cert: .*early\\.pem is not valid yet: valid from ${future.toISOString().slice(0, 16)}`,
      ),
    );
    expect(notYet.stderr).toMatch(/server\.tls\.key: .* cannot be read: EISDIR/);

    const missing = run(["config", "check"], { cert: join(pki.dir, "nope.pem"), key: early.key }, [
      ...tokenConfig(),
      {
        name: "bound",
        role: "viewer",
        token: "bound-viewer-token-0123456789",
        client_cert: { subject_cn: "x" },
      },
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`server.tls.cert: ${join(pki.dir, "nope.pem")} does not exist`);

    const valid = pki.issue("valid", { cn: "valid" });
    const unbound = run(["config", "check"], { cert: valid.cert, key: valid.key }, [
      ...tokenConfig(),
      {
        name: "bound",
        role: "viewer",
        token: "bound-viewer-token-0123456789",
        client_cert: { subject_cn: "x" },
      },
    ]);
    expect(unbound.status).toBe(1);
    expect(unbound.stderr).toMatch(
      /auth\.tokens\[5\]\.client_cert: a token bound to a client certificate needs server\.tls with client_auth: request or require/,
    );

    const ok = run(["config", "check"], { cert: valid.cert, key: valid.key });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/client_auth: none/);
  });
});
