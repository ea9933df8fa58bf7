/**
 * The Grafana dashboards in dashboards/grafana/dashboards/, written from this one description
 * (`node scripts/dashboards.ts` rewrites them; test/prometheus-e2e.test.ts checks the files are
 * what it writes, and runs every query against a real Prometheus scraping agentwatch).
 *
 * Three dashboards: Agent security (one agent, chosen by the `agent_id` variable), Fleet
 * overview, and Pipeline (agentwatch's own health; uid kept from the old overview).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;
const AGENT = 'agent_id="$agent_id"';

export interface PanelSpec {
  title: string;
  /** PromQL, one per series group; `$agent_id` is the dashboard variable. */
  exprs: { expr: string; legend?: string }[];
  type?: "timeseries" | "stat" | "bargauge" | "table" | "state-timeline";
  unit?: string;
  /** Width in grid units (24 across); default 12. */
  width?: number;
  stacked?: boolean;
  description?: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  tags: string[];
  file: string;
  agentVariable?: boolean;
  annotations?: { name: string; expr: string; color: string; title: string }[];
  panels: PanelSpec[];
}

const q = (expr: string, legend?: string) => ({ expr, ...(legend ? { legend } : {}) });

export const DASHBOARDS: DashboardSpec[] = [
  {
    uid: "agentwatch-agent-security",
    title: "agentwatch agent security",
    tags: ["agentwatch", "security"],
    file: "agentwatch-agent-security.json",
    agentVariable: true,
    annotations: [
      {
        name: "Paused",
        expr: `max(agentwatch_agent_paused{${AGENT}}) > 0`,
        color: "red",
        title: "agent paused",
      },
      {
        name: "Critical findings",
        expr: `sum by (detector) (increase(agentwatch_agent_findings_total{${AGENT},severity="critical"}[2m])) > 0`,
        color: "orange",
        title: "critical finding: {{detector}}",
      },
    ],
    panels: [
      {
        title: "Paused",
        type: "stat",
        width: 6,
        description: "1 while the kill switch holds the agent paused.",
        exprs: [q(`max(agentwatch_agent_paused{${AGENT}}) or vector(0)`, "paused")],
      },
      {
        title: "Open incidents by severity",
        type: "stat",
        width: 6,
        exprs: [q(`sum by (severity) (agentwatch_agent_incidents_open{${AGENT}})`, "{{severity}}")],
      },
      {
        title: "Spend, last 24 h (USD)",
        type: "stat",
        width: 6,
        unit: "currencyUSD",
        exprs: [
          q(
            `sum(increase(agentwatch_agent_cost_usd_total{${AGENT},source="agent"}[24h])) or vector(0)`,
            "spend",
          ),
        ],
      },
      {
        title: "Findings, last 24 h",
        type: "stat",
        width: 6,
        exprs: [q(`sum(increase(agentwatch_agent_findings_total{${AGENT}}[24h]))`, "findings")],
      },
      {
        title: "Tokens per minute against its usual (1-day average)",
        unit: "short",
        description: "The agent's own reports; the dashed line is the same rate averaged over the past day.",
        exprs: [
          q(
            `sum by (direction) (rate(agentwatch_agent_tokens_total{${AGENT},source="agent"}[5m])) * 60`,
            "{{direction}}",
          ),
          q(
            `avg_over_time((sum(rate(agentwatch_agent_tokens_total{${AGENT},source="agent"}[5m])) * 60)[1d:])`,
            "usual (all tokens)",
          ),
        ],
      },
      {
        title: "Spend per hour by model against its usual",
        unit: "currencyUSD",
        exprs: [
          q(`sum by (model) (rate(agentwatch_agent_cost_usd_total{${AGENT}}[5m])) * 3600`, "{{model}}"),
          q(`avg_over_time((sum(rate(agentwatch_agent_cost_usd_total{${AGENT}}[5m])) * 3600)[1d:])`, "usual"),
        ],
      },
      {
        title: "Prompt-injection attempts by origin",
        stacked: true,
        exprs: [
          q(
            `sum by (origin) (increase(agentwatch_agent_injection_attempts_total{${AGENT}}[5m]))`,
            "{{origin}}",
          ),
        ],
      },
      {
        title: "Failed authentications per minute",
        exprs: [q(`sum(rate(agentwatch_agent_auth_failures_total{${AGENT}}[5m])) * 60`, "failures")],
      },
      {
        title: "Tool-call mix",
        stacked: true,
        unit: "percentunit",
        description: "Each tool's share of the agent's tool calls (a shift is what tool_shift alerts on).",
        exprs: [
          q(
            `sum by (tool) (rate(agentwatch_agent_tool_calls_total{${AGENT}}[5m])) / scalar(sum(rate(agentwatch_agent_tool_calls_total{${AGENT}}[5m])))`,
            "{{tool}}",
          ),
        ],
      },
      {
        title: "Errors per minute",
        exprs: [q(`sum(rate(agentwatch_agent_errors_total{${AGENT}}[5m])) * 60`, "errors")],
      },
      {
        title: "Response latency",
        unit: "s",
        exprs: [
          q(
            `histogram_quantile(0.5, sum by (le) (rate(agentwatch_agent_response_latency_seconds_bucket{${AGENT}}[5m])))`,
            "p50",
          ),
          q(
            `histogram_quantile(0.95, sum by (le) (rate(agentwatch_agent_response_latency_seconds_bucket{${AGENT}}[5m])))`,
            "p95",
          ),
        ],
      },
      {
        title: "Personal data and secrets leaving, by type",
        stacked: true,
        exprs: [
          q(
            `sum by (detector, type) (increase(agentwatch_agent_sensitive_data_total{${AGENT}}[1h]))`,
            "{{detector}} {{type}}",
          ),
        ],
      },
      {
        title: "Findings by detector",
        stacked: true,
        exprs: [
          q(`sum by (detector) (increase(agentwatch_agent_findings_total{${AGENT}}[5m]))`, "{{detector}}"),
        ],
      },
      {
        title: "Events per second by type",
        stacked: true,
        exprs: [q(`sum by (type) (rate(agentwatch_agent_events_total{${AGENT}}[5m]))`, "{{type}}")],
      },
    ],
  },
  {
    uid: "agentwatch-fleet",
    title: "agentwatch fleet overview",
    tags: ["agentwatch", "security"],
    file: "agentwatch-fleet.json",
    panels: [
      {
        title: "Open incidents by severity",
        type: "stat",
        width: 8,
        exprs: [q("sum by (severity) (agentwatch_incidents_open_by_severity)", "{{severity}}")],
      },
      {
        title: "Paused agents",
        type: "stat",
        width: 8,
        exprs: [q("sum(agentwatch_agent_paused) or vector(0)", "paused")],
      },
      {
        title: "Spend, last 24 h (USD)",
        type: "stat",
        width: 8,
        unit: "currencyUSD",
        exprs: [
          q('sum(increase(agentwatch_agent_cost_usd_total{source="agent"}[24h])) or vector(0)', "spend"),
        ],
      },
      {
        title: "Agents with the most findings (24 h)",
        type: "bargauge",
        exprs: [
          q("topk(10, sum by (agent_id) (increase(agentwatch_agent_findings_total[24h])))", "{{agent_id}}"),
        ],
      },
      {
        title: "Paused agents now",
        type: "table",
        exprs: [q("max by (agent_id) (agentwatch_agent_paused) > 0", "{{agent_id}}")],
      },
      {
        title: "Detection latency: event arrival to notification",
        unit: "s",
        description:
          "From the event's arrival at the collector to the first notification carrying its finding.",
        exprs: [
          q(
            "histogram_quantile(0.5, sum by (le) (rate(agentwatch_detection_latency_seconds_bucket[1h])))",
            "p50",
          ),
          q(
            "histogram_quantile(0.99, sum by (le) (rate(agentwatch_detection_latency_seconds_bucket[1h])))",
            "p99",
          ),
        ],
      },
      {
        title: "Finding to notification",
        unit: "s",
        exprs: [
          q(
            "histogram_quantile(0.5, sum by (le) (rate(agentwatch_finding_notification_latency_seconds_bucket[1h])))",
            "p50",
          ),
          q(
            "histogram_quantile(0.99, sum by (le) (rate(agentwatch_finding_notification_latency_seconds_bucket[1h])))",
            "p99",
          ),
        ],
      },
      {
        title: "Findings by detector and severity",
        stacked: true,
        exprs: [
          q(
            "sum by (detector, severity) (increase(agentwatch_agent_findings_total[5m]))",
            "{{detector}} {{severity}}",
          ),
        ],
      },
      {
        title: "Prompt-injection attempts by agent",
        stacked: true,
        exprs: [
          q("sum by (agent_id) (increase(agentwatch_agent_injection_attempts_total[5m]))", "{{agent_id}}"),
        ],
      },
      {
        title: "Spend per hour by agent",
        unit: "currencyUSD",
        stacked: true,
        exprs: [q("sum by (agent_id) (rate(agentwatch_agent_cost_usd_total[5m])) * 3600", "{{agent_id}}")],
      },
    ],
  },
  {
    uid: "agentwatch-overview",
    title: "agentwatch pipeline",
    tags: ["agentwatch", "pipeline"],
    file: "agentwatch-overview.json",
    panels: [
      {
        title: "Ingested events /s by outcome",
        unit: "ops",
        exprs: [q("sum by (outcome) (rate(agentwatch_ingest_events_total[5m]))", "{{outcome}}")],
      },
      {
        title: "Ingest requests /s by status",
        unit: "reqps",
        exprs: [q("sum by (status) (rate(agentwatch_ingest_requests_total[5m]))", "{{status}}")],
      },
      {
        title: "HTTP latency p99 by route",
        unit: "s",
        exprs: [
          q(
            "histogram_quantile(0.99, sum by (le, route) (rate(agentwatch_http_request_duration_seconds_bucket[5m])))",
            "{{route}}",
          ),
        ],
      },
      {
        title: "Consumer lag (records)",
        exprs: [q("max by (group, topic) (agentwatch_bus_consumer_lag_records)", "{{group}} {{topic}}")],
      },
      {
        title: "Findings /s by detector",
        exprs: [q("sum by (detector) (rate(agentwatch_detector_findings_total[5m]))", "{{detector}}")],
      },
      { title: "Open incidents", exprs: [q("sum(agentwatch_incidents_open)", "open")] },
      {
        title: "Incidents opened /h by detector",
        exprs: [q("sum by (detector) (increase(agentwatch_incidents_opened_total[1h]))", "{{detector}}")],
      },
      {
        title: "Notifications by outcome",
        exprs: [
          q(
            "sum by (kind, outcome) (rate(agentwatch_notification_attempts_total[5m]))",
            "{{kind}} {{outcome}}",
          ),
        ],
      },
      { title: "Pending deliveries", exprs: [q("sum(agentwatch_notifications_pending)", "pending")] },
      {
        title: "Dead-letter records /h",
        exprs: [q("sum(increase(agentwatch_dead_letter_records_total[1h])) or vector(0)", "dead letters")],
      },
      {
        title: "Refused API requests /s",
        exprs: [
          q("sum by (reason) (rate(agentwatch_api_auth_failures_total[5m])) or vector(0)", "{{reason}}"),
        ],
      },
      {
        title: "Consumer errors /s",
        exprs: [
          q("sum by (group) (rate(agentwatch_bus_consumer_errors_total[5m])) or vector(0)", "{{group}}"),
        ],
      },
      {
        title: "Detector checkpoints: age and rate",
        description:
          "Seconds since the last checkpoint (it only moves while events flow), and checkpoints per minute.",
        exprs: [
          q("time() - max(agentwatch_detector_last_checkpoint_timestamp_seconds)", "age (s)"),
          q("sum(rate(agentwatch_detector_checkpoints_total[5m])) * 60", "per minute"),
        ],
      },
      {
        title: "Kill-switch actions",
        exprs: [
          q(
            "sum by (action) (increase(agentwatch_agent_control_actions_total[1h])) or vector(0)",
            "{{action}}",
          ),
        ],
      },
      { title: "Active silences", exprs: [q("sum(agentwatch_silences_active)", "silences")] },
      {
        title: "Kafka producer resets /h",
        exprs: [q("sum(increase(agentwatch_bus_producer_resets_total[1h])) or vector(0)", "resets")],
      },
    ],
  },
];

