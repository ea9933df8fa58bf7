/**
 * Bearer-token authentication and the role model of contract §1.
 *
 * Tokens are compared as SHA-256 digests with timingSafeEqual, against every configured token
 * (no early exit), so neither the match nor its position leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Role, TokenConfig } from "./config.ts";
import type { CertificateBinding } from "./tls.ts";

export interface Principal {
  /** The token's configured name: what audit entries and logs record as the actor. */
  name: string;
  role: Role;
  /** Agents an ingest token may post for and read; "any" for ["*"] and for non-ingest roles. */
  agents: ReadonlySet<string> | "any";
  /** The client certificate the token is bound to (mTLS): checked on every request (server.ts). */
  clientCert?: CertificateBinding;
}

/**
 * What a route needs:
 * - `ingest`: post events (ingest, admin); each event's agent is checked separately.
 * - `read`: read anything (viewer, operator, admin).
 * - `readAgent`: read one agent's state (as `read`, or an ingest token allowed for that agent).
 * - `operate`: acknowledge, resolve, silence, pause, resume (operator, admin).
 * - `admin`: everything.
 */
/** `probe`: anyone without a token (the answer says less), or a reader's token. */
export type Permission = "ingest" | "read" | "readAgent" | "operate" | "admin" | "probe";

const ALLOWED: Record<Permission, readonly Role[]> = {
  ingest: ["ingest", "admin"],
  read: ["viewer", "operator", "admin"],
  probe: ["viewer", "operator", "admin"],
  readAgent: ["viewer", "operator", "admin", "ingest"],
  operate: ["operator", "admin"],
  admin: ["admin"],
};

export function hasPermission(principal: Principal, permission: Permission, agentId?: string): boolean {
  if (!ALLOWED[permission].includes(principal.role)) return false;
  if (permission === "readAgent" && principal.role === "ingest") {
    return agentId !== undefined && mayActForAgent(principal, agentId);
  }
  return true;
}

export function mayActForAgent(principal: Principal, agentId: string): boolean {
  return principal.agents === "any" || principal.agents.has(agentId);
}

export class Authenticator {
  readonly #entries: { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.#entries = tokens.map((token) => ({
      digest: digest(token.token.reveal()),
      principal: {
        name: token.name,
        role: token.role,
        agents:
          token.role !== "ingest" || token.agents === undefined || token.agents.includes("*")
            ? "any"
            : new Set(token.agents),
        ...(token.client_cert ? { clientCert: token.client_cert } : {}),
      },
    }));
  }

  /** The principal for an `Authorization` header value, or undefined if it names no configured token. */
  authenticate(header: string | undefined): Principal | undefined {
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return undefined;
    const presented = digest(match[1] as string);
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
