/**
 * Retention and the hash chains, as tests every storage with a retention must pass: what a run
 * deletes leaves signed tombstones, so the chains of events and of the audit trail still verify
 * and say what retention took, a year on too (the tombstones outlive the audit retention); a
 * tombstone that is unsigned or signed by another key explains nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { verifyChains } from "../../services/indexer/verify.ts";
import type { Signer } from "../../services/runtime/integrity.ts";
import type { Storage } from "../../services/runtime/storage/storage.ts";
import { pauseEntry } from "../helpers/audit.ts";
import { linked, OTHER_SIGNER, TEST_SIGNER } from "../helpers/chain.ts";

export interface RetentionFixture {
  /** A started storage keeping events 7 days and audit entries 30, signing tombstones with `signer`. */
  open(name: string, signer: Signer | undefined): Promise<Storage>;
  /** Applies the retention as at `now`. */
  expire(storage: Storage, now: number): Promise<unknown>;
}

const NOW = Date.parse("2026-11-20T12:00:00Z");
const AT = new Date(NOW).toISOString();

const event = (id: string, received: string) => ({
  event: { id, time: received, type: "prompt" as const, agent_id: "bot", text: "hello" },
  received_at: received,
  token: "t",
});

export function retentionConformance(name: string, fixture: RetentionFixture): void {
  describe(`retention and the hash chains: ${name}`, () => {
    const opened: Storage[] = [];
    const open = async (id: string, signer: Signer | undefined) => {
      const storage = await fixture.open(id, signer);
      opened.push(storage);
      return storage;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.stop()));
    });
    const eventsChain = async (storage: Storage) =>
      (await verifyChains(storage, TEST_SIGNER.publicKeyPem)).chains.find((c) => c.stream === "events:0");

    it("leaves signed tombstones for what a run deletes: the chains still verify, and say so, a year on too", async () => {
      const storage = await open("chain-retention", TEST_SIGNER);
      await storage.putEvents(
        linked([
          event("c1", "2026-11-01T10:00:00Z"),
          event("c2", "2026-11-01T11:00:00Z"),
          event("c3", "2026-11-02T10:00:00Z"),
          event("c4", "2026-11-19T10:00:00Z"),
        ]),
      );
      await storage.appendAudit(pauseEntry("audit-ancient", "2026-09-01T10:00:00.000Z"));
      await storage.appendAudit(pauseEntry("audit-kept", "2026-11-19T10:00:00.000Z"));
      expect((await verifyChains(storage, TEST_SIGNER.publicKeyPem)).ok).toBe(true);
      await fixture.expire(storage, NOW);
      const report = await verifyChains(storage, TEST_SIGNER.publicKeyPem);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.tombstones).toBeGreaterThan(0);
      expect(report.chains.find((c) => c.stream === "events:0")).toMatchObject({
        first_seq: 4,
        last_seq: 4,
        verified: true,
        notes: [`seq 1 to 3: deleted by retention (signed tombstone of ${AT})`],
      });
      // The audit trail's own chain lost its first entry the same way.
      expect(report.chains.find((c) => c.stream.startsWith("audit:"))?.notes).toEqual([
        `seq 1: deleted by retention (signed tombstone of ${AT})`,
      ]);
      // A year on only the tombstones (and the digests) are left of that time, and they still
      // vouch for the chains.
      await fixture.expire(storage, NOW + 400 * 86_400_000);
      const left = await storage.queryAudit({ limit: 100 });
      expect(left.filter((e) => e.action === "tombstone").length).toBeGreaterThan(report.tombstones);
      expect(left.map((e) => e.action)).not.toContain("pause");
      expect((await verifyChains(storage, TEST_SIGNER.publicKeyPem)).ok).toBe(true);
    });

    it("reports a gap as a deletion when its tombstone is unsigned or signed by another key", async () => {
      const events = linked([event("c1", "2026-11-01T10:00:00Z"), event("c2", "2026-11-19T10:00:00Z")]);
      const unsigned = await open("retention-unsigned", undefined);
      await unsigned.putEvents(events);
      await fixture.expire(unsigned, NOW);
      const report = await verifyChains(unsigned, TEST_SIGNER.publicKeyPem);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([expect.stringMatching(/^tombstone \S+ of .*: not signed/)]);
      expect((await eventsChain(unsigned))?.problems).toEqual([
        "seq 1: deleted (no signed tombstone covers it)",
      ]);

      const otherKey = await open("retention-other-key", OTHER_SIGNER);
      await otherKey.putEvents(events);
      await fixture.expire(otherKey, NOW);
      expect((await verifyChains(otherKey, TEST_SIGNER.publicKeyPem)).problems).toEqual([
        expect.stringMatching(/its signature does not verify$/),
      ]);
      expect((await eventsChain(otherKey))?.problems).toEqual([
        "seq 1: deleted (no signed tombstone covers it)",
      ]);
    });
  });
}
