/**
 * The configuration: one schema (contract §1 plus agentwatch's own keys), loaded from YAML,
 * `${ENV}` substituted, validated once at start. Every problem is reported at once with its key
 * path; secrets become `Secret` values that print as `<secret>`.
 */

import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseDocument, stringify } from "yaml";
import { z } from "zod";
import { detectorsSettings } from "../../detectors/registry.ts";
import { formatDuration } from "../../lib/duration.ts";
import { valueAt } from "../../lib/paths.ts";
import { Secret } from "../../lib/secret.ts";
import { duration, httpUrl, isHttpUrl, type Severity, secret } from "../../lib/settings.ts";
import { AgentwatchError } from "./errors.ts";
import { matcherSchema, matchesEverything } from "./matchers.ts";
import { checkTls } from "./tls.ts";

/** A URL that is itself a credential (a Slack incoming webhook): kept as a Secret. */
const secretHttpUrl = secret.refine((s) => isHttpUrl(s.reveal()), "must be an http:// or https:// URL");

const agentId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must match [A-Za-z0-9._:-]{1,128}");

export const ROLES = ["ingest", "viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const tokenSchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  token: secret.refine((s) => s.reveal().length >= 16, "must be at least 16 characters"),
  agents: z
    .array(z.union([z.literal("*"), agentId]))
    .min(1)
    .optional(),
  /**
   * Binds the token to a client certificate (mTLS, server.tls.client_auth request or require):
   * a request with this token must come with a certificate signed by server.tls.ca whose
   * subject CN is `subject_cn` and/or with `san` among its subject alternative names
   * (`DNS:collector.internal`, `URI:spiffe://…`, or the value alone). Without one: 401
   * client_certificate_required; with another: 403 client_certificate_mismatch.
   */
  client_cert: z
    .strictObject({
      subject_cn: z.string().min(1).max(256).optional(),
      san: z.string().min(1).max(1024).optional(),
    })
    .refine((b) => b.subject_cn !== undefined || b.san !== undefined, "give subject_cn, san, or both")
    .optional(),
});

/** An HMAC signing secret (webhook receivers, agent control): short ones can be guessed offline from one signed body. */
const signingSecret = secret.refine((s) => s.reveal().length >= 16, "must be at least 16 characters");

const webhookReceiver = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.literal("webhook"),
  url: httpUrl,
  secret: signingSecret,
  timeout: duration.default(5000),
  /** Attempts before a notification is given up (and logged, and counted as failed). */
  max_attempts: z.number().int().min(1).max(100).default(12),
});

/**
 * Slack, in one of two modes. An incoming webhook (`url`, https://api.slack.com/messaging/webhooks):
 * one message per notification. Or the Slack app (`token` and `channel`, services/alerter/notifiers/
 * slack-app.ts): one message per incident with buttons (acknowledge, resolve, silence, pause),
 * updates in its thread, and the message edited to show the incident's state.
 */
const slackReceiver = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.literal("slack"),
  /** The incoming webhook URL; it carries its own token, so it is a secret. */
  url: secretHttpUrl.optional(),
  /** The Slack app's bot token (`xoxb-…`; scopes chat:write, and chat:write.public for channels it is not in). */
  token: secret.optional(),
  /** The channel the app posts to: `#name` or its id (`C…`). */
  channel: z.string().min(1).max(128).optional(),
  /** Slack's Web API (default https://slack.com/api/); a proxy, or a test server. */
  api_url: httpUrl.optional(),
  /** Buttons on the app's messages (they need `slack.signing_secret` and the app's Interactivity URL). */
  buttons: z.boolean().default(true),
  timeout: duration.default(5000),
  max_attempts: z.number().int().min(1).max(100).default(12),
});

/** Who may act from Slack: `slack.users` maps Slack user ids to roles; everyone else may only look. */
const slackSchema = z.strictObject({
  /** The Slack app's signing secret (Basic Information → App Credentials): verifies interactions. */
  signing_secret: secret,
  users: z
    .record(z.string(), z.enum(["operator", "admin"]))
    .default({})
    .superRefine((users, ctx) => {
      for (const id of Object.keys(users)) {
        if (!/^[UW][A-Z0-9]{2,31}$/.test(id)) {
          ctx.addIssue({
            code: "custom",
            path: [id],
            message: "must be a Slack user id (U…, as in the user's profile)",
          });
        }
      }
    }),
});

