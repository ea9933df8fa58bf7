/**
 * HTTPS on agentwatch's listener (config `server.tls`): the certificate files read and checked
 * (config check and start-up report a missing, unreadable, expired, not-yet-valid or
 * key-mismatched certificate, every problem at once), the options Node's TLS server takes, and
 * the client certificate a request came with (mTLS: tokens bound to a certificate).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { createSecureContext, type TLSSocket } from "node:tls";

export interface TlsSettings {
  cert: string;
  key: string;
  ca?: string | undefined;
  client_auth: "none" | "request" | "require";
}

/** The files' contents, as Node's TLS server takes them. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** A problem with one of the files: the key it is under (cert, key, ca) and what is wrong. */
export interface TlsProblem {
  key: "cert" | "key" | "ca";
  message: string;
}

const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
const PEM_END = "-----END CERTIFICATE-----";

/**
 * The PEM certificate blocks of a file, in order. By indexOf, in one pass: a lazy regex over the
 * file restarted at every BEGIN without an END, quadratic in a hostile file (test/regex-safety).
 */
function pemCertificates(text: string): string[] {
  const blocks: string[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, at);
    if (begin < 0) return blocks;
    const end = text.indexOf(PEM_END, begin + PEM_BEGIN.length);
    if (end < 0) return blocks;
    blocks.push(text.slice(begin, end + PEM_END.length));
    at = end + PEM_END.length;
  }
}

/**
 * Reads and checks the files: each readable, the certificate and CA PEM certificates, the
 * certificate valid now, the key the certificate's. Every problem is returned (none: usable).
 */
