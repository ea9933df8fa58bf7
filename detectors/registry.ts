/**
 * Every detector, declared once: this table is the `detectors:` section of the config (its
 * keys, their settings and documented defaults, validated with the rest at start) and what the
 * runner runs (createDetectors in index.ts). A new detector adds its definition here.
 */
import { z } from "zod";
import { agentSilentDefinition } from "./agent-silent.ts";
import { authBruteforceDefinition } from "./auth-bruteforce.ts";
import { authFailureDriftDefinition, authFailureRateDefinition } from "./auth-failure-rate.ts";
import { canaryLeakDefinition } from "./canary-leak.ts";
import { piiLeakDefinition, secretLeakDefinition } from "./data-leak.ts";
import { entityFloodDefinition } from "./entity-budget.ts";
import { errorDriftDefinition, errorRateDefinition } from "./error-rate.ts";
import { eventIdConflictDefinition } from "./event-id-conflict.ts";
import { exfiltrationDefinition } from "./exfiltration.ts";
import {
  injectionAttemptDefinition,
  injectionDriftDefinition,
  injectionRateDefinition,
} from "./injection/index.ts";
import { latencyDefinition, latencyDriftDefinition } from "./latency.ts";
import { messageRateDefinition } from "./message-rate.ts";
import { pausedAgentActiveDefinition } from "./paused-agent.ts";
import { unattributedUsageDefinition, unknownKeyDefinition } from "./provider-keys.ts";
import { spendCapDefinition } from "./spend-cap.ts";
import { tokenDriftDefinition, tokenSpikeDefinition } from "./token-spike.ts";
import { newToolDefinition, toolDriftDefinition, toolShiftDefinition } from "./tool-usage.ts";
import type { DetectorDefinition } from "./types.ts";

/** In the order the runner runs them. */
export const DETECTOR_DEFINITIONS = [
  authBruteforceDefinition,
  spendCapDefinition,
  authFailureRateDefinition,
  tokenSpikeDefinition,
  toolShiftDefinition,
  newToolDefinition,
  exfiltrationDefinition,
  errorRateDefinition,
  latencyDefinition,
  agentSilentDefinition,
  injectionAttemptDefinition,
  injectionRateDefinition,
  piiLeakDefinition,
  secretLeakDefinition,
  messageRateDefinition,
  canaryLeakDefinition,
  unattributedUsageDefinition,
  unknownKeyDefinition,
  pausedAgentActiveDefinition,
  eventIdConflictDefinition,
  entityFloodDefinition,
  // Settings only (issue 26): the baseline detectors above keep the references and raise these.
  tokenDriftDefinition,
  toolDriftDefinition,
  errorDriftDefinition,
  latencyDriftDefinition,
  authFailureDriftDefinition,
  injectionDriftDefinition,
] as const satisfies readonly DetectorDefinition[];

type Definitions = (typeof DETECTOR_DEFINITIONS)[number];
type SettingsShape = {
  [D in Definitions as D["key"]]: z.ZodPrefault<D["settings"]>;
};

/** Every detector's settings; also the shape of a per-agent override (agents[].detectors). */
export const detectorsSettings = z
  .strictObject(
    Object.fromEntries(
      DETECTOR_DEFINITIONS.map((d) => [d.key, (d.settings as z.ZodType).prefault({})]),
    ) as SettingsShape,
  )
  .prefault({});

export type DetectorsSettings = z.output<typeof detectorsSettings>;
