/**
 * Reused event ids (issue 26). An `(agent_id, id)` that comes again with the same content is a
 * retry: a duplicate, never an error. With other content it is not a retry: the event is kept
 * under another id (the id as sent plus `~` and 16 hex characters of its content hash), run
 * through the detectors like any other, named in the 202 (`conflicts`), and marked
 * (`IngestedEvent.id_conflict`) so that event_id_conflict raises a finding. Dropping it instead
 * let anyone who knows or guesses an agent's ids pre-empt its events (a leak sent under a used id
 * was never scanned), and hid a buggy agent that reuses them.
 *
 * Where the check lives, and why in two places:
 * - The collector asks the bus, through the dedupe index it already keeps, with each event's
 *   content hash beside its id (BusMessage.contentHash). That is the only place that can name a
 *   conflict in the 202, and it costs no read. The embedded log keeps that index on disk for
 *   `bus.retention` (across restarts); Kafka keeps it in the collector's memory, bounded to the
 *   last million ids as before, so it forgets on a restart and knows nothing of other collectors.
 * - The indexer checks every event against storage before storing it, as it already did to store
 *   each id once (durable on both backends, for the events' whole retention, and nothing held in
 *   memory). An event whose id is stored with other content is what the collector could not see:
 *   the indexer appends it to the events topic under the same new id, marked, so it is stored,
 *   judged and alerted exactly as if the collector had caught it. Only the 202 could not name it;
 *   and the detectors also judged it once under the id it was sent with, before it was renamed.
 * Neither place keeps more than it did before: the bus's index grows by one hash per id, and the
 * indexer reads what it read anyway. Where the collector's index no longer holds an id, the
 * first content it sees under it again takes the id there: a later retry of the content stored
 * earlier then counts as a conflict too (kept once more under its own new id, named and raised).
 * Redundant, never lost or hidden.
 *
 * The new id is derived from the content, so a retry of the conflicting event lands on it again
 * and is a duplicate, not a third copy. Someone who knew the content in advance could take that
 * id first with other content; the event then gets a random suffix: kept, at the price of a copy
 * per retry in that case only.
 */
import { randomBytes } from "node:crypto";
import type { AgentEvent } from "../../lib/events.ts";
import { type Bus, type BusMessage, Topics } from "./bus/bus.ts";
import { canonicalJson, sha256 } from "./integrity.ts";
import type { IngestedEvent } from "./model.ts";

/**
 * The content hash of an event as validated: SHA-256 of its canonical JSON (keys sorted at every
 * level, so a retry serialised in another key order is the same content) without `id`. What the
 * collector stamps itself (arrival time, token, pause mark, chain link) lives beside the event in
 * IngestedEvent, so it is left out by construction: a retry arrives later, maybe through another
 * collector. `id` is left out because it is what is being compared (equal on both sides), and so
 * that a stored event still hashes to its `event_hash` after it was kept under another id.
 * Everything the agent wrote counts, `time` included: an event re-sent with a new time is another
 * event to the detectors, whose windows go by it.
 */
export function eventHash(event: AgentEvent): string {
  const { id: _id, ...content } = event;
  return sha256(canonicalJson(content));
}

/** The content hash a stored event was kept with; undefined when it cannot be known. */
export function storedHashOf(stored: IngestedEvent): string | undefined {
  // Stored before hashes were kept: its event is as it arrived, unless it was erased since (an
  // erased event keeps no hash of the personal data it held, and no conflict is claimed on it).
  if (stored.event_hash !== undefined) return stored.event_hash;
  return stored.event.erased === undefined ? eventHash(stored.event) : undefined;
}

/** Characters of the content hash in a kept event's new id: 64 bits, unique per id and content. */
const SUFFIX_HEX = 16;

/**
 * The event kept under a new id because `firstHash`'s content holds its id. The first time, the
 * id as sent plus its content hash; when that was taken too (only someone who knew the content
 * could), plus a random part.
 */
export function keptUnderNewId(ingested: IngestedEvent, firstHash: string): IngestedEvent {
  const hash = ingested.event_hash ?? eventHash(ingested.event);
  const mark = ingested.id_conflict ?? { id: ingested.event.id, event_hash: firstHash };
  const derived = `${mark.id}~${hash.slice(0, SUFFIX_HEX)}`;
  const id = ingested.id_conflict ? `${derived}~${randomBytes(6).toString("hex")}` : derived;
  return { ...ingested, event: { ...ingested.event, id }, event_hash: hash, id_conflict: mark };
}

/** What became of one event given to appendEvents. */
export interface Appended {
  /** False when it was in the log already (a retry): nothing was appended. */
  appended: boolean;
  /** The id it is kept under: the id as sent, or the new one of a conflict. */
  id: string;
  /** Kept under another id than it was sent with (a conflict, now or on an earlier try). */
  renamed: boolean;
}

/** The bus message of an event: deduplicated per agent, with its content hash when it has one. */
function messageOf(ingested: IngestedEvent): BusMessage {
  const e = ingested.event;
  return {
    key: e.agent_id,
    // agent_id cannot contain "/", so the pair is unambiguous; scoping ids by agent keeps one
    // agent's token from suppressing another agent's events by reusing their ids.
    dedupeId: `${e.agent_id}/${e.id}`,
    ...(ingested.event_hash !== undefined ? { contentHash: ingested.event_hash } : {}),
    value: JSON.stringify(ingested),
  };
}

/** As sent, under the content-derived id, under a random one: the last cannot be taken. */
const MAX_ATTEMPTS = 3;

/**
 * Appends events to the events topic, each a retry (not appended), new, or a conflict kept under
 * a new id. Resolves once every appended record is durable; a conflict costs a second append, so
 * a request with none costs what it did before.
 */
export async function appendEvents(bus: Bus, events: readonly IngestedEvent[]): Promise<Appended[]> {
  const out: Appended[] = new Array(events.length);
  let pending = events.map((ingested, index) => ({ index, ingested }));
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const results = await bus.append(
      Topics.events,
      pending.map(({ ingested }) => messageOf(ingested)),
    );
    const again: typeof pending = [];
    pending.forEach(({ index, ingested }, i) => {
      const result = results[i];
      if (!result) throw new Error("the bus answered fewer results than messages");
      if (result.conflict === undefined) {
        out[index] = {
          appended: !result.duplicate,
          id: ingested.event.id,
          renamed: ingested.id_conflict !== undefined,
        };
      } else if (attempt < MAX_ATTEMPTS) {
        again.push({ index, ingested: keptUnderNewId(ingested, result.conflict.contentHash) });
      } else {
        throw new Error(`event id ${ingested.event.id} still conflicts after a random suffix`);
      }
    });
    pending = again;
  }
  return out;
}