/** PagerDuty Events API v2: firing triggers, resolved resolves, the incident id dedupes. */
const pagerdutyReceiver = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.literal("pagerduty"),
  /** The integration key of a PagerDuty service (Events API v2). */
  routing_key: secret,
  url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
  /**
   * The secret of a PagerDuty v3 webhook subscription: its deliveries to
   * `POST /v1/pagerduty/webhook` (incident.acknowledged, incident.resolved) acknowledge or resolve
   * the agentwatch incident of the same dedup key.
   */
  webhook_secret: secret.optional(),
  timeout: duration.default(5000),
  max_attempts: z.number().int().min(1).max(100).default(12),
});

const emailAddress = z.email({ error: "must be an email address" });

/** Email over SMTP, as Alertmanager's email receiver (smarthost, STARTTLS required by default). */
const emailReceiver = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.literal("email"),
  to: z.array(emailAddress).min(1),
  from: emailAddress,
  /** `host:port` of the SMTP server; port 465 speaks TLS from the start, others upgrade with STARTTLS. */
  smarthost: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port"),
  auth_username: z.string().min(1).optional(),
  auth_password: secret.optional(),
  /** Refuse to send without TLS (STARTTLS or port 465). Off only for a local mail sink. */
  require_tls: z.boolean().default(true),
  timeout: duration.default(10_000),
  max_attempts: z.number().int().min(1).max(100).default(12),
});

const receiverSchema = z.discriminatedUnion(
  "type",
  [webhookReceiver, slackReceiver, pagerdutyReceiver, emailReceiver],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? "type must be one of: webhook, slack, pagerduty, email" : undefined,
  },
);

const agentSchema = z.strictObject({
  id: agentId,
  /** Hosts its tool calls may reach (`api.example.com`, `*.example.com`); others raise exfiltration. */
  allowed_hosts: z
    .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, "must be a host or *.domain"))
    .optional(),
  /**
   * This agent's own detector settings: any keys of `detectors`, merged over them (checked when
   * the config is loaded, with their key paths).
   */
  detectors: z.record(z.string(), z.unknown()).optional(),
  /** This agent's daily spend cap (USD), instead of detectors.spend_cap.daily_cap_usd.agent. */
  daily_cap_usd: z.number().positive().optional(),
  control: z
    .strictObject({
      url: httpUrl,
      secret: signingSecret,
      timeout: duration.default(3000),
    })
    .optional(),
});

/**
 * An LLM provider whose organization usage agentwatch reads (services/providers): the provider's
 * own records show a key used from anywhere, also where no agent reports it (a leaked key).
 */
const providerSchema = z
  .strictObject({
    /** Names the provider in events (`provider:<name>` for keys no agent is mapped to), metrics and logs. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must match [a-z0-9][a-z0-9._-]{0,63}"),
    type: z.enum(["anthropic", "openai"]),
    /** The organization admin key (Anthropic Admin API key, OpenAI admin key): `${ENV}` or admin_key_file. */
    admin_key: secret.optional(),
    /** A file holding the admin key (read at start; surrounding whitespace ignored). */
    admin_key_file: z.string().min(1).optional(),
    /** Default: the provider's own (https://api.anthropic.com, https://api.openai.com); a proxy or a test server. */
    api_url: httpUrl.optional(),
    /** The finest that works: 1m (the default), 1h or 1d. */
    bucket_width: z.enum(["1m", "1h", "1d"]).default("1m"),
    poll_interval: duration.prefault("1m"),
    /**
     * Recent buckets are read again for this long: providers revise them as late data arrives. A
     * revised bucket adds only what it gained (never counted twice).
     */
    reread: duration.prefault("1h"),
    /** On the first start, usage this far back is read. */
    backfill: duration.prefault("1h"),
    /** How long after a bucket ends its figures are taken as complete (unattributed_usage waits this long). */
    lag: duration.prefault("15m"),
    timeout: duration.prefault("10s"),
    /** Also read the provider's daily cost report (workspace and project spend caps). */
    costs: z.boolean().default(true),
    /** Cost reports come in days: read them this often. */
    cost_poll_interval: duration.prefault("15m"),
    /** Which provider key ids belong to which agents (one agent per key). */
    keys: z.array(z.strictObject({ id: z.string().min(1).max(256), agent: agentId })).default([]),
    /** Key ids in use outside the agents (the console, CI): unknown_key does not report them. */
    expected_keys: z.array(z.string().min(1).max(256)).default([]),
  })
  .superRefine((provider, ctx) => {
    if ((provider.admin_key === undefined) === (provider.admin_key_file === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["admin_key"],
        message: "give admin_key or admin_key_file (one of them)",
      });
    }
  });

/**
 * A kill-switch webhook for the alert tools people already run (services/control/hooks.ts):
 * `POST /v1/hooks/<name>` takes Alertmanager's webhook payload (Grafana's contact point sends the
 * same) and acts on the agents named in the firing alerts' labels.
 */
const hookSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must match [a-z0-9][a-z0-9._-]{0,63}"),
    /** Bearer token the sender presents (Alertmanager's http_config.authorization.credentials). */
    token: secret.refine((s) => s.reveal().length >= 16, "must be at least 16 characters").optional(),
    /** Or an HMAC secret: X-Agentwatch-Signature over "<X-Agentwatch-Timestamp>.<body>", as agentwatch signs. */
    secret: signingSecret.optional(),
    /** What a firing alert does to its agent: pause it (default), resume it, or acknowledge its open incidents. */
    action: z.enum(["pause", "resume", "ack"]).default("pause"),
    /** The alert label that names the agent. */
    agent_label: z.string().min(1).max(128).default("agent_id"),
    /** Whether a resolved alert resumes the agent its firing paused (off: resuming is a person's decision). */
    resume_on_resolved: z.boolean().default(false),
  })
  .superRefine((hook, ctx) => {
    if ((hook.token === undefined) === (hook.secret === undefined)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "give token or secret (one of them)" });
    }
  });

/** A PEM file (certificates or a key) by path, relative to the working directory: checked readable at load. */
const pemFile = z
  .string()
  .min(1)
  .superRefine((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `cannot read ${path}: ${(err as Error).message}` });
      return;
    }
    if (!text.includes("-----BEGIN ")) ctx.addIssue({ code: "custom", message: `${path} is not a PEM file` });
  });

const embeddedBus = z.strictObject({
  type: z.literal("embedded"),
  /** Records older than this are removed once every consumer group is past them. */
  retention: duration.prefault("7d"),
});
const kafkaBus = z.strictObject({
  type: z.literal("kafka"),
  brokers: z.array(z.string().min(1)).min(1),
  topic_prefix: z.string().default("agentwatch"),
  client_id: z.string().default("agentwatch"),
  partitions: z.number().int().min(1).default(6),
  /** The longest an append may take, retries included, before the collector answers 503. */
  append_timeout: duration.default(8000),
  /**
   * TLS to the brokers (PEM file paths). `ca`: the CA that signed the brokers' certificates
   * (left out: the system's trusted CAs, as for managed Kafka with public certificates);
   * `cert` and `key`: a client certificate, for brokers that require one (mutual TLS).
   */
  ssl: z
    .strictObject({
      ca: pemFile.optional(),
      cert: pemFile.optional(),
      key: pemFile.optional(),
      /** false accepts any certificate: for tests only, never in production. */
      reject_unauthorized: z.boolean().default(true),
    })
    .superRefine((ssl, ctx) => {
      if ((ssl.cert === undefined) !== (ssl.key === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [ssl.cert === undefined ? "cert" : "key"],
          message: "give cert and key together (a client certificate and its private key)",
        });
      }
    })
    .optional(),
  /** SASL authentication (managed Kafka: over `ssl`). */
  sasl: z
    .strictObject({
      mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"], {
        error: "mechanism must be one of: plain, scram-sha-256, scram-sha-512",
      }),
      username: z.string().min(1),
      password: secret,
    })
    .optional(),
});
const busSchema = z.discriminatedUnion("type", [embeddedBus, kafkaBus], {
  error: (issue) => (issue.code === "invalid_union" ? "type must be one of: embedded, kafka" : undefined),
});

const embeddedStorage = z.strictObject({
  type: z.literal("embedded"),
  /** Events (by arrival), findings and resolved incidents are kept this long; 0 keeps everything. */
  retention_days: z.number().int().min(0).default(30),
  /** The audit trail is kept longer (0: forever). */
  audit_retention_days: z.number().int().min(0).default(365),
});
const elasticsearchStorage = z.strictObject({
  type: z.literal("elasticsearch"),
  node: httpUrl,
  index_prefix: z.string().default("agentwatch"),
  retention_days: z.number().int().min(1).default(30),
  /** The audit trail's daily indices are kept longer than events. */
  audit_retention_days: z.number().int().min(1).default(365),
  username: z.string().optional(),
  password: secret.optional(),
});
const storageSchema = z.discriminatedUnion("type", [embeddedStorage, elasticsearchStorage], {
  error: (issue) =>
    issue.code === "invalid_union" ? "type must be one of: embedded, elasticsearch" : undefined,
});

/**
 * Every detector's settings, declared by the detectors themselves (detectors/registry.ts); also
 * the shape of a per-agent override (agents[].detectors).
 */
export const detectorsSchema = detectorsSettings;

