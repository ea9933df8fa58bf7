import type { Config, DetectorsConfig } from "../services/runtime/config.ts";
import { agentSilent } from "./agent-silent.ts";
import { authBruteforce } from "./auth-bruteforce.ts";
import { authFailureRate } from "./auth-failure-rate.ts";
import { canaryLeak } from "./canary-leak.ts";
import { piiLeak, secretLeak } from "./data-leak.ts";
import { errorRate } from "./error-rate.ts";
import { DROP_HOSTS, exfiltration } from "./exfiltration.ts";
import { injection } from "./injection-detector.ts";
import { latency } from "./latency.ts";
import { messageRate } from "./message-rate.ts";
import { DEFAULT_PRICES } from "./pricing.ts";
import { newRecord } from "./record.ts";
import { spendCap } from "./spend-cap.ts";
import { tokenSpike } from "./token-spike.ts";
import { newTool, toolShift } from "./tool-usage.ts";
import type { Detector } from "./types.ts";

/**
 * The detectors the config enables, in a fixed order. `agents` gives per-agent settings
 * (allowlists, caps); `overrides` gives agents their own detector settings (agents[].detectors,
 * merged at load): those agents' events go to detectors built from their settings, with state of
 * their own, and everyone else's to the defaults.
 */
export function createDetectors(
  config: DetectorsConfig,
  agents: Config["agents"] = [],
  overrides: Record<string, DetectorsConfig> = {},
): Detector[] {
  const defaults = buildDetectors(config, agents);
  const ids = Object.keys(overrides);
  if (ids.length === 0) return defaults;
  const perAgent = new Map(ids.map((id) => [id, buildDetectors(overrides[id] as DetectorsConfig, agents)]));
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

/** Per-agent settings looked up by the agent id of each event: a record without prototype (record.ts). */
function byAgent<T>(entries: [string, T][]): Record<string, T> {
  const record = newRecord<T>();
  for (const [id, value] of entries) record[id] = value;
  return record;
}

function buildDetectors(config: DetectorsConfig, agents: Config["agents"]): Detector[] {
  const detectors: Detector[] = [];
  const bruteforce = config.auth_bruteforce;
  if (bruteforce.enabled) {
    detectors.push(
      authBruteforce({
        threshold: bruteforce.threshold,
        windowMs: bruteforce.window,
        severity: bruteforce.severity,
      }) as Detector,
    );
  }
  const spend = config.spend_cap;
  if (spend.enabled) {
    detectors.push(
      spendCap({
        caps: spend.daily_cap_usd,
        agentCaps: byAgent(agents.flatMap((a) => (a.daily_cap_usd ? [[a.id, a.daily_cap_usd]] : []))),
        prices: { ...DEFAULT_PRICES, ...spend.prices },
        forecast: spend.forecast,
        forecastSeverity: spend.forecast_severity,
      }) as Detector,
    );
  }
  const failures = config.auth_failure_rate;
  if (failures.enabled) {
    detectors.push(
      authFailureRate({
        windowMs: failures.window,
        distinctThreshold: failures.distinct_threshold,
        successAfter: failures.success_after,
        rateMinFailures: failures.rate_min_failures,
        rateRobustZ: failures.rate_robust_z,
        severity: failures.severity,
      }) as Detector,
    );
  }
  const spike = config.token_spike;
  if (spike.enabled) {
    detectors.push(
      tokenSpike({
        minTokensPerMinute: spike.min_tokens_per_minute,
        robustZ: spike.robust_z,
        minRatio: spike.min_ratio,
        warmupMinutes: spike.warmup_minutes,
        entityTtlMs: spike.entity_ttl,
        severity: spike.severity,
      }) as Detector,
    );
  }
  const shift = config.tool_shift;
  const fresh = config.new_tool;
  const toolOptions = {
    recentHalfLifeMs: shift.recent_half_life,
    baselineHalfLifeMs: shift.baseline_half_life,
    minRecent: shift.min_recent,
    divergence: shift.divergence,
    cooldownMs: shift.cooldown,
    shiftSeverity: shift.severity,
    newToolSeverity: fresh.severity,
  };
  if (shift.enabled) {
    detectors.push(
      toolShift({
        ...toolOptions,
        minBaseline: shift.min_baseline,
        warmupMs: shift.warmup,
        entityTtlMs: shift.entity_ttl,
      }) as Detector,
    );
  }
  if (fresh.enabled) {
    detectors.push(
      newTool({
        ...toolOptions,
        minBaseline: fresh.min_baseline,
        warmupMs: fresh.warmup,
        entityTtlMs: fresh.entity_ttl,
      }) as Detector,
    );
  }
  const exfil = config.exfiltration;
  if (exfil.enabled) {
    detectors.push(
      exfiltration({
        allowlists: byAgent(agents.flatMap((a) => (a.allowed_hosts ? [[a.id, a.allowed_hosts]] : []))),
        dropHosts: [...DROP_HOSTS, ...exfil.extra_drop_hosts],
        flagRawIps: exfil.flag_raw_ips,
        largeMinBytes: exfil.large_min_bytes,
        largeAbsoluteBytes: exfil.large_absolute_bytes,
        largeRobustZ: exfil.large_robust_z,
        largeMinRatio: exfil.large_min_ratio,
        cooldownMs: exfil.cooldown,
        entityTtlMs: exfil.entity_ttl,
        severity: exfil.severity,
      }) as Detector,
    );
  }
  const errors = config.error_rate;
  if (errors.enabled) {
    detectors.push(
      errorRate({
        minErrors: errors.min_errors,
        robustZ: errors.robust_z,
        entityTtlMs: errors.entity_ttl,
        severity: errors.severity,
      }) as Detector,
    );
  }
  const slow = config.latency;
  if (slow.enabled) {
    detectors.push(
      latency({
        minMs: slow.min_ms,
        minSamples: slow.min_samples,
        robustZ: slow.robust_z,
        minRatio: slow.min_ratio,
        entityTtlMs: slow.entity_ttl,
        severity: slow.severity,
      }) as Detector,
    );
  }
  const silent = config.agent_silent;
  if (silent.enabled) {
    detectors.push(
      agentSilent({
        silenceMs: silent.silence,
        steadyForMs: silent.steady_for,
        entityTtlMs: silent.entity_ttl,
        severity: silent.severity,
      }) as Detector,
    );
  }
  const attempt = config.injection_attempt;
  const rate = config.injection_rate;
  if (attempt.enabled || rate.enabled) {
    detectors.push(
      injection({
        attempt: { enabled: attempt.enabled, threshold: attempt.threshold, severity: attempt.severity },
        rate: {
          enabled: rate.enabled,
          minAttempts: rate.min_attempts,
          robustZ: rate.robust_z,
          severity: rate.severity,
        },
        entityTtlMs: 7 * 86_400_000,
      }) as Detector,
    );
  }
  if (config.pii_leak.enabled) {
    detectors.push(
      piiLeak({
        ignore: config.pii_leak.ignore,
        criticalTypes: config.pii_leak.critical_types,
        severity: config.pii_leak.severity,
      }) as Detector,
    );
  }
  if (config.secret_leak.enabled) {
    detectors.push(
      secretLeak({ ignore: config.secret_leak.ignore, criticalTypes: [], severity: "critical" }) as Detector,
    );
  }
  if (config.message_rate.enabled) {
    detectors.push(
      messageRate({
        maxPerHour: config.message_rate.max_per_hour,
        severity: config.message_rate.severity,
      }) as Detector,
    );
  }
  const canaries = config.canary_leak.canaries;
  if (config.canary_leak.enabled && canaries.length > 0) {
    detectors.push(canaryLeak(canaries.map((c) => ({ name: c.name, value: c.value.reveal() }))) as Detector);
  }
  return detectors;
}
