import { InvalidJobOptionsError } from '../errors';

/**
 * Checks that client input fits what PostgreSQL can store, so that a bad value is a clear 400
 * naming its field instead of a database error (a 500) or a silent change of the value.
 */

const MAX_BIGINT = 9223372036854775807n;
const ID = /^[1-9][0-9]{0,18}$/;
/** A lone UTF-16 surrogate: with the `u` flag, a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u;
/** The instants a `timestamptz` column holds and JSON carries as ISO 8601 with a four-digit year. */
const MIN_TIME = Date.parse('0001-01-01T00:00:00Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** True for a string that is a job id (a positive bigint). */
export function isJobId(value: string): boolean {
  return ID.test(value) && BigInt(value) <= MAX_BIGINT;
}

/** What PostgreSQL's text and jsonb cannot hold in a string, or null. */
function unstorable(value: string): string | null {
  if (value.includes('\0')) return 'a NUL character';
  if (LONE_SURROGATE.test(value)) return 'a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/** A text value: no NUL, no lone surrogate (which the driver would silently turn into U+FFFD). */
export function checkStorableText(field: string, value: string): void {
  const problem = unstorable(value);
  if (problem) throw new InvalidJobOptionsError(field, `must not contain ${problem}`);
}

/**
 * A JSON value about to be stored as jsonb, and its text from `JSON.stringify`. JSON.stringify
 * writes `\u` escapes only for control characters and lone surrogates, so the value is walked only
 * when its text has one of the escapes jsonb refuses (`\u0000`, `\ud800`-`\udfff`).
 */
export function checkStorableJson(field: string, value: unknown, json: string): void {
  if (!json.includes('\\u0000') && !/\\ud[89a-f]/i.test(json)) return;
  const visit = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      const problem = unstorable(v);
      if (problem) throw new InvalidJobOptionsError(path, `must not contain ${problem}`);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        const problem = unstorable(key);
        if (problem) throw new InvalidJobOptionsError(path, `must not have a key containing ${problem}`);
        visit(item, `${path}.${key}`);
      }
    }
  };
  visit(value, field);
}

/** A date PostgreSQL stores and gives back as it was: years 0001 to 9999. */
export function checkStorableDate(field: string, value: Date): void {
  const t = value.getTime();
  if (Number.isNaN(t)) throw new InvalidJobOptionsError(field, 'must be a valid date');
  if (t < MIN_TIME || t > MAX_TIME) {
    throw new InvalidJobOptionsError(field, 'must be between 0001-01-01 and 9999-12-31');
  }
}
