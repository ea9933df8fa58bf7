/**
 * Starts `agentwatch start` as a real child process (the same entry point users run) with a
 * temporary config and data dir, and talks to it over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { expect } from "vitest";
import { stringify } from "yaml";
import { EmbeddedBus } from "../../services/runtime/bus/embedded.ts";
import { createLogger } from "../../services/runtime/logger.ts";
import { Metrics } from "../../services/runtime/metrics.ts";
import { TOKENS, tokenConfig } from "./tokens.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "agentwatch.js");

// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON answers
export type Json = any;

/** A fetch Response whose json() is typed for assertions. */
export interface TestResponse extends Omit<Response, "json"> {
  json(): Promise<Json>;
}

export interface StartOptions {
  /** Merged over the default test config (tokens for every role, embedded backends). */
  config?: Record<string, unknown>;
  /** Reuse a data dir (restart after a crash). */
  dataDir?: string;
  env?: Record<string, string>;
  /** Roles to run (`--role`); all of them when absent. */
  roles?: string[];
}

export class AgentwatchProcess {
  readonly dataDir: string;
  readonly configPath: string;
  roles: string[] = [];
  readonly logs: string[] = [];
  child: ChildProcess | undefined;
  url = "";

  constructor(dataDir: string, configPath: string) {
    this.dataDir = dataDir;
    this.configPath = configPath;
  }

  /**
   * Sends SIGTERM and waits for the exit code. How long each stop took is appended to the file
   * AW_TEST_STOP_TIMES names (vitest.config.ts), and the run's summary prints the slowest.
   */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const started = Date.now();
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    // An unclean stop says what it waited for: kept with its time for the run's summary.
    const waited = this.logs.filter(
      (l) => /"msg":"stopping: |past the shutdown deadline/.test(l) && /"level":(40|50)/.test(l),
    );
    recordStop(Date.now() - started, code as number | null, waited.slice(-4));
    return code as number | null;
  }

  /** SIGKILL: no chance to flush anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await once(child, "exit");
  }

  fetch(path: string, init: RequestInit = {}): Promise<TestResponse> {
    return fetch(`${this.url}${path}`, init);
  }

  /** Log lines (parsed JSON) whose msg matches. */
  logged(msg: string | RegExp): Record<string, unknown>[] {
    return this.logs
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => (typeof msg === "string" ? l.msg === msg : msg.test(String(l.msg))));
  }

  cleanup(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function recordStop(ms: number, code: number | null, waited: string[]): void {
  const file = process.env.AW_TEST_STOP_TIMES;
  if (!file) return;
  const test = expect.getState().testPath ?? "?";
  appendFileSync(file, `${JSON.stringify({ ms, code, test: relative(ROOT, test), waited })}\n`);
}

export function writeConfig(dataDir: string, overrides: Record<string, unknown> = {}): string {
  const config = {
    data_dir: dataDir,
    server: { host: "127.0.0.1", port: 0 },
    bus: { type: "embedded" },
    storage: { type: "embedded" },
    auth: { tokens: tokenConfig() },
    log: { level: "info" },
    // Test events carry fixed dates (reproducible answers): accept them however old they get.
    // test/event-time.test.ts sets the limits it checks.
    ...overrides,
    limits: { max_event_time_behind: "36500d", ...(overrides.limits as object | undefined) },
  };
  const path = join(dataDir, "agentwatch.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

export async function startAgentwatch(options: StartOptions = {}): Promise<AgentwatchProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "agentwatch-test-"));
  const configPath = writeConfig(dataDir, options.config);
  const proc = new AgentwatchProcess(dataDir, configPath);
  proc.roles = options.roles ?? [];
  await launch(proc, options.env);
  return proc;
}