/**
 * HTTPS on the listener (services/runtime/tls.ts): PEM files, read at start and again on SIGHUP
 * and `config reload` (relative paths from agentwatch's working directory). When set, the port
 * speaks TLS only: a plain HTTP request to it fails. The files are checked when the config is
 * loaded (config check, start, reload): missing, unreadable, expired, not yet valid, or a key
 * that is not the certificate's.
 */
const tlsSchema = z
  .strictObject({
    /** The server certificate (PEM; intermediates after it). */
    cert: z.string().min(1),
    /** Its private key (PEM, unencrypted). */
    key: z.string().min(1),
    /** CA certificate(s) (PEM) that client certificates must be signed by (client_auth request or require). */
    ca: z.string().min(1).optional(),
    /**
     * `none`: clients are not asked for a certificate. `request`: asked; one that does not verify
     * against `ca` still connects, but counts as none (tokens bound to a certificate refuse it).
     * `require`: a client without a certificate signed by `ca` is refused in the handshake.
     */
    client_auth: z.enum(["none", "request", "require"]).default("none"),
  })
  .superRefine((tls, ctx) => {
    if (tls.client_auth !== "none" && tls.ca === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["ca"],
        message: `client_auth: ${tls.client_auth} needs ca (the CA that signs the clients' certificates)`,
      });
    }
    for (const problem of checkTls(tls).problems) {
      ctx.addIssue({ code: "custom", path: [problem.key], message: problem.message });
    }
  });

/** Where agentwatch listens, and the listener's deadlines and caps. */
export const serverSchema = z
  .strictObject({
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8080),
    /** The address people reach agentwatch at (`https://agentwatch.example.com`): notifications link to the console there. */
    external_url: httpUrl.optional(),
    /**
     * How long a stop (SIGTERM, SIGINT, a config reload) may take: requests in hand get part
     * of it, the workers' final commits and checkpoints the rest. Past it agentwatch logs what
     * it was still waiting for, closes it, and exits 1. Under the 10 s a container runtime
     * gives before SIGKILL.
     */
    shutdown_timeout: duration.prefault("5s"),
    /**
     * Deadlines against clients that hold the listener (issue 30). A client that sends its
     * headers slowly, or a body slowly, or nothing at all, holds a socket and a file
     * descriptor. `headers_timeout`: the whole header block must arrive within it (an honest
     * client sends it in one packet). `request_timeout`: the whole request, body included;
     * 30 s lets the largest body (limits.max_body_bytes, 1 MiB) arrive at ~35 KB/s.
     * `keep_alive_timeout`: an idle keep-alive connection is closed after it. Above the 60 s
     * idle timeout of common load balancers, and far above clients' own reuse windows (undici
     * gives a socket up after 4 s): a client must always give a socket up before the server
     * closes it, or a request sent just then meets a closed socket ("other side closed"; at
     * 5 s, one CI run in six saw it). Idle sockets cost an attacker nothing he could not have
     * by reconnecting: max_connections_per_address bounds them, and a stop closes them at once. `connection_timeout`: a socket with no traffic either way
     * for this long is closed, whatever it is doing; above the slowest answer agentwatch
     * gives (an append waits at most bus.append_timeout, 8 s; an export or search a little more).
     */
    headers_timeout: duration.prefault("10s"),
    request_timeout: duration.prefault("30s"),
    keep_alive_timeout: duration.prefault("65s"),
    connection_timeout: duration.prefault("2m"),
    /**
     * Open connections from one client address (loopback included); further ones are closed
     * at once and counted (agentwatch_http_connections_refused_total). A client that needs
     * more than this is better served by keep-alive; a load balancer in front (one address)
     * needs this raised, or 0 (no cap).
     */
    max_connections_per_address: z.number().int().min(0).default(256),
    /** HTTPS (and optionally mTLS) on this listener; plain HTTP without it. */
    tls: tlsSchema.optional(),
  })
  .superRefine((server, ctx) => {
    for (const key of ["headers_timeout", "request_timeout", "keep_alive_timeout"] as const) {
      // 0 is "no deadline" to Node: the very thing these keys are there to prevent.
      if (server[key] <= 0) ctx.addIssue({ code: "custom", path: [key], message: "must be more than 0" });
    }
    // Node refuses a header deadline past the request deadline (the headers are part of it).
    if (server.request_timeout > 0 && server.headers_timeout > server.request_timeout) {
      ctx.addIssue({
        code: "custom",
        path: ["headers_timeout"],
        message: "must not be longer than server.request_timeout (the headers are part of the request)",
      });
    }
  });

