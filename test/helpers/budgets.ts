import { DEFAULT_ENTITY_BUDGET, type EntityBudget } from "../../detectors/entity-budget.ts";

/**
 * A small per-agent entity budget for detector tests: `perAgent` entities an agent holds in a
 * table, `total` in the table, and a flood at `threshold` new ones; the rest as shipped (a
 * 10-minute flood window, an hour's cooldown, warning).
 */
export function smallBudget(perAgent: number, total: number, threshold: number): EntityBudget {
  return { perAgent, total, flood: { ...DEFAULT_ENTITY_BUDGET.flood, threshold } };
}
