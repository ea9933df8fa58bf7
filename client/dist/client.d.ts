import { type ControlCommand, type ControlHandlerOptions, type RequestHandler } from "./control.ts";
import { type EventInput } from "./events.ts";
export type DropPolicy = "drop_newest" | "drop_oldest";
export interface RetryOptions {
    /** Attempts per batch, the first included, before its events are given up (default 10). */
    maxAttempts: number;
    /** First backoff (default 500 ms), doubled each retry up to `maxDelayMs` (default 30 s), with jitter. */
    initialDelayMs: number;
    maxDelayMs: number;
    /** The longest `Retry-After` obeyed; a longer one is cut to this (default 5 min). */
    maxRetryAfterMs: number;
}
export interface AgentwatchClientOptions {
    /** agentwatch's base URL, e.g. `http://127.0.0.1:8080`. */
    url: string;
    /** An ingest token allowed for `agentId`. */
    token: string;
    /** The agent's id: events' default `agent_id`, and whose kill-switch state is kept. */
    agentId: string;
    /** Events per request (default 100, at most 1,000: the server's limit). */
    maxBatchEvents?: number;
    /** Bytes per request body (default 512 KiB; the server's default limit is 1 MiB). */
    maxBatchBytes?: number;
    /** How long an event may wait for its batch to fill (default 1,000 ms). */
    flushIntervalMs?: number;
    /** Events waiting to be sent, at most (default 10,000). */
    maxQueueEvents?: number;
    /** Bytes (serialised events) waiting to be sent, at most (default 8 MiB). */
    maxQueueBytes?: number;
    /** What a full queue drops (default `drop_oldest`). */
    dropPolicy?: DropPolicy;
    retry?: Partial<RetryOptions>;
    /** Time allowed per HTTP request (default 10 s). */
    requestTimeoutMs?: number;
    /** How often `GET /v1/agents/{id}` refreshes the kill-switch state (default 15 s; 0: never). */
    statusPollIntervalMs?: number;
    /** Send what is queued when the event loop empties (default true). */
    flushOnExit?: boolean;
    /** The longest the exit flush (and its retries) may take (default 5 s). */
    exitFlushTimeoutMs?: number;
    /** Every failure: rejected events, batches given up, status refreshes that failed. Never throws into the agent. */
    onError?: (error: AgentwatchClientError) => void;
    /** A fetch of your own (a proxy, a test double); the global one by default. */
    fetch?: typeof fetch;
    /** For tests: the jitter's random source. */
    random?: () => number;
}
export type ClientErrorKind = 
/** The server refused one event of an accepted batch (the 202's `rejected`). */
"rejected"
/** The event's id was used before for other content; the server kept it under a new id. */
 | "conflict"
/** A 4xx other than 408/429: the batch is not retried. `code` and `message` are the server's. */
 | "request_failed"
/** The batch failed `retry.maxAttempts` times, or the close/exit deadline came. */
 | "retries_exhausted"
/** Reading the agent's kill-switch state failed (the cached state is kept). */
 | "status_failed";
export declare class AgentwatchClientError extends Error {
    readonly name = "AgentwatchClientError";
    readonly kind: ClientErrorKind;
    /** The server's error code (`unauthorized`, `forbidden`, ...), or the client's (`network_error`, `timeout`). */
    readonly code: string;
    /** The HTTP status, when there was an answer. */
    readonly status: number | undefined;
    /** The events concerned. */
    readonly eventIds: string[];
    constructor(kind: ClientErrorKind, code: string, message: string, details?: {
        status?: number;
        eventIds?: string[];
        cause?: unknown;
    });
}
/** The agent's kill-switch state, as `GET /v1/agents/{id}` answers it. */
export interface AgentStatus {
    agent_id: string;
    state: "active" | "paused";
    since: string | null;
    by: string | null;
    reason: string | null;
    incident_id?: string | null;
}
/** Thrown by `guard()` while the agent is paused: do not call the model or the tool. */
export declare class AgentPausedError extends Error {
    readonly name = "AgentPausedError";
    readonly agentId: string;
    readonly reason: string | null;
    /** When it was paused (RFC 3339). */
    readonly since: string | null;
    /** Who paused it (the operator token's name, or the detector's auto-pause). Unknown (null) until the state is read back after a pushed pause. */
    readonly by: string | null;
    readonly incidentId: string | null;
    constructor(status: AgentStatus);
}
export interface ClientStats {
    /** Events waiting, and their bytes. */
    queued: number;
    queuedBytes: number;
    /** Events in the request in flight. */
    inFlight: number;
    /** Events the server accepted (202), counted as duplicates, rejected. */
    accepted: number;
    duplicates: number;
    rejected: number;
    /** Events given up: a 4xx, or retries exhausted. */
    failed: number;
    /** Events the full queue dropped (or reported after close). */
    dropped: number;
    /** Requests sent, and how many of them were retries. */
    requests: number;
    retries: number;
}
export declare class AgentwatchClient {
    #private;
    readonly agentId: string;
    constructor(options: AgentwatchClientOptions);
    /**
     * Checks and queues one event: `id` (a random UUID), `time` (now) and `agent_id` (the client's)
     * are filled when absent. Returns the event's id, or undefined when it was dropped (a full queue
     * under `drop_newest`, or a closed client). Throws InvalidEventError for an event the contract
     * does not allow (a missing `text`, `tool.name`, ...), or larger than `maxBatchBytes`.
     */
    report(input: EventInput): string | undefined;
    /**
     * Resolves once every event reported so far is acknowledged by the server (202) or given up
     * (reported to `onError`). It never rejects. Sends at once what is waiting (retries still
     * wait their backoff).
     */
    flush(): Promise<void>;
    /**
     * Stops status polling and the exit hook, and flushes. With `timeoutMs`, retries stop at that
     * deadline and what is still unsent is given up (reported to `onError`). Later reports are
     * dropped (counted).
     */
    close(options?: {
        timeoutMs?: number;
    }): Promise<void>;
    stats(): ClientStats;
    /** Events dropped so far because the queue was full. */
    get dropped(): number;
    /** Whether the agent is paused, as last known (polled, or pushed through `controlHandler`). */
    paused(): boolean;
    /** The last known kill-switch state (undefined until first read or pushed). */
    status(): AgentStatus | undefined;
    /** Throws AgentPausedError while the agent is paused: call it before the model or a tool. */
    guard(): void;
    /**
     * Reads the agent's state now (`GET /v1/agents/{id}`, which the agent's own ingest token may
     * read) and caches it. An agent agentwatch does not know yet is active. Rejects (and reports
     * to `onError`) when the read fails; the cached state is then kept.
     */
    refreshStatus(): Promise<AgentStatus>;
    /** Applies a verified control command (controlHandler calls it), then reads the full state back. */
    applyControl(command: ControlCommand): void;
    /**
     * A handler for Node's `http` at the agent's `control.url` that checks agentwatch's signature
     * and timestamp and updates this client's state before calling `onPause`/`onResume`.
     */
    controlHandler(options: Omit<ControlHandlerOptions, "client" | "agentId">): RequestHandler;
}
