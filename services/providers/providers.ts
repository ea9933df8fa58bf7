/**
 * The configured providers' usage clients and pollers (config `providers`), run by the collector
 * role. The admin key comes from the config (`${ENV}`) or from `admin_key_file`, read here once.
 */

import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { ProviderSettings } from "../../detectors/types.ts";
import { Secret } from "../../lib/secret.ts";
import type { Bus } from "../runtime/bus/bus.ts";
import type { Config, ProviderConfig } from "../runtime/config.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { Storage } from "../runtime/storage/storage.ts";
import { anthropic } from "./anthropic.ts";
import { openai } from "./openai.ts";
import { type Report, UsagePoller } from "./poller.ts";
import { BUCKET_MS, ReportClient, type UsageClient } from "./usage-api.ts";

/** What the detectors need to know of the configured providers (detectors/types.ts). */
export function providerSettings(config: Pick<Config, "providers">): ProviderSettings[] {
  return config.providers.map((p) => ({
    name: p.name,
    type: p.type,
    keys: p.keys,
    expected_keys: p.expected_keys,
    lag: p.lag,
  }));
}

export function adminKeyOf(provider: ProviderConfig): Secret {
  if (provider.admin_key !== undefined) return provider.admin_key;
  const file = provider.admin_key_file as string;
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new AgentwatchError(
      "configInvalid",
      `providers: ${provider.name}: admin_key_file ${file} cannot be read (${(err as Error).message})`,
    );
  }
  if (text === "")
    throw new AgentwatchError(
      "configInvalid",
      `providers: ${provider.name}: admin_key_file ${file} is empty`,
    );
  return new Secret(text);
}

export function usageClientFor(provider: ProviderConfig): UsageClient {
  const options = { adminKey: adminKeyOf(provider), timeoutMs: provider.timeout };
  const dialect = provider.type === "anthropic" ? anthropic : openai;
  return new ReportClient(dialect, { ...options, apiUrl: provider.api_url ?? dialect.apiUrl });
}

export function createPollers(
  config: Pick<Config, "providers" | "limits">,
  deps: { bus: Bus; storage: Storage; logger: Logger; metrics: Metrics; now?: () => number },
): UsagePoller[] {
  return config.providers.flatMap((provider) => {
    const client = usageClientFor(provider);
    const reports: Report[] = provider.costs ? ["usage", "cost"] : ["usage"];
    return reports.map(
      (report) => new UsagePoller({ report, provider, client, limits: config.limits, ...deps }),
    );
  });
}

/** What `agentwatch providers check` says of one provider. */
export interface ProviderCheck {
  provider: string;
  type: string;
  ok: boolean;
  /** What failed, in words a person can act on (never the admin key). */
  error?: string;
  /** Buckets of the last `hours` read, rows in them, and the latest bucket with usage. */
  buckets?: number;
  rows?: number;
  latest_bucket?: string | null;
  keys?: { mapped: number; seen: string[]; unmapped: string[] };
  /** With `costs`: today's spend so far in the cost report (UTC day), US dollars. */
  cost_today_usd?: number;
}

/**
 * Calls each configured provider once (the last hour, in its bucket width) and says what works:
 * the admin key and its scope, the latest bucket with usage, the key ids seen and which of them no
 * agent is mapped to. Never prints the admin key.
 */
export async function checkProviders(
  config: Pick<Config, "providers">,
  now = Date.now(),
): Promise<ProviderCheck[]> {
  const results: ProviderCheck[] = [];
  for (const provider of config.providers) {
    const base = { provider: provider.name, type: provider.type };
    try {
      const client = usageClientFor(provider);
      const width = BUCKET_MS[provider.bucket_width];
      const to = Math.floor(now / width) * width + width;
      const from = to - Math.max(width, 3_600_000 - (3_600_000 % width));
      const rows = [];
      let page: string | undefined;
      let buckets = 0;
      do {
        const answer = await client.usagePage(from, to, provider.bucket_width, page);
        rows.push(...answer.rows);
        page = answer.nextPage;
        buckets += 1;
      } while (page !== undefined && buckets < 100);
      const withUsage = rows.filter((r) => r.inputTokens + r.outputTokens > 0);
      const latest = withUsage.reduce((m, r) => Math.max(m, r.bucketStart), Number.NEGATIVE_INFINITY);
      const seen = [...new Set(withUsage.flatMap((r) => (r.apiKeyId === null ? [] : [r.apiKeyId])))].sort();
      const known = new Set([...provider.keys.map((k) => k.id), ...provider.expected_keys]);
      let costToday: number | undefined;
      if (provider.costs) {
        const day = Math.floor(now / 86_400_000) * 86_400_000;
        const costs = await client.costPage(day, day + 86_400_000, undefined);
        costToday = Math.round(costs.rows.reduce((sum, r) => sum + r.usd, 0) * 100) / 100;
      }
      results.push({
        ...base,
        ok: true,
        ...(costToday !== undefined ? { cost_today_usd: costToday } : {}),
        buckets: Math.round((to - from) / width),
        rows: rows.length,
        latest_bucket: Number.isFinite(latest) ? new Date(latest).toISOString() : null,
        keys: { mapped: provider.keys.length, seen, unmapped: seen.filter((k) => !known.has(k)) },
      });
    } catch (err) {
      results.push({ ...base, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
