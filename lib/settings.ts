/**
 * The building blocks of agentwatch's settings schema, shared by the config module
 * (services/runtime/config.ts) and the detectors, which declare their own settings
 * (detectors/registry.ts). Durations are given as text ("5m") or milliseconds; secrets become
 * `Secret` values that print as `<secret>`.
 */
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { Secret } from "./secret.ts";

/** A duration, "500ms", "30s", "5m", "1h30m", "7d", or a number of milliseconds. */
export const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (examples: 500ms, 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

export const secret = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .transform((value) => new Secret(value));

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export const httpUrl = z.string().refine(isHttpUrl, "must be an http:// or https:// URL");

/** How urgent a finding or incident is (contract §4). */
export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severity = z.enum(SEVERITIES);
