/**
 * The `agentwatch` command.
 *   agentwatch start [--config FILE] [--role collector,detector,...]
 *   agentwatch config check [--config FILE]
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDuration } from "../lib/duration.ts";
import { Agentwatch, createStorage, ROLE_NAMES, type RoleName } from "./app.ts";
import { verifyBundle } from "./indexer/evidence.ts";
import { verifyChains } from "./indexer/verify.ts";
import { OPERATOR_USAGE, runOperator } from "./operator-cli.ts";
import { checkProviders } from "./providers/providers.ts";
import { Reloader } from "./reload.ts";
import { type Config, loadConfig, renderConfig } from "./runtime/config.ts";
import { AgentwatchError } from "./runtime/errors.ts";
import { loadSigner } from "./runtime/integrity.ts";
import { createLogger } from "./runtime/logger.ts";
import {
  exportFeedback,
  foundKinds,
  offlineConfig,
  outputStream,
  parseScenarios,
  postSimulation,
  readInput,
  replayFile,
  SCAN_KINDS,
  type ScanKind,
  scanInput,
  writeSimulation,
} from "./tools.ts";

const USAGE = `Usage:
  agentwatch start [--config FILE] [--role ROLE[,ROLE...]]
      Runs agentwatch. Without --role, every role in one process (collector, detector,
      alerter, indexer). --role may be repeated or comma-separated.
  agentwatch config check [--config FILE]
      Validates the config, lists every problem, and prints the effective config (itself
      valid config; secrets as the \${VARIABLE} they came from, or <secret>).
  agentwatch scan [INPUT] [--fail-on injection,pii,secrets] [--explain]
      Checks text offline: JSONL with "text" (and optional "type": prompt, tool_result,
      retrieval, response) or plain text (scanned whole, as one input), from INPUT or stdin.
      Prints one JSON result per input: injection score and evidence, PII and secrets found
      (positions and types), and the redacted text. Exits 3 when it found a kind named in
      --fail-on (default: all three; injection counts from a score of 0.5), for CI.
      --explain adds, per input, each injection stage's score: the rules that fired with
      their weights, and the learned model's margin, threshold, the part it read and the
      features that raised and lowered it most (to understand and report a false positive).
  agentwatch simulate [--agents 50] [--users 20] [--days 8] [--start 2026-11-02] [--seed 1]
                      [--attacks all|none|stolen_key,brute_force,...]
                      [--providers] [--flat] [--ramp 10,2 [--ramp-hours 12]]
                      [--out FILE] [--truth FILE] | [--post URL --token TOKEN]
      Realistic traffic with labelled attacks: NDJSON events to FILE (or stdout) and the
      ground truth to --truth, or posted to a running agentwatch. --providers adds the LLM
      providers' own usage records (as agentwatch's provider pollers read them; leaked_key is
      made of those): replay them with providers sim-openai and sim-anthropic configured.
      --flat makes every hour of every day alike; --ramp multiplies agent i's traffic by a
      factor rising from 1 to the i-th value over --ramp-hours (12) from the last day's start,
      then held (slow ramps: --flat --days 4 --ramp 10,2 is three flat days, then 10x and 2x).
  agentwatch replay EVENTS.ndjson [--config FILE]
      Runs the detectors over recorded events (NDJSON) with the thresholds of FILE (or the
      defaults) and prints the incidents they would have raised.
  agentwatch providers check [--config FILE]
      Calls each configured LLM provider's usage API once (the last hour) and prints, per
      provider, whether the admin key works, the latest bucket with usage, and the key ids seen
      that no agent is mapped to (never the admin key). Exits 1 when one does not work.
  agentwatch export-feedback [--config FILE] [--out FILE]
      The findings operators marked as false positives (POST /v1/incidents/{id}/false-positive),
      as labelled NDJSON rows with the text they were raised on (label 0), to FILE or stdout:
      what a team retrains the injection model on with its own traffic.
  agentwatch verify [--config FILE] [--from TIME] [--to TIME]
      Recomputes the hash chains from storage (either backend), the events' and the audit
      trail's, and prints, per chain, verified, or which record (seq, agent/id) was changed,
      deleted, inserted or reordered; checks the latest signed digest of each chain and the
      signed tombstones of retention and erasure. --from/--to (RFC 3339, or a duration ago such
      as 24h) check only the records that arrived in that range. Exits 0 when all verify, 1 when not.
  agentwatch verify --bundle FILE [--public-key PEM_FILE]
      Checks an incident's evidence bundle (GET /v1/incidents/{id}/evidence) offline: every
      record's hash, the chain (a record deleted, inserted or moved), the count and the Ed25519
      signature; with --public-key, that agentwatch's key signed it. Each exported event and
      audit entry is also checked against its link in the storage's hash chain and, through the
      bundle's chain proofs, against a signed digest: changed in storage before the export is
      caught too. Prints one JSON verdict naming each problem's line (and how many records were
      proven); exits 0 when it verifies, 1 when it does not.
  agentwatch integrity public-key [--config FILE]
      Prints the public half of the key that signs evidence bundles (PEM), and its id.
${OPERATOR_USAGE}
  agentwatch --version

FILE defaults to ./agentwatch.yaml for start, config check, providers check and export-feedback.`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`agentwatch: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`agentwatch ${pkg.version}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const configFile = values.config ?? "agentwatch.yaml";
  const command = positionals.join(" ");
  try {
    if (command === "config check") {
      const { config, path, raw } = loadConfig(configFile);
      process.stdout.write(`# ${path}: valid\n${renderConfig(config, raw)}`);
      return 0;
    }
    if (command === "start") return await start(configFile, parseRoles(values.role ?? []));
    const [verb, ...rest] = positionals;
    if (verb === "scan" && rest.length <= 1) {
      const failOn = parseFailOn(values["fail-on"] ?? "injection,pii,secrets");
      const results = scanInput(
        readInput(rest[0]),
        (line) => process.stdout.write(`${line}\n`),
        values.explain === true,
      );
      // For CI: a finding of a kind in --fail-on exits 3 (1 is an error, 2 a usage mistake).
      const found = new Set(results.flatMap((r) => foundKinds(r)).filter((k) => failOn.includes(k)));
      if (found.size > 0) {
        process.stderr.write(`agentwatch scan: found ${[...found].join(", ")}\n`);
        return 3;
      }
      return 0;
    }
    if (verb === "simulate" && rest.length === 0) return await runSimulate(values);
    if (verb === "verify" && rest.length === 0 && values.bundle) {
      const trusted = values["public-key"] ? readFileSync(values["public-key"], "utf8") : undefined;
      const verdict = verifyBundle(readFileSync(values.bundle, "utf8"), trusted);
      process.stdout.write(`${JSON.stringify(verdict)}\n`);
      if (verdict.ok) {
        process.stderr.write(
          `verified: ${verdict.records} records of incident ${verdict.incident_id}, signed with key ${verdict.key_id}; ${verdict.proven} events and audit entries proven as stored under a signed digest, ${verdict.unproven} not (yet)\n`,
        );
        if (!trusted) process.stderr.write("pass --public-key with the key you trust to check whose it is\n");
      }
      for (const note of verdict.notes ?? []) process.stderr.write(`  ${note}\n`);
      return verdict.ok ? 0 : 1;
    }
    if (verb === "verify" && rest.length === 0 && !values.bundle) {
      const range = {
        ...(values.from !== undefined ? { from: timeArgument(values.from) } : {}),
        ...(values.to !== undefined ? { to: timeArgument(values.to) } : {}),
      };
      if ([range.from, range.to].some((t) => t !== undefined && Number.isNaN(t))) {
        process.stderr.write(
          `agentwatch: --from and --to take an RFC 3339 time, epoch ms, or a duration ago such as 24h\n`,
        );
        return 2;
      } else if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
        process.stderr.write("agentwatch: --from must be before --to\n");
        return 2;
      }
      const { config } = loadConfig(configFile);
      const logger = createLogger("warn", "verify");
      const signer = loadSigner(config, logger);
      const storage = createStorage(config, logger);
      await storage.start();
      try {
        const report = await verifyChains(storage, signer.publicKeyPem, range);
        process.stdout.write(`${JSON.stringify(report)}\n`);
        if (report.range)
          process.stderr.write(
            `arrived from ${report.range.from ?? "the start"} to ${report.range.to ?? "now"}\n`,
          );
        for (const chain of report.chains) {
          process.stderr.write(
            `${chain.stream}: ${chain.verified ? "verified" : "FAILED"} (seq ${chain.first_seq} to ${chain.last_seq}, ${chain.records} records${chain.digest ? `, digest of ${chain.digest.time} ${chain.digest.signature}` : ""})\n`,
          );
          for (const problem of chain.problems) process.stderr.write(`  ${problem}\n`);
        }
        for (const problem of report.problems) process.stderr.write(`${problem}\n`);
        return report.ok ? 0 : 1;
      } finally {
        await storage.stop();
      }
    }
    if (command === "integrity public-key") {
      const { config } = loadConfig(configFile);
      const signer = loadSigner(config, createLogger("warn", "integrity"));
      process.stdout.write(signer.publicKeyPem);
      process.stderr.write(`key id ${signer.keyId}\n`);
      return 0;
    }
    if (command === "providers check") {
      const { config } = loadConfig(configFile);
      if (config.providers.length === 0) {
        process.stderr.write(`agentwatch providers check: ${configFile} configures no providers\n`);
        return 1;
      }
      const results = await checkProviders(config);
      for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
      return results.every((r) => r.ok) ? 0 : 1;
    }
    if (verb === "incidents" || verb === "agents" || verb === "silences") {
      return await runOperator(verb, rest, values, (text) => process.stdout.write(text));
    }
    if (verb === "export-feedback" && rest.length === 0) {
      const { config } = loadConfig(configFile);
      const storage = createStorage(config, createLogger("warn", "export-feedback"));
      await storage.start();
      const out = outputStream(values.out);
      try {
        const rows = await exportFeedback(storage, (line) => out.write(`${line}\n`));
        process.stderr.write(
          `exported ${rows} labelled row${rows === 1 ? "" : "s"}${values.out ? ` to ${values.out}` : ""}\n`,
        );
      } finally {
        await storage.stop();
        if (values.out)
          await new Promise((resolve) =>
            (out as NodeJS.WritableStream & { end(cb: () => void): void }).end(() => resolve(undefined)),
          );
      }
      return 0;
    }
    if (verb === "replay" && rest.length === 1) {
      const config = offlineConfig(values.config, (f) => loadConfig(f).config);
      const tty = process.stderr.isTTY;
      const result = await replayFile(rest[0] as string, config, tty ? progressBar : undefined);
      if (tty) process.stderr.write("\n");
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
  } catch (err) {
    if (err instanceof AgentwatchError) {
      process.stderr.write(`agentwatch: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stderr.write(`agentwatch: unknown command "${command}"\n\n${USAGE}\n`);
  return 2;
}

function progressBar(done: number, total: number): void {
  const share = total === 0 ? 1 : done / total;
  const width = 30;
  const filled = Math.round(share * width);
  process.stderr.write(
    `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%`,
  );
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new AgentwatchError("invalidRequest", `--${name} must be a whole number >= 1`);
  return n;
}

/** `--ramp 10,2`: one factor per agent, each at least 1. */
function parseFactors(list: string): number[] {
  const factors = list.split(",").map((f) => Number(f.trim()));
  if (factors.length === 0 || factors.some((f) => !Number.isFinite(f) || f < 1 || f > 1000))
    throw new AgentwatchError(
      "invalidRequest",
      "--ramp must be factors from 1 to 1000, one per agent, e.g. 10,2",
    );
  return factors;
}

