/**
 * An incident's evidence, exported as one signed NDJSON bundle (`GET /v1/incidents/{id}/evidence`)
 * that anyone can check offline (`agentwatch verify --bundle FILE`).
 *
 * Line 1 is the header (format, incident, window, when, and the signing key's public half and
 * id). Then one line per record, `{kind, sha256, chain, record}`: the incident; the agent's
 * events from `lookback` before its first finding until it was paused for it, resolved, or now,
 * and its sessions' events from other agents over that time; the audit entries about the
 * incident or the agent; the chain proofs; the agent's state; the blast radius. `sha256` is the
 * hash of the record's canonical JSON (keys sorted), `chain` is SHA-256 of the previous line's
 * chain and this sha256 (the header's hash starts it). The last line, the manifest, holds the
 * count, the final chain value and an Ed25519 signature over `<header hash>.<final chain>.<count>`.
 *
 * So a changed record fails its own hash, and a record deleted, inserted or moved breaks the
 * chain at its place; a changed header or manifest fails the signature.
 *
 * That the records were untouched in storage before the export is shown too: events are exported
 * as stored (`{event, received_at, token, chain}`) and audit entries with their links, so their
 * content can be hashed against their links; and a `chain_proof` line per chain (chain-proof.ts)
 * carries the content-free links from them to a head agentwatch signed in a digest. The
 * verifier counts each such record `proven`, or names it.
 */

import {
  canonicalJson,
  contentHashOf,
  type Signer,
  sha256,
  verifySignatureEd25519,
} from "../runtime/integrity.ts";
import { type AgentState, type ChainLink, type Incident, incidentSessions } from "../runtime/model.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { blastRadius } from "./blast-radius.ts";
import { buildProof, type ChainProof, checkProof, spansOf } from "./chain-proof.ts";

export const EVIDENCE_FORMAT = "agentwatch-evidence-v2";
/** Events exported at most; past it the manifest says `truncated`. */
const MAX_EVENTS = 100_000;
const PAGE = 1000;

export interface EvidenceOptions {
  lookbackMs: number;
  now: number;
  signer: Signer;
}

/** The bundle's lines (without newlines), in order. */
export async function* evidenceBundle(
  storage: Storage,
  incident: Incident,
  options: EvidenceOptions,
): AsyncGenerator<string> {
  const firstFinding = Math.min(
    Date.parse(incident.started_at),
    ...incident.findings.map((f) => Date.parse(f.time)).filter((t) => !Number.isNaN(t)),
  );
  const agent: AgentState | undefined = await storage.getAgent(incident.agent_id);
  const pausedForIt = agent?.state === "paused" && agent.incident_id === incident.id && agent.since;
  const end = pausedForIt
    ? Date.parse(agent.since as string)
    : incident.resolved_at
      ? Date.parse(incident.resolved_at)
      : options.now;
  const from = firstFinding - options.lookbackMs;
  const to = Math.max(end, Date.parse(incident.updated_at)) + 1;
  const header = {
    kind: "header",
    format: EVIDENCE_FORMAT,
    incident_id: incident.id,
    agent_id: incident.agent_id,
    window: { from: new Date(from).toISOString(), to: new Date(to - 1).toISOString() },
    created_at: new Date(options.now).toISOString(),
    key_id: options.signer.keyId,
    public_key: options.signer.publicKeyPem,
  };
  const headerLine = canonicalJson(header);
  yield headerLine;
  const headerHash = sha256(headerLine);
  let chain = headerHash;
  let count = 0;
  const line = (kind: string, record: unknown): string => {
    const hash = sha256(canonicalJson(record));
    chain = sha256(`${chain}${hash}`);
    count += 1;
    return canonicalJson({ kind, sha256: hash, chain, record });
  };

  yield line("incident", incident);
  let events = 0;
  let truncated = false;
  const exported: { link: ChainLink; at: number }[] = [];
  // The agent's events, then its sessions' events from other agents (a session handed on): what
  // the incident's hold keeps. Pages come newest first, and the bundle keeps that order.
  const sources = [
    { agent_id: incident.agent_id },
    ...incidentSessions(incident).map((session_id) => ({ session_id })),
  ];
  for (const source of sources) {
    let cursor: string | undefined;
    for (;;) {
      const page = await storage.queryEvents({
        ...source,
        from,
        to,
        limit: PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const stored of page.events) {
        if ("session_id" in source && stored.event.agent_id === incident.agent_id) continue;
        // As stored (what its chain link hashes), link included.
        yield line("event", stored);
        if (stored.chain) exported.push({ link: stored.chain, at: Date.parse(stored.received_at) });
        events += 1;
      }
      cursor = page.next_cursor ?? undefined;
      if (!cursor) break;
      if (events >= MAX_EVENTS) {
        truncated = true;
        break;
      }
    }
    if (truncated) break;
  }
  const audit = await storage.queryAudit({ from, to: Math.max(to, options.now + 1), limit: 1000 });
  for (const entry of audit
    .filter((e) => e.incident_id === incident.id || e.target === `agent:${incident.agent_id}`)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))) {
    yield line("audit", entry);
    if (entry.chain) exported.push({ link: entry.chain, at: Date.parse(entry.time) });
  }
  // For each chain the records above came from: the links up to a head agentwatch signed.
  const digests = await storage.queryAudit({ action: "integrity_digest", limit: 10_000 });
  for (const span of spansOf(exported)) yield line("chain_proof", await buildProof(storage, span, digests));
  if (agent) yield line("agent_state", agent);
  yield line(
    "blast_radius",
    await blastRadius(storage, incident, { lookbackMs: options.lookbackMs, now: options.now }),
  );
  const signed = `${headerHash}.${chain}.${count}`;
  yield canonicalJson({
    kind: "manifest",
    records: count,
    events,
    truncated,
    chain,
    signature: options.signer.sign(signed),
  });
}

