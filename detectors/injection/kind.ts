/**
 * What kind of injection a verdict found, ranked: an instruction planted in content the agent
 * read is worse than a user overriding its rules, which is worse than a role-play framing, and a
 * text only the learned stage called is the least sure. One score hides that difference; the
 * `injection_attempt` finding carries the kind and its rank (labels.kind routes and silences by
 * it), and `detectors.injection_attempt.severity_by_kind` can page on some kinds only.
 */
import type { InjectionEvidence, Origin } from "./classify.ts";

export const INJECTION_KINDS = [
  /** Content from outside (a tool result, a retrieved document) addressing the assistant: whatever it asks, it is the attack. */
  "planted_instruction",
  /** Hidden from a reader: encoded, invisible, look-alike characters or a machine-searched suffix. */
  "hidden_instruction",
  /** Told to set its instructions aside, reveal them, or take a spoofed system turn. */
  "override",
  /** A persona or scenario meant to lift its rules (role-play jailbreaks). */
  "jailbreak",
  /** Only the learned stage (or an external classifier) called it: vocabulary and framing, the least sure. */
  "learned_only",
] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];

/** 1 is the worst. */
export function kindRank(kind: InjectionKind): number {
  return INJECTION_KINDS.indexOf(kind) + 1;
}

const HIDING_RULES = new Set(["hidden_text", "invisible_characters", "adversarial_suffix"]);
const MODEL_STAGES = new Set(["learned_model", "external_classifier"]);

/** The kind of a flagged text from its origin and evidence (the rules' names, rules.ts). */
export function injectionKind(origin: Origin, evidence: readonly InjectionEvidence[]): InjectionKind {
  if (origin === "tool" || origin === "retrieval") return "planted_instruction";
  if (evidence.some((e) => e.via !== undefined || HIDING_RULES.has(e.rule))) return "hidden_instruction";
  const rules = evidence.filter((e) => !MODEL_STAGES.has(e.rule));
  if (rules.length === 0) return "learned_only";
  if (rules.every((e) => e.rule === "jailbreak")) return "jailbreak";
  return "override";
}
