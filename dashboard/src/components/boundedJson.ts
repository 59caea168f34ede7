// Pretty-printing that cannot run away: a value nested thousands deep pretty-prints to tens of
// megabytes (indentation grows with depth), enough to make the browser give up ("Invalid string
// length") and blank the page. Indentation stops at a depth, and the text stops at a length.

/** Levels indented; deeper values are written compactly on one line. */
const INDENTED_LEVELS = 12;

export interface BoundedJson {
  text: string;
  /** False when the text stopped at `maxChars`. */
  complete: boolean;
}

/** `value` as JSON text, indented by two spaces up to 12 levels, at most `maxChars` long. */
export function boundedJson(value: unknown, maxChars: number): BoundedJson {
  const parts: string[] = [];
  let size = 0;
  const put = (s: string): boolean => {
    const room = maxChars - size;
    parts.push(s.length > room ? s.slice(0, Math.max(0, room)) : s);
    size += s.length;
    return size < maxChars;
  };
  const write = (v: unknown, depth: number): boolean => {
    if (typeof v !== 'object' || v === null || depth >= INDENTED_LEVELS) return put(compact(v));
    const entries: Array<[string | null, unknown]> = Array.isArray(v)
      ? v.map((item) => [null, item])
      : Object.entries(v as Record<string, unknown>);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return put(open + close);
    const pad = '  '.repeat(depth + 1);
    if (!put(`${open}\n`)) return false;
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i];
      if (!put(key === null ? pad : `${pad}${JSON.stringify(key)}: `)) return false;
      if (!write(item, depth + 1)) return false;
      if (!put(i < entries.length - 1 ? ',\n' : '\n')) return false;
    }
    return put(`${'  '.repeat(depth)}${close}`);
  };
  const complete = write(value, 0);
  return { text: parts.join(''), complete: complete && size <= maxChars };
}

/** One value on one line; what JSON cannot write (undefined, a function) as `null`, like arrays do. */
function compact(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return '"(cannot be shown)"';
  }
}