export interface BundleVerdict {
  ok: boolean;
  incident_id?: string;
  key_id?: string;
  records: number;
  /** Events and audit entries shown to be what the storage chained under a signed digest. */
  proven?: number;
  /** Chained records no complete proof covers (not yet signed, or the proof could not be made). */
  unproven?: number;
  /** What is wrong, each with its line number (1-based). */
  problems: string[];
  /** What is shown but not wrong: erased content, proofs not yet possible. */
  notes?: string[];
}

/**
 * Checks a bundle: every record's hash, the chain, the count and the signature; and, when
 * `trustedPublicKeyPem` is given, that it was signed with that key (a bundle re-signed with
 * another key is otherwise internally consistent).
 */
export function verifyBundle(text: string, trustedPublicKeyPem?: string): BundleVerdict {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const problems: string[] = [];
  const verdict = (extra: Partial<BundleVerdict> = {}): BundleVerdict => ({
    ok: problems.length === 0,
    records: 0,
    problems,
    ...extra,
  });
  const parseLine = (i: number): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(lines[i] as string) as Record<string, unknown>;
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return undefined;
    }
  };
  if (lines.length < 2) {
    problems.push("not an evidence bundle: fewer than two lines");
    return verdict();
  }
  const header = parseLine(0);
  if (header?.kind !== "header" || header.format !== EVIDENCE_FORMAT) {
    problems.push(`line 1: not an ${EVIDENCE_FORMAT} header`);
    return verdict();
  }
  const headerHash = sha256(lines[0] as string);
  const bundleKey = String(header.public_key ?? "");
  let chain = headerHash;
  let records = 0;
  let chainBroken = false;
  const notes: string[] = [];
  const chained: { described: string; link: ChainLink }[] = [];
  const proven = new Map<string, Map<number, string>>();
  for (let i = 1; i < lines.length - 1; i += 1) {
    const entry = parseLine(i);
    if (!entry) {
      chainBroken = true;
      continue;
    }
    records += 1;
    const recordHash = sha256(canonicalJson(entry.record));
    const record = (entry.record ?? {}) as {
      id?: string;
      event?: { id?: string; erased?: unknown };
      chain?: ChainLink;
    };
    const id = record.event?.id ?? record.id;
    const described = `line ${i + 1} (${entry.kind}${id ? ` ${id}` : ""})`;
    // A chained record: its content must hash to its link (what the storage chained).
    if ((entry.kind === "event" || entry.kind === "audit") && record.chain) {
      const link = record.chain;
      if (sha256(`${link.prev}${link.content_hash}`) !== link.hash)
        problems.push(`${described}: its chain link was altered`);
      else if (contentHashOf(record) !== link.content_hash) {
        if (record.event?.erased) notes.push(`${described}: erased (its content is gone, its link stays)`);
        else
          problems.push(
            `${described}: not as stored (its content differs from its link in the storage's chain)`,
          );
      }
      chained.push({ described, link });
    }
    if (entry.kind === "chain_proof") {
      const proof = record as unknown as ChainProof;
      const checked = checkProof(proof, bundleKey);
      if ("hashes" in checked) proven.set(proof.stream, checked.hashes);
      else if (proof.complete) problems.push(`${described} ${proof.stream}: ${checked.problem}`);
      else notes.push(`${proof.stream}: ${checked.problem}`);
    }
    if (recordHash !== entry.sha256)
      problems.push(`${described}: changed (its hash does not match its content)`);
    const expected = sha256(`${chain}${String(entry.sha256)}`);
    if (!chainBroken && expected !== entry.chain) {
      problems.push(`${described}: the chain breaks here: a record before it was deleted, inserted or moved`);
      chainBroken = true;
    }
    chain = String(entry.chain);
  }
  const manifest = parseLine(lines.length - 1);
  if (manifest?.kind !== "manifest") {
    problems.push(`line ${lines.length}: the manifest is missing (the bundle was cut short)`);
    return verdict({ records, incident_id: String(header.incident_id) });
  }
  if (manifest.records !== records)
    problems.push(`manifest: ${String(manifest.records)} records signed, ${records} found`);
  if (manifest.chain !== chain && !chainBroken)
    problems.push("manifest: the final chain value does not match the records");
  const publicKey = bundleKey;
  const signed = `${headerHash}.${String(manifest.chain)}.${String(manifest.records)}`;
  if (!verifySignatureEd25519(publicKey, signed, String(manifest.signature ?? ""))) {
    problems.push(
      "signature: does not verify (the header or the manifest was changed, or it was not signed by this key)",
    );
  }
  if (trustedPublicKeyPem !== undefined && normalizePem(trustedPublicKeyPem) !== normalizePem(publicKey)) {
    problems.push(`signature: made with key ${String(header.key_id)}, not the key given to trust`);
  }
  // Each chained record against its chain's proof: in the segment agentwatch signed, or not.
  let provenCount = 0;
  let unproven = 0;
  for (const { described, link } of chained) {
    const hashes = proven.get(link.stream);
    if (!hashes) unproven += 1;
    else if (hashes.get(link.seq) === link.hash) provenCount += 1;
    else problems.push(`${described}: not in the chain the digest signed (${link.stream} seq ${link.seq})`);
  }
  return verdict({
    records,
    incident_id: String(header.incident_id),
    key_id: String(header.key_id),
    proven: provenCount,
    unproven,
    notes,
  });
}

function normalizePem(pem: string): string {
  return pem.replace(/\s+/g, "");
}
