/** Turns a POST /v1/events body (object, array or NDJSON) into items to validate. */
import { AgentwatchError } from "../runtime/errors.ts";

export type BodyItem = { ok: true; value: unknown } | { ok: false; error: string };

/** `body` is what the content-type parser produced: parsed JSON, or the NDJSON text. */
export function bodyItems(body: unknown, ndjson: boolean, maxEvents: number): BodyItem[] {
  let items: BodyItem[];
  if (ndjson) {
    items = [];
    const lines = String(body ?? "").split("\n");
    lines.forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === "") return;
      try {
        items.push({ ok: true, value: JSON.parse(trimmed) });
      } catch (err) {
        items.push({ ok: false, error: `line ${i + 1} is not valid JSON: ${(err as Error).message}` });
      }
    });
  } else if (Array.isArray(body)) {
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
  if (items.length > maxEvents) {
    throw new AgentwatchError(
      "tooManyEvents",
      `the body has ${items.length} events; at most ${maxEvents} are accepted per request: split it`,
    );
  }
  return items;
}