export const configSchema = z
  .strictObject({
    data_dir: z.string().default("./data"),
    server: serverSchema.prefault({}),
    bus: busSchema.default({ type: "embedded", retention: 7 * 86_400_000 }),
    storage: storageSchema.default({ type: "embedded", retention_days: 30, audit_retention_days: 365 }),
    auth: z.strictObject({ tokens: z.array(tokenSchema).min(1, "at least one token is required") }),
    receivers: z.array(receiverSchema).default([]),
    agents: z.array(agentSchema).default([]),
    providers: z.array(providerSchema).default([]),
    hooks: z.array(hookSchema).default([]),
    slack: slackSchema.optional(),
    /**
     * The Ed25519 key that signs evidence bundles (services/runtime/integrity.ts): a PKCS#8 PEM
     * as a secret, or a file holding one. Neither: one is made in the data dir on first use.
     */
    integrity: z
      .strictObject({
        signing_key: secret.optional(),
        signing_key_file: z.string().min(1).optional(),
        /** How often the indexer signs the heads of the events' hash chains (an audit entry). */
        digest_interval: duration.prefault("1h"),
        /** A hold keeps the agent's events from this long before the incident's first finding. */
        hold_lookback: duration.prefault("1h"),
      })
      .prefault({}),
    /**
     * Bounds on the per-agent metrics' label values (services/detector/agent-metrics.ts): agent
     * ids (configured agents first, the rest `_other`), and tools and models per agent.
     */
    metrics: z
      .strictObject({
        max_agents: z.number().int().min(1).max(10_000).default(100),
        max_tools_per_agent: z.number().int().min(1).max(1000).default(20),
        max_models_per_agent: z.number().int().min(1).max(1000).default(10),
      })
      .prefault({}),
    /**
     * OTLP/HTTP ingest (services/otlp): which attribute names the agent id, per the order given,
     * and a map from what was found (a service.name, say) to the agent id to use.
     */
    otlp: z
      .strictObject({
        agent_from: z
          .array(z.enum(["gen_ai.agent.id", "gen_ai.agent.name", "service.name"]))
          .min(1)
          .max(3)
          .default(["gen_ai.agent.id", "gen_ai.agent.name", "service.name"]),
        agents: z
          .record(
            z.string().min(1).max(256),
            z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must match [A-Za-z0-9._:-]{1,128}"),
          )
          .default({}),
        /** A gzip body inflates to at most this (the body as sent is bounded by limits.max_body_bytes). */
        max_decoded_bytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * 1024 * 1024)
          .default(8 * 1024 * 1024),
      })
      .prefault({}),
    limits: z
      .strictObject({
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        max_events_per_request: z.number().int().min(1).default(1000),
        max_text_bytes: z
          .number()
          .int()
          .min(1)
          .default(64 * 1024),
        max_attributes_bytes: z
          .number()
          .int()
          .min(1)
          .default(8 * 1024),
        /** Per tool call, `tool.arguments` as JSON: the detectors scan it whole (exfiltration, leaks). */
        max_tool_arguments_bytes: z
          .number()
          .int()
          .min(1)
          .default(64 * 1024),
        /**
         * Event time discipline: an event whose `time` is further than this ahead of agentwatch's
         * clock at arrival, or further behind, is rejected. Detectors trust event time for their
         * windows; without a bound one event dated 9999 could move them.
         */
        max_event_time_ahead: duration.prefault("5m"),
        max_event_time_behind: duration.prefault("30d"),
        /** Sustained events per second per token; a burst of `burst_events` is allowed on top. */
        events_per_second: z.number().min(1).default(10_000),
        burst_events: z.number().int().min(1).default(50_000),
        /**
         * One event as JSON, every field included (undeclared ones too): the per-field limits
         * bound the fields agentwatch reads; this bounds what it stores. An NDJSON line longer
         * than this is rejected as it is read, without being buffered.
         */
        max_event_bytes: z
          .number()
          .int()
          .min(1024)
          .default(256 * 1024),
        /**
         * How deep objects and arrays may nest anywhere in one event (tool arguments, attributes,
         * undeclared fields): deeper, that event is rejected with the path, the rest accepted.
         */
        max_json_depth: z.number().int().min(8).max(512).default(64),
      })
      .prefault({}),
    detectors: detectorsSchema,
    alerting: z
      .strictObject({
        /** After the first notification, an incident's updates are re-sent at most this often. */
        group_interval: duration.prefault("1m"),
        /** An incident with no new finding for this long is resolved, and receivers are told. */
        resolve_timeout: duration.prefault("15m"),
        /**
         * Flood control. Incidents are counted per group (the values of these labels, as
         * Alertmanager's group_by: by default one agent's one detector); once a group opened
         * `max_incidents_per_group` incidents within `group_window`, its further findings join
         * one overflow incident of the group instead of opening (and paging) one each: a user
         * opening fifty chats with the same attack pages on-call a few times, not fifty.
         */
        group_by: z.array(z.string().min(1).max(128)).min(1).max(16).default(["agent_id", "detector"]),
        max_incidents_per_group: z.number().int().min(1).max(10_000).default(5),
        group_window: duration.prefault("1h"),
        /**
         * Which receivers hear of which incidents. The first route whose matchers all hold takes
         * the incident (and the next ones too while a taken route says `continue`). With no
         * routes, or when none holds, every receiver is told: an incident is never dropped
         * for want of a route.
         */
        routes: z
          .array(
            z.strictObject({
              /** Empty: every incident. */
              matchers: z.array(matcherSchema).max(32).default([]),
              receivers: z.array(z.string().min(1)).min(1),
              continue: z.boolean().default(false),
              /** Flood-control grouping for the incidents this route takes, instead of alerting.group_by. */
              group_by: z.array(z.string().min(1).max(128)).min(1).max(16).optional(),
            }),
          )
          .default([]),
        /**
         * Inhibition, as Alertmanager's inhibit_rules: while an active incident matches
         * source_matchers, incidents matching target_matchers that share its values of the `equal`
         * labels are not notified (e.g. a critical incident on an agent mutes its warnings).
         */
        inhibit_rules: z
          .array(
            z.strictObject({
              source_matchers: z.array(matcherSchema).min(1).max(32),
              target_matchers: z.array(matcherSchema).min(1).max(32),
              equal: z.array(z.string().min(1).max(128)).max(32).default([]),
            }),
          )
          .default([]),
        /**
         * Policies that pause an agent without waiting for on-call: when an incident that matches
         * one fires (a notification is due, so not while silenced), its agent is paused through the
         * kill switch, once per incident, by `policy:<name>`.
         */
        auto_pause: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must match [A-Za-z0-9._-]{1,64}"),
              matchers: z.array(matcherSchema).min(1).max(32),
            }),
          )
          .default([]),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
        /** `json` for production (one object per line); `pretty`, a readable line; `auto`: pretty on a terminal. */
        format: z.enum(["auto", "json", "pretty"]).default("auto"),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    reportDuplicates(
      config.auth.tokens.map((t) => t.name),
      ["auth", "tokens"],
      "name",
      ctx,
    );
    reportDuplicates(
      config.auth.tokens.map((t) => t.token.reveal()),
      ["auth", "tokens"],
      "token",
      ctx,
      true,
    );
    reportDuplicates(
      config.receivers.map((r) => r.name),
      ["receivers"],
      "name",
      ctx,
    );
    reportDuplicates(
      config.agents.map((a) => a.id),
      ["agents"],
      "id",
      ctx,
    );
    reportDuplicates(
      config.hooks.map((h) => h.name),
      ["hooks"],
      "name",
      ctx,
    );
    reportDuplicates(
      config.providers.map((p) => p.name),
      ["providers"],
      "name",
      ctx,
    );
    config.providers.forEach((provider, i) => {
      reportDuplicates(
        provider.keys.map((k) => k.id),
        ["providers", i, "keys"],
        "id",
        ctx,
      );
    });
    config.receivers.forEach((receiver, i) => {
      if (receiver.type === "slack") {
        const app = receiver.token !== undefined || receiver.channel !== undefined;
        if (app === (receiver.url !== undefined)) {
          ctx.addIssue({
            code: "custom",
            path: ["receivers", i, "url"],
            message: "give url (an incoming webhook) or token and channel (the Slack app), one of them",
          });
        } else if (app && (receiver.token === undefined || receiver.channel === undefined)) {
          ctx.addIssue({
            code: "custom",
            path: ["receivers", i, receiver.token === undefined ? "token" : "channel"],
            message: "token and channel go together",
          });
        } else if (app && receiver.buttons && config.slack === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["receivers", i, "buttons"],
            message:
              "buttons need slack.signing_secret to verify the clicks (or set buttons: false for messages without them)",
          });
        }
      }
      if (
        receiver.type === "email" &&
        (receiver.auth_username === undefined) !== (receiver.auth_password === undefined)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["receivers", i, receiver.auth_username === undefined ? "auth_username" : "auth_password"],
          message: "auth_username and auth_password go together",
        });
      }
    });
    reportDuplicates(
      config.alerting.auto_pause.map((p) => p.name),
      ["alerting", "auto_pause"],
      "name",
      ctx,
    );
    config.alerting.auto_pause.forEach((policy, i) => {
      if (matchesEverything(policy.matchers)) {
        ctx.addIssue({
          code: "custom",
          path: ["alerting", "auto_pause", i, "matchers"],
          message:
            "at least one matcher must need a non-empty label value (this policy would pause an agent on any incident)",
        });
      }
    });
    const receiverNames = new Set(config.receivers.map((r) => r.name));
    config.alerting.routes.forEach((route, i) => {
      route.receivers.forEach((name, j) => {
        if (!receiverNames.has(name)) {
          ctx.addIssue({
            code: "custom",
            path: ["alerting", "routes", i, "receivers", j],
            message: `no receiver is named "${name}" (receivers: ${[...receiverNames].join(", ") || "none"})`,
          });
        }
      });
    });
    config.auth.tokens.forEach((token, i) => {
      if (token.client_cert !== undefined && (config.server.tls?.client_auth ?? "none") === "none") {
        ctx.addIssue({
          code: "custom",
          path: ["auth", "tokens", i, "client_cert"],
          message:
            "a token bound to a client certificate needs server.tls with client_auth: request or require (and ca)",
        });
      }
      if (token.role === "ingest" && token.agents === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["auth", "tokens", i, "agents"],
          message: 'an ingest token must list the agents it may post for (["*"] for any)',
        });
      }
    });
  });

