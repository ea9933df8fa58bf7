/**
 * The Kafka bus (production): one topic per bus topic (`<prefix>.events`, `<prefix>.findings`)
 * with the configured partitions, keyed by agent_id so each agent's records stay in order.
 *
 * - Appends use an idempotent producer with acks=all: append() resolves only when every in-sync
 *   replica has the records; a broker that cannot take them turns into a retryable
 *   `logUnavailable` error within seconds (the collector answers 503, never 202).
 * - A failed send retires its producer, and the next append starts a fresh one (a new producer
 *   id). kafkajs winds its sequence numbers back when a send fails, but a send that timed out may
 *   still have been written (a broker stalled past the request timeout, then resumed); the broker
 *   then answers OUT_OF_ORDER_SEQUENCE_NUMBER to every later send of that producer, for ever.
 *   The Java client resets the producer id in that case; this does the same. The records of the
 *   failed send may then be in the log twice (the client was told 503 and sends them again):
 *   at-least-once, and downstream writes are idempotent by event id.
 * - Partitions are chosen here with Kafka's own murmur2 scheme (as the Java clients do), so each
 *   message's offset is known: the partition's base offset plus its place in the batch.
 * - Consumer groups (`<prefix>.<group>`) commit a batch's offsets only after its handler resolved;
 *   a failed batch is handed over again after a backoff. A consumer that checkpoints its own state
 *   is asked for its offset (onAssigned) when a partition's first batch arrives, and the consumer
 *   seeks there when it differs.
 * - Dedupe ids are remembered in this process for the last DEDUPE_WINDOW appends, with their
 *   content hashes (the embedded log remembers them durably); downstream writes are idempotent by
 *   event id in any case, and an id this window forgot (a restart, another collector) that comes
 *   back with other content is found by the indexer against storage (runtime/reused-ids.ts).
 */

