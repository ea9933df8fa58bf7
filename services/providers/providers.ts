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
import { ANTHROPIC_API_URL, AnthropicUsageClient } from "./anthropic.ts";
import { OPENAI_API_URL, OpenAIUsageClient } from "./openai.ts";
import { UsagePoller } from "./poller.ts";
import type { UsageClient } from "./usage-api.ts";

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
  return provider.type === "anthropic"
    ? new AnthropicUsageClient({ ...options, apiUrl: provider.api_url ?? ANTHROPIC_API_URL })
    : new OpenAIUsageClient({ ...options, apiUrl: provider.api_url ?? OPENAI_API_URL });
}

export function createPollers(
  config: Pick<Config, "providers" | "limits">,
  deps: { bus: Bus; storage: Storage; logger: Logger; metrics: Metrics; now?: () => number },
): UsagePoller[] {
  return config.providers.map(
    (provider) =>
      new UsagePoller({
        provider,
        client: usageClientFor(provider),
        limits: config.limits,
        ...deps,
      }),
  );
}