async function runSimulate(values: ReturnType<typeof parse>["values"]): Promise<number> {
  const days = positiveInt(values.days, 8, "days");
  // Posted traffic ends now by default: the collector refuses event times far from its clock
  // (limits.max_event_time_behind/ahead). Written traffic keeps a fixed, reproducible start.
  const start =
    values.start !== undefined
      ? Date.parse(values.start)
      : values.post
        ? Math.floor((Date.now() - days * 86_400_000) / 60_000) * 60_000
        : Date.parse("2026-11-02T00:00:00Z");
  if (Number.isNaN(start))
    throw new AgentwatchError("invalidRequest", "--start must be a date, e.g. 2026-11-02");
  const args = {
    agents: positiveInt(values.agents, 50, "agents"),
    users: positiveInt(values.users, 20, "users"),
    days,
    start,
    seed: positiveInt(values.seed, 1, "seed"),
    attacks: parseScenarios(values.attacks ?? "all"),
    ...(values.providers ? { providers: true } : {}),
    ...(values.flat ? { flat: true } : {}),
    ...(values.ramp !== undefined
      ? {
          ramp: {
            factors: parseFactors(values.ramp),
            hours: positiveInt(values["ramp-hours"], 12, "ramp-hours"),
          },
        }
      : {}),
  };
  if (values.post) {
    if (!values.token)
      throw new AgentwatchError(
        "invalidRequest",
        '--post needs --token (an ingest token allowed for the simulated agents, e.g. agents: ["*"])',
      );
    const result = await postSimulation(args, values.post, values.token, (line) =>
      process.stderr.write(`${line}\n`),
    );
    process.stderr.write(
      `posted ${result.sent} events to ${values.post}: ${result.accepted} accepted, ${result.duplicates} duplicates, ${result.rejected} rejected${
        result.conflicts > 0
          ? ` (${result.conflicts} under a new id: their ids were used before for other content)`
          : ""
      }\n`,
    );
    for (const r of result.reasons) process.stderr.write(`  rejected ${r.id ?? "(no id)"}: ${r.error}\n`);
    // Nothing may be lost silently: a rejection fails the command.
    return result.rejected > 0 ? 1 : 0;
  }
  const out = outputStream(values.out);
  const count = await writeSimulation(args, out, values.truth);
  if (values.out)
    await new Promise((resolve) =>
      (out as NodeJS.WritableStream & { end(cb: () => void): void }).end(() => resolve(undefined)),
    );
  process.stderr.write(
    `wrote ${count} events${values.out ? ` to ${values.out}` : ""}${values.truth ? `, ground truth to ${values.truth}` : ""}\n`,
  );
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      role: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      agents: { type: "string" },
      users: { type: "string" },
      days: { type: "string" },
      start: { type: "string" },
      seed: { type: "string" },
      attacks: { type: "string" },
      providers: { type: "boolean" },
      flat: { type: "boolean" },
      ramp: { type: "string" },
      "ramp-hours": { type: "string" },
      out: { type: "string", short: "o" },
      truth: { type: "string" },
      post: { type: "string" },
      token: { type: "string" },
      "fail-on": { type: "string" },
      explain: { type: "boolean" },
      url: { type: "string" },
      json: { type: "boolean" },
      status: { type: "string" },
      agent: { type: "string" },
      comment: { type: "string" },
      reason: { type: "string" },
      matcher: { type: "string", multiple: true },
      duration: { type: "string" },
      state: { type: "string" },
      bundle: { type: "string" },
      "public-key": { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
  });
}

