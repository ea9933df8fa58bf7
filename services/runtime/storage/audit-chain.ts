/**
 * Every audit entry joins a hash chain: one per process that writes audit entries
 * (`audit:<random id>`, a new chain each start), linked as the storage appends them, one at a
 * time, so an entry that could not be written leaves no gap. `agentwatch verify` checks these
 * chains beside the events' (services/indexer/verify.ts).
 */
import { randomUUID } from "node:crypto";
import { contentHashOf, GENESIS, sha256 } from "../integrity.ts";
import type { AuditEntry } from "../model.ts";
import { Mutex } from "../mutex.ts";

export class AuditChain {
  readonly stream = `audit:${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  readonly #mutex = new Mutex();
  #head = { seq: 0, hash: GENESIS };

  /** The last entry linked (seq 0 before any): what the signed digests pin. */
  get head(): { stream: string; seq: number; hash: string } {
    return { stream: this.stream, ...this.#head };
  }

  /** Links `entry` and writes it with `write`; the head moves only when the write succeeded. */
  append(entry: AuditEntry, write: (linked: AuditEntry) => Promise<void>): Promise<void> {
    return this.#mutex.run(async () => {
      const { chain: _ignored, ...content } = entry;
      const content_hash = contentHashOf(content);
      const seq = this.#head.seq + 1;
      const hash = sha256(`${this.#head.hash}${content_hash}`);
      await write({
        ...content,
        chain: { stream: this.stream, seq, offset: seq, prev: this.#head.hash, content_hash, hash },
      });
      this.#head = { seq, hash };
    });
  }
}
