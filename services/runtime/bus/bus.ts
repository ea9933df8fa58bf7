/**
 * The bus: a durable, ordered log of records per topic, read by consumer groups at their own
 * offsets. Two implementations: the embedded SQLite log (default) and Kafka (production). Both
 * pass the same conformance suite (test/conformance/bus.ts).
 *
 * Delivery is at least once: a consumer's offset is committed only after its batch handler
 * resolved, so a crash replays the uncommitted tail. Handlers must be idempotent.
 */

/** Topic names, before any deployment prefix the backend adds. */
export const Topics = {
  /** Validated agent events, keyed by agent_id. */
  events: "events",
  /** Detector findings, keyed by agent_id. */
  findings: "findings",
  /** Records a consumer could not process, with the reason and where they came from. */
  deadLetter: "dead-letter",
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

export interface BusMessage {
  /** Partitioning key: records with one key stay in order. */
  key: string;
  value: string;
  /**
   * When set, a second record with the same dedupe id on the same topic is not appended
   * (idempotent ingest). The embedded log remembers ids for its retention period.
   */
  dedupeId?: string;
  /**
   * With `dedupeId`: a hash of what the message says (opaque to the bus, kept beside the id). A
   * repeat whose hash differs from the one the id was first appended with is a conflict, not a
   * duplicate: it is not appended either, and its result names the first hash, so the caller can
   * keep it under another id (services/runtime/reused-ids.ts). When either side has no hash (a
   * caller that sets none, an id remembered from before hashes were kept) a repeat is a duplicate.
   */
  contentHash?: string;
}

export interface AppendResult {
  partition: number;
  offset: number;
  /**
   * True when the message was not appended because its dedupe id was seen before (then
   * `partition` and `offset` are the first record's), with the same content or, when `conflict`
   * is set, with other content.
   */
  duplicate: boolean;
  /** Set when the dedupe id was first appended with another `contentHash`: that hash. */
  conflict?: { contentHash: string };
}

export interface BusRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
  /** Epoch milliseconds at which the record was appended. */
  timestamp: number;
}

export interface RecordBatch {
  topic: string;
  partition: number;
  records: BusRecord[];
}

export interface ConsumeOptions {
  group: string;
  topic: string;
  /**
   * Processes one batch (records of one partition, in offset order). When it resolves, the
   * batch's offsets are committed; when it rejects, the same batch is retried after a backoff.
   */
  handleBatch(batch: RecordBatch): Promise<void>;
  /**
   * Called when a partition is assigned to this consumer, before any of its records are
   * delivered. Returning an offset starts reading there instead of at the committed offset:
   * consumers that checkpoint their own state with an offset use this to resume exactly.
   * When it rejects, no record of the partition is delivered: the embedded log fails consume();
   * Kafka calls it again after a backoff.
   */
  onAssigned?(partition: number): Promise<number | undefined>;
  /** Called when a partition is taken away (stop or rebalance), after its last batch finished. */
  onRevoked?(partition: number): Promise<void>;
  maxBatchSize?: number;
}

export interface Consumer {
  /** Finishes the batch in hand, commits it, and stops. Idempotent. */
  stop(): Promise<void>;
}

export interface Bus {
  start(): Promise<void>;
  /** Stops every consumer (each finishes and commits its batch), then closes. Idempotent. */
  stop(): Promise<void>;
  /**
   * Appends messages in order. Resolves only when every appended record is durable (embedded:
   * synced to disk; Kafka: acknowledged by all in-sync replicas). Rejects with a retryable
   * `logUnavailable` error when the log cannot take writes; nothing is then appended.
   */
  append(topic: Topic, messages: BusMessage[]): Promise<AppendResult[]>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  /** Records of `topic` the group has not committed yet, summed over partitions. */
  lag(group: string, topic: Topic): Promise<number>;
  /** Whether the bus can take writes now. */
  ready(): Promise<boolean>;
}
