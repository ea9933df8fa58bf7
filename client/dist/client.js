/**
 * AgentwatchClient: reports an agent's events to agentwatch (`POST /v1/events`, contract §2) and
 * keeps the agent's kill-switch state (contract §3) for `paused()` and `guard()`.
 *
 * Delivery: `report` checks and serialises the event at once and queues it; a batch goes out when
 * `maxBatchEvents` or `maxBatchBytes` is reached, `flushIntervalMs` after the oldest queued event,
 * or on `flush()`. One request is in flight at a time, so events arrive in the order reported.
 * A network error, a timeout, a 408, a 429 or a 5xx is retried with the same body (the same event
 * ids, so the server counts a batch it already stored as duplicates, never twice), after the
 * server's `Retry-After` or else exponential backoff with jitter, up to `retry.maxAttempts`
 * attempts; any other 4xx is not retried and is reported to `onError` with the server's code and
 * message, as is every event the server's 202 names in `rejected`.
 *
 * Memory is bounded: at most `maxQueueEvents` events and `maxQueueBytes` bytes wait, plus the one
 * batch in flight (at most `maxBatchBytes`). When full, `dropPolicy` drops the new event
 * (`drop_newest`) or the oldest waiting one (`drop_oldest`, the default), counted in `stats().dropped`.
 *
 * No timer of the client keeps the process alive. When the event loop empties (`beforeExit`) with
 * events still queued, the client sends them, for at most `exitFlushTimeoutMs`. `beforeExit` does
 * not fire on `process.exit()`, on an uncaught exception or on a signal: nothing asynchronous can
 * run in `'exit'`, so what is still queued then is lost. Call `await client.close()` in your own
 * shutdown path (a SIGTERM handler, before `process.exit`).
 */
