/**
 * A statement of the engine: its text, and a name when `pg` should prepare it once per connection.
 * The schema is part of every name, because one process may serve several schemas. Only the
 * validated schema name is ever spliced into the text; values travel as parameters.
 */
export interface Statement {
  name?: string;
  text: string;
}

/** `statement` with its parameters, ready for `query()`. */
export function withValues(statement: Statement, values: unknown[]): Statement & { values: unknown[] } {
  return { ...statement, values };
}
