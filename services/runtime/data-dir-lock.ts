/**
 * One process per data dir. The embedded log and storage live in `data_dir`; a second
 * `agentwatch start` on the same folder (another port, say) would consume the same log beside
 * the first: detection and notifications twice, checkpoints racing. The first process holds
 * `agentwatch.lock` (its pid, created exclusively); a second is refused with one line naming the
 * holder. A lock left by a process that no longer runs (a crash, SIGKILL) is recognised as stale
 * and taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AgentwatchError } from "./errors.ts";

export class DataDirLock {
  readonly #path: string;
  #held = false;

  constructor(dataDir: string) {
    this.#path = join(resolve(dataDir), "agentwatch.lock");
  }

  acquire(): void {
    mkdirSync(resolve(this.#path, ".."), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        writeFileSync(this.#path, `${process.pid}\n`, { flag: "wx" });
        this.#held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = Number.parseInt(readFileSync(this.#path, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
        throw new AgentwatchError(
          "configInvalid",
          `data_dir ${resolve(this.#path, "..")} is in use by another agentwatch (pid ${holder}); stop it first, or give this one another data_dir`,
        );
      }
      unlinkSync(this.#path); // stale: its process is gone
    }
    throw new AgentwatchError("configInvalid", `could not lock data_dir ${resolve(this.#path, "..")}`);
  }

  /** Idempotent; only the holder removes the file. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      if (Number.parseInt(readFileSync(this.#path, "utf8"), 10) === process.pid) unlinkSync(this.#path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // running, as another user
  }
}
