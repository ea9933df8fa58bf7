/**
 * A real local HTTP server that plays an alert receiver or an agent runtime: it records every
 * request (raw body and headers) and answers with the status the test sets.
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../../services/runtime/signing.ts";

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status it was answered with. */
  answered?: number;
}

/** Whether the request carries a valid agentwatch signature for `secret` (contract §5). */
export function signedWith(request: ReceivedRequest, secret: string): boolean {
  return verifySignature({
    secret,
    timestamp: request.headers["x-agentwatch-timestamp"] as string | undefined,
    signature: request.headers["x-agentwatch-signature"] as string | undefined,
    body: request.body,
  });
}

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status to answer per path (default 200). */
  readonly status = new Map<string, number>();
  /** Extra response headers per path (a 429's Retry-After). */
  readonly headers = new Map<string, Record<string, string>>();
  /** How long to wait before answering, per path (a slow receiver). */
  readonly delayMs = new Map<string, number>();
  #server: Server | undefined;
  #waiters: { predicate: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }[] = [];

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = {
          path: req.url ?? "/",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        const answer = () => {
          res.statusCode = this.status.get(request.path) ?? 200;
          const received = { ...request, answered: res.statusCode };
          this.requests.push(received);
          for (const [name, value] of Object.entries(this.headers.get(request.path) ?? {}))
            res.setHeader(name, value);
          res.end("ok");
          this.#waiters = this.#waiters.filter((w) => {
            if (!w.predicate(received)) return true;
            w.resolve(received);
            return false;
          });
        };
        const delay = this.delayMs.get(request.path);
        if (delay) setTimeout(answer, delay);
        else answer();
      });
    });
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    return this;
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves with the first request (already received or future) that matches. */
  waitFor(predicate: (r: ReceivedRequest) => boolean, timeoutMs = 15_000): Promise<ReceivedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching request within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close");
  }
}
