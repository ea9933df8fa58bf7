/**
 * The operator commands: `agentwatch incidents|agents|silences ...` against a running agentwatch
 * over its HTTP API (`--url` or AGENTWATCH_URL, default http://127.0.0.1:8080; the token from
 * `--token` or AGENTWATCH_TOKEN). Readable tables by default, `--json` for scripts. The server
 * enforces who may do what; an error is its message, on one line.
 */
import { AgentwatchError } from "./runtime/errors.ts";

export interface OperatorOptions {
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  status?: string | undefined;
  agent?: string | undefined;
  comment?: string | undefined;
  reason?: string | undefined;
  matcher?: string[] | undefined;
  duration?: string | undefined;
  state?: string | undefined;
}

type Json = Record<string, unknown>;

export const OPERATOR_USAGE = `  agentwatch incidents [list [--status open|acknowledged|resolved] [--agent ID] | show ID |
                       ack ID [--comment TEXT] | resolve ID [--comment TEXT]]
  agentwatch agents [list | show ID | pause ID --reason TEXT | resume ID [--reason TEXT]]
  agentwatch silences [list [--state active|pending|expired] |
                      add --matcher NAME=VALUE ... --duration 2h --comment TEXT | expire ID [--comment TEXT]]
      Talk to a running agentwatch: --url (or AGENTWATCH_URL, default http://127.0.0.1:8080),
      --token (or AGENTWATCH_TOKEN). Tables by default, --json for scripts. Matchers take
      =, !=, =~ and !~ (e.g. --matcher 'principal=~pentest-.*').`;

