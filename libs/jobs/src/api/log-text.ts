/** Control characters (C0, DEL, C1), line and paragraph separators, and bidirectional overrides. */
const UNSAFE = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from a request made safe for one log line: at most `max` characters, and every character
 * that could start a new line, move the cursor or reorder what a reader sees written as an escape
 * (`\n`, `\u001b`). A client cannot forge a log line (`...\n[Nest] ... ERROR ...`) or hide one.
 */
export function logText(value: unknown, max = 300): string {
  const text = String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The one warning line of a client's mistake: `POST /api/jobs: 400 <message>`, every part escaped. */
export function clientMistakeLine(method: unknown, url: unknown, status: number, message: unknown): string {
  return `${logText(method, 10)} ${logText(url, 200)}: ${status} ${logText(message)}`;
}
