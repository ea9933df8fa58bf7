/**
 * Routing, as Alertmanager's routes without the tree: which receivers hear of an incident.
 * Routes are tried in order; the first whose matchers all hold takes the incident, and so do the
 * next ones that hold while each taken route says `continue`. No routes, or none that holds: every
 * receiver, so an incident is never dropped for want of a route.
 */
import type { Config, ReceiverConfig } from "../runtime/config.ts";
import { matchesAnyDetector } from "../runtime/matchers.ts";
import type { Incident } from "../runtime/model.ts";

export type Route = Config["alerting"]["routes"][number];

export function receiversFor(
  incident: Incident,
  routes: readonly Route[],
  receivers: readonly ReceiverConfig[],
): readonly ReceiverConfig[] {
  if (routes.length === 0) return receivers;
  const names = new Set<string>();
  for (const route of routes) {
    // Any of a correlated incident's detectors takes a route (matchers.ts).
    if (!matchesAnyDetector(route.matchers, incident)) continue;
    for (const name of route.receivers) names.add(name);
    if (!route.continue) break;
  }
  return names.size === 0 ? receivers : receivers.filter((r) => names.has(r.name));
}
