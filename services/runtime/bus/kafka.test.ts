import { describe, expect, it } from "vitest";
import { murmur2, partitionFor } from "./kafka.ts";

describe("Kafka partitioning", () => {
  it("hashes keys exactly as the Java client does (Kafka's UtilsTest vectors)", () => {
    const vectors: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, expected] of vectors) expect(murmur2(Buffer.from(key)), key).toBe(expected);
  });

  it("maps a key to a stable partition in range", () => {
    for (const key of ["support-bot", "coding-agent", "a", ""]) {
      const p = partitionFor(key, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(partitionFor(key, 6)).toBe(p);
    }
  });
});
