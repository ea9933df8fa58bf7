/**
 * Composes agentwatch from its roles. `start()` opens the backends, starts the roles' workers
 * and then takes HTTP requests; `stop()` (idempotent) stops taking requests, lets the workers
 * finish and commit their batches, writes the detector checkpoint, and closes the backends.
 */

import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createDetectors } from "../detectors/index.ts";
import { DEFAULT_PRICES } from "../detectors/pricing.ts";
import { OpenIncidentsGauge, observeDetectionLatency, PausedGauge } from "./alerter/alert-metrics.ts";
import { ALERTER_GROUP, Alerter } from "./alerter/alerter.ts";
import { DeliveryDispatcher } from "./alerter/dispatcher.ts";
import { HoldKeeper } from "./alerter/holds.ts";
import { notifierFor } from "./alerter/notifiers/index.ts";
import type { AlertNotification } from "./alerter/notifiers/notifier.ts";
import { SlackAppNotifier } from "./alerter/notifiers/slack-app.ts";
import { registerHoldRoutes, registerIncidentRoutes, registerSilenceRoutes } from "./alerter/routes.ts";
import { registerCollector } from "./collector/collector.ts";
import { registerConsole } from "./console/routes.ts";
import { type ControlCommand, HttpAgentControl } from "./control/agent-control.ts";
import { registerHookRoutes } from "./control/hooks.ts";
import { KillSwitch } from "./control/kill-switch.ts";
import { registerPagerdutyWebhook } from "./control/pagerduty-webhook.ts";
import { PauseBook } from "./control/pause-book.ts";
import { registerAgentRoutes } from "./control/routes.ts";
import { registerSlackInteractions } from "./control/slack-interactions.ts";
import { AgentMetrics } from "./detector/agent-metrics.ts";
import { HttpInjectionClassifier } from "./detector/classifier.ts";
import { DETECTOR_GROUP, DetectorRunner } from "./detector/runner.ts";
import { AuditDigester } from "./indexer/chain.ts";
import { INDEXER_GROUP, Indexer } from "./indexer/indexer.ts";
import { registerInvestigationRoutes } from "./indexer/routes.ts";
import { registerSubjectRoutes } from "./indexer/subjects.ts";
import { registerOtlp } from "./otlp/routes.ts";
import { createPollers, providerSettings } from "./providers/providers.ts";
import type { Reloader } from "./reload.ts";
import { auditWriter } from "./runtime/audit.ts";
import { Authenticator } from "./runtime/auth.ts";
import { type Bus, type Topic, Topics } from "./runtime/bus/bus.ts";
import { EmbeddedBus } from "./runtime/bus/embedded.ts";
import { KafkaBus } from "./runtime/bus/kafka.ts";
import type { Config } from "./runtime/config.ts";
import { DataDirLock } from "./runtime/data-dir-lock.ts";
import { AgentwatchError } from "./runtime/errors.ts";
import { loadSigner } from "./runtime/integrity.ts";
import { createLogger, type Logger } from "./runtime/logger.ts";
import { Metrics } from "./runtime/metrics.ts";
import type { AuditEntry } from "./runtime/model.ts";
import { ElasticsearchStorage } from "./runtime/storage/elasticsearch.ts";
import { EmbeddedStorage } from "./runtime/storage/embedded.ts";
import type { Storage } from "./runtime/storage/storage.ts";
import { checkTls, describeCertificate, type TlsMaterial } from "./runtime/tls.ts";
import { closeServer, createServer, parseInput, principalOf, setCertificates } from "./server.ts";

const reloadBody = z.strictObject({ reason: z.string().max(1024).optional() });

