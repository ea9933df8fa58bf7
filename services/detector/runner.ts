/**
 * The detector runner: reads the events topic, runs every detector over each event, appends the
 * findings to the findings topic, and checkpoints the detectors' state together with the offset
 * it reflects. On start (or when a partition is assigned) it restores the checkpoint and resumes
 * at its offset: a restart neither loses baselines nor counts an event twice. Events replayed
 * after a crash raise findings with the same ids, which the alerter drops.
 */

import { injectionInput } from "../../detectors/injection/index.ts";
import { reviveState } from "../../detectors/record.ts";
import type { Detector, ObservedEvent } from "../../detectors/types.ts";
import { type Bus, type BusRecord, type Consumer, type RecordBatch, Topics } from "../runtime/bus/bus.ts";
import { sendToDeadLetter } from "../runtime/bus/dead-letter.ts";
import { guardPoisonRecords } from "../runtime/bus/poison.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { EVENT_TYPES, type Finding, type IngestedEvent } from "../runtime/model.ts";
import { Mutex } from "../runtime/mutex.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import type { AgentMetrics } from "./agent-metrics.ts";
import type { InjectionClassifier } from "./classifier.ts";
import {
  appendedByProvider,
  newProviderTotals,
  PROVIDER_TOTALS,
  type ProviderTotals,
  providerIncrement,
} from "./provider-usage.ts";

export const DETECTOR_GROUP = "detector";
/**
 * 2 (issue 30): users' and keys' tables carry per-agent budgets (`ledgers`, recounted at the first
 * tick when absent), and spend_cap's and token_spike's keys count for the sending agent (keys by
 * `agent|key`, fleet views only for shared keys). A version 1 checkpoint is restored except for
 * the detectors in FRESH_SINCE_V1, which start fresh (logged): their old key entries would count
 * one agent's spend for another.
 * 3 (issue 26): the baseline detectors' entities carry a long-horizon reference (`drift`, `mix`:
 * detectors/drift.ts), and tool_shift's usual mix learns an hour at a time. A version 2 state is
 * restored as it is: each entity's reference is created at its next event and learns from there
 * (its drift is judged after the warm-up, 3 days); the usual mix goes on from what it holds.
 */
const CHECKPOINT_VERSION = 3;
const FRESH_SINCE_V1: ReadonlySet<string> = new Set(["spend_cap", "token_spike"]);
/** Checkpoints come no more often than this many times what the last one cost (see #checkpoint). */
const CHECKPOINT_COST_FACTOR = 20;

export interface DetectorRunnerOptions {
  bus: Bus;
  storage: Storage;
  detectors: Detector[];
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
  /** An external injection classifier consulted once per batch for prompts and tool results. */
  classifier?: InjectionClassifier | undefined;
  /** Checkpoint at most this often while events flow (and always on stop and revoke). */
  checkpointIntervalMs?: number;
  tickIntervalMs?: number;
  /**
   * Event time discipline (limits.max_event_time_ahead/behind): detectors see an event's time
   * clamped to this skew around its arrival. The collector already refuses events outside it;
   * this holds for records that reached the log another way (older versions, other producers).
   */
  maxAheadMs?: number;
  maxBehindMs?: number;
  /** The per-agent security metrics (events, tokens, findings, ...), counted as events are read. */
  agentMetrics?: AgentMetrics;
}

interface PartitionState {
  /** Detector name → its state. */
  states: Record<string, unknown>;
  /** Next offset to process; everything before it is reflected in `states`. */
  offset: number;
  dirty: boolean;
  lastCheckpoint: number;
  /** Size of its last checkpoint (characters of JSON), and how long writing it took. */
  bytes?: number;
  costMs?: number;
  /**
   * The checkpoint is written in pieces, one per detector: a detector's state is serialized
   * again only when it changed since (it saw an event, or its tick evicted or raised
   * something); the others' last pieces are reused. A flood that grows one detector's state
   * does not make every detector's state be re-serialized every second.
   */
  pieces: Map<string, string>;
  touched: Set<string>;
}

interface CheckpointBody {
  version: number;
  states: Record<string, unknown>;
}