export async function runOperator(
  noun: string,
  args: string[],
  options: OperatorOptions,
  out: (text: string) => void,
): Promise<number> {
  const url = (options.url ?? process.env.AGENTWATCH_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  const token = options.token ?? process.env.AGENTWATCH_TOKEN;
  if (!token) {
    throw new AgentwatchError("invalidRequest", "no token: give --token or set AGENTWATCH_TOKEN");
  }
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const detail = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })
        .cause;
      const cause = detail?.code ?? detail?.errors?.[0]?.code ?? detail?.message ?? (err as Error).message;
      throw new AgentwatchError(
        "deliveryFailed",
        `cannot reach agentwatch at ${url} (${cause}); check --url`,
      );
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Json) : {};
    if (!response.ok) {
      const message =
        (parsed.error as { message?: string } | undefined)?.message ?? `HTTP ${response.status}`;
      throw new AgentwatchError("invalidRequest", message);
    }
    return parsed;
  };
  const [verb = "list", id] = args;
  const need = (what: string) => {
    if (!id) throw new AgentwatchError("invalidRequest", `${noun} ${verb} needs ${what}`);
    return encodeURIComponent(id);
  };
  const print = (value: unknown, table: () => string) =>
    out(options.json ? `${JSON.stringify(value, null, 2)}\n` : table());
  const query = (params: Record<string, string | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string][];
    return entries.length > 0 ? `?${new URLSearchParams(entries)}` : "";
  };

  if (noun === "incidents") {
    if (verb === "list") {
      const { incidents } = await call(
        "GET",
        `/v1/incidents${query({ status: options.status, agent_id: options.agent })}`,
      );
      print(incidents, () =>
        table(
          ["ID", "STATUS", "SEVERITY", "AGENT", "DETECTORS", "FINDINGS", "UPDATED", "TITLE"],
          (incidents as Json[]).map((i) => [
            i.id,
            i.status,
            i.severity,
            i.agent_id,
            (i.detectors as string[] | undefined)?.join(",") ?? i.detector,
            i.finding_count,
            i.updated_at,
            i.title,
          ]),
        ),
      );
      return 0;
    }
    if (verb === "show") {
      const incident = await call("GET", `/v1/incidents/${need("an incident id")}`);
      print(incident, () => {
        const lines = [
          `${incident.id}  ${String(incident.severity).toUpperCase()}  ${incident.status}`,
          `${incident.title}`,
          `agent ${incident.agent_id}, started ${incident.started_at}, updated ${incident.updated_at}`,
          `${incident.summary}`,
          "",
          "findings:",
          ...((incident.findings as Json[] | undefined) ?? []).map(
            (f) => `  ${f.time}  ${f.detector}  ${f.summary}`,
          ),
        ];
        return `${lines.join("\n")}\n`;
      });
      return 0;
    }
    if (verb === "ack" || verb === "resolve") {
      const incident = await call("POST", `/v1/incidents/${need("an incident id")}/${verb}`, {
        ...(options.comment ? { comment: options.comment } : {}),
      });
      print(incident, () => `${incident.id}: ${incident.status}\n`);
      return 0;
    }
  }
  if (noun === "agents") {
    if (verb === "list") {
      const { agents } = await call("GET", "/v1/agents");
      print(agents, () =>
        table(
          ["AGENT", "STATE", "SINCE", "BY", "REASON", "OPEN INCIDENTS", "LAST SEEN"],
          (agents as Json[]).map((a) => [
            a.agent_id,
            a.state,
            a.since,
            a.by,
            a.reason,
            a.open_incidents,
            a.last_seen,
          ]),
        ),
      );
      return 0;
    }
    if (verb === "show") {
      const agent = await call("GET", `/v1/agents/${need("an agent id")}`);
      print(agent, () => `${JSON.stringify(agent, null, 2)}\n`);
      return 0;
    }
    if (verb === "pause" || verb === "resume") {
      if (verb === "pause" && !options.reason) {
        throw new AgentwatchError(
          "invalidRequest",
          "agents pause needs --reason (it goes into the audit trail)",
        );
      }
      const agent = await call("POST", `/v1/agents/${need("an agent id")}/${verb}`, {
        ...(options.reason ? { reason: options.reason } : {}),
      });
      const control = agent.control as Json | undefined;
      print(
        agent,
        () =>
          `${agent.agent_id}: ${agent.state}${control?.configured ? `, control call ${control.delivered ? "delivered" : `not delivered yet (${control.attempts} attempts)`}` : ", no control URL configured"}\n`,
      );
      return 0;
    }
  }
  if (noun === "silences") {
    if (verb === "list") {
      const { silences } = await call("GET", `/v1/silences${query({ state: options.state })}`);
      print(silences, () =>
        table(
          ["ID", "STATE", "MATCHERS", "ENDS", "BY", "COMMENT"],
          (silences as Json[]).map((s) => [
            s.id,
            s.state,
            (s.matchers as Json[]).map((m) => `${m.name}${m.op}${m.value}`).join(" "),
            s.ends_at,
            s.created_by,
            s.comment,
          ]),
        ),
      );
      return 0;
    }
    if (verb === "add") {
      const matchers = (options.matcher ?? []).map(parseMatcher);
      if (matchers.length === 0)
        throw new AgentwatchError("invalidRequest", "silences add needs at least one --matcher");
      const silence = await call("POST", "/v1/silences", {
        matchers,
        duration: options.duration ?? "1h",
        comment: options.comment ?? "",
      });
      print(silence, () => `${silence.id}: ${silence.state} until ${silence.ends_at}\n`);
      return 0;
    }
    if (verb === "expire") {
      const silence = await call("DELETE", `/v1/silences/${need("a silence id")}`, {
        ...(options.comment ? { comment: options.comment } : {}),
      });
      print(silence, () => `${silence.id}: ${silence.state}\n`);
      return 0;
    }
  }
  throw new AgentwatchError("invalidRequest", `unknown command: ${noun} ${verb}`);
}

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex`. */
export function parseMatcher(text: string): { name: string; op: string; value: string } {
  const m = /^([A-Za-z_][A-Za-z0-9_]{0,127})(=~|!~|!=|=)(.*)$/s.exec(text);
  if (!m)
    throw new AgentwatchError(
      "invalidRequest",
      `--matcher ${text}: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX`,
    );
  return { name: m[1] as string, op: m[2] as string, value: m[3] as string };
}

/** Columns padded to their widest cell; long cells cut at 60 characters. */
function table(header: string[], rows: unknown[][]): string {
  const cells = [
    header,
    ...rows.map((r) => r.map((c) => cut(c === undefined || c === null ? "-" : String(c)))),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  const lines = cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : (c as string).padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n${rows.length === 0 ? "(none)\n" : ""}`;
}

function cut(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
