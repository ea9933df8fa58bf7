/**
 * NDJSON bodies of POST /v1/events, read as they arrive and bounded while reading (issue 30).
 * Splitting a whole body at once made half a million near-empty lines cost 2.6 s of blocked
 * event loop and 300 MiB before the event count was even looked at. Here each chunk is scanned
 * for line ends as it comes; the request is refused (413 `too_many_events`) at the line that
 * passes `maxEvents`, and 413 `payload_too_large` at the byte that passes `maxBodyBytes`, without
 * reading further; a line longer than `maxLineBytes` is not kept, only counted as a rejected
 * event. Memory is one line at most; work is linear in the bytes read.
 */
import type { Readable } from "node:stream";
import { AgentwatchError } from "../runtime/errors.ts";
import type { BodyItem } from "./body.ts";

export interface NdjsonLimits {
  maxBodyBytes: number;
  maxEvents: number;
  /** One event as JSON (limits.max_event_bytes): a longer line is rejected as it is read. */
  maxLineBytes: number;
}

/** What the NDJSON content-type parser hands the route: the lines, parsed, already bounded. */
export class NdjsonBody {
  readonly items: BodyItem[];
  constructor(items: BodyItem[]) {
    this.items = items;
  }
}

const NEWLINE = 0x0a;

export async function readNdjson(
  stream: Readable,
  declaredLength: number | undefined,
  limits: NdjsonLimits,
): Promise<NdjsonBody> {
  if (declaredLength !== undefined && declaredLength > limits.maxBodyBytes) throw bodyTooLarge(limits);
  const items: BodyItem[] = [];
  let line: Buffer[] = [];
  let lineBytes = 0;
  let lineNumber = 0;
  let oversize = false;
  let bodyBytes = 0;

  /** Ends the line made of what is kept in `line` and `bytes[from, to)`. */
  const endLine = (bytes: Buffer, from: number, to: number) => {
    lineNumber += 1;
    if (lineBytes === 0 && !oversize) {
      // The whole line is in this chunk (the usual case): read in place, nothing copied.
      if (to - from > limits.maxLineBytes) addItem(oversizeItem(lineNumber, limits));
      else if (!isBlank(bytes, from, to)) addItem(parseLine(bytes.toString("utf8", from, to), lineNumber));
      return;
    }
    keep(bytes, from, to);
    if (oversize) addItem(oversizeItem(lineNumber, limits));
    else addItem(parseLine(Buffer.concat(line, lineBytes).toString("utf8"), lineNumber));
    line = [];
    lineBytes = 0;
    oversize = false;
  };
  const addItem = (item: BodyItem | undefined) => {
    if (item === undefined) return;
    if (items.length >= limits.maxEvents) {
      throw new AgentwatchError(
        "tooManyEvents",
        `the body has more than ${limits.maxEvents} events; at most ${limits.maxEvents} are accepted per request (limits.max_events_per_request): split it`,
      );
    }
    items.push(item);
  };
  /** Keeps `bytes[from, to)` as part of a line that goes on in the next chunk. */
  const keep = (bytes: Buffer, from: number, to: number) => {
    if (oversize || to === from) return;
    lineBytes += to - from;
    if (lineBytes > limits.maxLineBytes) {
      // Counted, not kept: the rest of the line is skipped up to its end.
      oversize = true;
      line = [];
      return;
    }
    // A copy of the unfinished line alone: a view would keep the whole chunk alive with it.
    line.push(Buffer.from(bytes.subarray(from, to)));
  };

  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    bodyBytes += bytes.length;
    if (bodyBytes > limits.maxBodyBytes) throw bodyTooLarge(limits);
    let start = 0;
    while (start < bytes.length) {
      let from = start;
      if (lineBytes === 0 && !oversize) {
        // Blank lines (allowed between events) are stepped over byte by byte, with no call per
        // line: a body of nothing but newlines costs a scan. Spaces left at the chunk's end are
        // only the indentation of a line that goes on in the next one, and are dropped.
        while (from < bytes.length && isJsonSpace(bytes[from] as number)) {
          if (bytes[from] === NEWLINE) {
            lineNumber += 1;
            start = from + 1;
          }
          from += 1;
        }
        if (from === bytes.length) break;
      }
      const end = bytes.indexOf(NEWLINE, from);
      if (end === -1) {
        keep(bytes, start, bytes.length);
        break;
      }
      endLine(bytes, start, end);
      start = end + 1;
    }
  }
  if (lineBytes > 0 || oversize) endLine(Buffer.alloc(0), 0, 0);
  return new NdjsonBody(items);
}

/** JSON's whitespace: space, tab, carriage return, newline. */
function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === NEWLINE || byte === 0x09 || byte === 0x0d;
}

/** A line of JSON whitespace only (blank lines are allowed between events, and skipped). */
function isBlank(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) if (!isJsonSpace(bytes[i] as number)) return false;
  return true;
}

function parseLine(text: string, lineNumber: number): BodyItem | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch (err) {
    return { ok: false, error: `line ${lineNumber} is not valid JSON: ${(err as Error).message}` };
  }
}

function oversizeItem(lineNumber: number, limits: NdjsonLimits): BodyItem {
  return {
    ok: false,
    error: `line ${lineNumber} is larger than the limit of ${limits.maxLineBytes} bytes for one event (limits.max_event_bytes)`,
  };
}

function bodyTooLarge(limits: NdjsonLimits): AgentwatchError {
  return new AgentwatchError(
    "payloadTooLarge",
    `the body is larger than the server's limit of ${limits.maxBodyBytes} bytes (limits.max_body_bytes)`,
  );
}
