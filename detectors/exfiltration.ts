/**
 * exfiltration: tool calls that can carry data out.
 * - a target host outside the agent's allowlist (when the agent has one);
 * - a raw IP address as the target (no legitimate integration is configured by bare IP, while
 *   attacker-controlled listeners often are);
 * - a known paste, file-drop or request-capture host (critical: they exist to receive data);
 * - arguments far larger than that agent's usual for that tool (median/MAD of recent sizes), or
 *   above an absolute size.
 * Targets come from `tool.target` and from http(s) URLs inside the arguments. Each (agent, host)
 * or (agent, tool) alerts at most once per `cooldown`.
 */
import { isIP } from "node:net";
import { z } from "zod";
import type { Severity } from "../lib/settings.ts";
import { duration, severity } from "../lib/settings.ts";
import {
  countEntities,
  newRobustWindow,
  pushRobust,
  type RobustWindow,
  robustMedian,
  robustSpread,
} from "./baselines.ts";
import { type AgentLedger, budgetFrom, type EntityBudget, TableBudgets } from "./entity-budget.ts";
import { argumentsJson } from "./event-text.ts";
import { findingId } from "./finding-id.ts";
import { newRecord } from "./record.ts";
import { type AgentEvent, type Detector, defineDetector, type Finding } from "./types.ts";

/** Hosts that exist to receive pasted text, dropped files or captured requests (suffix match). */
export const DROP_HOSTS = [
  "pastebin.com",
  "paste.ee",
  "hastebin.com",
  "ghostbin.com",
  "ghostbin.co",
  "rentry.co",
  "dpaste.org",
  "dpaste.com",
  "termbin.com",
  "controlc.com",
  "justpaste.it",
  "privatebin.net",
  "transfer.sh",
  "file.io",
  "0x0.st",
  "gofile.io",
  "anonfiles.com",
  "catbox.moe",
  "tmpfiles.org",
  "wetransfer.com",
  "we.tl",
  "sendspace.com",
  "mega.nz",
  "webhook.site",
  "requestbin.com",
  "requestbin.net",
  "pipedream.net",
  "ngrok.io",
  "ngrok-free.app",
  "ngrok.app",
  "interact.sh",
  "oast.fun",
  "oast.pro",
  "burpcollaborator.net",
];

export interface ExfiltrationOptions {
  /** Agent id → allowed host patterns (`api.example.com`, `*.example.com`). Agents absent: no allowlist. */
  allowlists: Record<string, string[]>;
  dropHosts: string[];
  flagRawIps: boolean;
  /** Arguments at least this large are judged against the baseline... */
  largeMinBytes: number;
  /** ...and this large always alert. */
  largeAbsoluteBytes: number;
  largeRobustZ: number;
  largeMinRatio: number;
  /** Tools and cooldowns kept per agent and in all (entity-budget.ts); shipped defaults when absent. */
  budget?: EntityBudget;
  cooldownMs: number;
  entityTtlMs: number;
  severity: Severity;
}

type HostKind = "drop_host" | "raw_ip" | "name";

const SIZE_HISTORY = 32;
const SIZE_WARMUP = 20;
const MAX_URLS = 10;

interface ToolSizes {
  sizes: RobustWindow;
  seen: number;
  last_seen: number;
}

export interface ExfiltrationState {
  /** By `agent|tool`. */
  tools: Record<string, ToolSizes>;
  /** By `agent|finding key`: when it last alerted. */
  alerted: Record<string, number>;
  /** Per-agent budgets of `tools` and `alerted` (absent in checkpoints from before budgets). */
  ledgers?: Record<string, AgentLedger>;
}

