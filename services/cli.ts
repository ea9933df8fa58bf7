/**
 * The `agentwatch` command.
 *   agentwatch start [--config FILE] [--role collector,detector,...]
 *   agentwatch config check [--config FILE]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Agentwatch, ROLE_NAMES, type RoleName } from "./app.ts";
import { loadConfig, renderConfig } from "./runtime/config.ts";
import { AgentwatchError } from "./runtime/errors.ts";

const USAGE = `Usage:
  agentwatch start [--config FILE] [--role ROLE[,ROLE...]]
      Runs agentwatch. Without --role, every role in one process (collector, detector,
      alerter, indexer). --role may be repeated or comma-separated.
  agentwatch config check [--config FILE]
      Validates the config, lists every problem, and prints the effective config with
      secrets shown as <secret>.
  agentwatch --version

FILE defaults to ./agentwatch.yaml.`;

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
      const { config, path } = loadConfig(configFile);
      process.stdout.write(`# ${path}: valid\n${renderConfig(config)}`);
      return 0;
    }
    if (command === "start") return await start(configFile, parseRoles(values.role ?? []));
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      role: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
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
  const app = new Agentwatch(config, roles ? { roles } : {});
  if (config.auth.tokens.some((t) => t.token.reveal().includes("change-me"))) {
    app.logger.warn(
      "a token still has its example value (contains 'change-me'); set the AW_*_TOKEN variables",
    );
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      app.logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    app.logger.info({ signal }, "signal received; shutting down");
    app.stop().then(
      () => process.exit(0),
      (err) => {
        app.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
  return new Promise<number>(() => undefined); // runs until a signal
}
