import { InvalidJobOptionsError } from '../errors';
import { checkStorableDate } from './storable';

/** `2026-02-01`, or a date-time with seconds, fractions and a zone optional in that order:
 * `2026-02-01T10:00Z`, `2026-02-01T10:00:00.250+01:00`. Years of four digits. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

const EXPECTED = 'must be an ISO 8601 date (2026-02-01) or date-time with a zone (2026-02-01T10:00:00Z)';

/**
 * An instant written as ISO 8601, strictly: a date-time names its zone (`Z` or `±hh:mm`), and every
 * part exists. JavaScript's `Date` is lenient where a client's mistake should be named: it rolls
 * `2026-02-30` over to 2 March, reads `"1"` as 2001 and `"-1"` as a year before Christ. A `Date`
 * given by code passes if PostgreSQL can store it.
 */
export function parseIsoTime(field: string, value: unknown): Date {
  if (value instanceof Date) {
    checkStorableDate(field, value);
    return value;
  }
  const m = typeof value === 'string' ? ISO.exec(value) : null;
  if (!m) throw new InvalidJobOptionsError(field, EXPECTED);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  const offsetOk = m[8] === undefined || (Number(m[8]) <= 23 && Number(m[9]) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) {
    throw new InvalidJobOptionsError(field, `"${value as string}" is not a date that exists`);
  }
  const date = new Date(m[4] === undefined ? `${value as string}T00:00:00Z` : (value as string));
  checkStorableDate(field, date);
  return date;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
