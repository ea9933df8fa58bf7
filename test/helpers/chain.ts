/** Hash-chain helpers for the storage tests: a signing key, and events linked as the indexer links them. */
import { generateKeyPairSync } from "node:crypto";
import { type ChainHead, GENESIS, linkAfter } from "../../services/indexer/chain.ts";
import { signerFromKey } from "../../services/runtime/integrity.ts";
import type { IngestedEvent } from "../../services/runtime/model.ts";

/** The key the storages under test sign their tombstones with. */
export const TEST_SIGNER = signerFromKey(generateKeyPairSync("ed25519").privateKey);

/** Another key: what verify sees when a tombstone was not signed by agentwatch's. */
export const OTHER_SIGNER = signerFromKey(generateKeyPairSync("ed25519").privateKey);

/** The events linked into one chain, in the order given (offsets from 0). */
export function linked(events: IngestedEvent[], stream = "events:0"): IngestedEvent[] {
  let head: ChainHead = { seq: 0, hash: GENESIS, offset: -1 };
  return events.map((e, offset) => {
    const chain = linkAfter(head, stream, offset, e);
    head = { seq: chain.seq, hash: chain.hash, offset };
    return { ...e, chain };
  });
}
