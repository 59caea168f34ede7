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

const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i;

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message);
}

/** Runs `work`; a failure to reach the database becomes a `JobsUnavailableError` saying so. */
export async function withDatabaseErrors<R>(action: string, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (err) {
    if (isConnectionError(err)) throw new JobsUnavailableError(action, err as Error);
    throw err;
  }
}
