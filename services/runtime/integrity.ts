/**
 * agentwatch's signing key (Ed25519) and the hashing its evidence bundles use. The key comes from
 * config (`integrity.signing_key`, a PKCS#8 PEM, as a secret, or `integrity.signing_key_file`);
 * without one, a key is made on first use in the data dir (`integrity-ed25519.pem`, mode 0600)
 * and the log says so: set your own in production, kept away from the storage it vouches for.
 * The public key is printable (`agentwatch integrity public-key`, `GET /v1/integrity/public-key`):
 * whoever checks a bundle compares it with the key they trust.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.ts";
import { AgentwatchError } from "./errors.ts";
import type { Logger } from "./logger.ts";

export const GENERATED_KEY_FILE = "integrity-ed25519.pem";

export interface Signer {
  /** The public key, PEM (SPKI). */
  readonly publicKeyPem: string;
  /** The first 16 hex characters of SHA-256 over the public key's DER: a short name to compare. */
  readonly keyId: string;
  sign(data: string): string;
}

export function signerFromKey(privateKey: KeyObject): Signer {
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new AgentwatchError("configInvalid", "integrity.signing_key must be an Ed25519 private key");
  }
  const publicKey = createPublicKey(privateKey);
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
    sign: (data) => sign(null, Buffer.from(data, "utf8"), privateKey).toString("base64"),
  };
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

export function verifySignatureEd25519(publicKeyPem: string, data: string, signature: string): boolean {
  try {
    return verify(
      null,
      Buffer.from(data, "utf8"),
      createPublicKey(publicKeyPem),
      Buffer.from(signature, "base64"),
    );
  } catch {
    return false;
  }
}

/** The configured key, else the data dir's (made on first use). */
export function loadSigner(config: Config, logger: Logger): Signer {
  const { integrity } = config;
  let pem: string | undefined = integrity.signing_key?.reveal();
  if (!pem && integrity.signing_key_file) pem = readFileSync(integrity.signing_key_file, "utf8");
  if (!pem) {
    const path = join(config.data_dir, GENERATED_KEY_FILE);
    if (!existsSync(path)) {
      const { privateKey } = generateKeyPairSync("ed25519");
      writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
      logger.warn(
        { path },
        "no integrity.signing_key configured: made an Ed25519 key in the data dir; set your own, kept apart from the storage",
      );
    }
    pem = readFileSync(path, "utf8");
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new AgentwatchError(
      "configInvalid",
      `integrity.signing_key is not a PEM private key: ${(err as Error).message}`,
    );
  }
  return signerFromKey(key);
}

/**
 * JSON with object keys sorted at every level: the same record hashes the same wherever it was
 * stored. Written out key by key, never by assigning keys into a new object (where `__proto__`
 * would set a prototype and vanish from the text: a value under it could then be changed in
 * storage unseen), and without recursion, so no nesting depth can throw. Otherwise as
 * JSON.stringify: undefined and function values are left out of objects and are null in arrays.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work is done last in, first out: a value to write, or punctuation already decided.
  const work: ({ value: unknown } | string)[] = [{ value }];
  while (work.length > 0) {
    const item = work.pop() as { value: unknown } | string;
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      work.push("]");
      for (let i = current.length - 1; i >= 0; i -= 1) {
        const element: unknown = current[i];
        work.push({ value: element === undefined || typeof element === "function" ? null : element });
        if (i > 0) work.push(",");
      }
      out.push("[");
    } else if (current !== null && typeof current === "object") {
      const keys = canonicalKeyOrder(Object.keys(current)).filter((key) => {
        const v: unknown = (current as Record<string, unknown>)[key];
        return v !== undefined && typeof v !== "function" && typeof v !== "symbol";
      });
      work.push("}");
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i] as string;
        work.push({ value: Object.getOwnPropertyDescriptor(current, key)?.value });
        work.push(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`);
      }
      out.push("{");
    } else {
      out.push(JSON.stringify(current) ?? "null");
    }
  }
  return out.join("");
}

/**
 * Sorted, as an object built by assigning sorted keys enumerates them (the order chains were
 * first hashed in): integer-like keys ("9", "10") first in numeric order, then the rest sorted.
 */
function canonicalKeyOrder(keys: string[]): string[] {
  const indices: string[] = [];
  const names: string[] = [];
  for (const key of keys) (isArrayIndex(key) ? indices : names).push(key);
  indices.sort((a, b) => Number(a) - Number(b));
  return [...indices, ...names.sort()];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4_294_967_295;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The `prev` of a chain's first record. */
export const GENESIS = "0".repeat(64);

/** A record's content hash: SHA-256 of its canonical JSON without its `chain` link. */
export function contentHashOf(record: object): string {
  const { chain: _chain, ...content } = record as { chain?: unknown };
  return sha256(canonicalJson(content));
}
