/**
 * pii_leak and secret_leak: personal data (e-mail, cards, SSNs, SINs, IBANs, phone numbers) and
 * secrets (API keys, tokens, private keys) in what an agent answered or sent to a tool. Evidence
 * is a redacted excerpt and counts per type: a finding never carries a value.
 *
 * Stateless. Findings are keyed by session (or the agent when there is none), so the leaks of one
 * conversation join one incident.
 */

import { isSupportedCountry } from "libphonenumber-js/max";
import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { severity } from "../lib/settings.ts";
import { argumentsJson } from "./event-text.ts";
import { findingId } from "./finding-id.ts";
import { DEFAULT_PHONE_REGIONS } from "./phone.ts";
import {
  redactedExcerpt,
  SENSITIVE_TYPES,
  type SensitiveMatch,
  type SensitiveType,
  scanSensitive,
} from "./sensitive.ts";
import { type AgentEvent, type Detector, defineDetector, type Finding } from "./types.ts";

export interface DataLeakOptions {
  /** Types not reported (e.g. `email` for an agent whose job is to show addresses). */
  ignore: readonly SensitiveType[];
  severity: Severity;
  /** pii_leak only: types that raise the finding to critical. */
  criticalTypes: readonly SensitiveType[];
  /** Regions phone numbers without a country code are read in (phone.ts). */
  phoneRegions?: readonly string[];
}

export function piiLeak(options: DataLeakOptions): Detector<Record<string, never>> {
  return dataLeak("pii_leak", "pii", options);
}

export function secretLeak(options: DataLeakOptions): Detector<Record<string, never>> {
  return dataLeak("secret_leak", "secret", options);
}

/** The texts of an event that leave the agent: its answer, or what it sends to a tool. */
export function outboundTexts(event: AgentEvent): [place: string, text: string][] {
  if (event.type === "response" && event.text) return [["response", event.text]];
  if (event.type === "tool_call" && event.tool) {
    const out: [string, string][] = [];
    if (event.tool.arguments) out.push([`arguments of tool ${event.tool.name}`, argumentsJson(event)]);
    if (event.tool.target) out.push([`target of tool ${event.tool.name}`, event.tool.target]);
    return out;
  }
  return [];
}

function dataLeak(
  name: "pii_leak" | "secret_leak",
  category: SensitiveMatch["category"],
  options: DataLeakOptions,
): Detector<Record<string, never>> {
  return {
    name,
    eventTypes: ["response", "tool_call"],
    initialState: () => ({}),
    update(_state, { event, time }) {
      const counts: Record<string, number> = {};
      const where: string[] = [];
      const cutShort: string[] = [];
      let excerpt = "";
      for (const [place, text] of outboundTexts(event)) {
        const { matches: found, truncated } = scanSensitive(text, options.phoneRegions);
        if (truncated && category === "pii" && !options.ignore.includes("phone")) cutShort.push(place);
        const matches = found.filter((m) => m.category === category && !options.ignore.includes(m.type));
        if (matches.length === 0) continue;
        where.push(place);
        for (const m of matches) counts[m.type] = (counts[m.type] ?? 0) + 1;
        if (!excerpt) excerpt = redactedExcerpt(text, found);
      }
      const scope = event.session_id ? `session:${event.session_id}` : "agent";
      const findings: Finding[] =
        cutShort.length > 0 ? [scanTruncated(name, event, time, scope, cutShort)] : [];
      if (where.length === 0) return findings;
      const kinds = Object.keys(counts) as SensitiveType[];
      const severity =
        category === "secret" || kinds.some((k) => options.criticalTypes.includes(k))
          ? "critical"
          : options.severity;
      const what = kinds.map((k) => `${counts[k]} ${k}`).join(", ");
      const finding: Finding = {
        id: findingId(name, `${event.agent_id}|${scope}`, event.id),
        detector: name,
        agent_id: event.agent_id,
        ...(event.session_id ? { session_id: event.session_id } : {}),
        key: scope,
        time: new Date(time).toISOString(),
        severity,
        score: severity === "critical" ? 1 : 0.6,
        observed: { types: counts, where, excerpt },
        baseline: null,
        event_ids: [event.id],
        title: `${category === "secret" ? "Secret" : "Personal data"} in the output of ${event.agent_id}`,
        summary: `${event.agent_id} put ${what} into its ${where.join(" and ")}${
          event.session_id ? ` (session ${event.session_id})` : ""
        }`,
        labels: { types: kinds.join(","), ...(event.user_id ? { user_id: event.user_id } : {}) },
      };
      return [finding, ...findings];
    },
  };
}

/**
 * A text with more phone-like numbers than the scan's budget reads (phone.ts): the rest of it
 * was not checked. Said, never silent: text made to cost the scanner is itself a sign, and a
 * leak could hide behind it.
 */
function scanTruncated(
  name: string,
  event: AgentEvent,
  time: number,
  scope: string,
  places: string[],
): Finding {
  return {
    id: findingId(`${name}:scan_truncated`, `${event.agent_id}|${scope}`, event.id),
    detector: name,
    agent_id: event.agent_id,
    ...(event.session_id ? { session_id: event.session_id } : {}),
    key: `${scope}:scan_truncated`,
    time: new Date(time).toISOString(),
    severity: "warning",
    score: 0.5,
    observed: { scan_truncated: true, where: places },
    baseline: null,
    event_ids: [event.id],
    title: `Personal-data scan of ${event.agent_id}'s output cut short`,
    summary: `${event.agent_id}'s ${places.join(" and ")} held more phone-like numbers than pii_leak reads in one event; the rest was not checked for phone numbers (scan_truncated)`,
    labels: { types: "scan_truncated", ...(event.user_id ? { user_id: event.user_id } : {}) },
  };
}

/** `detectors.pii_leak`. */
export const piiLeakDefinition = defineDetector("pii_leak", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Types not reported, e.g. [email, phone] for an agent whose job is to show contact details. */
    ignore: z.array(z.enum(SENSITIVE_TYPES)).default([]),
    /** Types that make the finding critical. */
    critical_types: z.array(z.enum(SENSITIVE_TYPES)).default(["credit_card", "us_ssn", "ca_sin"]),
    severity: severity.default("warning"),
    /** Regions (ISO 3166 codes) a phone number without a country code is read in. */
    phone_regions: z
      .array(
        z
          .string()
          .refine(
            (code) => isSupportedCountry(code),
            "must be a region code libphonenumber knows, e.g. US, GB, DE",
          ),
      )
      .min(1)
      .default([...DEFAULT_PHONE_REGIONS]),
  }),
  create: (s) =>
    s.enabled
      ? [
          piiLeak({
            ignore: s.ignore,
            criticalTypes: s.critical_types,
            severity: s.severity,
            // The default list itself, when it is the default: findSensitive then shares its cache
            // with secret_leak, which scans the same texts.
            ...(s.phone_regions.join(",") === DEFAULT_PHONE_REGIONS.join(",")
              ? {}
              : { phoneRegions: s.phone_regions }),
          }) as Detector,
        ]
      : [],
});

/** `detectors.secret_leak`. */
export const secretLeakDefinition = defineDetector("secret_leak", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    ignore: z.array(z.enum(SENSITIVE_TYPES)).default([]),
  }),
  create: (s) =>
    s.enabled ? [secretLeak({ ignore: s.ignore, criticalTypes: [], severity: "critical" }) as Detector] : [],
});
