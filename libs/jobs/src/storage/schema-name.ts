import { InvalidJobOptionsError } from '../errors';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name from configuration and returns it double-quoted for SQL text. Schema
 * names never come from requests; this check makes sure a configuration typo cannot inject SQL. */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new InvalidJobOptionsError('schema', `"${schema}" must match ${IDENTIFIER.source}`);
  }
  return `"${schema}"`;
}

/** LISTEN/NOTIFY channel on which new ready jobs (payload: queue name) are announced. */
export function wakeChannel(schema: string): string {
  return `${schema}_wake`;
}

/** Channel on which cancellations of running jobs (payload: job id) are announced. */
export function cancelChannel(schema: string): string {
  return `${schema}_cancel`;
}
