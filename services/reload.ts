/**
 * Config reload (contract §4's `config_reload` audit action): SIGHUP, or
 * `POST /v1/admin/config/reload` with an admin token, reads the config file again and validates
 * it exactly as a start does, every problem reported at once. An invalid file changes nothing.
 * A valid one is audited, then applied by stopping the running roles (which finish, commit and
 * checkpoint their work, as on SIGTERM) and starting them again on the new config: detectors,
 * receivers, routes, silences, inhibition, policies, agents, tokens and limits all take effect.
 * Where agentwatch listens and what it stores in (`data_dir`, `server`, `bus`, `storage`) cannot
 * change under a running process: a reload that changes them is refused, naming each key.
 *
 * With HTTPS (server.tls), every reload first reads the certificate files again and puts them on
 * the running listener (Node's setSecureContext): new handshakes get the new certificate and open
 * connections are kept. A reload whose config is otherwise unchanged stops there, restarting
 * nothing (a certificate rotation drops no connection). Files that do not check out (missing,
 * expired, not yet valid, a key that is not the certificate's) refuse the reload, naming each
 * problem, and the listener keeps the certificate it had.
 */

import { Secret } from "../lib/secret.ts";
import type { Agentwatch } from "./app.ts";
import { type Config, loadConfig } from "./runtime/config.ts";
import { AgentwatchError } from "./runtime/errors.ts";

/** Keys a reload cannot change: a restart applies them. */
export const RESTART_ONLY_KEYS = ["data_dir", "server", "bus", "storage"] as const;

export interface ReloadPlan {
  /** Top-level keys whose value differs from the running config. */
  changed: string[];
  /** Whether apply() restarts the roles (false: only the certificates were reloaded, in place). */
  restart: boolean;
  /** The certificate now served, when the listener is HTTPS (reloaded by prepare()). */
  certificate?: { subject: string; not_after: string };
  /** Applies the new config (stops the roles, starts them again). */
  apply(): Promise<void>;
}

export interface ReloaderOptions {
  configFile: string;
  env?: NodeJS.ProcessEnv;
  /** The running app. */
  current(): Agentwatch;
  /** Replaces the running app with one on the new config (stops the old, starts the new). */
  replace(config: Config): Promise<void>;
}

export class Reloader {
  readonly #o: ReloaderOptions;
  #busy = false;

  constructor(options: ReloaderOptions) {
    this.#o = options;
  }

  /**
   * Validates the file against the running config and audits the reload. Throws an
   * `invalidRequest` AgentwatchError naming every problem when the file is invalid or changes a
   * restart-only key; nothing is changed then. The caller applies the plan (after answering).
   */
  async prepare(actor: string, reason: string | null): Promise<ReloadPlan> {
    if (this.#busy) throw new AgentwatchError("conflict", "a config reload is already in progress");
    let next: Config;
    try {
      next = loadConfig(this.#o.configFile, this.#o.env).config;
    } catch (err) {
      throw new AgentwatchError(
        "invalidRequest",
        `config not reloaded, agentwatch runs on as it was: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const app = this.#o.current();
    const running = app.config;
    const restartOnly = RESTART_ONLY_KEYS.filter((key) => comparable(running[key]) !== comparable(next[key]));
    if (restartOnly.length > 0) {
      throw new AgentwatchError(
        "invalidRequest",
        `config not reloaded: ${restartOnly.join(", ")} changed, and ${restartOnly.length > 1 ? "they take" : "it takes"} a restart; agentwatch runs on as it was`,
      );
    }
    const changed = (Object.keys(next) as (keyof Config)[]).filter(
      (key) => comparable(running[key]) !== comparable(next[key]),
    );
    let certificate: ReloadPlan["certificate"];
    try {
      certificate = app.reloadCertificates();
    } catch (err) {
      throw new AgentwatchError(
        "invalidRequest",
        `config not reloaded, agentwatch runs on as it was: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // HTTPS and nothing else changed: a certificate rotation, done in place (connections kept).
    const restart = changed.length > 0 || certificate === undefined;
    await app.recordAudit({
      actor,
      action: "config_reload",
      target: `config:${this.#o.configFile}`,
      reason,
      incident_id: null,
      details: { changed, ...(certificate ? { certificate } : {}) },
    });
    return {
      changed,
      restart,
      ...(certificate ? { certificate } : {}),
      apply: async () => {
        if (!restart) {
          app.logger.info({ certificate }, "config unchanged: certificates reloaded, nothing restarted");
          return;
        }
        this.#busy = true;
        try {
          await this.#o.replace(next);
        } finally {
          this.#busy = false;
        }
      },
    };
  }
}

/** A config value as a string that differs when the value does, secrets included. */
function comparable(value: unknown): string {
  // Secrets print as <secret> through toJSON, before any replacer sees them: revealed first.
  const reveal = (v: unknown): unknown => {
    if (v instanceof Secret) return `secret:${v.reveal()}`;
    if (Array.isArray(v)) return v.map(reveal);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
  };
  return JSON.stringify(reveal(value)) ?? "undefined";
}