export class DetectorRunner {
  readonly #o: Required<Omit<DetectorRunnerOptions, "classifier" | "agentMetrics">> & {
    classifier: InjectionClassifier | undefined;
    agentMetrics?: AgentMetrics;
  };
  readonly #partitions = new Map<number, PartitionState>();
  /** Event type → the detectors that look at it. */
  readonly #routes: Map<string, Detector[]>;
  readonly #mutex = new Mutex();
  #consumer: Consumer | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: DetectorRunnerOptions) {
    this.#o = {
      now: Date.now,
      classifier: undefined,
      checkpointIntervalMs: 1000,
      tickIntervalMs: 1000,
      maxAheadMs: 5 * 60_000,
      maxBehindMs: 30 * 86_400_000,
      ...options,
      logger: options.logger.child({ component: "detector-runner" }),
    };
    this.#routes = routeByType(this.#o.detectors);
  }

  async start(): Promise<void> {
    this.#consumer = await this.#o.bus.consume({
      group: DETECTOR_GROUP,
      topic: Topics.events,
      onAssigned: (partition) => this.#mutex.run(() => this.#restore(partition)),
      onRevoked: (partition) =>
        this.#mutex.run(async () => {
          await this.#checkpoint(partition, true);
          this.#partitions.delete(partition);
        }),
      // A batch that keeps failing the same way is taken apart and its failing records
      // dead-lettered (bus/poison.ts); an outage (retryable) is retried as long as it lasts.
      handleBatch: guardPoisonRecords((batch) => this.#mutex.run(() => this.#handle(batch)), {
        bus: this.#o.bus,
        metrics: this.#o.metrics,
        logger: this.#o.logger,
        group: DETECTOR_GROUP,
      }),
    });
    this.#tickTimer = setInterval(() => {
      this.#mutex
        .run(() => this.#tick())
        .catch((err) => this.#o.logger.error({ err }, "detector tick failed"));
    }, this.#o.tickIntervalMs);
    this.#tickTimer.unref();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#tickTimer);
      // Stopping the consumer revokes its partitions, which writes their final checkpoints.
      await this.#consumer?.stop();
    })();
    return this.#stopping;
  }

  async #restore(partition: number): Promise<number | undefined> {
    const checkpoint = await this.#o.storage.loadCheckpoint(DETECTOR_GROUP, partition);
    const states: Record<string, unknown> = {};
    let saved: CheckpointBody | undefined;
    if (checkpoint) {
      // Restored records get no prototype, as fresh ones (detectors/record.ts): event values are keys.
      saved = JSON.parse(checkpoint.state, reviveState) as CheckpointBody;
      if (saved.version === 1) {
        const fresh = Object.keys(saved.states).filter((name) => FRESH_SINCE_V1.has(name));
        for (const name of fresh) delete saved.states[name];
        this.#o.logger.warn(
          { partition, detectors: fresh },
          "detector checkpoint of version 1: these detectors' state counted keys across agents and starts fresh",
        );
      }
      if (saved.version === 1 || saved.version === 2) {
        // Nothing to convert (see CHECKPOINT_VERSION): the references are created as entities are seen.
        this.#o.logger.info(
          { partition, version: saved.version },
          "detector checkpoint from before drift references: they learn from now on and judge after their warm-up",
        );
      } else if (saved.version !== CHECKPOINT_VERSION) {
        // A checkpoint of a later version (a downgrade): its states are not ours to read. The
        // offset still holds (no event is counted twice); the baselines are learned again.
        this.#o.logger.error(
          { partition, version: saved.version, expected: CHECKPOINT_VERSION },
          "detector checkpoint of an unknown version: every detector starts fresh",
        );
        saved.states = {};
      }
    }
    for (const detector of this.#o.detectors) {
      states[detector.name] = saved?.states[detector.name] ?? detector.initialState();
    }
    states[PROVIDER_TOTALS] = saved?.states[PROVIDER_TOTALS] ?? newProviderTotals();
    this.#partitions.set(partition, {
      states,
      offset: checkpoint?.offset ?? 0,
      dirty: false,
      lastCheckpoint: this.#o.now(),
      pieces: new Map(),
      touched: new Set(),
    });
    this.#o.logger.info(
      { partition, offset: checkpoint?.offset ?? null },
      checkpoint ? "restored detector state from checkpoint" : "no detector checkpoint; starting fresh",
    );
    // No checkpoint: the state reflects no event, so the log is read from its start. (Resuming at
    // the group's committed offset instead lost what a process killed before its first
    // checkpoint had counted: a brute force straddling that crash never paged.)
    return checkpoint?.offset ?? 0;
  }

  async #handle(batch: RecordBatch): Promise<void> {
    const partition = this.#partitions.get(batch.partition);
    if (!partition) throw new Error(`partition ${batch.partition} was not assigned to the detector runner`);
    const findings: Finding[] = [];
    const fresh = batch.records.filter((r) => r.offset >= partition.offset); // older ones are in the restored state
    const results = fresh.map((record) => this.#decode(record));
    const dead = fresh.flatMap((record, i) => {
      const result = results[i];
      return typeof result === "string" ? [{ record, reason: result }] : [];
    });
    if (dead.length > 0) {
      // The collector only appends validated events: this is corruption, kept aside and counted.
      this.#o.logger.error(
        { records: dead.length, first: dead[0]?.reason },
        "undecodable event records sent to the dead-letter topic",
      );
      await sendToDeadLetter(this.#o.bus, this.#o.metrics, DETECTOR_GROUP, dead);
    }
    const decoded = results.map((r) => (typeof r === "string" ? undefined : r));
    await this.#consultClassifier(decoded);
    for (const [i, record] of fresh.entries()) {
      let observed = decoded[i];
      if (observed?.source === "provider") {
        // A provider's totals for a bucket: what they add over what was counted (provider-usage.ts).
        observed = providerIncrement(partition.states[PROVIDER_TOTALS] as ProviderTotals, observed);
        partition.touched.add(PROVIDER_TOTALS);
      }
      if (observed) {
        const raisedFrom = findings.length;
        for (const detector of this.#routes.get(observed.event.type) ?? this.#o.detectors) {
          findings.push(
            ...this.#run(detector, partition, () =>
              detector.update(partition.states[detector.name], observed),
            ),
          );
          partition.touched.add(detector.name);
        }
        // When the event arrived: the alerter measures detection latency from it.
        const receivedAt = new Date(observed.received ?? observed.time).toISOString();
        for (let j = raisedFrom; j < findings.length; j += 1)
          (findings[j] as Finding).received_at = receivedAt;
        this.#o.metrics.detectorEvents.inc();
        this.#o.agentMetrics?.observe(observed.event, observed.source ?? "agent");
      }
      partition.offset = record.offset + 1;
      partition.dirty = true;
    }
    await this.#emit(findings);
    await this.#checkpoint(batch.partition, false);
  }

  /** Adds the external classifier's scores to the events it judges; on failure, logs, counts and goes on without. */
  async #consultClassifier(events: (ObservedEvent | undefined)[]): Promise<void> {
    const classifier = this.#o.classifier;
    if (!classifier) return;
    const targets = events.flatMap((observed) => {
      const input = observed && injectionInput(observed.event);
      return observed && input ? [{ observed, input }] : [];
    });
    // The chunks of a batch go out together: a slow server costs a batch one timeout, not one
    // per chunk (and its circuit breaker stops the calls while it keeps failing).
    const chunks: (typeof targets)[] = [];
    for (let i = 0; i < targets.length; i += 64) chunks.push(targets.slice(i, i + 64));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const scores = await classifier.classify(chunk.map((t) => t.input));
          chunk.forEach((t, j) => {
            t.observed.signals = { ...t.observed.signals, injection: scores[j] as number };
          });
        } catch (err) {
          this.#o.metrics.consumerErrors.inc({ group: `${DETECTOR_GROUP}:classifier` });
          this.#o.logger.warn(
            { err, events: chunk.length },
            "injection classifier failed; these events are judged by the built-in rules only",
          );
        }
      }),
    );
  }

  async #tick(): Promise<void> {
    const now = this.#o.now();
    const entities = new Map<string, number>();
    for (const [number, partition] of this.#partitions) {
      const findings: Finding[] = [];
      for (const detector of this.#o.detectors) {
        if (!detector.tick) continue;
        const tick = detector.tick.bind(detector);
        const state = partition.states[detector.name];
        const before = detector.size?.(state);
        const raised = this.#run(detector, partition, () => tick(state, now));
        findings.push(...raised);
        if (raised.length > 0) partition.touched.add(detector.name);
        if (before !== undefined && detector.size) {
          const after = detector.size(state);
          if (after !== before) partition.touched.add(detector.name);
          if (after < before)
            this.#o.metrics.detectorEvictions.inc({ detector: detector.name }, before - after);
          entities.set(detector.name, (entities.get(detector.name) ?? 0) + after);
        }
      }
      if (findings.length > 0) {
        // A finding raised by the clock changed the state (e.g. "already alerted"): keep it.
        partition.dirty = true;
        await this.#emit(findings);
      }
      await this.#checkpoint(number, false);
    }
    for (const [detector, count] of entities) this.#o.metrics.detectorEntities.set({ detector }, count);
  }

  /** Runs one detector step; a detector that throws is logged and counted, and the stream goes on. */
  #run(detector: Detector, partition: PartitionState, step: () => Finding[]): Finding[] {
    try {
      return step();
    } catch (err) {
      this.#o.logger.error(
        { err, detector: detector.name, offset: partition.offset },
        "detector failed on an event",
      );
      this.#o.metrics.consumerErrors.inc({ group: `${DETECTOR_GROUP}:${detector.name}` });
      return [];
    }
  }

  /** The event of a record, or why it is not one (the record then goes to the dead-letter topic). */
  #decode(record: BusRecord): ObservedEvent | string {
    try {
      const ingested = JSON.parse(record.value) as IngestedEvent;
      const stated = Date.parse(ingested.event.time);
      if (Number.isNaN(stated)) return `event time ${ingested.event.time} is not a timestamp`;
      const received = Date.parse(ingested.received_at);
      if (Number.isNaN(received)) return `received_at ${ingested.received_at} is not a timestamp`;
      // The one place event time is disciplined: detectors get it within the skew of arrival,
      // and `received` (agentwatch's clock) for everything that evicts or ends a day.
      const time = Math.min(Math.max(stated, received - this.#o.maxBehindMs), received + this.#o.maxAheadMs);
      const since = Date.parse(ingested.while_paused?.since ?? "");
      const deliveredAt = Date.parse(ingested.while_paused?.delivered_at ?? "");
      const paused = Number.isNaN(since) || Number.isNaN(deliveredAt) ? undefined : { since, deliveredAt };
      const conflict = ingested.id_conflict;
      const reusedId =
        conflict && ingested.event_hash
          ? {
              id: conflict.id,
              firstHash: conflict.event_hash,
              hash: ingested.event_hash,
              token: ingested.token,
            }
          : undefined;
      return {
        event: ingested.event,
        time,
        received,
        ...(paused ? { paused } : {}),
        ...(reusedId ? { reusedId } : {}),
        ...(appendedByProvider(ingested.token) && ingested.event.type === "llm_usage"
          ? { source: "provider" as const }
          : {}),
      };
    } catch (err) {
      return `not an event record: ${(err as Error).message}`;
    }
  }

  async #emit(findings: Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const detectedAt = new Date(this.#o.now()).toISOString();
    for (const f of findings) f.detected_at = detectedAt;
    this.#o.agentMetrics?.findings(findings);
    await this.#o.bus.append(
      Topics.findings,
      findings.map((f) => ({ key: f.agent_id, value: JSON.stringify(f) })),
    );
    for (const f of findings)
      this.#o.metrics.detectorFindings.inc({ detector: f.detector, severity: f.severity });
  }

  async #checkpoint(number: number, force: boolean): Promise<void> {
    const partition = this.#partitions.get(number);
    if (!partition?.dirty) return;
    const now = this.#o.now();
    // A large state (a flood of distinct users up to the entity caps) costs real time to write:
    // checkpoints then come at most every CHECKPOINT_COST_FACTOR × their cost, so writing them
    // takes at most a few percent of the detector's time. Until the next one, a crash replays
    // a little more of the log (findings keep their ids, the alerter drops the repeats).
    const interval = Math.max(this.#o.checkpointIntervalMs, CHECKPOINT_COST_FACTOR * (partition.costMs ?? 0));
    if (!force && now - partition.lastCheckpoint < interval) return;
    const started = performance.now();
    // The same JSON as the whole body stringified at once, assembled from per-detector pieces.
    const pieces: string[] = [];
    for (const [name, value] of Object.entries(partition.states)) {
      let piece = partition.pieces.get(name);
      if (piece === undefined || partition.touched.has(name)) {
        piece = JSON.stringify(value ?? null);
        partition.pieces.set(name, piece);
      }
      pieces.push(`${JSON.stringify(name)}:${piece}`);
    }
    partition.touched.clear();
    const state = `{"version":${CHECKPOINT_VERSION},"states":{${pieces.join(",")}}}`;
    await this.#o.storage.saveCheckpoint({
      consumer: DETECTOR_GROUP,
      partition: number,
      offset: partition.offset,
      state,
      saved_at: now,
    });
    partition.bytes = state.length;
    partition.costMs = performance.now() - started;
    let bytes = 0;
    for (const p of this.#partitions.values()) bytes += p.bytes ?? 0;
    this.#o.metrics.detectorStateBytes.set(bytes);
    partition.dirty = false;
    partition.lastCheckpoint = now;
    this.#o.metrics.detectorCheckpoints.inc();
    this.#o.metrics.detectorLastCheckpoint.set(now / 1000);
  }
}

/** For each event type, the detectors that declared it (or declared none). */
export function routeByType(detectors: Detector[]): Map<string, Detector[]> {
  return new Map(
    EVENT_TYPES.map((type) => [
      type,
      detectors.filter((d) => d.eventTypes === undefined || d.eventTypes.includes(type)),
    ]),
  );
}
