import type { Config } from "../services/runtime/config.ts";
import { authBruteforce } from "./auth-bruteforce.ts";
import type { Detector } from "./types.ts";

/** The detectors the config enables, in a fixed order. */
export function createDetectors(config: Config["detectors"]): Detector[] {
  const detectors: Detector[] = [];
  const bruteforce = config.auth_bruteforce;
  if (bruteforce.enabled) {
    detectors.push(
      authBruteforce({
        threshold: bruteforce.threshold,
        windowMs: bruteforce.window,
        severity: bruteforce.severity,
      }) as Detector,
    );
  }
  return detectors;
}
