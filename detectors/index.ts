import { newRecord } from "./record.ts";
import { DETECTOR_DEFINITIONS, type DetectorsSettings } from "./registry.ts";
import type { AgentSettings, Detector, ProviderSettings } from "./types.ts";

/**
 * The detectors the config enables, in a fixed order. `agents` gives per-agent settings
 * (allowlists, caps); `overrides` gives agents their own detector settings (agents[].detectors,
 * merged at load): those agents' events go to detectors built from their settings, with state of
 * their own, and everyone else's to the defaults.
 */
export function createDetectors(
  config: DetectorsSettings,
  agents: readonly AgentSettings[] = [],
  overrides: Record<string, DetectorsSettings> = {},
  providers: readonly ProviderSettings[] = [],
): Detector[] {
  const defaults = buildDetectors(config, agents, providers);
  const ids = Object.keys(overrides);
  if (ids.length === 0) return defaults;
  const perAgent = new Map(
    ids.map((id) => [id, buildDetectors(overrides[id] as DetectorsSettings, agents, providers)]),
  );
  const names = [...new Set([...defaults, ...[...perAgent.values()].flat()].map((d) => d.name))];
  return names.map((name) =>
    perAgentDetector(
      name,
      defaults.find((d) => d.name === name),
      new Map(ids.map((id) => [id, perAgent.get(id)?.find((d) => d.name === name)])),
    ),
  );
}

interface PerAgentState {
  default: unknown;
  agents: Record<string, unknown>;
}

/** One detector name, routed by agent: overridden agents to their own instance and state. */
function perAgentDetector(
  name: string,
  fallback: Detector | undefined,
  agents: Map<string, Detector | undefined>,
): Detector<PerAgentState> {
  const all = [fallback, ...agents.values()].filter((d): d is Detector => d !== undefined);
  const eventTypes = all.some((d) => d.eventTypes === undefined)
    ? undefined
    : [...new Set(all.flatMap((d) => d.eventTypes ?? []))];
  return {
    name,
    ...(eventTypes ? { eventTypes } : {}),
    initialState: () => ({ default: fallback?.initialState(), agents: newRecord() }),
    update(state, observed) {
      const id = observed.event.agent_id;
      if (!agents.has(id)) return fallback ? fallback.update(state.default, observed) : [];
      const own = agents.get(id);
      if (!own) return []; // disabled for this agent
      state.agents[id] ??= own.initialState();
      return own.update(state.agents[id], observed);
    },
    size(state) {
      let n = fallback?.size ? fallback.size(state.default) : 0;
      for (const [id, own] of agents)
        if (own?.size && state.agents[id] !== undefined) n += own.size(state.agents[id]);
      return n;
    },
    tick(state, now) {
      const findings = fallback?.tick ? fallback.tick(state.default, now) : [];
      for (const [id, own] of agents) {
        if (own?.tick && state.agents[id] !== undefined) findings.push(...own.tick(state.agents[id], now));
      }
      return findings;
    },
  };
}

function buildDetectors(
  settings: DetectorsSettings,
  agents: readonly AgentSettings[],
  providers: readonly ProviderSettings[],
): Detector[] {
  const context = { agents, providers, all: settings as Readonly<Record<string, unknown>> };
  return DETECTOR_DEFINITIONS.flatMap((definition) =>
    // Each definition's create takes its own settings: the table pairs them by key.
    (definition.create as (settings: unknown, c: typeof context) => Detector[])(
      settings[definition.key],
      context,
    ),
  );
}
