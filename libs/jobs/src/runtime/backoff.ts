/**
 * Exponential backoff with full jitter: the retry after failed attempt `attempt` (1-based) waits a
 * uniformly random time in [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))]. Full jitter spreads
 * the retries of jobs that failed together, so a failing dependency is not hit by a retry storm.
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  return Math.floor(random() * cap);
}