import { randomUUID } from "node:crypto";
import { backoffDelay, parseRetryAfter } from "./backoff.js";
import { controlHandler, } from "./control.js";
import { checkEvent, InvalidEventError } from "./events.js";
export class AgentwatchClientError extends Error {
    name = "AgentwatchClientError";
    kind;
    /** The server's error code (`unauthorized`, `forbidden`, ...), or the client's (`network_error`, `timeout`). */
    code;
    /** The HTTP status, when there was an answer. */
    status;
    /** The events concerned. */
    eventIds;
    constructor(kind, code, message, details = {}) {
        super(message, details.cause === undefined ? undefined : { cause: details.cause });
        this.kind = kind;
        this.code = code;
        this.status = details.status;
        this.eventIds = details.eventIds ?? [];
    }
}
/** Thrown by `guard()` while the agent is paused: do not call the model or the tool. */
export class AgentPausedError extends Error {
    name = "AgentPausedError";
    agentId;
    reason;
    /** When it was paused (RFC 3339). */
    since;
    /** Who paused it (the operator token's name, or the detector's auto-pause). Unknown (null) until the state is read back after a pushed pause. */
    by;
    incidentId;
    constructor(status) {
        super(`agent ${status.agent_id} is paused${status.by ? ` by ${status.by}` : ""}${status.since ? ` since ${status.since}` : ""}${status.reason ? `: ${status.reason}` : ""}`);
        this.agentId = status.agent_id;
        this.reason = status.reason;
        this.since = status.since;
        this.by = status.by;
        this.incidentId = status.incident_id ?? null;
    }
}
const SERVER_MAX_EVENTS = 1000;
export class AgentwatchClient {
    agentId;
    #url;
    #token;
    #o;
    #retry;
    #onError;
    #fetch;
    #random;
    // The waiting events: #queue[#head..], oldest first.
    #queue = [];
    #head = 0;
    #queuedBytes = 0;
    #inFlight;
    #seq = 0;
    /** Events up to this sequence number go out without waiting for a full batch. */
    #flushTarget = 0;
    #waiters = [];
    #pumping = false;
    #timer;
    #sleeper;
    #deadline;
    #exiting = false;
    #closed;
    #stats = {
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        failed: 0,
        dropped: 0,
        requests: 0,
        retries: 0,
    };
    #status;
    /** Grows with every pushed control command: a status read begun before one is stale. */
    #statusGeneration = 0;
    #poll;
    #onBeforeExit = () => this.#exitFlush();
    constructor(options) {
        if (typeof options.url !== "string" || !/^https?:\/\//.test(options.url)) {
            throw new TypeError("AgentwatchClient: url must be an http(s) URL");
        }
        if (typeof options.token !== "string" || options.token === "")
            throw new TypeError("AgentwatchClient: token is required");
        if (typeof options.agentId !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(options.agentId)) {
            throw new TypeError("AgentwatchClient: agentId must match [A-Za-z0-9._:-]{1,128}");
        }
        this.agentId = options.agentId;
        this.#url = options.url.replace(/\/+$/, "");
        this.#token = options.token;
        this.#o = {
            maxBatchEvents: Math.max(1, Math.min(options.maxBatchEvents ?? 100, SERVER_MAX_EVENTS)),
            maxBatchBytes: Math.max(1024, options.maxBatchBytes ?? 512 * 1024),
            flushIntervalMs: Math.max(0, options.flushIntervalMs ?? 1000),
            maxQueueEvents: Math.max(1, options.maxQueueEvents ?? 10_000),
            maxQueueBytes: Math.max(1024, options.maxQueueBytes ?? 8 * 1024 * 1024),
            dropPolicy: options.dropPolicy ?? "drop_oldest",
            requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
            statusPollIntervalMs: options.statusPollIntervalMs ?? 15_000,
            flushOnExit: options.flushOnExit ?? true,
            exitFlushTimeoutMs: options.exitFlushTimeoutMs ?? 5000,
        };
        if (this.#o.dropPolicy !== "drop_newest" && this.#o.dropPolicy !== "drop_oldest") {
            throw new TypeError("AgentwatchClient: dropPolicy must be drop_newest or drop_oldest");
        }
        this.#retry = {
            maxAttempts: Math.max(1, options.retry?.maxAttempts ?? 10),
            initialDelayMs: options.retry?.initialDelayMs ?? 500,
            maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
            maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 300_000,
        };
        const onError = options.onError;
        this.#onError = (error) => {
            try {
                onError?.(error);
            }
            catch {
                // A throwing callback must not break delivery.
            }
        };
        this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
        this.#random = options.random ?? Math.random;
        if (this.#o.flushOnExit)
            process.on("beforeExit", this.#onBeforeExit);
        if (this.#o.statusPollIntervalMs > 0) {
            this.#poll = setInterval(() => void this.refreshStatus().catch(() => { }), this.#o.statusPollIntervalMs);
            this.#poll.unref();
            void this.refreshStatus().catch(() => { });
        }
    }
    // ---- Reporting ---------------------------------------------------------------------------
    /**
     * Checks and queues one event: `id` (a random UUID), `time` (now) and `agent_id` (the client's)
     * are filled when absent. Returns the event's id, or undefined when it was dropped (a full queue
     * under `drop_newest`, or a closed client). Throws InvalidEventError for an event the contract
     * does not allow (a missing `text`, `tool.name`, ...), or larger than `maxBatchBytes`.
     */
    report(input) {
        if (input === null || typeof input !== "object" || Array.isArray(input)) {
            throw new InvalidEventError("invalid event: not an object");
        }
        const time = input.time instanceof Date ? input.time.toISOString() : (input.time ?? new Date().toISOString());
        const event = {
            ...input,
            id: input.id ?? randomUUID(),
            time,
            agent_id: input.agent_id ?? this.agentId,
        };
        checkEvent(event);
        const json = JSON.stringify(event);
        const bytes = Buffer.byteLength(json);
        if (bytes + 2 > this.#o.maxBatchBytes) {
            throw new InvalidEventError(`invalid event ${event.id}: ${bytes} bytes, more than maxBatchBytes`);
        }
        if (this.#closed) {
            this.#stats.dropped += 1;
            return undefined;
        }
        const full = () => this.#queue.length - this.#head + 1 > this.#o.maxQueueEvents ||
            this.#queuedBytes + bytes > this.#o.maxQueueBytes;
        if (full()) {
            if (this.#o.dropPolicy === "drop_newest") {
                this.#stats.dropped += 1;
                return undefined;
            }
            while (full() && this.#queue.length > this.#head) {
                this.#shift();
                this.#stats.dropped += 1;
            }
            if (full()) {
                this.#stats.dropped += 1;
                return undefined;
            }
            this.#settle();
        }
        this.#seq += 1;
        this.#queue.push({ seq: this.#seq, id: event.id, json, bytes });
        this.#queuedBytes += bytes;
        if (this.#queue.length - this.#head >= this.#o.maxBatchEvents ||
            this.#queuedBytes >= this.#o.maxBatchBytes) {
            void this.#pump();
        }
        else if (!this.#pumping)
            this.#arm();
        return event.id;
    }
    /**
     * Resolves once every event reported so far is acknowledged by the server (202) or given up
     * (reported to `onError`). It never rejects. Sends at once what is waiting (retries still
     * wait their backoff).
     */
    flush() {
        const target = this.#seq;
        if (this.#firstUnsettled() > target)
            return Promise.resolve();
        this.#flushTarget = Math.max(this.#flushTarget, target);
        const settled = new Promise((resolve) => this.#waiters.push({ target, resolve }));
        void this.#pump();
        return settled;
    }
    /**
     * Stops status polling and the exit hook, and flushes. With `timeoutMs`, retries stop at that
     * deadline and what is still unsent is given up (reported to `onError`). Later reports are
     * dropped (counted).
     */
    close(options = {}) {
        if (!this.#closed) {
            if (this.#poll)
                clearInterval(this.#poll);
            this.#poll = undefined;
            process.off("beforeExit", this.#onBeforeExit);
            if (options.timeoutMs !== undefined)
                this.#setDeadline(Date.now() + options.timeoutMs);
            this.#closed = this.flush().then(() => {
                if (this.#timer)
                    clearTimeout(this.#timer);
                this.#timer = undefined;
            });
        }
        return this.#closed;
    }
    stats() {
        const inFlight = this.#inFlight?.events.length ?? 0;
        return {
            queued: this.#queue.length - this.#head,
            queuedBytes: this.#queuedBytes,
            inFlight,
            ...this.#stats,
        };
    }
    /** Events dropped so far because the queue was full. */
    get dropped() {
        return this.#stats.dropped;
    }
    #shift() {
        if (this.#head >= this.#queue.length)
            return undefined;
        const item = this.#queue[this.#head];
        this.#queue[this.#head] = undefined;
        this.#head += 1;
        if (item)
            this.#queuedBytes -= item.bytes;
        if (this.#head === this.#queue.length) {
            this.#queue = [];
            this.#head = 0;
        }
        else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
            this.#queue = this.#queue.slice(this.#head);
            this.#head = 0;
        }
        return item;
    }
    #peek() {
        return this.#queue[this.#head];
    }
    /** The sequence number of the oldest event neither acknowledged nor given up (Infinity: none). */
    #firstUnsettled() {
        return this.#inFlight?.events[0]?.seq ?? this.#peek()?.seq ?? Number.POSITIVE_INFINITY;
    }
    #settle() {
        const first = this.#firstUnsettled();
        const ready = this.#waiters.filter((w) => w.target < first);
        if (ready.length === 0)
            return;
        this.#waiters = this.#waiters.filter((w) => w.target >= first);
        for (const w of ready)
            w.resolve();
    }
    /** After `flushIntervalMs`, whatever waits then goes out. */
    #arm() {
        if (this.#timer || this.#queue.length === this.#head)
            return;
        this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#flushTarget = Math.max(this.#flushTarget, this.#seq);
            void this.#pump();
        }, this.#o.flushIntervalMs);
        // Never keeps the process alive: when only this timer is left, beforeExit sends what waits.
        this.#timer.unref();
    }
    async #pump() {
        if (this.#pumping)
            return;
        this.#pumping = true;
        try {
            for (;;) {
                const next = this.#peek();
                if (!next)
                    break;
                const due = next.seq <= this.#flushTarget ||
                    this.#queue.length - this.#head >= this.#o.maxBatchEvents ||
                    this.#queuedBytes >= this.#o.maxBatchBytes;
                if (!due)
                    break;
                const batch = this.#take();
                this.#inFlight = batch;
                try {
                    await this.#send(batch);
                }
                finally {
                    this.#inFlight = undefined;
                    this.#settle();
                }
            }
        }
        finally {
            this.#pumping = false;
        }
        this.#arm();
    }
    #take() {
        const events = [];
        let bytes = 2;
        for (;;) {
            const next = this.#peek();
            if (!next || events.length >= this.#o.maxBatchEvents)
                break;
            if (events.length > 0 && bytes + 1 + next.bytes > this.#o.maxBatchBytes)
                break;
            bytes += next.bytes + (events.length > 0 ? 1 : 0);
            events.push(this.#shift());
        }
        return { events, body: `[${events.map((e) => e.json).join(",")}]` };
    }
    /** Sends one batch until it is acknowledged or given up; never throws. */
    async #send(batch) {
        const ids = batch.events.map((e) => e.id);
        for (let attempt = 1;; attempt++) {
            if (attempt > 1)
                this.#stats.retries += 1;
            this.#stats.requests += 1;
            const outcome = await this.#post(batch.body);
            if (outcome.kind === "accepted") {
                this.#acknowledged(batch, outcome.body);
                return;
            }
            if (outcome.kind === "fatal") {
                this.#giveUp(new AgentwatchClientError("request_failed", outcome.code, outcome.message, {
                    status: outcome.status,
                    eventIds: ids,
                }));
                return;
            }
            const delay = outcome.retryAfterMs ??
                backoffDelay(attempt, {
                    initialDelayMs: this.#retry.initialDelayMs,
                    maxDelayMs: this.#retry.maxDelayMs,
                    random: this.#random,
                });
            const pastDeadline = this.#deadline !== undefined && Date.now() + delay > this.#deadline;
            if (attempt >= this.#retry.maxAttempts || pastDeadline) {
                const why = pastDeadline ? "the close/exit deadline came" : `${attempt} attempts`;
                this.#giveUp(new AgentwatchClientError("retries_exhausted", outcome.code, `gave up ${ids.length} event(s) after ${why}: ${outcome.message}`, { ...(outcome.status === undefined ? {} : { status: outcome.status }), eventIds: ids }));
                return;
            }
            await this.#sleep(delay);
        }
    }
    #giveUp(error) {
        this.#stats.failed += error.eventIds.length;
        this.#onError(error);
    }
    #acknowledged(batch, body) {
        const answer = (body ?? {});
        const rejected = Array.isArray(answer.rejected) ? answer.rejected : [];
        this.#stats.accepted +=
            typeof answer.accepted === "number" ? answer.accepted : batch.events.length - rejected.length;
        this.#stats.duplicates += typeof answer.duplicates === "number" ? answer.duplicates : 0;
        this.#stats.rejected += rejected.length;
        const idAt = (r) => r.id ?? (typeof r.index === "number" ? batch.events[r.index]?.id : undefined) ?? "?";
        for (const r of rejected) {
            this.#onError(new AgentwatchClientError("rejected", "event_rejected", `event ${idAt(r)} rejected: ${r.error ?? "?"}`, {
                status: 202,
                eventIds: [idAt(r)],
            }));
        }
        for (const c of Array.isArray(answer.conflicts) ? answer.conflicts : []) {
            this.#onError(new AgentwatchClientError("conflict", "event_id_conflict", `event id ${idAt(c)} was used before for other content; agentwatch kept this one under a new id`, { status: 202, eventIds: [idAt(c)] }));
        }
    }
    async #post(body) {
        let response;
        try {
            response = await this.#fetch(`${this.#url}/v1/events`, {
                method: "POST",
                headers: {
                    authorization: `Bearer ${this.#token}`,
                    "content-type": "application/json",
                    "user-agent": "agentwatch-client",
                },
                body,
                signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
            });
        }
        catch (err) {
            const timeout = err?.name === "TimeoutError";
            return {
                kind: "retry",
                code: timeout ? "timeout" : "network_error",
                message: timeout ? `no answer within ${this.#o.requestTimeoutMs} ms` : networkReason(err),
            };
        }
        let text = "";
        try {
            text = await response.text();
        }
        catch (err) {
            if (response.status < 300)
                return { kind: "retry", code: "network_error", message: networkReason(err) };
        }
        if (response.status >= 200 && response.status < 300)
            return { kind: "accepted", body: parseJson(text) };
        const error = parseJson(text)?.error;
        const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
        const message = `POST /v1/events answered ${response.status}${typeof error?.message === "string" ? `: ${error.message}` : ""}`;
        if (response.status === 408 || response.status === 429 || response.status >= 500) {
            const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now(), this.#retry.maxRetryAfterMs);
            return {
                kind: "retry",
                status: response.status,
                code,
                message,
                ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            };
        }
        return { kind: "fatal", status: response.status, code, message };
    }
    #sleep(ms) {
        return new Promise((resolve) => {
            const wake = () => {
                clearTimeout(timer);
                this.#sleeper = undefined;
                resolve();
            };
            const timer = setTimeout(wake, ms);
            if (!this.#exiting)
                timer.unref();
            this.#sleeper = { timer, wake };
        });
    }
    #setDeadline(at) {
        this.#deadline = this.#deadline === undefined ? at : Math.min(this.#deadline, at);
        // A retry waiting past the deadline would only be given up after it: wake it to try once more now.
        const sleeper = this.#sleeper;
        if (sleeper && this.#deadline !== undefined)
            sleeper.wake();
    }
    /** `beforeExit`: the loop is empty; send what waits, keeping the process alive while doing so. */
    #exitFlush() {
        if (this.#firstUnsettled() === Number.POSITIVE_INFINITY)
            return;
        if (!this.#exiting) {
            this.#exiting = true;
            this.#setDeadline(Date.now() + this.#o.exitFlushTimeoutMs);
        }
        // The flush sends everything now (no linger); a retry's wait must keep the process alive.
        if (this.#timer)
            clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#sleeper?.timer.ref();
        void this.flush();
    }
    // ---- Kill switch -------------------------------------------------------------------------
    /** Whether the agent is paused, as last known (polled, or pushed through `controlHandler`). */
    paused() {
        return this.#status?.state === "paused";
    }
    /** The last known kill-switch state (undefined until first read or pushed). */
    status() {
        return this.#status ? { ...this.#status } : undefined;
    }
    /** Throws AgentPausedError while the agent is paused: call it before the model or a tool. */
    guard() {
        if (this.#status?.state === "paused")
            throw new AgentPausedError(this.#status);
    }
    /**
     * Reads the agent's state now (`GET /v1/agents/{id}`, which the agent's own ingest token may
     * read) and caches it. An agent agentwatch does not know yet is active. Rejects (and reports
     * to `onError`) when the read fails; the cached state is then kept.
     */
    async refreshStatus() {
        const generation = this.#statusGeneration;
        let response;
        let text;
        try {
            response = await this.#fetch(`${this.#url}/v1/agents/${encodeURIComponent(this.agentId)}`, {
                headers: { authorization: `Bearer ${this.#token}`, "user-agent": "agentwatch-client" },
                signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
            });
            text = await response.text();
        }
        catch (err) {
            const error = new AgentwatchClientError("status_failed", "network_error", `reading the agent's state failed: ${networkReason(err)}`, { cause: err });
            this.#onError(error);
            throw error;
        }
        let status;
        if (response.status === 404) {
            status = { agent_id: this.agentId, state: "active", since: null, by: null, reason: null };
        }
        else if (response.ok) {
            const body = parseJson(text);
            status = {
                agent_id: this.agentId,
                state: body?.state === "paused" ? "paused" : "active",
                since: body?.since ?? null,
                by: body?.by ?? null,
                reason: body?.reason ?? null,
                incident_id: body?.incident_id ?? null,
            };
        }
        else {
            const e = parseJson(text)?.error;
            const error = new AgentwatchClientError("status_failed", e?.code ?? `http_${response.status}`, `GET /v1/agents/${this.agentId} answered ${response.status}${e?.message ? `: ${e.message}` : ""}`, { status: response.status });
            this.#onError(error);
            throw error;
        }
        // A control command pushed while this read was on its way is newer than what it read.
        if (generation === this.#statusGeneration)
            this.#status = status;
        return this.status();
    }
    /** Applies a verified control command (controlHandler calls it), then reads the full state back. */
    applyControl(command) {
        this.#statusGeneration += 1;
        this.#status = {
            agent_id: this.agentId,
            state: command.action === "pause" ? "paused" : "active",
            since: command.time ?? null,
            by: null,
            reason: command.reason ?? null,
            incident_id: command.incident_id ?? null,
        };
        // Who paused it is not in the command: read it (agentwatch records the state before sending).
        void this.refreshStatus().catch(() => { });
    }
    /**
     * A handler for Node's `http` at the agent's `control.url` that checks agentwatch's signature
     * and timestamp and updates this client's state before calling `onPause`/`onResume`.
     */
    controlHandler(options) {
        return controlHandler({ ...options, client: this });
    }
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
function networkReason(err) {
    const cause = err?.cause;
    return cause?.code ?? cause?.message ?? err?.message ?? String(err);
}
