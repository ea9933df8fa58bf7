import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { EmbeddedStorage } from "../services/runtime/storage/embedded.ts";
import { storageConformance } from "./conformance/storage.ts";

const root = mkdtempSync(join(tmpdir(), "aw-storage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

storageConformance("embedded", {
  async open(name) {
    const storage = new EmbeddedStorage(join(root, name));
    await storage.start();
    return storage;
  },
});
