import { InvalidJobOptionsError } from '../errors';

/**
 * An integer option as code or configuration gives it: a number, or a string of digits (what
 * `ConfigService.get()` returns for an environment variable). Anything else is refused, naming the
 * field. Returns the number, or undefined when the option is not set.
 */
export function intOption(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidJobOptionsError(
      field,
      `must be an integer from ${min} to ${max} (a number or a string of digits), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A boolean option: true or false, or the strings "true" and "false" (from configuration). */
export function boolOption(field: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidJobOptionsError(field, `must be true or false (or "true" / "false"), got ${JSON.stringify(value)}`);
}
