import { JobsUnavailableError } from '../errors';

/** Error codes of a database that cannot be reached (node's socket errors and PostgreSQL's
 * connection-exception and operator-intervention classes). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const CONNECTION_MESSAGES = /Connection terminated|connection error|not queryable|Query read timeout/i;

/** Error codes of a database that answers but cannot take more now (PostgreSQL's insufficient-resources
 * class: too many connections, out of memory, disk full, a configured limit). */
const BUSY_CODES = new Set(['53000', '53100', '53200', '53300', '53400']);

/** The pool had no connection to give within its `connectionTimeoutMillis`: every one is in use. */
const BUSY_MESSAGES = /timeout exceeded when trying to connect/i;

/** Why a statement failed, when the database rather than the statement is to blame: it cannot be
 * reached, or it is too busy to take the statement. Null for any other error. */
export function databaseFault(err: unknown): 'unreachable' | 'busy' | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && BUSY_CODES.has(code)) return 'busy';
  if (BUSY_MESSAGES.test(err.message)) return 'busy';
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'unreachable';
  return CONNECTION_MESSAGES.test(err.message) ? 'unreachable' : null;
}

/** `err` as a `JobsUnavailableError` when the database is unreachable or busy (a 503 to clients),
 * else null. */
export function unavailableError(action: string, err: unknown): JobsUnavailableError | null {
  const fault = databaseFault(err);
  return fault ? new JobsUnavailableError(action, err as Error, fault) : null;
}

/** Runs `work`; a failure to reach the database, or a database too busy to answer, becomes a
 * `JobsUnavailableError` saying so. */
export async function withDatabaseErrors<R>(action: string, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (err) {
    throw unavailableError(action, err) ?? err;
  }
}
