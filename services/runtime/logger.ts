import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Structured JSON logs on stdout. Header and secret fields are redacted as a second line of
 * defence; the first is that secrets are `Secret` values that print as `<secret>`.
 */
export function createLogger(level: string, role = "all"): Logger {
  return pino({
    level,
    base: { service: "agentwatch", role, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["req.headers.authorization", "headers.authorization", "*.token", "*.secret", "*.password"],
      censor: "<secret>",
    },
  });
}
