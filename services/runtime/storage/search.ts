/** Helpers every storage backend shares for event search and paging. */
import { AgentwatchError } from "../errors.ts";
import type { AgentEvent } from "../model.ts";

/** The text `q` searches: the event's text, tool name, arguments and target, error and change fields. */
export function searchableText(event: AgentEvent): string {
  const parts: string[] = [];
  if (event.text) parts.push(event.text);
  if (event.tool) {
    parts.push(event.tool.name);
    if (event.tool.target) parts.push(event.tool.target);
    if (event.tool.arguments) parts.push(JSON.stringify(event.tool.arguments));
  }
  if (event.error?.message) parts.push(event.error.message);
  if (event.error?.code) parts.push(event.error.code);
  if (event.change?.summary) parts.push(event.change.summary);
  return parts.join("\n");
}

export function encodeCursor(...position: (number | string)[]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor(cursor: string): [number, number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isFinite(v))) {
      return value as [number, number];
    }
  } catch {
    // Reported below as a client error.
  }
  throw new AgentwatchError("invalidRequest", "cursor is not one this server returned");
}

/**
 * An events cursor of the Elasticsearch backend: [time (epoch ms), event key] as it returned
 * them. Anything else was not made by this server, and is a client error, not a query to send.
 */
export function decodeEventCursor(cursor: string): [number, string] {
  const values = decodeCursorValues(cursor);
  if (values.length === 2 && Number.isSafeInteger(values[0]) && typeof values[1] === "string") {
    return values as [number, string];
  }
  throw new AgentwatchError("invalidRequest", "cursor is not one this server returned");
}

/** A cursor's position values, as encoded by `encodeCursor` (numbers or strings). */
export function decodeCursorValues(cursor: string): (number | string)[] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((v) => typeof v === "number" || typeof v === "string")
    ) {
      return value as (number | string)[];
    }
  } catch {
    // Reported below as a client error.
  }
  throw new AgentwatchError("invalidRequest", "cursor is not one this server returned");
}