function reportDuplicates(
  values: string[],
  basePath: (string | number)[],
  field: string,
  ctx: z.RefinementCtx,
  hideValue = false,
): void {
  const seen = new Map<string, number>();
  values.forEach((value, i) => {
    const first = seen.get(value);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...basePath, i, field],
        message: hideValue
          ? `same ${field} as ${basePath.join(".")}[${first}]; each must be unique`
          : `duplicate ${field} "${value}" (first at ${basePath.join(".")}[${first}])`,
      });
    } else {
      seen.set(value, i);
    }
  });
}

export type DetectorsConfig = z.output<typeof detectorsSchema>;
export type Config = z.output<typeof configSchema> & {
  /** Agent id → its effective detector settings, for agents with `detectors` overrides. */
  agent_detectors: Record<string, DetectorsConfig>;
};
export type TokenConfig = Config["auth"]["tokens"][number];
export type ReceiverConfig = Config["receivers"][number];
export type WebhookReceiverConfig = Extract<ReceiverConfig, { type: "webhook" }>;
export type SlackReceiverConfig = Extract<ReceiverConfig, { type: "slack" }>;
export type PagerdutyReceiverConfig = Extract<ReceiverConfig, { type: "pagerduty" }>;
export type EmailReceiverConfig = Extract<ReceiverConfig, { type: "email" }>;
export type AgentConfig = Config["agents"][number];
export type ProviderConfig = Config["providers"][number];
export type HookConfig = Config["hooks"][number];
export type { Severity };

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file, for messages. */
  path: string;
  /** The file as read, before substitution (renderConfig writes secrets as the variables named there). */
  raw: unknown;
}

