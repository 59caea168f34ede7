/** One problem a Standard Schema found: a message and where (keys, or `{ key }` segments). */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/** A Standard Schema result: the value when valid, or the issues. */
export type StandardSchemaResult =
  { readonly value: unknown; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/**
 * The part of Standard Schema v1 (standardschema.dev) the module uses. zod (3.24+), valibot (1.x)
 * and arktype (2.x) schemas expose it as `~standard`, so they can be given as they are.
 */
export interface StandardSchemaV1Like {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult | Promise<StandardSchemaResult>;
  };
}

/**
 * A payload check written as a function: `true` or nothing when the payload is fine, `false` or a
 * reason (a string) when it is not; a thrown error's message is the reason too. May be async.
 */
export type PayloadCheckFunction = (
  payload: unknown,
) => boolean | string | undefined | void | Promise<boolean | string | undefined | void>;

/** What `@JobHandler(type, { validate })` takes: a Standard Schema or a function. */
export type PayloadValidator = StandardSchemaV1Like | PayloadCheckFunction;
