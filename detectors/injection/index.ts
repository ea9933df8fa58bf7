/**
 * Prompt-injection detection, one entry point. The parts:
 * - classify.ts: one text's verdict (rules, what hidden text decodes to, the learned model);
 * - rules.ts and decode.ts: the rules and the decoders it runs;
 * - model.ts and text.ts: the learned stage and the loaded-text buffer both stages read;
 * - adversarial-suffix.ts: machine-searched suffixes no phrase list can name;
 * - detector.ts: the `injection_attempt` and `injection_rate` detectors over events;
 * - kind.ts: what kind of injection a flagged text is, ranked (planted, hidden, override, ...);
 * - shift-set.ts: texts written to measure it on styles it was not tuned on (never trained on).
 */
export {
  classifyInjection,
  type InjectionEvidence,
  type InjectionStages,
  type InjectionVerdict,
  type Origin,
} from "./classify.ts";
export {
  injectionAttemptDefinition,
  injectionDriftDefinition,
  injectionInput,
  injectionRateDefinition,
} from "./detector.ts";
export { INJECTION_KINDS, type InjectionKind, injectionKind, kindRank } from "./kind.ts";
export {
  type FeatureContribution,
  featureContributions,
  type InjectionModel,
  loadInjectionModel,
  modelReading,
} from "./model.ts";