/** A problem found while loading: where (a dotted key path) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

// Bounded (names 256, defaults 1024 characters without `$` or `}`), as every pattern here must be:
// see test/regex-safety.test.ts.
const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]{0,255})(?::-([^$}]{0,1024}))?\}|\$\$\{/g;

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string of the parsed tree. `$${` is a
 * literal `${`. Substituting after parsing keeps a value from injecting YAML structure and lets a
 * missing variable be reported at its key path.
 */
export function substituteEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  path: (string | number)[] = [],
): unknown {
  if (typeof node === "string") {
    return node.replace(ENV_REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === "$${") return "${";
      const value = env[name as string];
      if (value !== undefined && value !== "") return value;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return "";
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => substituteEnv(item, env, problems, [...path, i]));
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      out[key] = substituteEnv(value, env, problems, [...path, key]);
    return out;
  }
  return node;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/** Validates an already-parsed config tree. Throws configInvalid listing every problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, source = "config"): Config {
  const problems: ConfigProblem[] = [];
  const substituted = substituteEnv(raw ?? {}, env, problems);
  const result = configSchema.safeParse(substituted);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...issue.path, key]), message: unknownKey(issue.path, key) });
        }
      } else {
        problems.push({ path: formatPath(issue.path), message: issue.message });
      }
    }
  }
  // Keyed by agent id, which may be any [A-Za-z0-9._:-] name, `__proto__` included: no prototype.
  const agentDetectors = Object.create(null) as Record<string, DetectorsConfig>;
  // Agents' own detector settings are checked in the same pass, whatever else is wrong, so a
  // second run never reveals problems the first did not list. Only what the agent itself sets
  // is reported there (a global problem is reported once, at its own key).
  const tree = substituted as { detectors?: unknown; agents?: { id?: string; detectors?: unknown }[] };
  (Array.isArray(tree.agents) ? tree.agents : []).forEach((agent, i) => {
    if (agent?.detectors === undefined) return;
    const merged = detectorsSchema.safeParse(deepMerge(tree.detectors ?? {}, agent.detectors));
    if (merged.success) {
      agentDetectors[agent.id as string] = merged.data;
      return;
    }
    for (const issue of merged.error.issues) {
      const base = ["agents", i, "detectors", ...issue.path];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          if (valueAt(agent.detectors, [...issue.path, key]) === undefined) continue;
          problems.push({
            path: formatPath([...base, key]),
            message: unknownKey(["detectors", ...issue.path], key),
          });
        }
      } else if (valueAt(agent.detectors, issue.path) !== undefined) {
        problems.push({ path: formatPath(base), message: issue.message });
      }
    }
  });
  if (problems.length > 0 || !result.success) {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
    throw new AgentwatchError(
      "configInvalid",
      `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`,
      { details: { problems } },
    );
  }
  return { ...result.data, agent_detectors: agentDetectors };
}

/** `override` merged into `base`: objects key by key, anything else replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override))
    out[key] = key in out ? deepMerge(out[key], value) : value;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Reads, substitutes and validates a YAML config file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = isAbsolute(file) ? file : resolve(process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new AgentwatchError(
      "configInvalid",
      missing
        ? `there is no config file ${path}: copy agentwatch.example.yaml to it and edit it, or name another with --config FILE`
        : `cannot read config file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  - ${e.message.split("\n")[0]}`);
    throw new AgentwatchError("configInvalid", `${path} is not valid YAML:\n${lines.join("\n")}`);
  }
  const raw = doc.toJS();
  return { config: parseConfig(raw, env, path), path, raw };
}

/** Keys whose value is a duration: the effective config writes them as durations ("5m"), as people do. */
const DURATION_KEYS = new Set([
  "retention",
  "append_timeout",
  "timeout",
  "window",
  "entity_ttl",
  "recent_half_life",
  "baseline_half_life",
  "cooldown",
  "warmup",
  "silence",
  "steady_for",
  "group_interval",
  "resolve_timeout",
  "group_window",
  "max_event_time_ahead",
  "max_event_time_behind",
  "poll_interval",
  "cost_poll_interval",
  "reread",
  "backfill",
  "lag",
  "shutdown_timeout",
  "headers_timeout",
  "request_timeout",
  "keep_alive_timeout",
  "connection_timeout",
  "digest_interval",
  "hold_lookback",
]);