function parseRoles(values: string[]): RoleName[] | undefined {
  const roles = values
    .flatMap((v) => v.split(","))
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (roles.length === 0) return undefined;
  const unknown = roles.filter((r) => !(ROLE_NAMES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new AgentwatchError(
      "configInvalid",
      `unknown role${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; roles are ${ROLE_NAMES.join(", ")}`,
    );
  }
  return [...new Set(roles)] as RoleName[];
}

async function start(configFile: string, roles: RoleName[] | undefined): Promise<number> {
  const { config } = loadConfig(configFile);
  const reloader = new Reloader({
    configFile,
    current: () => app,
    // The roles stop (finishing, committing and checkpointing their work) and start again on
    // the new config; if the new config cannot start, the old one is started again.
    replace: async (next) => {
      const previous = app;
      await previous.stop();
      app = new Agentwatch(next, { ...(roles ? { roles } : {}), reloader });
      try {
        await app.start();
        app.logger.info("config reloaded");
      } catch (err) {
        app.logger.error({ err }, "the reloaded config did not start; starting again on the previous one");
        await app.stop().catch(() => undefined);
        app = new Agentwatch(previous.config, { ...(roles ? { roles } : {}), reloader });
        await app.start();
      }
    },
  });
  let app = new Agentwatch(config, { ...(roles ? { roles } : {}), reloader });
  const examples = exampleSecrets(config);
  if (examples.length > 0) {
    app.logger.warn(
      { keys: examples },
      `${examples.join(", ")} still ${examples.length === 1 ? "has its" : "have their"} example value (contains 'change-me'): set AW_INGEST_TOKEN, AW_OPERATOR_TOKEN, AW_VIEWER_TOKEN, AW_HOOK_SECRET and AW_CONTROL_SECRET for anything but a try-out`,
    );
  }
  process.on("SIGHUP", () => {
    app.logger.info("SIGHUP: reloading the config");
    reloader
      .prepare("signal:SIGHUP", null)
      .then((plan) => plan.apply())
      .catch((err) => app.logger.error({ err }, "config not reloaded"));
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      app.logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    app.logger.info({ signal }, "signal received; shutting down");
    // The stop keeps its own deadline (server.shutdown_timeout); this is the last resort, should
    // something it awaits never settle at all.
    const lastResort = setTimeout(() => {
      app.logger.error("the stop did not return; exiting without it");
      process.exit(1);
    }, app.config.server.shutdown_timeout + 3000);
    lastResort.unref();
    app.stop().then(
      (outcome) => process.exit(outcome.clean ? 0 : 1),
      (err) => {
        app.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Launched through `npm start` or `npx`, the server is npm's child, and a SIGTERM to npm's pid
  // ends npm without reaching it: when the process that launched it goes, it stops as on SIGTERM.
  // (Started by init, a service manager or a container runtime, its parent never changes.)
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphaned);
    app.logger.info({ parent }, "the process that started agentwatch has exited; shutting down");
    onSignal("SIGTERM");
  }, 500);
  orphaned.unref();
  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

/** The config keys whose secret still holds an example value (tokens, webhook and control secrets). */
export function exampleSecrets(config: Config): string[] {
  const keys: string[] = [];
  config.auth.tokens.forEach((t, i) => {
    if (t.token.reveal().includes("change-me")) keys.push(`auth.tokens[${i}].token (${t.name})`);
  });
  config.receivers.forEach((r, i) => {
    if (r.type === "webhook" && r.secret.reveal().includes("change-me"))
      keys.push(`receivers[${i}].secret (${r.name})`);
  });
  config.agents.forEach((a, i) => {
    if (a.control?.secret.reveal().includes("change-me")) keys.push(`agents[${i}].control.secret (${a.id})`);
  });
  return keys;
}

function parseFailOn(list: string): ScanKind[] {
  const kinds = list
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  const unknown = kinds.filter((k) => !(SCAN_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new AgentwatchError(
      "invalidRequest",
      `--fail-on: unknown kind ${unknown.join(", ")}; kinds are ${SCAN_KINDS.join(", ")}`,
    );
  }
  return kinds as ScanKind[];
}

/** A time on the command line: RFC 3339, epoch ms, or a duration ago ("24h", "7d"); NaN when none. */
function timeArgument(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ago = parseDuration(value);
  return ago !== undefined ? Date.now() - ago : Date.parse(value);
}