import { setTimeout as sleep } from "node:timers/promises";
import {
  type Admin,
  type EachBatchPayload,
  Kafka,
  type Consumer as KafkaConsumer,
  logLevel,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { Secret } from "../../../lib/secret.ts";
import { AgentwatchError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { AppendResult, Bus, BusMessage, BusRecord, ConsumeOptions, Consumer, Topic } from "./bus.ts";
import { Topics } from "./bus.ts";

const DEDUPE_WINDOW = 1_000_000;
const MAX_RETRY_BACKOFF_MS = 10_000;

export interface KafkaBusOptions {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  partitions: number;
  logger: Logger;
  metrics: Metrics;
  /** How long one request to a broker may take before kafkajs retries it (default 5 s). */
  requestTimeoutMs?: number;
  /**
   * How long an append may take in all, retries included, before it fails (default 8 s): the
   * collector holds its client no longer than this before answering 503. Without it a stalled
   * broker held every client for four request timeouts (over 20 s).
   */
  appendTimeoutMs?: number;
  /** TLS to the brokers: PEM texts (not paths); no `ca` trusts the system's CAs. */
  ssl?: KafkaTls;
  /** SASL authentication (over `ssl` in production). */
  sasl?: KafkaSasl;
}

export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

export interface KafkaSasl {
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  username: string;
  password: Secret;
}

export class KafkaBus implements Bus {
  readonly #o: KafkaBusOptions;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  /** The producer new appends use; replaced after a failed send (see the header). */
  #producer: ProducerSlot | undefined;
  #producersStarted = 0;
  readonly #consumers = new Set<KafkaBusConsumer>();
  /** Dedupe id → where it was appended, and with which content hash (bounded: DEDUPE_WINDOW). */
  readonly #seen = new Map<string, Seen>();
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: KafkaBusOptions) {
    this.#o = options;
    const logger = options.logger.child({ component: "kafka" });
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: options.requestTimeoutMs ?? 5000,
      retry: { initialRetryTime: 200, retries: 3, maxRetryTime: 2000 },
      ...(options.ssl
        ? {
            ssl: {
              rejectUnauthorized: options.ssl.rejectUnauthorized,
              ...(options.ssl.ca !== undefined ? { ca: [options.ssl.ca] } : {}),
              ...(options.ssl.cert !== undefined ? { cert: options.ssl.cert } : {}),
              ...(options.ssl.key !== undefined ? { key: options.ssl.key } : {}),
            },
          }
        : {}),
      ...(options.sasl ? { sasl: saslFor(options.sasl) } : {}),
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const { message, ...rest } = entry.log;
        const fields = { ...rest, kafka_logger: entry.namespace };
        // Until start() has succeeded, its one error says what went wrong (authentication,
        // TLS verification, no broker); kafkajs's lines about each attempt are only detail.
        if (!this.#started) logger.debug(fields, message);
        else if (entry.level <= logLevel.ERROR) logger.error(fields, message);
        else logger.warn(fields, message);
      },
    });
    this.#admin = this.#kafka.admin();
  }

  /** The current producer, connecting a fresh one when the last was retired. */
  #currentProducer(): ProducerSlot {
    if (this.#producer && !this.#producer.retired) return this.#producer;
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
    });
    const slot: ProducerSlot = { producer, connected: producer.connect(), inFlight: 0, retired: false };
    // A connect that fails retires the slot at once; the failure reaches the append awaiting it.
    slot.connected.catch(() => this.#retire(slot));
    this.#producer = slot;
    this.#producersStarted += 1;
    if (this.#producersStarted > 1) {
      this.#o.metrics.busProducerResets.inc();
      this.#o.logger.warn({ component: "kafka" }, "a new Kafka producer replaces the one whose send failed");
    }
    return slot;
  }

  /** Takes the slot out of use; it disconnects once its last send has settled. */
  #retire(slot: ProducerSlot): void {
    slot.retired = true;
    if (slot.inFlight === 0) void closeProducer(slot);
  }

  topicName(topic: string): string {
    return `${this.#o.topicPrefix}.${topic}`;
  }

  groupName(group: string): string {
    return `${this.#o.topicPrefix}.${group}`;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    try {
      await this.#admin.connect();
      const existing = new Set(await this.#admin.listTopics());
      const wanted = Object.values(Topics)
        .map((t) => this.topicName(t))
        .filter((t) => !existing.has(t));
      if (wanted.length > 0) {
        await this.#admin.createTopics({
          waitForLeaders: true,
          topics: wanted.map((topic) => ({ topic, numPartitions: this.#o.partitions })),
        });
      }
      await this.#currentProducer().connected;
    } catch (err) {
      throw startFailure(err, this.#o);
    }
    this.#started = true;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.#consumers].map((c) => c.stop()));
      this.#started = false;
      if (this.#producer) {
        this.#producer.retired = true;
        await closeProducer(this.#producer);
      }
      await this.#admin.disconnect().catch(() => undefined);
    })();
    return this.#stopping;
  }

  async append(topic: Topic, messages: BusMessage[]): Promise<AppendResult[]> {
    if (!this.#started || this.#stopping) throw unavailable("the Kafka bus is not running");
    if (messages.length === 0) return [];
    const name = this.topicName(topic);
    const results: (AppendResult | undefined)[] = new Array(messages.length);
    const fresh: { index: number; partition: number; message: BusMessage }[] = [];
    const inBatch = new Map<string, number>();
    /** Repeats within this batch: [its index, the index of its first occurrence]. */
    const repeats: [number, number][] = [];
    messages.forEach((message, index) => {
      const known =
        message.dedupeId === undefined ? undefined : this.#seen.get(`${name}\u0000${message.dedupeId}`);
      if (known) {
        results[index] = repeatOf(known, message.contentHash);
        return;
      }
      if (message.dedupeId !== undefined) {
        const first = inBatch.get(message.dedupeId);
        if (first !== undefined) {
          repeats.push([index, first]);
          return;
        }
        inBatch.set(message.dedupeId, index);
      }
      fresh.push({ index, partition: partitionFor(message.key, this.#o.partitions), message });
    });
    if (fresh.length > 0) {
      let metadata: { partition: number; baseOffset?: string }[];
      const slot = this.#currentProducer();
      slot.inFlight += 1;
      try {
        const sent = slot.connected.then(() =>
          slot.producer.send({
            topic: name,
            acks: -1,
            timeout: this.#o.requestTimeoutMs ?? 5000,
            messages: fresh.map(({ partition, message }) => ({
              key: message.key,
              value: message.value,
              partition,
            })),
          }),
        );
        metadata = await withDeadline(sent, this.#o.appendTimeoutMs ?? 8000);
      } catch (err) {
        this.#retire(slot);
        throw unavailable(`Kafka did not take the records for ${name}`, err);
      } finally {
        slot.inFlight -= 1;
        if (slot.retired && slot.inFlight === 0) void closeProducer(slot);
      }
      const base = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
      const next = new Map<number, number>();
      for (const { index, partition, message } of fresh) {
        const position = next.get(partition) ?? 0;
        next.set(partition, position + 1);
        const result: AppendResult = {
          partition,
          offset: (base.get(partition) ?? 0) + position,
          duplicate: false,
        };
        results[index] = result;
        if (message.dedupeId !== undefined)
          this.#remember(`${name}\u0000${message.dedupeId}`, {
            partition,
            offset: result.offset,
            ...(message.contentHash !== undefined ? { contentHash: message.contentHash } : {}),
          });
      }
      this.#o.metrics.busAppended.inc({ topic }, fresh.length);
    }
    // In-batch repeats point at the record their first occurrence appended.
    for (const [index, first] of repeats) {
      const { partition, offset } = results[first] as AppendResult;
      const contentHash = messages[first]?.contentHash;
      results[index] = repeatOf(
        { partition, offset, ...(contentHash !== undefined ? { contentHash } : {}) },
        messages[index]?.contentHash,
      );
    }
    return results as AppendResult[];
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (!this.#started) throw unavailable("the Kafka bus is not running");
    const consumer = new KafkaBusConsumer(this, this.#kafka, options, this.#o.logger, this.#o.metrics);
    this.#consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  async lag(group: string, topic: Topic): Promise<number> {
    const name = this.topicName(topic);
    try {
      const [ends, committed] = await Promise.all([
        this.#admin.fetchTopicOffsets(name),
        this.#admin.fetchOffsets({ groupId: this.groupName(group), topics: [name] }),
      ]);
      const done = new Map(
        (committed[0]?.partitions ?? []).map((p) => [
          p.partition,
          Number(p.offset) < 0 ? 0 : Number(p.offset),
        ]),
      );
      return ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - (done.get(p.partition) ?? 0)), 0);
    } catch (err) {
      throw unavailable("cannot read consumer lag from Kafka", err);
    }
  }

  async ready(): Promise<boolean> {
    if (!this.#started || this.#stopping) return false;
    try {
      await this.#admin.describeCluster();
      return true;
    } catch {
      return false;
    }
  }

  forget(consumer: KafkaBusConsumer): void {
    this.#consumers.delete(consumer);
  }

  #remember(key: string, seen: Seen): void {
    if (this.#seen.size >= DEDUPE_WINDOW) this.#seen.delete(this.#seen.keys().next().value as string);
    this.#seen.set(key, seen);
  }
}

/** Where a dedupe id was first appended, and the content hash it came with (if any). */
interface Seen {
  partition: number;
  offset: number;
  contentHash?: string;
}

/** The result for a repeat of `first`'s dedupe id: a duplicate, a conflict when both hashes differ. */
function repeatOf(first: Seen, contentHash: string | undefined): AppendResult {
  const conflict =
    contentHash !== undefined && first.contentHash !== undefined && first.contentHash !== contentHash;
  return {
    partition: first.partition,
    offset: first.offset,
    duplicate: true,
    ...(conflict ? { conflict: { contentHash: first.contentHash as string } } : {}),
  };
}

class KafkaBusConsumer implements Consumer {
  readonly #bus: KafkaBus;
  readonly #kafka: Kafka;
  readonly #options: ConsumeOptions;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #topic: string;
  /** The kafkajs consumer in use; replaced when kafkajs gives up on it (see #onCrash). */
  #consumer: KafkaConsumer;
  /** Partitions whose onAssigned ran since they were (re)assigned. */
  readonly #restored = new Set<number>();
  #stopping: Promise<void> | undefined;
  #running = true;
  #replacing: Promise<void> | undefined;

  constructor(bus: KafkaBus, kafka: Kafka, options: ConsumeOptions, logger: Logger, metrics: Metrics) {
    this.#bus = bus;
    this.#kafka = kafka;
    this.#options = options;
    this.#topic = bus.topicName(options.topic);
    this.#logger = logger.child({ consumer: options.group, topic: this.#topic });
    this.#metrics = metrics;
    this.#consumer = this.#create();
  }

  #create(): KafkaConsumer {
    return this.#kafka.consumer({
      groupId: this.#bus.groupName(this.#options.group),
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 1 << 20,
      // A member that died (SIGKILL) holds its partitions until its session times out: keep that short.
      sessionTimeout: 10_000,
      heartbeatInterval: 2_000,
      // How long the broker holds a fetch that finds nothing new (kafkajs' default is 5 s). A stop
      // waits for the fetch in flight, and the whole stop has server.shutdown_timeout (5 s) for
      // every consumer: half a second bounds each consumer's share, at two idle fetches a second.
      maxWaitTimeInMs: 500,
    });
  }

  async start(): Promise<void> {
    try {
      await this.#join(this.#consumer);
    } catch (err) {
      throw unavailable(`cannot join consumer group ${this.#options.group}`, err);
    }
  }

  /**
   * Connects and subscribes `consumer`, then runs it. Joining the group can wait for a dead
   * member's session to expire: that goes on in the background, so the rest of the process (the
   * HTTP API, other roles) is not held up.
   */
  async #join(consumer: KafkaConsumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [this.#topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = new Set(event.payload.memberAssignment[this.#topic] ?? []);
      for (const partition of [...this.#restored]) if (!assigned.has(partition)) this.#revoke(partition);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.#running || consumer !== this.#consumer) return;
      this.#replacing ??= this.#replace(consumer, event.payload.error).finally(() => {
        this.#replacing = undefined;
      });
    });
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#handle(consumer, payload),
      })
      .catch((err: unknown) => this.#logger.error({ err }, "the Kafka consumer did not start"));
  }

  #revoke(partition: number): void {
    this.#restored.delete(partition);
    this.#options
      .onRevoked?.(partition)
      .catch((err) => this.#logger.error({ err, partition }, "onRevoked failed"));
  }

  /**
   * kafkajs restarts a consumer after retriable errors, but one that crashed on an error it
   * deems final (seen after a broker restart under load) stays stopped for good: this consumer
   * would silently stop reading. Its partitions are given up (their state is restored from the
   * checkpoint when they come back) and a new kafkajs consumer joins in its place, until one does.
   */
  async #replace(crashed: KafkaConsumer, error: Error): Promise<void> {
    this.#logger.error({ err: error }, "kafkajs stopped the consumer for good; starting a new one");
    this.#metrics.consumerErrors.inc({ group: this.#options.group });
    for (const partition of [...this.#restored]) this.#revoke(partition);
    await crashed.disconnect().catch(() => undefined);
    for (let attempt = 1; this.#running; attempt += 1) {
      const fresh = this.#create();
      this.#consumer = fresh;
      try {
        await this.#join(fresh);
        this.#logger.warn({ attempt }, "a new Kafka consumer replaced the stopped one");
        return;
      } catch (err) {
        await fresh.disconnect().catch(() => undefined);
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 10));
        this.#logger.warn({ err, retry_in_ms: backoff }, "cannot start a new Kafka consumer yet");
        await sleep(backoff);
      }
    }
  }

  /** One batch: restore the partition's state if needed, hand it over until handled, commit. */
  async #handle(consumer: KafkaConsumer, payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, resolveOffset } = payload;
    const partition = batch.partition;
    const live = () => isRunning() && !isStale() && this.#running && consumer === this.#consumer;
    if (!this.#restored.has(partition)) {
      // A failing onAssigned (its checkpoint store is down) is retried like a failing batch: an
      // error escaping to kafkajs would stop this consumer for good.
      let from: number | undefined;
      const assigned = await this.#untilDone(
        payload,
        live,
        "onAssigned failed; it will be retried",
        async () => {
          from = await this.#options.onAssigned?.(partition);
        },
      );
      if (!assigned) return;
      this.#restored.add(partition);
      if (from !== undefined && batch.messages.length > 0 && Number(batch.firstOffset()) !== from) {
        consumer.seek({ topic: this.#topic, partition, offset: String(from) });
        return;
      }
    }
    const records: BusRecord[] = batch.messages.map((m) => ({
      topic: this.#options.topic,
      partition,
      offset: Number(m.offset),
      key: m.key?.toString("utf8") ?? "",
      value: m.value?.toString("utf8") ?? "",
      timestamp: Number(m.timestamp),
    }));
    if (records.length === 0) return;
    const handled = await this.#untilDone(
      payload,
      live,
      "batch handler failed; the batch will be retried",
      () => this.#options.handleBatch({ topic: this.#options.topic, partition, records }),
    );
    if (!handled) return;
    // Handled: move kafkajs's fetch position past the batch (without this it fetches the same
    // batch again), then commit. Committed here, retried here: a commit error escaping this
    // handler would make kafkajs hand the whole (already handled) batch over again.
    resolveOffset(String((records.at(-1) as BusRecord).offset));
    const next = (records.at(-1) as BusRecord).offset + 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await consumer.commitOffsets([{ topic: this.#topic, partition, offset: String(next) }]);
        break;
      } catch (err) {
        if (!live()) return; // the partition moved on; its new owner resumes
        if ((err as { retriable?: boolean }).retriable === false) {
          // Refused for good (this member left the group): the batch will be handed over again.
          this.#logger.warn(
            { err, partition, offset: next },
            "offset commit refused; the batch will be redelivered",
          );
          return;
        }
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 10));
        this.#logger.warn(
          { err, partition, offset: next, retry_in_ms: backoff },
          "offset commit failed; retrying",
        );
        await sleep(backoff);
      }
    }
  }

  /**
   * Runs `work` until it resolves (true), backing off after each failure. Waits in short slices,
   * heartbeating, so the group keeps this member while it waits (a whole backoff without a
   * heartbeat can outlast the session). False when the partition was lost meanwhile: the batch
   * stays uncommitted and the partition's next owner gets it again.
   */
  async #untilDone(
    { batch, heartbeat }: EachBatchPayload,
    live: () => boolean,
    failure: string,
    work: () => Promise<void>,
  ): Promise<boolean> {
    const partition = batch.partition;
    for (let failures = 0; ; failures += 1) {
      if (!live()) return false;
      try {
        await work();
        return true;
      } catch (err) {
        this.#metrics.consumerErrors.inc({ group: this.#options.group });
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(failures + 1, 10));
        this.#logger.error(
          { err, partition, offset: Number(batch.firstOffset()), retry_in_ms: backoff },
          failure,
        );
        const until = Date.now() + backoff;
        while (Date.now() < until) {
          await sleep(Math.min(1000, until - Date.now()));
          if (!live()) return false;
          try {
            await heartbeat();
          } catch (heartbeatError) {
            this.#logger.warn(
              { err: heartbeatError, partition },
              "lost the partition while retrying; it will be handed over again",
            );
            return false;
          }
        }
      }
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#running = false;
      await this.#replacing;
      await this.#consumer.stop().catch(() => undefined);
      for (const partition of this.#restored) await this.#options.onRevoked?.(partition);
      this.#restored.clear();
      await this.#consumer.disconnect().catch(() => undefined);
      this.#bus.forget(this);
    })();
    return this.#stopping;
  }
}

