/**
 * An external injection classifier (a model server) consulted beside the built-in rules.
 *
 * Protocol: POST <url> with `{"inputs": [{"text": "...", "origin": "user"|"tool"|"retrieval"|"system"}]}`
 * (and `Authorization: Bearer <token>` when configured); answer 200 with `{"scores": [0..1, ...]}`,
 * one score per input, in order. Anything else is an error: the runner logs and counts it and
 * judges those events with the built-in classifier alone, so a slow or broken model server never
 * stops detection.
 */
import type { Origin } from "../../detectors/injection.ts";
import { AgentwatchError } from "../runtime/errors.ts";
import type { Secret } from "../runtime/secret.ts";

export interface ClassifierInput {
  text: string;
  origin: Origin;
}

export interface InjectionClassifier {
  classify(inputs: ClassifierInput[]): Promise<number[]>;
}

export interface HttpClassifierOptions {
  url: string;
  timeoutMs: number;
  token?: Secret;
}

export class HttpInjectionClassifier implements InjectionClassifier {
  readonly #o: HttpClassifierOptions;

  constructor(options: HttpClassifierOptions) {
    this.#o = options;
  }

  async classify(inputs: ClassifierInput[]): Promise<number[]> {
    if (inputs.length === 0) return [];
    let response: Response;
    try {
      response = await fetch(this.#o.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.#o.token ? { authorization: `Bearer ${this.#o.token.reveal()}` } : {}),
        },
        body: JSON.stringify({ inputs }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (err) {
      throw new AgentwatchError(
        "deliveryFailed",
        `injection classifier at ${this.#o.url} did not answer: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new AgentwatchError(
        "deliveryFailed",
        `injection classifier answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    let scores: unknown;
    try {
      scores = (JSON.parse(text) as { scores?: unknown }).scores;
    } catch {
      scores = undefined;
    }
    if (
      !Array.isArray(scores) ||
      scores.length !== inputs.length ||
      !scores.every((s) => typeof s === "number" && s >= 0 && s <= 1)
    ) {
      throw new AgentwatchError(
        "deliveryRejected",
        `injection classifier answer must be {"scores": [...]} with ${inputs.length} numbers in 0..1`,
      );
    }
    return scores as number[];
  }
}
