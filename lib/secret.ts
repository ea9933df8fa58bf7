import { inspect } from "node:util";

const REDACTED = "<secret>";

/**
 * A value that must never be printed or logged. Every ordinary way of turning it into text
 * (template strings, JSON.stringify, util.inspect, pino) yields `<secret>`; only `reveal()`
 * gives the value, and it is called only where the value is used (HMAC keys, token hashes).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