/** The dashboard JSON Grafana's file provisioning takes. */
export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = spec.panels.map((p, i) => {
    const type = p.type ?? "timeseries";
    const w = p.width ?? 12;
    const h = type === "stat" ? 4 : 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return {
      id: i + 1,
      type,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: {
        defaults: {
          ...(p.unit ? { unit: p.unit } : {}),
          ...(p.stacked
            ? { custom: { stacking: { mode: p.unit === "percentunit" ? "percent" : "normal" } } }
            : {}),
        },
        overrides: [],
      },
      options:
        type === "timeseries"
          ? { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } }
          : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      targets: p.exprs.map((e, j) => ({
        refId: String.fromCharCode(65 + j),
        expr: e.expr,
        ...(e.legend ? { legendFormat: e.legend } : {}),
        ...(type === "table" ? { format: "table", instant: true } : {}),
        datasource: DATASOURCE,
      })),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    tags: spec.tags,
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: spec.agentVariable
        ? [
            {
              name: "agent_id",
              label: "Agent",
              type: "query",
              datasource: DATASOURCE,
              query: { query: "label_values(agentwatch_agent_events_total, agent_id)", refId: "agent_id" },
              definition: "label_values(agentwatch_agent_events_total, agent_id)",
              refresh: 2,
              sort: 1,
              includeAll: false,
              multi: false,
            },
          ]
        : [],
    },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
        ...(spec.annotations ?? []).map((a) => ({
          name: a.name,
          datasource: DATASOURCE,
          enable: true,
          iconColor: a.color,
          expr: a.expr,
          step: "60s",
          titleFormat: a.title,
          useValueForTime: false,
        })),
      ],
    },
    panels,
  };
}

export function dashboardFile(spec: DashboardSpec): string {
  return `${JSON.stringify(dashboardJson(spec), null, 2)}\n`;
}

export const DASHBOARD_DIR = fileURLToPath(new URL("../dashboards/grafana/dashboards/", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const spec of DASHBOARDS) {
    writeFileSync(`${DASHBOARD_DIR}${spec.file}`, dashboardFile(spec));
    console.log(`wrote dashboards/grafana/dashboards/${spec.file}: ${spec.panels.length} panels`);
  }
}
