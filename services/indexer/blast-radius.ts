/**
 * The blast radius of an incident (`GET /v1/incidents/{id}/blast-radius`): over the incident's
 * window, from `lookback` before it started until it was resolved (or now), what the agent
 * touched and who else may be involved.
 *
 * - the sessions and users the agent talked to, the tools it called and the hosts they reached;
 * - the kinds of personal data and secrets that left in its responses and tool calls (counts and
 *   types, never values);
 * - other agents that, in the same window, served the same users or used the same API keys or
 *   source IPs;
 * - the actions taken (pauses, resumes, acknowledgements, silences...) on the incident or agent.
 *
 * Read from storage, so it works on both backends and on any role that has it. Bounded: at most
 * MAX_EVENTS events are read per side and at most MAX_LISTED entries listed per kind; the answer
 * says when it stopped short (`truncated`).
 */
import { outboundTexts } from "../../detectors/data-leak.ts";
import { targetHosts } from "../../detectors/exfiltration.ts";
import { findSensitive } from "../../detectors/sensitive.ts";
import type { AgentEvent } from "../../lib/events.ts";
import type { AuditEntry, Incident } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";

const MAX_EVENTS = 20_000;
const PAGE = 1000;
const MAX_LISTED = 500;
/** Values of shared users, keys and IPs shown per other agent. */
const MAX_SHARED = 20;

export interface BlastRadius {
  incident_id: string;
  agent_id: string;
  window: { from: string; to: string };
  events_read: number;
  truncated: boolean;
  sessions: { session_id: string; user_id: string | null; events: number; first: string; last: string }[];
  users: { user_id: string; events: number }[];
  tools: { tool: string; calls: number }[];
  hosts: { host: string; calls: number; tools: string[] }[];
  sensitive_data: { type: string; category: "pii" | "secret"; count: number; in: string[] }[];
  other_agents: {
    agent_id: string;
    shared_users: string[];
    shared_api_keys: string[];
    shared_source_ips: string[];
    events: number;
  }[];
  actions: Pick<AuditEntry, "time" | "actor" | "action" | "target" | "reason">[];
}