/**
 * The effective config as YAML that is itself valid config: defaults filled in, durations as
 * durations, nothing agentwatch derived (agent_detectors). A secret is never shown: it is written
 * as the `${VARIABLE}` it came from (`raw`, the file as read, says which), or `<secret>` when the
 * file holds it literally.
 */
export function renderConfig(config: Config, raw?: unknown): string {
  const { agent_detectors: _derived, ...rest } = config;
  const render = (value: unknown, path: (string | number)[]): unknown => {
    if (value instanceof Secret) {
      const written = valueAt(raw, path);
      if (
        typeof written !== "string" ||
        !/^\$\{[A-Za-z_][A-Za-z0-9_]{0,255}(?::-[^$}]{0,1024})?\}$/.test(written)
      ) {
        return "<secret>";
      }
      // The variable's name, without its default (which may be a secret itself).
      const name = written.slice(2, written.includes(":-") ? written.indexOf(":-") : -1);
      return `\${${name}}`;
    }
    if (Array.isArray(value)) return value.map((v, i) => render(v, [...path, i]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, [...path, k])]));
    }
    const key = path.at(-1);
    if (typeof value === "number" && typeof key === "string" && DURATION_KEYS.has(key))
      return formatDuration(value);
    return value;
  };
  return stringify(render(rest, []));
}

/** An unknown key's message, with the known key it is probably a typo of. */
function unknownKey(path: readonly PropertyKey[], key: string): string {
  const known = valueAt(
    defaultsTree(),
    path.filter((p) => typeof p === "string"),
  );
  if (known === null || typeof known !== "object" || Array.isArray(known)) return "unknown key";
  const guess = closest(key, Object.keys(known));
  return guess ? `unknown key; did you mean \`${guess}\`?` : "unknown key";
}

let defaults: unknown;
/** Every key's default, to suggest the right spelling of a mistyped one. */
function defaultsTree(): unknown {
  defaults ??= configSchema.parse({
    auth: { tokens: [{ name: "x", role: "admin", token: "x".repeat(16) }] },
  });
  return defaults;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  // One slip in a short word, two in a longer one: "bogus" is not a typo of "bus".
  let bestDistance = (word.length <= 5 ? 1 : 2) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
