import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { AgentwatchError, type ErrorCode } from "./errors.ts";

/**
 * Opens a SQLite database for the embedded backends: WAL (readers never block the writer) and
 * synchronous=FULL, so a committed transaction is on disk before the call returns. That is what
 * lets the collector answer 202 only for durable events.
 */
export function openDatabase(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

/**
 * Runs `fn` in one write transaction (BEGIN IMMEDIATE), rolling back on any error. SQLite
 * failures (disk full, I/O error, locked) become `failureCode` errors that are retryable, since
 * the same write can succeed once the condition clears.
 */
export function transaction<T>(db: DatabaseSync, failureCode: ErrorCode, fn: () => T): T {
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (err) {
    throw sqliteFailure(err, failureCode);
  }
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // The transaction may already be gone (SQLite rolls back by itself on some I/O errors);
      // the original error below is the one that matters and is not lost.
    }
    throw sqliteFailure(err, failureCode);
  }
}

export function sqliteFailure(err: unknown, code: ErrorCode): AgentwatchError {
  if (err instanceof AgentwatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentwatchError(code, `embedded database error: ${message}`, {
    cause: err,
    retryable: true,
    retryAfterSeconds: 1,
  });
}
