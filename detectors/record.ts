/**
 * Records keyed by values from events (agent ids, users, principals, IPs, tools, key ids). They
 * have no prototype, so a value such as `__proto__` or `constructor` is an ordinary key: it can
 * neither read Object.prototype's members nor change Object.prototype for the whole process.
 */
export function newRecord<T>(): Record<string, T> {
  // Not Object.create(null): V8 makes that a dictionary from the start, and iterating a small
  // one (a distribution of a few tools, decayed on every call) is about twice as slow.
  return Object.setPrototypeOf({}, null) as Record<string, T>;
}

/**
 * `JSON.parse` reviver for detector state restored from a checkpoint: every object gets no
 * prototype, like the records `newRecord` makes (JSON.parse keeps `"__proto__"` as an own key,
 * and a prototype-less object keeps it that way when it is later written to).
 */
export function reviveState(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value))
    Object.setPrototypeOf(value, null);
  return value;
}