export async function blastRadius(
  storage: Storage,
  incident: Incident,
  options: { lookbackMs: number; now: number },
): Promise<BlastRadius> {
  const from = Date.parse(incident.started_at) - options.lookbackMs;
  const to = incident.resolved_at ? Date.parse(incident.resolved_at) + 1 : options.now + 1;
  const sessions = new Map<string, BlastRadius["sessions"][number]>();
  const users = new Map<string, number>();
  const tools = new Map<string, number>();
  const hosts = new Map<string, { calls: number; tools: Set<string> }>();
  const sensitive = new Map<string, { category: "pii" | "secret"; count: number; in: Set<string> }>();
  const userIds = new Set<string>();
  const keys = new Set<string>();
  const ips = new Set<string>();
  let truncated = false;

  const own = await scan(storage, { agent_id: incident.agent_id, from, to }, (event, time) => {
    if (event.session_id && (sessions.has(event.session_id) || sessions.size < MAX_LISTED)) {
      const s = sessions.get(event.session_id) ?? {
        session_id: event.session_id,
        user_id: event.user_id ?? null,
        events: 0,
        first: time,
        last: time,
      };
      s.events += 1;
      if (time < s.first) s.first = time;
      if (time > s.last) s.last = time;
      s.user_id ??= event.user_id ?? null;
      sessions.set(event.session_id, s);
    } else if (event.session_id) truncated = true;
    if (event.user_id) {
      userIds.add(event.user_id);
      if (users.has(event.user_id) || users.size < MAX_LISTED)
        users.set(event.user_id, (users.get(event.user_id) ?? 0) + 1);
      else truncated = true;
    }
    if (event.source_ip) ips.add(event.source_ip);
    if (event.usage?.api_key_id) keys.add(event.usage.api_key_id);
    if (event.type === "tool_call" && event.tool?.name) {
      tools.set(event.tool.name, (tools.get(event.tool.name) ?? 0) + 1);
      for (const host of targetHosts(event)) {
        const h = hosts.get(host) ?? { calls: 0, tools: new Set<string>() };
        h.calls += 1;
        h.tools.add(event.tool.name);
        hosts.set(host, h);
      }
    }
    for (const [place, text] of outboundTexts(event)) {
      const where = place.startsWith("arguments")
        ? "tool arguments"
        : place.startsWith("target")
          ? "tool target"
          : place;
      for (const match of findSensitive(text)) {
        const s = sensitive.get(match.type) ?? { category: match.category, count: 0, in: new Set<string>() };
        s.count += 1;
        s.in.add(where);
        sensitive.set(match.type, s);
      }
    }
  });

  // Everyone else in the window: who shares a user, an API key or a source IP with the agent.
  const others = new Map<
    string,
    { users: Set<string>; keys: Set<string>; ips: Set<string>; events: number }
  >();
  const rest =
    userIds.size + keys.size + ips.size === 0
      ? { events: 0, truncated: false }
      : await scan(storage, { from, to }, (event) => {
          if (event.agent_id === incident.agent_id) return;
          const sharedUser = event.user_id !== undefined && userIds.has(event.user_id);
          const sharedKey = event.usage?.api_key_id !== undefined && keys.has(event.usage.api_key_id);
          const sharedIp = event.source_ip !== undefined && ips.has(event.source_ip);
          if (!sharedUser && !sharedKey && !sharedIp) return;
          const o = others.get(event.agent_id) ?? {
            users: new Set(),
            keys: new Set(),
            ips: new Set(),
            events: 0,
          };
          o.events += 1;
          if (sharedUser && o.users.size < MAX_SHARED) o.users.add(event.user_id as string);
          if (sharedKey && o.keys.size < MAX_SHARED) o.keys.add(event.usage?.api_key_id as string);
          if (sharedIp && o.ips.size < MAX_SHARED) o.ips.add(event.source_ip as string);
          if (others.has(event.agent_id) || others.size < MAX_LISTED) others.set(event.agent_id, o);
        });

  const audit = await storage.queryAudit({ from, to: Math.max(to, options.now + 1), limit: 1000 });
  const actions = audit
    .filter((e) => e.incident_id === incident.id || e.target === `agent:${incident.agent_id}`)
    .map((e) => ({ time: e.time, actor: e.actor, action: e.action, target: e.target, reason: e.reason }))
    .sort((a, b) => (a.time < b.time ? -1 : 1));

  const byCount = <T extends { count?: number; calls?: number; events?: number }>(a: T, b: T) =>
    (b.count ?? b.calls ?? b.events ?? 0) - (a.count ?? a.calls ?? a.events ?? 0);
  return {
    incident_id: incident.id,
    agent_id: incident.agent_id,
    window: {
      from: new Date(from).toISOString(),
      to: new Date(Math.min(to, options.now + 1) - 1).toISOString(),
    },
    events_read: own.events + rest.events,
    truncated: truncated || own.truncated || rest.truncated,
    sessions: [...sessions.values()].sort(byCount),
    users: [...users].map(([user_id, events]) => ({ user_id, events })).sort(byCount),
    tools: [...tools].map(([tool, calls]) => ({ tool, calls })).sort(byCount),
    hosts: [...hosts]
      .map(([host, h]) => ({ host, calls: h.calls, tools: [...h.tools].sort() }))
      .sort(byCount),
    sensitive_data: [...sensitive]
      .map(([type, s]) => ({ type, category: s.category, count: s.count, in: [...s.in].sort() }))
      .sort(byCount),
    other_agents: [...others]
      .map(([agent_id, o]) => ({
        agent_id,
        shared_users: [...o.users].sort(),
        shared_api_keys: [...o.keys].sort(),
        shared_source_ips: [...o.ips].sort(),
        events: o.events,
      }))
      .sort(byCount),
    actions,
  };
}

/** Reads the events of `query` page by page, up to MAX_EVENTS, calling `visit` on each. */
async function scan(
  storage: Storage,
  query: { agent_id?: string; from: number; to: number },
  visit: (event: AgentEvent, time: string) => void,
): Promise<{ events: number; truncated: boolean }> {
  let cursor: string | undefined;
  let events = 0;
  for (;;) {
    const page = await storage.queryEvents({ ...query, limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const stored of page.events) {
      visit(stored.event, stored.event.time);
      events += 1;
    }
    cursor = page.next_cursor ?? undefined;
    if (!cursor) return { events, truncated: false };
    if (events >= MAX_EVENTS) return { events, truncated: true };
  }
}
