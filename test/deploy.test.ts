/**
 * The production deployment files. There is no Docker engine here, so this checks what can be
 * checked: the compose file's services and roles, that every file it mounts exists and parses,
 * that the production config passes agentwatch's own validation, and the image's shape.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { ROLE_NAMES } from "../services/app.ts";
import { parseConfig } from "../services/runtime/config.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary YAML
type Json = any;
/** The variables the deployment files' configs name. */
const env = {
  AW_INGEST_TOKEN: "ingest-token-0123456789",
  AW_OPERATOR_TOKEN: "operator-token-0123456789",
  AW_VIEWER_TOKEN: "viewer-token-0123456789",
  AW_HOOK_URL: "http://hooks.internal:9999/alerts",
  AW_HOOK_SECRET: "hook-secret-0123456789",
};
const ROOT = resolve(import.meta.dirname, "..");
const read = (path: string) => readFileSync(resolve(ROOT, path), "utf8");
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: string[];
      volumes?: string[];
      ports?: string[];
      healthcheck?: { test: string[]; start_period?: string };
      stop_grace_period?: string;
      environment?: Record<string, string>;
    }
  >;
};

describe("docker-compose.yml", () => {
  it("runs Kafka, Elasticsearch, Prometheus, Grafana, an SMTP sink and every agentwatch role", () => {
    const services = Object.keys(compose.services);
    expect(services).toEqual(
      expect.arrayContaining(["kafka", "elasticsearch", "prometheus", "grafana", "smtp", ...ROLE_NAMES]),
    );
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\./);
    expect(compose.services.elasticsearch?.image).toMatch(/elasticsearch:8\.19\./);
    for (const role of ROLE_NAMES) {
      const service = compose.services[role];
      expect(service?.build, role).toBe(".");
      expect(service?.command, role).toEqual([
        "start",
        "--role",
        role,
        "--config",
        "/etc/agentwatch/agentwatch.yaml",
      ]);
    }
  });

  it("mounts only files that exist and parse", () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    const files = mounts.map((m) => m.split(":")[0] as string).filter((source) => source.startsWith("./"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      expect(existsSync(resolve(ROOT, file)), file).toBe(true);
      if (/\.ya?ml$/.test(file)) expect(() => parse(read(file)), file).not.toThrow();
    }
    const dashboards = [
      "dashboards/grafana/dashboards/agentwatch-overview.json",
      "dashboards/grafana/dashboards/agentwatch-agent-security.json",
      "dashboards/grafana/dashboards/agentwatch-fleet.json",
    ];
    for (const file of dashboards) {
      const dashboard = JSON.parse(read(file)) as { panels: { targets: { expr: string }[] }[] };
      expect(dashboard.panels.length).toBeGreaterThan(5);
      for (const panel of dashboard.panels) expect(panel.targets[0]?.expr).toMatch(/agentwatch_/);
    }
  });

  it("gives the roles a production config agentwatch accepts: Kafka bus, Elasticsearch storage", () => {
    const raw = parse(read("deploy/agentwatch.production.yaml"));
    const config = parseConfig(raw, env);
    expect(config.bus).toMatchObject({ type: "kafka", brokers: ["kafka:9092"] });
    expect(config.storage).toMatchObject({ type: "elasticsearch", node: "http://elasticsearch:9200" });
    // Alerts also go to the compose file's mail sink, by its service name and SMTP port.
    const mail = config.receivers.find((r) => r.type === "email");
    expect(mail).toMatchObject({ smarthost: "smtp:1025", require_tls: false });
    expect(compose.services.smtp).toBeDefined();
    // Every variable the config needs is passed to the role containers.
    const passed = Object.keys(compose.services.collector?.environment ?? {});
    expect(passed.sort()).toEqual(Object.keys(env).sort());
  });

  it("waits for each role to be ready (/readyz, no token) and gives it time to stop cleanly", () => {
    for (const role of ROLE_NAMES) {
      const service = compose.services[role];
      expect(service?.healthcheck?.test.join(" "), role).toContain("http://127.0.0.1:8080/readyz");
      expect(service?.stop_grace_period, role).toBe("15s");
    }
  });

  it("scrapes every role with a viewer token", () => {
    const prometheus = parse(read("dashboards/prometheus.compose.yml")) as {
      scrape_configs: {
        authorization: { credentials_file: string };
        static_configs: { targets: string[] }[];
      }[];
    };
    const job = prometheus.scrape_configs[0];
    expect(job?.authorization.credentials_file).toBe("/tmp/agentwatch-viewer-token");
    expect(job?.static_configs[0]?.targets).toEqual(ROLE_NAMES.map((role) => `${role}:8080`));
    expect(read("deploy/prometheus-token.sh")).toContain("/tmp/agentwatch-viewer-token");
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  it("builds in stages and runs as a non-root user", () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^FROM node:24[^\n]* AS runtime$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it("copies what the program needs and nothing it does not", () => {
    for (const path of ["bin", "lib", "services", "detectors", "package.json"]) {
      expect(dockerfile).toMatch(new RegExp(`^COPY ${path}`, "m"));
      expect(existsSync(resolve(ROOT, path))).toBe(true);
    }
    expect(dockerfile).not.toMatch(/^COPY (test|bench|\.)\b/m);
  });

  it("is healthy once ready: the HEALTHCHECK asks /readyz, which needs no token", () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*--start-period=\d+s .*http:\/\/127\.0\.0\.1:8080\/readyz/m);
  });
});

describe("supervisor examples", () => {
  it("Kubernetes: probes /healthz for liveness and /readyz for readiness, and its config is valid", () => {
    const docs = parseAllDocuments(read("deploy/kubernetes.yaml")).map((d) => d.toJS()) as Json[];
    const deployment = docs.find((d) => d.kind === "Deployment");
    const container = deployment.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.startupProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(deployment.spec.strategy.type).toBe("Recreate");
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(5);
    const configMap = docs.find((d) => d.kind === "ConfigMap");
    const config = parseConfig(parse(configMap.data["agentwatch.yaml"]), env);
    expect(config.server).toMatchObject({ host: "0.0.0.0", port: 8080, shutdown_timeout: 5000 });
    expect(config.data_dir).toBe(container.volumeMounts.find((m: Json) => m.name === "data").mountPath);
  });

  it("systemd: restarts for ever a second after a crash, waits for /readyz, and systemd-analyze accepts the unit", () => {
    const unit = read("deploy/agentwatch.service");
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^RestartSec=1s$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
    expect(unit).toMatch(/^ExecStartPost=.*http:\/\/127\.0\.0\.1:8080\/readyz/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    // systemd's own check of the unit, with the node it names being this machine's.
    const dir = mkdtempSync(join(tmpdir(), "agentwatch-unit-"));
    try {
      const file = join(dir, "agentwatch.service");
      // A link to this machine's node: systemd splits ExecStart at spaces, and the checkout's path may have some.
      const node = join(dir, "node");
      symlinkSync(process.execPath, node);
      writeFileSync(file, unit.replaceAll("/opt/agentwatch/node_modules/.bin/node", node));
      const verify = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
      expect(verify.error, "systemd-analyze (Debian's systemd) is needed").toBeUndefined();
      expect(`${verify.stdout}${verify.stderr}`.trim()).toBe("");
      expect(verify.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
