/**
 * The strings of a JSON text, for the injection classifier to read as text of their own (issue
 * 26): an instruction planted in a field of a tool result ("notes": "...\n### SYSTEM: new task")
 * hides behind escapes, quotes and braces; each string is given its own line, after its key made
 * readable ("note_to_ai" "note to ai"), so a rule reads it as the sentence it is, with its key as
 * context. Bounded: nesting is walked with a stack of its own, at most MAX_DEPTH deep and
 * MAX_NODES values (JSON.parse itself is iterative in V8).
 */

const MAX_DEPTH = 64;
const MAX_NODES = 10_000;

/** A key as words: "note_to_ai", "note-to-ai" and "noteToAi" are "note to ai". */
function keyWords(key: string): string {
  let out = "";
  for (let i = 0; i < key.length && i < 80; i += 1) {
    const c = key.charCodeAt(i);
    if (c === 95 || c === 45 || c === 46) out += " ";
    else if (c >= 65 && c <= 90 && i > 0 && out.length > 0 && out[out.length - 1] !== " ") {
      out += ` ${key[i]?.toLowerCase()}`;
    } else out += key[i];
  }
  return out;
}

/** The first and last characters that are not blanks, without trimming a copy of a long text. */
function ends(text: string): [number, number] {
  let from = 0;
  while (from < text.length && text.charCodeAt(from) <= 32) from += 1;
  let to = text.length - 1;
  while (to > from && text.charCodeAt(to) <= 32) to -= 1;
  return [text.charCodeAt(from), text.charCodeAt(to)];
}

/**
 * The text's strings, one per line as `key: value`, when the text is a JSON object or array with
 * at least one string of letters in it; undefined otherwise (not JSON, or nothing to read).
 */
export function jsonStrings(text: string): string | undefined {
  const [first, last] = ends(text);
  const object = first === 123 && last === 125; // { }
  const array = first === 91 && last === 93; // [ ]
  if (!object && !array) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const lines: string[] = [];
  const stack: { value: unknown; key: string; depth: number }[] = [{ value: parsed, key: "", depth: 0 }];
  let nodes = 0;
  while (stack.length > 0 && nodes < MAX_NODES) {
    const { value, key, depth } = stack.pop() as { value: unknown; key: string; depth: number };
    nodes += 1;
    if (typeof value === "string") {
      if (/\p{L}/u.test(value)) lines.push(key ? `${key}: ${value}` : value);
      continue;
    }
    if (value === null || typeof value !== "object" || depth >= MAX_DEPTH) continue;
    // Pushed in reverse, so the strings come out in the order they were written.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], key, depth: depth + 1 });
    } else {
      const entries = Object.entries(value as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [name, child] = entries[i] as [string, unknown];
        stack.push({ value: child, key: keyWords(name), depth: depth + 1 });
      }
    }
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}
