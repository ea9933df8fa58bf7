/** Turns a POST /v1/events body (object, array or NDJSON) into items to validate. */
import { AgentwatchError } from "../runtime/errors.ts";
import { NdjsonBody } from "./ndjson.ts";

export type BodyItem = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * `body` is what the content-type parser produced: parsed JSON, or the NDJSON lines already read
 * and bounded as they arrived (ndjson.ts).
 */
export function bodyItems(body: unknown, maxEvents: number): BodyItem[] {
  let items: BodyItem[];
  if (body instanceof NdjsonBody) {
    items = body.items;
  } else if (Array.isArray(body)) {
    // Counted before anything is made per element: a 1 MiB array can hold 350,000 of them.
    if (body.length > maxEvents) throw tooMany(body.length, maxEvents);
    items = body.map((value) => ({ ok: true, value }));
  } else if (body !== null && typeof body === "object") {
    items = [{ ok: true, value: body }];
  } else {
    throw new AgentwatchError(
      "invalidRequest",
      "the body must be an event object, an array of events, or NDJSON",
    );
  }
  if (items.length === 0) {
    throw new AgentwatchError("noValidEvents", "the body contains no events");
  }
  if (items.length > maxEvents) throw tooMany(items.length, maxEvents);
  return items;
}

function tooMany(count: number, maxEvents: number): AgentwatchError {
  return new AgentwatchError(
    "tooManyEvents",
    `the body has ${count} events; at most ${maxEvents} are accepted per request (limits.max_events_per_request): split it`,
  );
}