export function exfiltration(options: ExfiltrationOptions): Detector<ExfiltrationState> {
  const name = "exfiltration";
  const budgets = new TableBudgets(name, options.budget);
  const drop = new Set(options.dropHosts.map((h) => h.toLowerCase()));
  /** Whether `host` or one of its parent domains is a drop host: a few set lookups, not a scan of the list. */
  const isDropHost = (host: string): boolean => {
    for (let at = -1; ; at = host.indexOf(".", at + 1)) {
      if (drop.has(at < 0 ? host : host.slice(at + 1))) return true;
      if (host.indexOf(".", at + 1) < 0) return false;
    }
  };
  /**
   * What a host is, whoever calls it: a drop host, a raw IP, or neither (then only allowlists
   * matter). Agents call the same few hosts over and over, so the answer is kept per host
   * (bounded) instead of walking parent domains and IP grammars on every call.
   */
  const verdicts = new Map<string, HostKind>();
  const kindOf = (host: string): HostKind => {
    let kind = verdicts.get(host);
    if (kind === undefined) {
      kind = isDropHost(host) ? "drop_host" : options.flagRawIps && isIP(host) !== 0 ? "raw_ip" : "name";
      if (verdicts.size >= 10_000) verdicts.clear();
      verdicts.set(host, kind);
    }
    return kind;
  };

  return {
    name,
    eventTypes: ["tool_call"],
    initialState: () => ({ tools: newRecord(), alerted: newRecord(), ledgers: newRecord() }),

    update(state, { event, time, received }) {
      if (event.type !== "tool_call" || !event.tool) return [];
      const seen = received ?? time; // agentwatch's clock: eviction goes by it, never by event time
      const tool = event.tool.name;
      const findings: Finding[] = [];
      const raise = (
        key: string,
        severity: Severity,
        parts: Omit<Finding, "id" | "detector" | "agent_id" | "key" | "time" | "severity" | "event_ids">,
      ) => {
        const alertKey = `${event.agent_id}|${key}`;
        const last = state.alerted[alertKey];
        if (last !== undefined && time - last < options.cooldownMs) return;
        state.alerted[alertKey] = time;
        findings.push({
          id: findingId(name, alertKey, event.id),
          detector: name,
          agent_id: event.agent_id,
          ...(event.session_id ? { session_id: event.session_id } : {}),
          key,
          time: new Date(time).toISOString(),
          severity,
          event_ids: [event.id],
          ...parts,
        });
      };

      const allowlist = options.allowlists[event.agent_id];
      const judgeHost = (host: string): void => {
        const kind = kindOf(host);
        if (kind === "drop_host") {
          raise(`host:${host}`, "critical", {
            labels: { host, tool },
            baseline: null,
            score: 1,
            observed: { host, tool, reason: "drop_host" },
            title: `Data sent to a paste/file-drop host by ${event.agent_id}`,
            summary: `${event.agent_id} called ${tool} towards ${host}, a paste, file-drop or request-capture service`,
          });
        } else if (kind === "raw_ip") {
          raise(`host:${host}`, options.severity, {
            labels: { host, tool },
            baseline: null,
            score: 0.7,
            observed: { host, tool, reason: "raw_ip" },
            title: `Tool call to a raw IP address by ${event.agent_id}`,
            summary: `${event.agent_id} called ${tool} towards the bare IP address ${host}`,
          });
        } else if (allowlist && !allowlist.some((pattern) => hostMatches(host, pattern))) {
          raise(`host:${host}`, options.severity, {
            labels: { host, tool },
            score: 0.8,
            observed: { host, tool, reason: "not_allowlisted" },
            baseline: { allowlist },
            title: `Tool call outside the allowlist by ${event.agent_id}`,
            summary: `${event.agent_id} called ${tool} towards ${host}, which is not in its allowlist`,
          });
        }
      };
      // The usual call names one target and has no URL in its arguments: judged without building a list.
      const args = event.tool.arguments ? argumentsJson(event) : "";
      if (!args.includes("://")) {
        const host = event.tool.target ? hostOf(event.tool.target) : undefined;
        if (host) judgeHost(host);
      } else {
        for (const host of targetHosts(event)) judgeHost(host);
      }

      if (event.tool.arguments) {
        const size = Buffer.byteLength(args, "utf8");
        const key = `${event.agent_id}|${tool}`;
        let history = state.tools[key];
        if (history === undefined) {
          // A new tool name counts against its own agent's budget only (issue 30).
          const at = { seen, time, eventId: event.id };
          if (!budgets.admit(state, "tools", event.agent_id, at, findings)) return findings;
          history = { sizes: newRobustWindow(), seen: 0, last_seen: 0 };
          state.tools[key] = history;
        }
        history.last_seen = Math.max(history.last_seen, seen);
        // The median and spread sort the history: only worth it for arguments big enough to matter.
        const judged = history.seen >= SIZE_WARMUP && size >= options.largeMinBytes;
        const median = judged || size >= options.largeAbsoluteBytes ? (robustMedian(history.sizes) ?? 0) : 0;
        const spread = Math.max(judged ? (robustSpread(history.sizes) ?? 0) : 0, median * 0.2, 64);
        const unusual =
          judged &&
          (size - median) / spread >= options.largeRobustZ &&
          size >= median * options.largeMinRatio;
        if (size >= options.largeAbsoluteBytes || unusual) {
          raise(`args:${tool}`, options.severity, {
            score: Math.min(1, size / Math.max(1, median * options.largeMinRatio * 4)),
            observed: { argument_bytes: size, tool },
            baseline: { median_argument_bytes: median },
            labels: { tool },
            title: `Unusually large tool arguments from ${event.agent_id}`,
            summary: `${event.agent_id} sent ${size} bytes of arguments to ${tool}, usually ${median}`,
          });
        }
        pushRobust(history.sizes, size, SIZE_HISTORY);
        history.seen += 1;
      }
      return findings;
    },

    size: (state) => countEntities(state.tools) + countEntities(state.alerted),

    tick(state, now) {
      budgets.settle(state, "tools", state.tools, now, options.entityTtlMs, (t) => t.last_seen);
      // Cooldowns past their time are dropped; a flood of findings of one agent drops its own oldest only.
      budgets.settle(state, "alerted", state.alerted, now, options.cooldownMs, (at) => at);
      return [];
    },
  };
}