export const ROLE_NAMES = ["collector", "detector", "alerter", "indexer"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** How a stop went: `clean` unless something was still running at `server.shutdown_timeout`. */
export interface StopOutcome {
  clean: boolean;
  ms: number;
  /** What the stop gave up waiting for (connections, workers, backends). */
  waitedFor: string[];
}

export interface AppOptions {
  roles?: readonly RoleName[];
  logger?: Logger;
  /** Serves `POST /v1/admin/config/reload` (reload.ts) when given. */
  reloader?: Reloader;
}

export class Agentwatch {
  readonly config: Config;
  readonly roles: readonly RoleName[];
  readonly metrics = new Metrics();
  readonly logger: Logger;
  #bus: Bus | undefined;
  #storage: Storage | undefined;
  #server: FastifyInstance | undefined;
  #workers: { name: string; stop(): Promise<void> }[] = [];
  #lagTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<StopOutcome> | undefined;
  /** Every worker runs (readiness); false again from the start of a stop. */
  #ready = false;
  readonly #reloader: Reloader | undefined;
  #lock: DataDirLock | undefined;

  constructor(config: Config, options: AppOptions = {}) {
    this.config = config;
    this.#reloader = options.reloader;
    this.roles = options.roles ?? ROLE_NAMES;
    this.logger = options.logger ?? createLogger(config.log.level, this.roles.join(","), config.log.format);
  }

  /** The address the HTTP server listens on, once started. */
  get address(): { host: string; port: number } {
    const address = this.#server?.server.address();
    if (!address || typeof address === "string") throw new Error("agentwatch is not listening");
    return { host: address.address, port: address.port };
  }

  /** `https` when server.tls is set. */
  get scheme(): "http" | "https" {
    return this.config.server.tls ? "https" : "http";
  }

  /**
   * Reads server.tls's files again and puts them on the running listener (SIGHUP, config
   * reload): new handshakes get the new certificate, open connections are kept. A file that
   * does not check out (missing, expired, not the certificate's key...) changes nothing: the
   * error names every problem and the listener keeps the certificate it had.
   * Undefined when the listener is plain HTTP.
   */
  reloadCertificates(): { subject: string; not_after: string } | undefined {
    const tls = this.config.server.tls;
    if (!tls || !this.#server) return undefined;
    const material = tlsMaterial(tls);
    try {
      setCertificates(this.#server, material);
    } catch (err) {
      throw new AgentwatchError(
        "configInvalid",
        `server.tls: Node cannot use the certificate and key: ${(err as Error).message}; the listener keeps its previous certificate`,
        { cause: err },
      );
    }
    const described = describeCertificate(material);
    this.logger.info({ certificate: described }, "TLS certificate reloaded");
    return described;
  }

  /** Writes an audit entry through this process's storage (config reloads are audited here). */
  async recordAudit(entry: Omit<AuditEntry, "id" | "time">): Promise<void> {
    if (!this.#storage) throw new AgentwatchError("storageUnavailable", "agentwatch is not started");
    await auditWriter(this.#storage)(entry);
  }

  async start(): Promise<void> {
    const { config, logger, metrics } = this;
    // The embedded backends live in data_dir: one process there at a time.
    if (config.bus.type === "embedded" || config.storage.type === "embedded") {
      this.#lock = new DataDirLock(config.data_dir);
      this.#lock.acquire();
    }
    const bus = createBus(config, logger, metrics);
    this.#bus = bus;
    const storage = createStorage(config, logger);
    this.#storage = storage;
    await bus.start();
    await storage.start();

    const lock = this.#lock;
    const server = createServer({
      authenticator: new Authenticator(config.auth.tokens),
      metrics,
      logger,
      bodyLimit: config.limits.max_body_bytes,
      listener: config.server,
      ...(config.server.tls
        ? { tls: { settings: config.server.tls, material: tlsMaterial(config.server.tls) } }
        : {}),
      // Ready once the data dir is locked, the log and storage are open and answer, the
      // detectors' state is restored and every worker (consumers included) runs.
      starting: () => !this.#ready,
      ready: async () => {
        const checks = {
          ...(lock ? { data_dir_lock: lock.held } : {}),
          bus: await bus.ready(),
          storage: await storage.ready(),
          workers: this.#ready,
        };
        return { ready: Object.values(checks).every(Boolean), checks };
      },
    });
    this.#server = server;
    // The roles' workers, started in this order once the server listens (so /healthz answers
    // through a long start) and stopped in the reverse order.
    const steps: { name: string; start: () => Promise<void>; stop: () => Promise<void> }[] = [];
    const step = (name: string, start: () => Promise<void>, stop: () => Promise<void>) => {
      steps.push({ name, start, stop });
    };
    const audit = auditWriter(storage);
    const has = (role: RoleName) => this.roles.includes(role);

    if (has("collector")) {
      // Events of a paused agent are still accepted (evidence), marked for paused_agent_active.
      const pauses = new PauseBook(storage, logger);
      step(
        "pauses",
        () => pauses.start(),
        async () => pauses.stop(),
      );
      const ingest = registerCollector(server, {
        bus,
        limits: config.limits,
        metrics,
        pauseOf: (agentId) => pauses.pauseOf(agentId),
      });
      // OTLP/HTTP: spans and log records made events, through the same ingest path.
      registerOtlp(server, { ingest, limits: config.limits, otlp: config.otlp, metrics });
      // The providers' own usage records (a key used where no agent reports it).
      for (const poller of createPollers(config, { bus, storage, logger, metrics })) {
        step(
          "provider poller",
          () => poller.start(),
          () => poller.stop(),
        );
      }
    }
    if (has("indexer")) {
      const signer = loadSigner(config, logger);
      const indexer = new Indexer({
        bus,
        storage,
        logger,
        metrics,
        signer,
        digestIntervalMs: config.integrity.digest_interval,
      });
      step(
        "indexer",
        () => indexer.start(),
        () => indexer.stop(),
      );
      registerInvestigationRoutes(server, storage, signer);
      registerSubjectRoutes(server, { storage, audit });
    } else {
      // No indexer here to sign this process's audit chain (the alerter alone, say): its own digests.
      const digester = new AuditDigester({
        storage,
        signer: loadSigner(config, logger),
        intervalMs: config.integrity.digest_interval,
        onError: (err) =>
          logger.error({ err }, "writing the signed digest of the audit chain failed; tried again later"),
      });
      step(
        "audit digests",
        async () => digester.start(),
        () => digester.stop(),
      );
    }
    if (has("detector")) {
      const detectors = createDetectors(
        config.detectors,
        config.agents,
        config.agent_detectors,
        providerSettings(config),
      );
      const runner = new DetectorRunner({
        bus,
        storage,
        detectors,
        classifier: classifierFrom(config),
        agentMetrics: new AgentMetrics({
          metrics,
          agents: config.agents.map((a) => a.id),
          detectors: [...new Set(detectors.map((d) => d.name))],
          maxAgents: config.metrics.max_agents,
          maxToolsPerAgent: config.metrics.max_tools_per_agent,
          maxModelsPerAgent: config.metrics.max_models_per_agent,
          prices: { ...DEFAULT_PRICES, ...config.detectors.spend_cap.prices },
        }),
        metrics,
        logger,
        maxAheadMs: config.limits.max_event_time_ahead,
        maxBehindMs: config.limits.max_event_time_behind,
      });
      step(
        "detector",
        () => runner.start(),
        () => runner.stop(),
      );
    }
    if (has("alerter")) {
      const notifiers = new Map(
        config.receivers.map((r) => [
          r.name,
          notifierFor(r, { storage, logger, externalUrl: config.server.external_url }),
        ]),
      );
      const controls = new Map(
        config.agents.flatMap((a) => (a.control ? [[a.id, new HttpAgentControl(a.control)] as const] : [])),
      );
      let killSwitch: KillSwitch | undefined;
      const dispatcher = new DeliveryDispatcher({
        storage,
        metrics,
        logger,
        senderFor: (kind, target) => {
          if (kind === "alert") {
            const notifier = notifiers.get(target);
            return notifier && ((body) => notifier.send(JSON.parse(body) as AlertNotification));
          }
          const control = controls.get(target);
          return control && ((body) => control.send(JSON.parse(body) as ControlCommand));
        },
        onAttempt: async (delivery) => {
          observeDetectionLatency(metrics, delivery);
          await killSwitch?.onDeliveryAttempt(delivery);
        },
      });
      let alerter: Alerter | undefined;
      let holdKeeper: HoldKeeper | undefined;
      const pausedGauge = new PausedGauge(
        metrics,
        config.agents.map((a) => a.id),
        config.metrics.max_agents,
      );
      killSwitch = new KillSwitch({
        storage,
        dispatcher,
        agents: config.agents,
        metrics,
        logger,
        audit,
        // The alerts about the agent show it paused (a Slack message edited, a Resume button).
        onChange: async (agentId, action, input, at) => {
          pausedGauge.set(agentId, action === "pause");
          // Held at once (the keeper would in a few seconds anyway).
          if (action === "pause" && input.incidentId) await holdKeeper?.refresh();
          const active = (await storage.listActiveIncidents())
            .filter((s) => s.incident.agent_id === agentId)
            .map((s) => s.incident.id);
          await alerter?.actions.announce(
            [...(input.incidentId ? [input.incidentId] : []), ...active].slice(0, 20),
            {
              kind: action === "pause" ? "agent_paused" : "agent_resumed",
              by: input.actor,
              at,
              reason: input.reason,
            },
          );
        },
      });
      alerter = new Alerter({
        bus,
        storage,
        dispatcher,
        receivers: config.receivers,
        alerting: config.alerting,
        metrics,
        logger,
        audit,
        updatesTaken: (receiver) => notifiers.get(receiver)?.updatesTaken ?? new Set(),
        pauseAgent: async (agentId, input) => {
          // An agent on-call (or another policy) paused already stays as it is: no second
          // control call, and the pause keeps its first author and reason.
          if ((await killSwitch?.get(agentId))?.state === "paused") return;
          await killSwitch?.pause(agentId, input);
        },
      });
      // Zeros from the start, so panels show 0 rather than no data.
      for (const consumer of [DETECTOR_GROUP, ALERTER_GROUP, INDEXER_GROUP])
        metrics.deadLetters.inc({ consumer }, 0);
      for (const detector of Object.keys(config.detectors)) {
        metrics.detectionLatency.zero({ detector });
        metrics.notificationLatency.zero({ detector });
      }
      for (const receiver of config.receivers) {
        for (const outcome of ["success", "retry", "failed"]) {
          metrics.deliveries.inc({ kind: "alert", target: receiver.name, outcome }, 0);
        }
      }
      const openGauge = new OpenIncidentsGauge({
        storage,
        metrics,
        logger,
        agents: config.agents.map((a) => a.id),
        maxAgents: config.metrics.max_agents,
      });
      step(
        "open incidents gauge",
        () => openGauge.start(),
        () => openGauge.stop(),
      );
      // Stopped in reverse: the alerter first (no new notifications), then the outbox.
      step(
        "dispatcher",
        async () => dispatcher.start(),
        () => dispatcher.stop(),
      );
      const startedKillSwitch = killSwitch;
      step(
        "alerter",
        async () => {
          await alerter.start();
          pausedGauge.reset(await startedKillSwitch.list());
        },
        () => alerter.stop(),
      );
      registerIncidentRoutes(server, storage, alerter);
      registerSilenceRoutes(server, storage, alerter);
      registerAgentRoutes(server, storage, killSwitch);
      // The kill switch for Alertmanager, Grafana and other alert tools (config hooks).
      registerHookRoutes(server, { hooks: config.hooks, killSwitch, alerter, storage, metrics });
      // Evidence held when an agent is paused for an incident or an incident is critical.
      const holds = new HoldKeeper({ storage, audit, logger, lookbackMs: config.integrity.hold_lookback });
      holdKeeper = holds;
      step(
        "holds",
        () => holds.start(),
        () => holds.stop(),
      );
      registerHoldRoutes(server, storage, holds);
      // On-call acting from Slack's buttons and from PagerDuty.
      if (config.slack) {
        const apps = new Map(
          [...notifiers].flatMap(([name, n]) => (n instanceof SlackAppNotifier ? [[name, n] as const] : [])),
        );
        const interactions = registerSlackInteractions(server, {
          slack: config.slack,
          apps,
          alerter,
          killSwitch,
          storage,
          metrics,
          logger,
        });
        step(
          "slack interactions",
          async () => undefined,
          () => interactions.stop(),
        );
      }
      registerPagerdutyWebhook(server, {
        receivers: config.receivers.filter((r) => r.type === "pagerduty"),
        alerter,
        storage,
        metrics,
        logger,
      });
      registerConsole(server);
    }

    const reloader = this.#reloader;
    if (reloader) {
      server.post("/v1/admin/config/reload", { config: { permission: "admin" } }, async (request, reply) => {
        const body = parseInput(reloadBody, request.body ?? {}, "body");
        const plan = await reloader.prepare(principalOf(request).name, body.reason ?? null);
        // Applied once this answer is sent: applying stops this server, which waits for it.
        reply.raw.once("finish", () => {
          plan.apply().catch((err) => logger.error({ err }, "config reload failed"));
        });
        return reply.code(202).send({
          reloading: plan.restart,
          changed: plan.changed,
          ...(plan.certificate ? { certificate: plan.certificate } : {}),
        });
      });
    }

    this.#lagTimer = setInterval(() => this.#updateLag(), 5000);
    this.#lagTimer.unref();
    try {
      await server.listen({ host: config.server.host, port: config.server.port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new AgentwatchError(
          "configInvalid",
          `${config.server.host}:${config.server.port} is in use by another program; stop it, or set server.port`,
        );
      }
      throw err;
    }
    logger.info(
      {
        address: `${this.scheme}://${this.address.host}:${this.address.port}`,
        ...(config.server.tls ? { client_auth: config.server.tls.client_auth } : {}),
        workers: steps.map((s) => s.name),
      },
      "listening; starting the workers (/readyz answers 503 until they run)",
    );
    for (const { name, start, stop } of steps) {
      await start();
      this.#workers.push({ name, stop });
    }
    this.#ready = true;
    logger.info(
      {
        roles: this.roles,
        bus: config.bus.type,
        storage: config.storage.type,
        address: `${this.scheme}://${this.address.host}:${this.address.port}`,
      },
      "agentwatch started",
    );
  }

  /**
   * Stops taking requests, lets the requests in hand and the workers finish and commit, writes
   * the detectors' checkpoint, and closes the backends, within `server.shutdown_timeout`: the
   * requests in hand get up to half of it. Past the deadline it logs what it was still waiting
   * for, closes the connections left, goes on to the next worker and still closes the backends
   * (each still given a moment), and resolves `clean: false`. Nothing acknowledged is lost
   * either way: an acknowledged event is in the log, and what was not committed is read again on
   * the next start. Idempotent.
   */
  stop(): Promise<StopOutcome> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopOutcome> {
    const { logger } = this;
    const started = Date.now();
    const timeoutMs = this.config.server.shutdown_timeout;
    const deadline = started + timeoutMs;
    const waitedFor: string[] = [];
    logger.info(
      { shutdown_timeout_ms: timeoutMs },
      "stopping: no new requests; finishing and committing work in hand",
    );
    this.#ready = false;
    clearInterval(this.#lagTimer);
    if (this.#server) {
      const drained = await closeServer(this.#server, timeoutMs / 2);
      if (drained.forced.length > 0) {
        waitedFor.push(`${drained.forced.length} HTTP connection(s)`);
        logger.warn(
          { connections: drained.forced, waited_ms: drained.ms },
          "stopping: requests still in hand at their deadline; their connections were closed (clients retry what was not answered)",
        );
      }
    }
    for (const worker of [...this.#workers].reverse()) {
      // Past the deadline each still gets a moment: a hung worker must not cost the others their commit.
      const outcome = await settleWithin(worker.stop(), Math.max(100, deadline - Date.now()));
      if (outcome === "timeout") {
        waitedFor.push(`worker ${worker.name}`);
        logger.warn(
          { worker: worker.name, shutdown_timeout_ms: timeoutMs },
          "stopping: a worker did not finish by the deadline; going on without it (what it did not commit is read again on the next start)",
        );
      } else if (outcome instanceof Error) {
        logger.error({ err: outcome, worker: worker.name }, "a worker failed to stop cleanly");
      }
    }
    for (const [name, backend] of [
      ["storage", this.#storage],
      ["bus", this.#bus],
    ] as const) {
      if (!backend) continue;
      const outcome = await settleWithin(backend.stop(), Math.max(500, deadline - Date.now()));
      if (outcome === "timeout") {
        waitedFor.push(name);
        logger.warn({ backend: name }, "stopping: closing a backend did not finish in time");
      } else if (outcome instanceof Error) {
        logger.error({ err: outcome, backend: name }, "closing a backend failed");
      }
    }
    this.#lock?.release();
    const ms = Date.now() - started;
    if (waitedFor.length > 0) {
      logger.error(
        { ms, waited_for: waitedFor },
        `stopped past the shutdown deadline, waiting for ${waitedFor.join(", ")}`,
      );
    } else {
      logger.info({ ms }, "stopped");
    }
    return { clean: waitedFor.length === 0, ms, waitedFor };
  }

  async #updateLag(): Promise<void> {
    const bus = this.#bus;
    if (!bus) return;
    const consumers: [string, Topic, RoleName][] = [
      [INDEXER_GROUP, Topics.events, "indexer"],
      [DETECTOR_GROUP, Topics.events, "detector"],
      [ALERTER_GROUP, Topics.findings, "alerter"],
    ];
    for (const [group, topic, role] of consumers) {
      if (!this.roles.includes(role)) continue;
      try {
        this.metrics.busLag.set({ group, topic }, await bus.lag(group, topic));
      } catch (err) {
        this.logger.warn({ err, group }, "could not read consumer lag");
      }
    }
  }
}

/** server.tls's files, read and checked; every problem in one configInvalid error. */
function tlsMaterial(tls: NonNullable<Config["server"]["tls"]>): TlsMaterial {
  const { material, problems } = checkTls(tls);
  if (!material) {
    const lines = problems.map((p) => `  - server.tls.${p.key}: ${p.message}`);
    throw new AgentwatchError(
      "configInvalid",
      `server.tls has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`,
      { details: { problems } },
    );
  }
  return material;
}

function classifierFrom(config: Config): HttpInjectionClassifier | undefined {
  const external = config.detectors.injection_attempt.classifier;
  if (!external) return undefined;
  return new HttpInjectionClassifier({
    url: external.url,
    timeoutMs: external.timeout,
    ...(external.token ? { token: external.token } : {}),
  });
}

function createBus(config: Config, logger: Logger, metrics: Metrics): Bus {
  if (config.bus.type === "embedded") {
    return new EmbeddedBus({ dataDir: config.data_dir, retentionMs: config.bus.retention, logger, metrics });
  }
  return new KafkaBus({
    brokers: config.bus.brokers,
    topicPrefix: config.bus.topic_prefix,
    clientId: config.bus.client_id,
    partitions: config.bus.partitions,
    appendTimeoutMs: config.bus.append_timeout,
    ...(config.bus.ssl
      ? {
          ssl: {
            rejectUnauthorized: config.bus.ssl.reject_unauthorized,
            ...(config.bus.ssl.ca ? { ca: readPem(config.bus.ssl.ca, "bus.ssl.ca") } : {}),
            ...(config.bus.ssl.cert ? { cert: readPem(config.bus.ssl.cert, "bus.ssl.cert") } : {}),
            ...(config.bus.ssl.key ? { key: readPem(config.bus.ssl.key, "bus.ssl.key") } : {}),
          },
        }
      : {}),
    ...(config.bus.sasl ? { sasl: config.bus.sasl } : {}),
    logger,
    metrics,
  });
}

/** A PEM file the config names (checked readable when the config was loaded; read at each start). */
function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new AgentwatchError("configInvalid", `${key}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The storage the config names (also what `agentwatch export-feedback` reads). */
export function createStorage(config: Config, logger: Logger): Storage {
  // The key signs the tombstones that retention and erasure leave in the hash chains.
  const signer = loadSigner(config, logger);
  if (config.storage.type === "embedded") {
    const { retention_days, audit_retention_days } = config.storage;
    return new EmbeddedStorage(
      config.data_dir,
      retention_days > 0
        ? { retentionDays: retention_days, auditRetentionDays: audit_retention_days || 365_000, logger }
        : undefined,
      { signer },
    );
  }
  return new ElasticsearchStorage({
    node: config.storage.node,
    indexPrefix: config.storage.index_prefix,
    retentionDays: config.storage.retention_days,
    auditRetentionDays: config.storage.audit_retention_days,
    ...(config.storage.username ? { username: config.storage.username } : {}),
    ...(config.storage.password ? { password: config.storage.password } : {}),
    logger,
    signer,
  });
}

/** Waits for `work` at most `ms`: its error, "timeout", or "done". */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<"done" | "timeout" | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      work.then(
        () => "done" as const,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
