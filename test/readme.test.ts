/** The README's event reference: every example is an event ingest accepts, one per event type. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventValidator } from "../services/collector/event-schema.ts";
import { EVENT_TYPES } from "../services/runtime/model.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README event reference", () => {
  it("has a valid example for every event type", () => {
    const section = readme.slice(readme.indexOf("## Event reference"), readme.indexOf("## API"));
    const examples = [...section.matchAll(/`(\{"id":[^`]+\})`/g)].map((m) => JSON.parse(m[1] as string));
    const validator = new EventValidator({
      maxTextBytes: 65_536,
      maxAttributesBytes: 8192,
      maxToolArgumentsBytes: 65_536,
      maxAheadMs: 300_000,
      maxBehindMs: 30 * 86_400_000,
    });
    for (const example of examples)
      expect(validator.validate(example), JSON.stringify(example)).toMatchObject({ ok: true });
    expect(examples.map((e) => e.type).sort()).toEqual([...EVENT_TYPES].sort());
  });
});
