import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../services/runtime/model.ts";
import { piiLeak, secretLeak } from "./data-leak.ts";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const pii = piiLeak({ ignore: [], severity: "warning", criticalTypes: ["credit_card", "us_ssn", "ca_sin"] });
const secrets = secretLeak({ ignore: [], severity: "critical", criticalTypes: [] });
const KEY = "sk-proj-Zx9Qm2Lr7Tb4Wc8Yd1Fg5Hj3Kn6Pq0Rs";

const observe = (event: Partial<AgentEvent>) => ({
  event: {
    id: "r1",
    time: new Date(T0).toISOString(),
    agent_id: "bot",
    session_id: "s1",
    ...event,
  } as AgentEvent,
  time: T0,
});

describe("pii_leak and secret_leak", () => {
  it("reports personal data in a response with a redacted excerpt, never the value", () => {
    const [finding] = pii.update(
      {},
      observe({ type: "response", text: "Your SSN on file is 536-32-3065 and mail jane@shop.example." }),
    );
    expect(finding).toMatchObject({
      detector: "pii_leak",
      severity: "critical",
      key: "session:s1",
      session_id: "s1",
      observed: { types: { us_ssn: 1, email: 1 }, where: ["response"] },
    });
    expect(JSON.stringify(finding)).not.toContain("536-32-3065");
    expect(JSON.stringify(finding)).not.toContain("jane@shop.example");
    expect((finding!.observed as { excerpt: string }).excerpt).toContain("[REDACTED:us_ssn]");
  });

  it("reports secrets in tool arguments as critical secret_leak, and not as pii", () => {
    const event = observe({
      type: "tool_call",
      tool: { name: "http_post", arguments: { body: `token=${KEY}` } },
    });
    const [finding] = secrets.update({}, event);
    expect(finding).toMatchObject({
      detector: "secret_leak",
      severity: "critical",
      observed: { types: { openai_key: 1 } },
    });
    expect(JSON.stringify(finding)).not.toContain(KEY);
    expect(pii.update({}, event)).toEqual([]);
  });

  it("ignores prompts, clean output and ignored types", () => {
    expect(pii.update({}, observe({ type: "prompt", text: "my SSN is 536-32-3065" }))).toEqual([]);
    expect(pii.update({}, observe({ type: "response", text: "Your order ships tomorrow." }))).toEqual([]);
    const mailOk = piiLeak({ ignore: ["email"], severity: "warning", criticalTypes: [] });
    expect(mailOk.update({}, observe({ type: "response", text: "Contact support@shop.example" }))).toEqual(
      [],
    );
  });
});
