/**
 * An external injection classifier (a model server) consulted beside the built-in rules.
 *
 * Protocol: POST <url> with `{"inputs": [{"text": "...", "origin": "user"|"tool"|"retrieval"|"system"}]}`
 * (and `Authorization: Bearer <token>` when configured); answer 200 with `{"scores": [0..1, ...]}`,
 * one score per input, in order. Anything else is an error: the runner logs and counts it and
 * judges those events with the built-in classifier alone, so a slow or broken model server never
 * stops detection.
 *
 * Bounded on every side, since a slow or hostile server must not slow detection down: redirects
 * are refused, an answer larger than MAX_ANSWER_BYTES is cut off and refused, and a circuit
 * breaker opens after `failureThreshold` failures in a row: for `cooldownMs` no call is made
 * (the rules alone judge), then one call tries again (half-open) and closes it on success.
 */
import type { Origin } from "../../detectors/injection/index.ts";
import type { Secret } from "../../lib/secret.ts";
import { AgentwatchError } from "../runtime/errors.ts";

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
  /** Failures in a row that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long an open circuit makes no call (default 30 s). */
  cooldownMs?: number;
  now?: () => number;
}

/** Scores are a few bytes each: an answer larger than this is not one. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export class HttpInjectionClassifier implements InjectionClassifier {
  readonly #o: Required<Omit<HttpClassifierOptions, "token">> & { token?: Secret };
  #failures = 0;
  #openUntil = 0;

  constructor(options: HttpClassifierOptions) {
    this.#o = { failureThreshold: 3, cooldownMs: 30_000, now: Date.now, ...options };
  }

  /** Whether calls are being skipped (the circuit is open). */
  get open(): boolean {
    return this.#o.now() < this.#openUntil;
  }

  async classify(inputs: ClassifierInput[]): Promise<number[]> {
    if (inputs.length === 0) return [];
    if (this.open) {
      throw new AgentwatchError(
        "deliveryFailed",
        `injection classifier at ${this.#o.url} failed ${this.#o.failureThreshold} times in a row; not called until ${new Date(this.#openUntil).toISOString()}`,
      );
    }
    try {
      const scores = await this.#call(inputs);
      this.#failures = 0;
      return scores;
    } catch (err) {
      this.#failures += 1;
      if (this.#failures >= this.#o.failureThreshold) {
        this.#openUntil = this.#o.now() + this.#o.cooldownMs;
        this.#failures = this.#o.failureThreshold - 1; // half-open after the cooldown: one failure reopens it
      }
      throw err;
    }
  }

  async #call(inputs: ClassifierInput[]): Promise<number[]> {
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
        redirect: "error",
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
    const text = await readCapped(response, MAX_ANSWER_BYTES, this.#o.url);
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

/** The answer's body, refused once it passes `max` bytes (read as it streams, never all of it). */
async function readCapped(response: Response, max: number, url: string): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new AgentwatchError(
        "deliveryRejected",
        `injection classifier at ${url} answered more than ${max} bytes; refused`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