/** Starts (or restarts) the process for `proc`'s config and waits until it listens. */
export async function launch(proc: AgentwatchProcess, env: Record<string, string> = {}): Promise<void> {
  const roles = proc.roles.length > 0 ? ["--role", proc.roles.join(",")] : [];
  const child = spawn(process.execPath, [BIN, "start", "--config", proc.configPath, ...roles], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.child = child;
  let buffered = "";
  const started = new Promise<string>((resolveUrl, reject) => {
    const onLine = (line: string) => {
      proc.logs.push(line);
      if (line.includes('"agentwatch started"')) resolveUrl(JSON.parse(line).address as string);
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.stderr?.on("data", (chunk: Buffer) => proc.logs.push(...chunk.toString("utf8").split("\n")));
    child.once("exit", (code) =>
      reject(new Error(`agentwatch exited with ${code} before starting:\n${proc.logs.join("\n")}`)),
    );
  });
  proc.url = await withTimeout(started, 30_000, "agentwatch did not start within 30 s");
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value; the default wait is generous because CI machines are shared. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ""}`);
}

/** The ids of every stored event of `type`, page after page (a viewer's read). */
export async function storedEventIds(aw: AgentwatchProcess, type: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: TestResponse = await aw.fetch(
      `/v1/events?type=${type}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
      { headers: { authorization: `Bearer ${TOKENS.viewer}` } },
    );
    const page = await res.json();
    ids.push(...page.events.map((e: { id: string }) => e.id));
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

export interface KafkaRoles {
  collector: AgentwatchProcess;
  workers: AgentwatchProcess;
  /** Stops both processes and removes their folders. */
  stop(): Promise<void>;
}

/**
 * The production split over a real Kafka: a collector process and a detector/alerter/indexer
 * process, topics under a fresh prefix, alerts to `hookUrl` signed with `hookSecret`. `config` is
 * merged into both; `workersConfig` only into the workers (e.g. Elasticsearch storage).
 */
export async function startKafkaRoles(options: {
  brokers: string;
  hookUrl: string;
  hookSecret: string;
  config?: Record<string, unknown>;
  workersConfig?: Record<string, unknown>;
}): Promise<KafkaRoles> {
  const shared = {
    bus: {
      type: "kafka",
      brokers: options.brokers.split(","),
      topic_prefix: `aw-${randomUUID().slice(0, 8)}`,
      partitions: 3,
    },
    receivers: [{ name: "hook", type: "webhook", url: options.hookUrl, secret: options.hookSecret }],
    ...options.config,
  };
  const collector = await startAgentwatch({ config: shared, roles: ["collector"] });
  const workers = await startAgentwatch({
    config: { ...shared, ...options.workersConfig },
    roles: ["detector", "alerter", "indexer"],
  });
  return {
    collector,
    workers,
    async stop() {
      for (const proc of [collector, workers]) {
        await proc.stop();
        proc.cleanup();
      }
    },
  };
}

/**
 * The processes a test file starts: `start` merges its config over `base`; `cleanup` (in an
 * afterEach or afterAll) kills every one started since and removes its folder.
 */
export function processes(base: Record<string, unknown> = {}): {
  start(config?: Record<string, unknown>): Promise<AgentwatchProcess>;
  cleanup(): Promise<void>;
} {
  const started: AgentwatchProcess[] = [];
  return {
    async start(config = {}) {
      const aw = await startAgentwatch({ config: { ...base, ...config } });
      started.push(aw);
      return aw;
    },
    async cleanup() {
      for (const aw of started.splice(0)) {
        await aw.kill();
        aw.cleanup();
      }
    },
  };
}

/** A port nothing listens on now: one the system handed out, then released. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The embedded log in `dataDir` (of a stopped process), to plant or read records directly. */
export async function openEmbeddedLog(dataDir: string): Promise<EmbeddedBus> {
  const bus = new EmbeddedBus({
    dataDir,
    retentionMs: 86_400_000,
    logger: createLogger("silent"),
    metrics: new Metrics(),
  });
  await bus.start();
  return bus;
}
