/**
 * One process per data dir. The embedded log and storage live in `data_dir`; a second
 * `agentwatch start` on the same folder (another port, say) would consume the same log beside
 * the first: detection and notifications twice, checkpoints racing.
 *
 * The lock is one the kernel releases when its process dies, however it dies: SQLite's exclusive
 * lock (a POSIX advisory lock on Unix, LockFileEx on Windows) on `agentwatch.lock.sqlite`, held
 * by a transaction that stays open for the process's life. A crash, SIGKILL or the OOM killer
 * frees it at once, and a zombie (killed but not yet reaped) holds no file and so no lock. A pid
 * in a file is never trusted: it only names the holder in the refusal (`agentwatch.pid`), so a
 * recycled pid or a dead process can never keep agentwatch down.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { AgentwatchError } from "./errors.ts";

export const LOCK_FILE = "agentwatch.lock.sqlite";
export const HOLDER_FILE = "agentwatch.pid";
/** The pid file older versions locked with; removed once the new lock is held. */
const LEGACY_LOCK_FILE = "agentwatch.lock";

export class DataDirLock {
  readonly #dir: string;
  #db: DatabaseSync | undefined;

  constructor(dataDir: string) {
    this.#dir = resolve(dataDir);
  }

  /** Takes the lock, or throws one line naming the live holder. Idempotent while held. */
  acquire(): void {
    if (this.#db) return;
    mkdirSync(this.#dir, { recursive: true });
    const db = new DatabaseSync(join(this.#dir, LOCK_FILE), { timeout: 0 });
    try {
      // A rollback journal (not WAL), so an exclusive transaction locks other connections out.
      db.exec("PRAGMA journal_mode = DELETE; PRAGMA locking_mode = EXCLUSIVE");
      db.exec("BEGIN EXCLUSIVE");
      // A write makes the lock exclusive on every platform; the transaction is never committed.
      db.exec("CREATE TABLE IF NOT EXISTS held (pid INTEGER)");
    } catch (err) {
      db.close();
      if (isBusy(err)) {
        throw new AgentwatchError(
          "configInvalid",
          `data_dir ${this.#dir} is in use by another agentwatch (${this.#holder()}); stop it first, or give this one another data_dir`,
        );
      }
      throw new AgentwatchError(
        "configInvalid",
        `could not lock data_dir ${this.#dir}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    this.#db = db;
    writeFileSync(
      join(this.#dir, HOLDER_FILE),
      `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`,
    );
    rmSync(join(this.#dir, LEGACY_LOCK_FILE), { force: true });
  }

  /** Whether this process holds the lock (for readiness). */
  get held(): boolean {
    return this.#db !== undefined;
  }

  /** Idempotent. The kernel releases the lock anyway when the process ends. */
  release(): void {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    try {
      rmSync(join(this.#dir, HOLDER_FILE), { force: true });
    } finally {
      db.close();
    }
  }

  /** Who holds the lock, as its holder wrote it (only ever shown, never trusted). */
  #holder(): string {
    try {
      const holder = JSON.parse(readFileSync(join(this.#dir, HOLDER_FILE), "utf8")) as {
        pid?: unknown;
        host?: unknown;
        since?: unknown;
      };
      const host = typeof holder.host === "string" && holder.host !== hostname() ? ` on ${holder.host}` : "";
      return `pid ${String(holder.pid)}${host}, since ${String(holder.since)}`;
    } catch {
      return "its pid is not recorded yet";
    }
  }
}

function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; message?: string };
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
  return e.errcode !== undefined ? [5, 6].includes(e.errcode & 0xff) : /locked|busy/i.test(e.message ?? "");
}
