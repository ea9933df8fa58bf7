/**
 * A throwaway certificate authority made with the openssl command (Debian's package): server and
 * client certificates with the subject, SANs and validity a test asks for, expired and
 * not-yet-valid ones included (`openssl ca -startdate/-enddate`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Issued {
  cert: string;
  key: string;
}

export class TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly #caKey: string;
  #serial = 0;

  constructor(name = "test-ca", parent?: string) {
    this.dir = parent ? join(parent, name) : mkdtempSync(join(tmpdir(), `agentwatch-pki-${name}-`));
    mkdirSync(this.dir, { recursive: true });
    this.caCert = join(this.dir, "ca.pem");
    this.#caKey = join(this.dir, "ca.key");
    openssl(
      ["req", "-x509", ...ecKey(this.#caKey), "-out", this.caCert, "-days", "30", "-subj", `/CN=${name}`],
      this.dir,
    );
    writeFileSync(join(this.dir, "index.txt"), "");
    writeFileSync(join(this.dir, "serial"), "1000\n");
    writeFileSync(
      join(this.dir, "ca.cnf"),
      [
        "[ca]",
        "default_ca = d",
        "[d]",
        `database = ${join(this.dir, "index.txt")}`,
        `serial = ${join(this.dir, "serial")}`,
        `new_certs_dir = ${this.dir}`,
        "default_md = sha256",
        "policy = p",
        "unique_subject = no",
        "[p]",
        "commonName = supplied",
        "",
      ].join("\n"),
    );
  }

  /**
   * A certificate for `cn` signed by this CA. `san`: OpenSSL's form (`IP:127.0.0.1,DNS:localhost`,
   * `URI:spiffe://…`). `start`/`end`: validity as YYYYMMDDHHMMSSZ (default: from an hour ago, for 10 days).
   */
  issue(
    name: string,
    options: { cn: string; san?: string; start?: string; end?: string; clientAuth?: boolean },
  ): Issued {
    this.#serial += 1;
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    openssl(["req", "-new", ...ecKey(key), "-out", csr, "-subj", `/CN=${options.cn}`], this.dir);
    writeFileSync(
      ext,
      [
        "[ext]",
        "basicConstraints = CA:FALSE",
        `extendedKeyUsage = ${options.clientAuth ? "clientAuth" : "serverAuth"}`,
        ...(options.san ? [`subjectAltName = ${options.san}`] : []),
        "",
      ].join("\n"),
    );
    const hourAgo = new Date(Date.now() - 3_600_000);
    openssl(
      [
        "ca",
        "-batch",
        "-config",
        join(this.dir, "ca.cnf"),
        "-cert",
        this.caCert,
        "-keyfile",
        this.#caKey,
        "-in",
        csr,
        "-out",
        cert,
        "-notext",
        "-extfile",
        ext,
        "-extensions",
        "ext",
        "-startdate",
        options.start ?? asn1Time(hourAgo),
        "-enddate",
        options.end ?? asn1Time(new Date(Date.now() + 10 * 86_400_000)),
      ],
      this.dir,
    );
    return { cert, key };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ecKey(keyFile: string): string[] {
  return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile];
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate` takes it. */
export function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}
