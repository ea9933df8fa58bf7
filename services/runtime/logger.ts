import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

export type { Logger };

export type LogFormat = "auto" | "json" | "pretty";

/**
 * Structured JSON logs on stdout. Header and secret fields are redacted as a second line of
 * defence; the first is that secrets are `Secret` values that print as `<secret>`. On a terminal
 * (format `auto`) or with `log.format: pretty`, each record is one readable line instead:
 * `10:04:12 WARN  alerter  agent paused by policy  incident=inc_1 policy=leaks`.
 */
export function createLogger(level: string, role = "all", format: LogFormat = "auto"): Logger {
  const pretty = format === "pretty" || (format === "auto" && process.stdout.isTTY === true);
  return pino(
    {
      level,
      base: { service: "agentwatch", role, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["req.headers.authorization", "headers.authorization", "*.token", "*.secret", "*.password"],
        censor: "<secret>",
      },
    },
    pretty ? prettyStream() : undefined,
  );
}

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const QUIET = new Set(["level", "time", "msg", "service", "role", "pid", "component", "hostname"]);

/** One readable line per record: time, level, component, message, then the other fields. */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record.time === "string" ? record.time.slice(11, 19) : "";
  const level = (LEVELS[record.level as number] ?? String(record.level)).padEnd(5);
  const component = typeof record.component === "string" ? `${record.component}  ` : "";
  const fields = Object.entries(record)
    .filter(([key]) => !QUIET.has(key))
    .map(([key, value]) => {
      if (key === "err" && value && typeof value === "object") {
        const err = value as { message?: string; stack?: string };
        return `err=${JSON.stringify(err.message ?? "")}${err.stack ? `\n${err.stack}` : ""}`;
      }
      return `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`;
    });
  return `${time} ${level} ${component}${String(record.msg ?? "")}${fields.length > 0 ? `  ${fields.join(" ")}` : ""}\n`;
}

function prettyStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") process.stdout.write(formatPretty(line));
      }
      done();
    },
  });
}