/**
 * Settles as `work` does, or rejects once `ms` have passed. The work goes on unobserved; its
 * producer is retired by the caller, and disconnecting it ends the work.
 */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Kafka within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

interface ProducerSlot {
  producer: Producer;
  connected: Promise<void>;
  /** Sends started on this producer and not yet settled. */
  inFlight: number;
  retired: boolean;
  closed?: Promise<void>;
}

/** Disconnects once, however many times it is asked; errors on the way out are moot. */
function closeProducer(slot: ProducerSlot): Promise<void> {
  slot.closed ??= slot.producer.disconnect().catch(() => undefined);
  return slot.closed;
}

function saslFor(sasl: KafkaSasl): SASLOptions {
  const { username } = sasl;
  const password = sasl.password.reveal();
  switch (sasl.mechanism) {
    case "plain":
      return { mechanism: "plain", username, password };
    case "scram-sha-256":
      return { mechanism: "scram-sha-256", username, password };
    case "scram-sha-512":
      return { mechanism: "scram-sha-512", username, password };
  }
}

/** Node's codes for a peer certificate that does not verify (tls.connect's checks). */
const TLS_VERIFY_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The error and its causes (kafkajs wraps the one that matters: retries exceeded → connection error). */
function chainOf(err: unknown): { name?: string; code?: string; message?: string }[] {
  const chain: { name?: string; code?: string; message?: string }[] = [];
  let current: unknown = err;
  while (current && typeof current === "object" && chain.length < 8) {
    chain.push(current as { name?: string; code?: string; message?: string });
    const next = current as { cause?: unknown; originalError?: unknown };
    current = next.cause ?? next.originalError;
  }
  return chain;
}

