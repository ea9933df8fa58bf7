/**
 * The detector contract. A detector is pure: `update(state, event, eventTime)` looks only at its
 * arguments, does no I/O, reads no clock and logs nothing. It may mutate the state it was given
 * (the runner owns that object); the state must be plain JSON data, because the runner
 * checkpoints it with the bus offset and restores it after a restart.
 *
 * Finding ids must be deterministic (a function of the detector, the entity and the triggering
 * event), so replaying events after a crash raises the same ids and the alerter drops the repeats.
 */
import type { z } from "zod";
import type { AgentEvent, EventType, Finding } from "../lib/events.ts";

export type { AgentEvent, Finding };

export interface ObservedEvent {
  event: AgentEvent;
  /** `event.time` as epoch milliseconds: when it happened, by the agent's clock. */
  time: number;
  /**
   * When agentwatch received it (epoch ms), by agentwatch's clock. Detectors that compare with
   * the runner's clock (silence) use this, so an agent with a skewed clock is not misjudged.
   */
  received?: number;
  /** Scores from external classifiers the runner consulted for this event (0..1). */
  signals?: { injection?: number };
  /** Set when the event arrived while its agent's pause had been delivered (epoch ms). */
  paused?: { since: number; deliveredAt: number };
  /**
   * Set when the event came under an id its agent had already used for other content and is
   * kept under a new one (`event.id`): the id as sent, the content hashes of the event first
   * stored under it and of this one, and the name of the token that sent this one. Set by the
   * runner from the collector's (or indexer's) mark, never from the event's own fields.
   */
  reusedId?: { id: string; firstHash: string; hash: string; token: string };
  /**
   * "provider" for llm_usage from a provider's own usage records (services/providers), set by the
   * runner from who appended the record (never from the event's fields, which an agent writes):
   * its tokens are what the provider counted on `usage.api_key_id` in the bucket, beyond what
   * earlier reports of the same bucket counted. Absent: the agent reported it.
   */
  source?: "provider";
}

export interface Detector<State = unknown> {
  /** Stable identifier (contract §4), e.g. `auth_bruteforce`. */
  readonly name: string;
  /**
   * The event types `update` looks at; the runner gives it no others (it would return nothing for
   * them anyway). Absent: every event (detectors that track all activity, like agent_silent).
   */
  readonly eventTypes?: readonly EventType[];
  /** The state of a detector that has seen nothing. */
  initialState(): State;
  update(state: State, observed: ObservedEvent): Finding[];
  /**
   * Called about once a second with the runner's clock, for detectors that react to the passing
   * of time or evict idle entities. Optional.
   */
  tick?(state: State, now: number): Finding[];
  /**
   * How many entities (users, keys, principals, ...) the state holds: the runner exposes it as
   * agentwatch_detector_entities and counts what a tick drops as evictions. Optional.
   */
  size?(state: State): number;
}

/** What a detector may know of the configured agents (agents[] in the config). */
export interface AgentSettings {
  id: string;
  /** Hosts its tool calls may reach (exfiltration). */
  allowed_hosts?: string[] | undefined;
  /** Its own daily spend cap (spend_cap). */
  daily_cap_usd?: number | undefined;
}

/**
 * How a detector declares itself, once (detectors/registry.ts lists them all): the key of its
 * settings under `detectors:` (and `agents[].detectors`), the schema of those settings with their
 * documented defaults, and the factory. The detectors it creates name themselves and the event
 * types they read (Detector.name, Detector.eventTypes).
 */
export interface DetectorDefinition<Schema extends z.ZodType = z.ZodType, Key extends string = string> {
  key: Key;
  settings: Schema;
  /**
   * The detectors these settings run: none when disabled. `all` is every detector's settings,
   * for the few that depend on another's (new_tool shares tool_shift's decay, injection_attempt
   * runs with injection_rate's).
   */
  create(settings: z.output<Schema>, context: DetectorContext): Detector[];
}

/** A provider whose usage records agentwatch reads (config `providers`), as the detectors need it. */
export interface ProviderSettings {
  name: string;
  /** `usage.provider` of its records and of the agents' reports of the same calls. */
  type: string;
  /** Which key ids belong to which agents. */
  keys: readonly { id: string; agent: string }[];
  /** Key ids in use outside the agents. */
  expected_keys: readonly string[];
  /** How long after a bucket ends its figures are complete (ms). */
  lag: number;
}

export interface DetectorContext {
  agents: readonly AgentSettings[];
  /**
   * The providers whose usage records are read: for their keys the records count (token_spike's
   * and spend_cap's keys), and the agents' reports count for agents and users.
   */
  providers: readonly ProviderSettings[];
  /** Every detector's validated settings, by key (a definition reads only those it depends on). */
  all: Readonly<Record<string, unknown>>;
}

/** Declares a detector (typing its factory's settings from its schema). */
export function defineDetector<const Key extends string, Schema extends z.ZodType>(
  key: Key,
  definition: Omit<DetectorDefinition<Schema, Key>, "key">,
): DetectorDefinition<Schema, Key> {
  return { key, ...definition };
}
