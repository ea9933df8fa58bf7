/**
 * canonicalJson covers every byte of a record (issue 30): a value under `__proto__` or
 * `constructor` changes the hash, no nesting depth throws, and ordinary records serialize exactly
 * as before (stored chains keep verifying).
 */
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHashOf } from "./integrity.ts";

/** The earlier form: sorted keys assigned into a new object, then JSON.stringify. */
function previousCanonicalJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const inner = (v as Record<string, unknown>)[key];
        if (inner !== undefined) out[key] = sortKeys(inner);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

describe("canonicalJson", () => {
  it("writes ordinary records exactly as before", () => {
    const records: unknown[] = [
      { b: 1, a: [3, { z: null, y: 'é\u2028"q"' }, undefined], c: { e: true, d: -0.5e-7 } },
      { id: "e1", type: "tool_call", tool: { name: "x", arguments: { deep: [[[]]], n: 1e21 } }, text: "" },
      [],
      {},
      "text",
      42,
      null,
      {
        emoji: "😀",
        keys: { "10": 1, "9": 2, A: 3, a: 4, _: 5, "01": 6, "4294967295": 7, "4294967294": 8, "-1": 9 },
      },
      { missing: undefined, fn: () => 1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY },
    ];
    for (const record of records) expect(canonicalJson(record)).toBe(previousCanonicalJson(record));
  });

  it("covers the value under every key, __proto__ and constructor included", () => {
    for (const key of ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]) {
      const stored = JSON.parse(`{"attributes": {"${key}": {"amount": 10}}, "id": "e1"}`);
      const edited = JSON.parse(`{"attributes": {"${key}": {"amount": 99}}, "id": "e1"}`);
      expect(canonicalJson(stored), key).toContain(`"${key}":{"amount":10}`);
      expect(contentHashOf(stored), key).not.toBe(contentHashOf(edited));
    }
  });

  it("serializes any nesting depth without throwing", () => {
    const depth = 200_000;
    const text = `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    let nested: unknown = 1;
    for (let i = 0; i < depth; i += 1) nested = [nested];
    expect(canonicalJson(nested)).toBe(text);
    let objects: unknown = "x";
    for (let i = 0; i < depth; i += 1) objects = { k: objects };
    expect(canonicalJson(objects).length).toBe(depth * 6 + 3);
  });
});