/**
 * Why start() could not reach Kafka, said once and plainly: refused credentials and a broker
 * certificate that does not verify are mistakes in the config (or the broker's), not outages,
 * and are named as such; anything else is "cannot reach Kafka" with kafkajs's reason.
 */
function startFailure(err: unknown, o: KafkaBusOptions): AgentwatchError {
  const chain = chainOf(err);
  const brokers = o.brokers.join(", ");
  const sasl = chain.find((e) => e.name === "KafkaJSSASLAuthenticationError");
  if (sasl) {
    const who = o.sasl ? ` for user "${o.sasl.username}" (${o.sasl.mechanism})` : "";
    return new AgentwatchError(
      "configInvalid",
      `Kafka SASL authentication failed${who} at ${brokers}: ${sasl.message}; check bus.sasl (username, password, mechanism)`,
      { cause: err },
    );
  }
  const tls = chain.find((e) => e.code !== undefined && TLS_VERIFY_CODES.has(e.code));
  if (tls) {
    const fix =
      tls.code === "ERR_TLS_CERT_ALTNAME_INVALID"
        ? "the broker's certificate does not name the address in bus.brokers"
        : o.ssl?.ca === undefined
          ? "give the CA that signed the broker's certificate in bus.ssl.ca"
          : "bus.ssl.ca is not the CA that signed the broker's certificate";
    return new AgentwatchError(
      "configInvalid",
      `TLS verification of the Kafka broker's certificate failed at ${brokers} (${tls.code}: ${tls.message?.replace(/^Connection error: /, "")}); ${fix}`,
      { cause: err },
    );
  }
  // The broker ended the handshake with an alert about our certificate: it wants one (mutual
  // TLS) and got none, or does not trust the one it got.
  const alert = chain
    .map((e) =>
      /alert (bad certificate|certificate required|unknown ca|certificate unknown)/i.exec(e.message ?? ""),
    )
    .find((m) => m !== null);
  if (alert) {
    const reason = (alert[1] as string).toLowerCase();
    return new AgentwatchError(
      "configInvalid",
      `the Kafka broker at ${brokers} refused the TLS handshake (${reason}): ${
        o.ssl?.cert === undefined
          ? "it requires a client certificate; give bus.ssl.cert and bus.ssl.key"
          : "it does not accept the client certificate in bus.ssl.cert"
      }`,
      { cause: err },
    );
  }
  if (!o.ssl && o.sasl && chain.some((e) => e.name === "KafkaJSConnectionClosedError")) {
    return unavailable(
      "cannot reach Kafka (the broker closed the connection: does it expect TLS? see bus.ssl)",
      err,
    );
  }
  return unavailable("cannot reach Kafka", err);
}

function unavailable(message: string, cause?: unknown): AgentwatchError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new AgentwatchError("logUnavailable", `${message}${detail}`, { cause, retryAfterSeconds: 1 });
}

/** Kafka's default partitioner for keyed records: murmur2 of the key, positive, modulo partitions. */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 (the Java client's Utils.murmur2). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest >= 3) h ^= (data[whole + 2] as number) << 16;
  if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[whole] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}
