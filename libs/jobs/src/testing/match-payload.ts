import { isDeepStrictEqual } from 'node:util';

/** What a payload is matched against: a part of it (deep), or a predicate. */
export type PayloadMatch<P> = DeepPartial<P> | ((payload: P) => boolean);

/** `T` with every property optional, at every depth (arrays and other values are compared whole). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Whether `payload` has every property `expected` names, with equal values (plain objects are
 * compared property by property, at every depth; anything else must be deeply equal). */
export function matchesPayload<P>(payload: P, expected: PayloadMatch<P>): boolean {
  if (typeof expected === 'function') return (expected as (payload: P) => boolean)(payload);
  return contains(payload, expected);
}

function contains(actual: unknown, expected: unknown): boolean {
  if (!isPlainObject(expected)) return isDeepStrictEqual(actual, expected);
  if (!isPlainObject(actual)) return false;
  return Object.entries(expected).every(([key, value]) => key in actual && contains(actual[key], value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
