/**
 * The price table used when an `llm_usage` event has no `cost_usd`: USD per million input and
 * output tokens, keyed `provider/model`. Model names match by longest prefix, so dated versions
 * (`gpt-4o-2024-08-06`) take their family's price. These are list prices as published by the
 * providers for their standard tiers; prices change, so override them in the config
 * (`detectors.spend_cap.prices`), which is merged over this table.
 */
export interface Price {
  input_per_million: number;
  output_per_million: number;
}

export const DEFAULT_PRICES: Record<string, Price> = {
  "openai/gpt-4o": { input_per_million: 2.5, output_per_million: 10 },
  "openai/gpt-4o-mini": { input_per_million: 0.15, output_per_million: 0.6 },
  "openai/gpt-4.1": { input_per_million: 2, output_per_million: 8 },
  "openai/gpt-4.1-mini": { input_per_million: 0.4, output_per_million: 1.6 },
  "openai/gpt-4.1-nano": { input_per_million: 0.1, output_per_million: 0.4 },
  "openai/o3": { input_per_million: 2, output_per_million: 8 },
  "openai/o4-mini": { input_per_million: 1.1, output_per_million: 4.4 },
  "openai/gpt-3.5-turbo": { input_per_million: 0.5, output_per_million: 1.5 },
  "anthropic/claude-opus-4": { input_per_million: 15, output_per_million: 75 },
  "anthropic/claude-sonnet-4": { input_per_million: 3, output_per_million: 15 },
  "anthropic/claude-3-7-sonnet": { input_per_million: 3, output_per_million: 15 },
  "anthropic/claude-3-5-sonnet": { input_per_million: 3, output_per_million: 15 },
  "anthropic/claude-3-5-haiku": { input_per_million: 0.8, output_per_million: 4 },
  "anthropic/claude-3-haiku": { input_per_million: 0.25, output_per_million: 1.25 },
  "google/gemini-2.0-flash": { input_per_million: 0.1, output_per_million: 0.4 },
  "google/gemini-1.5-pro": { input_per_million: 1.25, output_per_million: 5 },
  "google/gemini-1.5-flash": { input_per_million: 0.075, output_per_million: 0.3 },
};

/** The price for `provider/model` by longest prefix, or undefined when the table has none. */
export function priceFor(table: Record<string, Price>, provider: string, model: string): Price | undefined {
  let byProvider = PRICE_CACHE.get(table);
  if (!byProvider) {
    byProvider = new Map();
    PRICE_CACHE.set(table, byProvider);
  }
  // By provider, then model: no `provider/model` string is built for a usage event seen before.
  let byModel = byProvider.get(provider);
  if (!byModel) {
    byModel = new Map();
    if (byProvider.size < 1_000) byProvider.set(provider, byModel);
  }
  if (byModel.has(model)) return byModel.get(model);
  const price = lookup(table, provider, model);
  // Bounded: model names are few; an unbounded variety would be an attack on memory.
  if (byModel.size < 10_000) byModel.set(model, price);
  return price;
}

/** Lookups per table (tables are fixed at start), by provider, then model. */
const PRICE_CACHE = new WeakMap<Record<string, Price>, Map<string, Map<string, Price | undefined>>>();

function lookup(table: Record<string, Price>, provider: string, model: string): Price | undefined {
  const wanted = `${provider}/${model}`.toLowerCase();
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    const k = key.toLowerCase();
    if (wanted.startsWith(k) && (best === undefined || k.length > best.length)) best = key;
  }
  return best === undefined ? undefined : table[best];
}

/** Cost in USD of one usage event: its own `cost_usd`, else the price table; undefined when unpriced. */
export function costOf(
  table: Record<string, Price>,
  usage: { provider: string; model: string; input_tokens: number; output_tokens: number; cost_usd?: number },
): number | undefined {
  if (usage.cost_usd !== undefined) return usage.cost_usd;
  const price = priceFor(table, usage.provider, usage.model);
  if (!price) return undefined;
  return (
    (usage.input_tokens * price.input_per_million + usage.output_tokens * price.output_per_million) /
    1_000_000
  );
}