/** Lower-case hosts the call reaches: its target and http(s) URLs in its arguments. */
export function targetHosts(event: AgentEvent): string[] {
  const hosts = new Set<string>();
  const target = event.tool?.target;
  if (target) {
    const host = hostOf(target);
    if (host) hosts.add(host);
  }
  if (event.tool?.arguments) {
    const text = argumentsJson(event);
    if (!text.includes("://")) return [...hosts];
    let n = 0;
    for (const match of text.matchAll(/https?:\/\/[^\s"'<>\\]+/gi)) {
      const host = hostOf(match[0]);
      if (host) hosts.add(host);
      if (++n >= MAX_URLS) break;
    }
  }
  return [...hosts];
}

/** Parsed targets, bounded: agents call the same few hosts over and over. */
const HOSTS = new Map<string, string | undefined>();

function hostOf(target: string): string | undefined {
  if (HOSTS.has(target)) return HOSTS.get(target);
  const host = parseHost(target);
  if (HOSTS.size >= 10_000) HOSTS.clear();
  HOSTS.set(target, host);
  return host;
}

function parseHost(target: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
  try {
    const hostname = new URL(withScheme).hostname.toLowerCase();
    return hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "") || undefined;
  } catch {
    return undefined;
  }
}

/** `example.com` matches itself; `*.example.com` matches its subdomains. */
export function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith("*.")) return host.endsWith(p.slice(1));
  return host === p;
}

/** `detectors.exfiltration`. */
export const exfiltrationDefinition = defineDetector("exfiltration", {
  settings: z.strictObject({
    enabled: z.boolean().default(true),
    /** Added to the built-in list of paste, file-drop and request-capture hosts. */
    extra_drop_hosts: z.array(z.string().min(1)).default([]),
    flag_raw_ips: z.boolean().default(true),
    large_min_bytes: z.number().int().min(1).default(4096),
    large_absolute_bytes: z
      .number()
      .int()
      .min(1)
      .default(256 * 1024),
    large_robust_z: z.number().positive().default(6),
    large_min_ratio: z.number().min(1).default(5),
    cooldown: duration.prefault("1h"),
    entity_ttl: duration.prefault("7d"),
    severity: severity.default("warning"),
  }),
  create: (s, { agents, all }) => {
    if (!s.enabled) return [];
    // Allowlists looked up by the agent id of each event: a record without prototype (record.ts).
    const allowlists = newRecord<string[]>();
    for (const a of agents) if (a.allowed_hosts) allowlists[a.id] = a.allowed_hosts;
    return [
      exfiltration({
        allowlists,
        dropHosts: [...DROP_HOSTS, ...s.extra_drop_hosts],
        flagRawIps: s.flag_raw_ips,
        largeMinBytes: s.large_min_bytes,
        largeAbsoluteBytes: s.large_absolute_bytes,
        largeRobustZ: s.large_robust_z,
        largeMinRatio: s.large_min_ratio,
        cooldownMs: s.cooldown,
        entityTtlMs: s.entity_ttl,
        severity: s.severity,
        budget: budgetFrom(all),
      }) as Detector,
    ];
  },
});
