/**
 * The HTTP server's connections and the requests in hand on each, so that a stop (SIGTERM, a
 * config reload) never waits on a client.
 *
 * Node's `server.close()` closes the keep-alive connections that are idle at that moment and
 * then waits for every other connection to end by itself. A connection that was opened but has
 * not sent a request counts as busy (it is waiting for headers) and is never closed: an HTTP
 * client's spare connection (undici opens one when all of its others are busy, then may send
 * the request on another), a browser's preconnect, or an attacker holding sockets. After
 * `close()` Node no longer enforces the header and request timeouts either, so such a
 * connection kept the stop waiting for as long as the client liked. A connection that finished
 * its answer after `close()` stayed open for the keep-alive timeout (72 s in fastify).
 *
 * `drain()` closes every connection with no request in hand at once, lets the requests in hand
 * finish and closes their connection after the answer (`Connection: close`), and at the
 * deadline closes whatever is left, saying what it was.
 *
 * Against clients that hold the listener (issue 30) it also caps the connections one client
 * address may have open (`maxPerAddress`; further ones are closed as they open), and closes a
 * connection whose request was answered before its body had come (a 401, 413 or 429 refused
 * before reading it): Node would keep reading, and discarding, the rest of a declared body for
 * as long as the client takes to send it, or never send it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server, Socket } from "node:net";

interface InHand {
  method: string;
  url: string;
  since: number;
  response: ServerResponse;
}

interface Tracked {
  requests: Set<InHand>;
  opened: number;
  address: string;
}

export interface ConnectionLimits {
  /** Open connections one client address may have; 0: no cap. */
  maxPerAddress?: number;
  /** Told of each connection closed as it opened because its address had `maxPerAddress` open. */
  onRefused?: (address: string) => void;
  now?: () => number;
}

/**
 * How long a refused request's connection may take to flush its answer before it is destroyed:
 * the answer is a few hundred bytes, so only a client that stopped reading waits this long.
 */
const REFUSED_FLUSH_MS = 1000;

/** What a drain left behind at its deadline (empty when everything finished in time). */
export interface DrainResult {
  /** Milliseconds from the start of the drain until the last connection closed. */
  ms: number;
  /** The connections closed by force at the deadline, each with the requests it still had. */
  forced: { remote: string; open_ms: number; requests: string[] }[];
}

export class ConnectionTracker {
  readonly #connections = new Map<Socket, Tracked>();
  readonly #perAddress = new Map<string, number>();
  readonly #maxPerAddress: number;
  readonly #onRefused: (address: string) => void;
  readonly #now: () => number;
  /** Resolved when the last connection closes. */
  #waiters: (() => void)[] = [];
  #draining = false;

  constructor(server: Server, limits: ConnectionLimits = {}) {
    this.#now = limits.now ?? Date.now;
    this.#maxPerAddress = limits.maxPerAddress ?? 0;
    this.#onRefused = limits.onRefused ?? (() => undefined);
    server.on("connection", (socket: Socket) => this.#add(socket));
    server.on("request", (request: IncomingMessage, response: ServerResponse) =>
      this.#onRequest(request, response),
    );
  }

  /** Open connections now (for metrics and tests). */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * Closes the connections with no request in hand now, waits for the requests in hand until
   * `deadlineMs` from now (each connection closed after its answer), then closes what is left.
   * Resolves once no connection is open. The caller closes the listener (fastify's close()).
   */
  async drain(deadlineMs: number): Promise<DrainResult> {
    const started = this.#now();
    this.#draining = true;
    for (const [socket, tracked] of this.#connections) {
      if (tracked.requests.size === 0) socket.destroy();
      else for (const request of tracked.requests) closeAfterAnswer(request.response);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), Math.max(0, deadlineMs));
    });
    const forced: DrainResult["forced"] = [];
    if ((await Promise.race([this.#allClosed(), deadline])) === "deadline") {
      const now = this.#now();
      for (const [socket, tracked] of this.#connections) {
        forced.push({
          remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`,
          open_ms: now - tracked.opened,
          requests: [...tracked.requests].map((r) => `${r.method} ${r.url} (${now - r.since} ms)`),
        });
        socket.destroy();
      }
      await this.#allClosed();
    }
    clearTimeout(timer);
    return { ms: this.#now() - started, forced };
  }

  #add(socket: Socket): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? "unknown";
    const open = this.#perAddress.get(address) ?? 0;
    if (this.#maxPerAddress > 0 && open >= this.#maxPerAddress) {
      // Closed before Node reads a byte from it: the client holds neither a parser nor a timer.
      socket.destroy();
      this.#onRefused(address);
      return;
    }
    this.#perAddress.set(address, open + 1);
    this.#connections.set(socket, { requests: new Set(), opened: this.#now(), address });
    socket.once("close", () => {
      this.#connections.delete(socket);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
      this.#changed();
    });
  }

  #onRequest(request: IncomingMessage, response: ServerResponse): void {
    // Over HTTPS the request's socket is the TLS socket wrapping the TCP one tracked on 'connection'.
    const tracked = this.#connections.get(transportOf(request.socket));
    if (!tracked) return;
    const inHand: InHand = {
      method: request.method ?? "?",
      url: (request.url ?? "").split("?")[0] as string,
      since: this.#now(),
      response,
    };
    tracked.requests.add(inHand);
    if (this.#draining) closeAfterAnswer(response);
    // Answered before the body came (refused before reading it): the rest of the body is not
    // waited for. The answer said `Connection: close` (server.ts); the socket goes once it is sent.
    // The socket as it is now: by 'finish' the request may be detached from it (request.socket null).
    const socket = request.socket;
    response.once("finish", () => {
      if (!request.complete) closeSoon(socket);
    });
    // 'close' comes after the answer was written, or when the connection died first.
    response.once("close", () => {
      tracked.requests.delete(inHand);
      if (this.#draining && tracked.requests.size === 0) endThenClose(socket);
    });
  }

  #changed(): void {
    if (this.#connections.size > 0) return;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #allClosed(): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** The TCP socket under a TLS socket (Node's TLSSocket keeps it as `_parent`), or the socket itself. */
function transportOf(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
}

/** Asks Node to close the connection once this answer is written (when it is not sent yet). */
function closeAfterAnswer(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader("connection", "close");
}

/** Sends what is written, then closes: a client that keeps its end open cannot hold the socket. */
function endThenClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end(() => socket.destroy());
}

/**
 * Sends what is written and closes; destroyed after REFUSED_FLUSH_MS at the latest, so a client
 * that neither reads its answer nor sends the rest of its body holds nothing.
 */
function closeSoon(socket: Socket | null): void {
  if (!socket || socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), REFUSED_FLUSH_MS);
  timer.unref();
  socket.end(() => {
    clearTimeout(timer);
    socket.destroy();
  });
}
