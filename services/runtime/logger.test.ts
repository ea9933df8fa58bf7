import { describe, expect, it } from "vitest";
import { formatPretty } from "./logger.ts";

describe("readable log lines", () => {
  it("turns a JSON record into one line: time, level, component, message, the other fields", () => {
    const line = JSON.stringify({
      level: 40,
      time: "2026-12-01T10:04:12.345Z",
      service: "agentwatch",
      role: "all",
      pid: 7,
      component: "alerter",
      incident: "inc_1",
      policy: "leaks",
      msg: "agent paused by policy",
    });
    expect(formatPretty(line)).toBe(
      "10:04:12 WARN  alerter  agent paused by policy  incident=inc_1 policy=leaks\n",
    );
  });

  it("shows an error's message and stack, and passes through what is not JSON", () => {
    const line = JSON.stringify({
      level: 50,
      time: "2026-12-01T10:00:00.000Z",
      msg: "failed",
      err: { message: "boom", stack: "Error: boom\n    at x" },
    });
    expect(formatPretty(line)).toBe('10:00:00 ERROR failed  err="boom"\nError: boom\n    at x\n');
    expect(formatPretty("plain")).toBe("plain");
  });
});
