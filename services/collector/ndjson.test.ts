/**
 * The NDJSON reader gives the same lines however the body is cut into chunks (a line, or a
 * multi-byte character, split across chunks), and refuses at the bound it passes.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AgentwatchError } from "../runtime/errors.ts";
import { readNdjson } from "./ndjson.ts";

const limits = { maxBodyBytes: 1 << 20, maxEvents: 10, maxLineBytes: 20 };

function inChunks(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

describe("readNdjson", () => {
  it("reads the same items whatever the chunking: blank lines skipped, long and bad lines rejected by number", async () => {
    const body = `{"a":1}\n\n  \r\n{"é":"ü"}\n${"x".repeat(30)}\nnot json\n{"b":2}`;
    for (const size of [1, 2, 3, 7, 1000]) {
      const { items } = await readNdjson(inChunks(body, size), undefined, limits);
      expect(items, `chunks of ${size}`).toEqual([
        { ok: true, value: { a: 1 } },
        { ok: true, value: { é: "ü" } },
        { ok: false, error: expect.stringMatching(/^line 5 is larger than the limit of 20 bytes/) },
        { ok: false, error: expect.stringMatching(/^line 6 is not valid JSON/) },
        { ok: true, value: { b: 2 } },
      ]);
    }
  });

  it("refuses at the event past maxEvents and at the byte past maxBodyBytes, declared or sent", async () => {
    const tooMany = readNdjson(inChunks("1\n".repeat(11), 4), undefined, limits);
    await expect(tooMany).rejects.toMatchObject({ code: "tooManyEvents" });
    const declared = readNdjson(inChunks("1\n", 2), 2_000_000, limits);
    await expect(declared).rejects.toBeInstanceOf(AgentwatchError);
    await expect(declared).rejects.toMatchObject({ code: "payloadTooLarge" });
    const sent = readNdjson(inChunks(" \n".repeat(600_000), 65_536), undefined, limits);
    await expect(sent).rejects.toMatchObject({ code: "payloadTooLarge" });
  });
});
