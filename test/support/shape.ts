// A small runtime description of a JSON value whose TypeScript type is inferred from it. A shape is
// invariant in its type, so `const s: Shape<T> = …` compiles only when the description is exactly
// `T` (a field missing, added, made optional or nullable fails `tsc`); `problems` checks a value
// against it at run time, naming each field that disagrees.

export interface Shape<T> {
  /** Compile-time only: makes `Shape<T>` invariant in `T`. */
  readonly type?: (value: T) => T;
  readonly optional?: boolean;
  check(value: unknown, at: string, problems: string[]): void;
}

export type TypeOf<S> = S extends Shape<infer T> ? T : never;

function shape<T>(check: Shape<T>['check'], optional = false): Shape<T> {
  return { check, optional };
}

function primitive<T>(name: 'string' | 'number' | 'boolean'): Shape<T> {
  return shape((value, at, problems) => {
    if (typeof value !== name) problems.push(`${at}: expected a ${name}, got ${JSON.stringify(value)}`);
  });
}

export const string = primitive<string>('string');
export const number = primitive<number>('number');
export const boolean = primitive<boolean>('boolean');
export const unknown = shape<unknown>(() => undefined);

/** A date as JSON carries it: an ISO 8601 string. */
export const isoDate = shape<string>((value, at, problems) => {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(Date.parse(value))) {
    problems.push(`${at}: expected an ISO date string, got ${JSON.stringify(value)}`);
  }
});

export function literal<const L extends readonly (string | number | boolean)[]>(...values: L): Shape<L[number]> {
  return shape((value, at, problems) => {
    if (!values.includes(value as L[number])) {
      problems.push(`${at}: expected one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
    }
  });
}

export function nullable<T>(inner: Shape<T>): Shape<T | null> {
  return shape((value, at, problems) => {
    if (value !== null) inner.check(value, at, problems);
  });
}

/** A property that may be absent (only inside `object`). */
export function optional<T>(inner: Shape<T>): Shape<T | undefined> & { readonly optional: true } {
  return shape<T | undefined>((value, at, problems) => {
    if (value !== undefined) inner.check(value, at, problems);
  }, true) as Shape<T | undefined> & { readonly optional: true };
}

export function array<T>(item: Shape<T>): Shape<T[]> {
  return shape((value, at, problems) => {
    if (!Array.isArray(value)) return void problems.push(`${at}: expected an array, got ${JSON.stringify(value)}`);
    value.forEach((v, i) => item.check(v, `${at}[${i}]`, problems));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record<T>(item: Shape<T>): Shape<Record<string, T>> {
  return shape((value, at, problems) => {
    if (!isObject(value)) return void problems.push(`${at}: expected an object, got ${JSON.stringify(value)}`);
    for (const [k, v] of Object.entries(value)) item.check(v, `${at}.${k}`, problems);
  });
}

/** Any shape, whatever its type (its run-time half). */
type AnyShape = Pick<Shape<unknown>, 'check' | 'optional'>;
type Props = Record<string, AnyShape>;
type OptionalKeys<P extends Props> = { [K in keyof P]: P[K] extends { optional: true } ? K : never }[keyof P];
type Flat<T> = { [K in keyof T]: T[K] };
type ObjectOf<P extends Props> = Flat<
  { [K in Exclude<keyof P, OptionalKeys<P>>]: TypeOf<P[K]> } & { [K in OptionalKeys<P>]?: TypeOf<P[K]> }
>;

/** An object with exactly these properties: a missing one and an unexpected one are both problems. */
export function object<P extends Props>(props: P): Shape<ObjectOf<P>> {
  return shape((value, at, problems) => {
    if (!isObject(value)) return void problems.push(`${at}: expected an object, got ${JSON.stringify(value)}`);
    for (const [key, prop] of Object.entries(props)) {
      if (!(key in value) && !prop.optional) problems.push(`${at}.${key}: missing`);
      else prop.check(value[key], `${at}.${key}`, problems);
    }
    for (const key of Object.keys(value)) {
      if (!(key in props)) problems.push(`${at}.${key}: not in the type`);
    }
  });
}

/** Every way `value` disagrees with `s` (empty when it fits). */
export function problems(s: AnyShape, value: unknown, at = 'body'): string[] {
  const found: string[] = [];
  s.check(value, at, found);
  return found;
}
