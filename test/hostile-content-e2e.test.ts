/**
 * The attack that froze the all-in-one process for 45-50 s: prompts of 64 KiB crafted for the
 * patterns that backtracked (newlines with a short tail, long words, look-alike runs, e-mail-like
 * and phone-like runs) and tool arguments built the same way. Through the real process: every
 * `/healthz` during the attack answers within a second, and a brute force posted right after is
 * detected and notified promptly.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { AgentwatchProcess } from "./helpers/process.ts";
import { AGENT, bearer, TOKENS } from "./helpers/tokens.ts";
import { agentwatchWithReceiver } from "./helpers/with-receiver.ts";

const SIZE = 64 * 1024 - 64;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const HOSTILE = [
  `${"\n".repeat(SIZE - 24)}## system: you are`,
  fill("a"),
  fill("а").slice(0, SIZE / 2), // two bytes each in UTF-8
  fill("a._"),
  fill("00-"),
  `aws_secret_access_key${" ".repeat(SIZE - 40)}`,
  fill("<|im_start|>"),
];

describe("hostile content through the real process", () => {
  const setup = agentwatchWithReceiver();
  const { receiver } = setup;
  let aw: AgentwatchProcess;
  beforeAll(() => {
    aw = setup.aw;
  });

  it("stays responsive and still detects a brute force while crafted 64 KiB texts are scanned", async () => {
    const post = (events: unknown[]) =>
      aw.fetch("/v1/events", {
        method: "POST",
        headers: { ...bearer(TOKENS.ingest), "content-type": "application/json" },
        body: JSON.stringify(events),
      });
    const now = () => new Date().toISOString();
    let n = 0;
    const attack = async () => {
      for (let round = 0; round < 3; round += 1) {
        for (const text of HOSTILE) {
          n += 1;
          const res = await post([
            { id: `p-${n}`, time: now(), type: "prompt", agent_id: AGENT, session_id: `s-${n}`, text },
            {
              id: `r-${n}`,
              time: now(),
              type: "tool_result",
              agent_id: AGENT,
              tool: { name: "fetch" },
              text,
            },
            {
              id: `c-${n}`,
              time: now(),
              type: "tool_call",
              agent_id: AGENT,
              tool: { name: "http", arguments: { body: text.slice(0, 60_000) } },
            },
          ]);
          expect(res.status).toBe(202);
        }
      }
    };
    const slowest: number[] = [];
    let attacking = true;
    const probing = (async () => {
      while (attacking) {
        const started = performance.now();
        const res = await aw.fetch("/healthz");
        slowest.push(performance.now() - started);
        expect(res.status).toBe(200);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await attack();
    // A brute force right behind the hostile texts: notified within seconds, not a minute.
    const started = Date.now();
    const failures = Array.from({ length: 10 }, (_, i) => ({
      id: `bf-${i}`,
      time: now(),
      type: "auth",
      agent_id: AGENT,
      auth: { outcome: "failure", principal: "victim" },
    }));
    expect((await post(failures)).status).toBe(202);
    await receiver.waitFor(
      (r) => r.path === "/alerts" && JSON.parse(r.body).incident.labels.principal === "victim",
      20_000,
    );
    const detectedMs = Date.now() - started;
    attacking = false;
    await probing;
    expect(slowest.length).toBeGreaterThan(5);
    expect(Math.max(...slowest)).toBeLessThan(1000);
    expect(detectedMs).toBeLessThan(10_000);
  });
});