export function checkTls(
  tls: TlsSettings,
  now = Date.now(),
): { material?: TlsMaterial; problems: TlsProblem[] } {
  const problems: TlsProblem[] = [];
  const read = (key: TlsProblem["key"], path: string): Buffer | undefined => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        key,
        message:
          code === "ENOENT"
            ? `${path} does not exist`
            : code === "EACCES"
              ? `${path} cannot be read (permission denied; agentwatch runs as uid ${process.getuid?.() ?? "?"})`
              : `${path} cannot be read: ${(err as Error).message}`,
      });
      return undefined;
    }
  };
  const certPem = read("cert", tls.cert);
  const keyPem = read("key", tls.key);
  const caPem = tls.ca === undefined ? undefined : read("ca", tls.ca);

  let leaf: X509Certificate | undefined;
  if (certPem) {
    const first = pemCertificates(certPem.toString("utf8"))[0];
    try {
      if (!first) throw new Error("no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
      leaf = new X509Certificate(first);
    } catch (err) {
      problems.push({ key: "cert", message: `${tls.cert} is not a PEM certificate: ${describe(err)}` });
    }
  }
  if (leaf) {
    const from = Date.parse(leaf.validFrom);
    const to = Date.parse(leaf.validTo);
    if (to < now) {
      problems.push({
        key: "cert",
        message: `${tls.cert} expired on ${new Date(to).toISOString()} (subject ${subjectOf(leaf)}); renew it`,
      });
    } else if (from > now) {
      problems.push({
        key: "cert",
        message: `${tls.cert} is not valid yet: valid from ${new Date(from).toISOString()} (subject ${subjectOf(leaf)}); check the clock or the certificate`,
      });
    }
  }
  let privateKey: ReturnType<typeof createPrivateKey> | undefined;
  if (keyPem) {
    try {
      privateKey = createPrivateKey(keyPem);
    } catch (err) {
      problems.push({
        key: "key",
        message: `${tls.key} is not an unencrypted PEM private key: ${describe(err)}`,
      });
    }
  }
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.push({
      key: "key",
      message: `${tls.key} is not the private key of the certificate ${tls.cert} (subject ${subjectOf(leaf)})`,
    });
  }
  if (caPem) {
    const certs = pemCertificates(caPem.toString("utf8"));
    if (certs.length === 0) {
      problems.push({
        key: "ca",
        message: `${tls.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      });
    }
    for (const pem of certs) {
      try {
        new X509Certificate(pem);
      } catch (err) {
        problems.push({
          key: "ca",
          message: `${tls.ca} holds a certificate that does not parse: ${describe(err)}`,
        });
        break;
      }
    }
  }
  if (problems.length > 0 || !certPem || !keyPem) return { problems };
  const material: TlsMaterial = { cert: certPem, key: keyPem, ...(caPem ? { ca: caPem } : {}) };
  try {
    // What Node itself will make of them (a chain it cannot use, a key type it refuses).
    createSecureContext(material);
  } catch (err) {
    problems.push({ key: "cert", message: `Node cannot use ${tls.cert} with ${tls.key}: ${describe(err)}` });
    return { problems };
  }
  return { material, problems };
}

/** The server options for `https.createServer`: the files, and whether clients are asked for a certificate. */
export function tlsServerOptions(tls: TlsSettings, material: TlsMaterial) {
  return {
    ...material,
    requestCert: tls.client_auth !== "none",
    // `require`: a client without a certificate signed by `ca` is refused in the handshake.
    rejectUnauthorized: tls.client_auth === "require",
  };
}

/** The leaf certificate's subject and expiry, for logs and the reload's answer. */
export function describeCertificate(material: TlsMaterial): { subject: string; not_after: string } {
  const first = pemCertificates(material.cert.toString("utf8"))[0] ?? "";
  const cert = new X509Certificate(first);
  return { subject: subjectOf(cert), not_after: new Date(Date.parse(cert.validTo)).toISOString() };
}

/** A client certificate a request came with, verified against `server.tls.ca`. */
export interface ClientCertificate {
  /** The subject's common name (CN), when it has one. */
  cn: string | undefined;
  /** Subject alternative names as OpenSSL prints them: `DNS:host`, `URI:spiffe://…`, `IP Address:…`, `email:…`. */
  san: string[];
}

/**
 * The verified client certificate on a request's socket: undefined over plain HTTP, when the
 * client sent none, or when it did not verify against `ca` (client_auth: request lets those in).
 */
export function clientCertificateOf(socket: Socket): ClientCertificate | undefined {
  const tlsSocket = socket as Partial<TLSSocket>;
  if (typeof tlsSocket.getPeerCertificate !== "function" || tlsSocket.authorized !== true) return undefined;
  const peer = tlsSocket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const cn = peer.subject?.CN;
  return {
    cn: Array.isArray(cn) ? cn[0] : cn,
    san: (peer.subjectaltname ?? "")
      .split(", ")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  };
}

/** A token's binding (`auth.tokens[].client_cert`): the certificate's CN, or one of its SANs. */
export interface CertificateBinding {
  subject_cn?: string | undefined;
  san?: string | undefined;
}

/**
 * Whether the certificate satisfies the binding: every field given must match. `san` matches an
 * entry written as OpenSSL does (`DNS:collector.internal`, `URI:spiffe://…`) or its value alone.
 */
export function certificateMatches(binding: CertificateBinding, cert: ClientCertificate): boolean {
  if (binding.subject_cn !== undefined && cert.cn !== binding.subject_cn) return false;
  if (binding.san !== undefined) {
    const wanted = binding.san;
    const found = cert.san.some(
      (entry) => entry === wanted || entry.slice(entry.indexOf(":") + 1) === wanted,
    );
    if (!found) return false;
  }
  return true;
}

export function describeBinding(binding: CertificateBinding): string {
  return [
    ...(binding.subject_cn !== undefined ? [`subject CN "${binding.subject_cn}"`] : []),
    ...(binding.san !== undefined ? [`SAN "${binding.san}"`] : []),
  ].join(" and ");
}

function subjectOf(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ", ");
}

function describe(err: unknown): string {
  return (err as Error).message ?? String(err);
}
