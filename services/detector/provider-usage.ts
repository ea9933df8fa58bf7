/**
 * Provider usage records as increments. A poller (services/providers/poller.ts) appends, for each
 * bucket and group (API key, model, workspace) of a provider's usage report, the totals the
 * provider reports so far, again whenever a revision raises them; several collectors, or one
 * that restarted, may append the same totals (the bus drops identical ids) or totals another
 * already passed. Before the detectors see such a record, the runner turns it into what it adds
 * over the highest totals counted for its bucket and group, so a bucket's tokens are counted
 * once however many times and by whom it was reported. The counted totals are part of the
 * detector checkpoint; a bucket is forgotten two days after the newest one seen (providers
 * revise minutes to hours back).
 *
 * Only records appended by a poller (token `provider:<name>`) are treated so: the event fields
 * are the agent's to write, who appended a record is not.
 */

import type { ObservedEvent } from "../../detectors/types.ts";

export const PROVIDER_TOTALS = "_provider_usage";
const FORGET_AFTER_MS = 2 * 86_400_000;

export interface ProviderTotals {
  /** `provider|report|bucket start|api key|model|workspace` → [input, output tokens, micro-dollars] counted. */
  counted: Record<string, [number, number, number]>;
  /** The newest bucket start seen (epoch ms). */
  newest: number;
}

export function newProviderTotals(): ProviderTotals {
  return { counted: Object.create(null) as Record<string, [number, number, number]>, newest: 0 };
}

/** Whether the record's appender was a provider poller. */
export function appendedByProvider(token: string): boolean {
  return token.startsWith("provider:");
}

/**
 * The event as an increment over what its bucket and group counted so far, marked `source:
 * "provider"`; undefined when it adds nothing (a repeat, or totals below those counted).
 */
export function providerIncrement(
  totals: ProviderTotals,
  observed: ObservedEvent,
): ObservedEvent | undefined {
  const { event } = observed;
  if (event.type !== "llm_usage" || !event.usage) return undefined;
  const attributes = (event.attributes ?? {}) as Record<string, unknown>;
  const bucket = Date.parse(String(attributes.bucket_start ?? event.time));
  const start = Number.isNaN(bucket) ? observed.time : bucket;
  const key = [
    String(attributes.provider ?? event.usage.provider),
    String(attributes.report ?? "usage"),
    start,
    event.usage.api_key_id ?? "",
    event.usage.model,
    String(attributes.workspace_id ?? ""),
  ].join("|");
  const before = totals.counted[key] ?? [0, 0, 0];
  const cost = event.usage.cost_usd === undefined ? undefined : Math.round(event.usage.cost_usd * 1e6);
  const input = Math.max(0, event.usage.input_tokens - before[0]);
  const output = Math.max(0, event.usage.output_tokens - before[1]);
  const spent = cost === undefined ? 0 : Math.max(0, cost - before[2]);
  totals.counted[key] = [
    Math.max(before[0], event.usage.input_tokens),
    Math.max(before[1], event.usage.output_tokens),
    Math.max(before[2], cost ?? 0),
  ];
  if (start > totals.newest) {
    const previous = totals.newest;
    totals.newest = start;
    // Forget old buckets at most once an hour of bucket time: each pass is linear in what is kept.
    if (Math.floor(start / 3_600_000) !== Math.floor(previous / 3_600_000)) {
      for (const k of Object.keys(totals.counted)) {
        const at = Number(k.split("|")[2]);
        if (at < start - FORGET_AFTER_MS) delete totals.counted[k];
      }
    }
  }
  if (input === 0 && output === 0 && spent === 0) return undefined;
  return {
    ...observed,
    event: {
      ...event,
      usage: {
        ...event.usage,
        input_tokens: input,
        output_tokens: output,
        ...(cost === undefined ? {} : { cost_usd: spent / 1e6 }),
      },
    },
    source: "provider",
  };
}
