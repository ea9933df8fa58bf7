/**
 * canary_leak: a configured canary string or honeytoken credential (planted in a system prompt,
 * a document or a fake secret store) appears in what an agent answered or in the arguments of a
 * tool it called. Nothing legitimate ever carries a canary, so every sighting is critical.
 *
 * Stateless. The canary's value never leaves this module: findings name the canary.
 */

import { z } from "zod";
import { secret } from "../lib/settings.ts";
import { argumentsJson } from "./event-text.ts";
import { findingId } from "./finding-id.ts";
import { type Detector, defineDetector, type Finding } from "./types.ts";

export interface Canary {
  name: string;
  value: string;
}

export function canaryLeak(canaries: readonly Canary[]): Detector<Record<string, never>> {
  const name = "canary_leak";
  return {
    name,
    eventTypes: ["response", "tool_call"],
    initialState: () => ({}),

    update(_state, { event, time }) {
      const places: [string, string][] = [];
      if (event.type === "response" && event.text) places.push(["response", event.text]);
      if (event.type === "tool_call" && event.tool) {
        if (event.tool.arguments) places.push([`arguments of tool ${event.tool.name}`, argumentsJson(event)]);
        if (event.tool.target) places.push([`target of tool ${event.tool.name}`, event.tool.target]);
      }
      const findings: Finding[] = [];
      for (const canary of canaries) {
        const where = places.filter(([, text]) => text.includes(canary.value)).map(([place]) => place);
        if (where.length === 0) continue;
        findings.push({
          id: findingId(name, `${event.agent_id}|canary:${canary.name}`, event.id),
          detector: name,
          agent_id: event.agent_id,
          ...(event.session_id ? { session_id: event.session_id } : {}),
          key: `canary:${canary.name}`,
          time: new Date(time).toISOString(),
          severity: "critical",
          score: 1,
          observed: { canary: canary.name, where },
          baseline: null,
          event_ids: [event.id],
          title: `Canary "${canary.name}" leaked by ${event.agent_id}`,
          summary: `canary "${canary.name}" appeared in the ${where.join(" and ")} of ${event.agent_id}${
            event.session_id ? ` (session ${event.session_id})` : ""
          }`,
          labels: { canary: canary.name, ...(event.user_id ? { user_id: event.user_id } : {}) },
        });
      }
      return findings;
    },
  };
}

/** `detectors.canary_leak`. */
export const canaryLeakDefinition = defineDetector("canary_leak", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Canary strings and honeytoken credentials; never printed. */
    canaries: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(128),
          value: secret.refine(
            (s) => s.reveal().length >= 8,
            "must be at least 8 characters (shorter ones match by chance)",
          ),
        }),
      )
      .default([]),
  }),
  create: (s) =>
    s.enabled && s.canaries.length > 0
      ? [canaryLeak(s.canaries.map((c) => ({ name: c.name, value: c.value.reveal() }))) as Detector]
      : [],
});
