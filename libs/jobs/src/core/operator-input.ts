import { InvalidJobOptionsError } from '../errors';
import type { JobState } from '../interfaces';
import { LIMITS, TERMINAL_STATES } from '../jobs.constants';
import { checkName } from './enqueue-input';
import { checkStorableText, isJobId } from './storable';

/** Limits of the operators' requests. */
export const OPERATOR_LIMITS = {
  /** Failed jobs read by the dead-letter groups (the newest); beyond, the answer says `estimated`. */
  deadLetterScan: 20_000,
  maxGroups: 500,
  defaultGroups: 100,
  maxCleanLimit: 1_000_000,
  maxOlderThanMs: 10 * 366 * 24 * 3600_000,
  maxConcurrency: 1_000,
  maxAuditPage: 200,
} as const;

const CLEANABLE: readonly JobState[] = TERMINAL_STATES;

function record(input: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new InvalidJobOptionsError(field, 'must be an object');
  const out = input as Record<string, unknown>;
  const unknownKey = Object.keys(out).find((k) => !known.includes(k));
  if (unknownKey !== undefined) {
    throw new InvalidJobOptionsError(unknownKey, `is not a known field (known: ${known.join(', ')})`);
  }
  return out;
}

function text(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new InvalidJobOptionsError(field, `must be a string of 1-${max} characters`);
  }
  checkStorableText(field, value);
  return value;
}

/** An integer from a JSON number or a query string of digits. */
function integer(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidJobOptionsError(field, `must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** `GET /dead-letters/groups?queue=&type=&limit=` */
export function parseGroupsQuery(input: unknown): { queue?: string; type?: string; limit: number } {
  const q = record(input, 'query', ['queue', 'type', 'limit']);
  for (const key of Object.keys(q))
    if (Array.isArray(q[key])) throw new InvalidJobOptionsError(key, 'must be given once');
  return {
    queue: text(q.queue, 'queue', LIMITS.maxQueueLength),
    type: text(q.type, 'type', LIMITS.maxTypeLength),
    limit: integer(q.limit, 'limit', 1, OPERATOR_LIMITS.maxGroups) ?? OPERATOR_LIMITS.defaultGroups,
  };
}

/** `POST /jobs/clean { queue?, state, olderThanMs, limit? }` */
export function parseCleanBody(input: unknown): {
  queue?: string;
  state: JobState;
  olderThanMs: number;
  limit: number;
} {
  const b = record(input, 'body', ['queue', 'state', 'olderThanMs', 'limit']);
  if (typeof b.state !== 'string' || !CLEANABLE.includes(b.state as JobState)) {
    throw new InvalidJobOptionsError('state', `must be one of ${CLEANABLE.join(', ')}`);
  }
  if (typeof b.olderThanMs !== 'number')
    throw new InvalidJobOptionsError('olderThanMs', 'is required (a number of ms)');
  return {
    queue: text(b.queue, 'queue', LIMITS.maxQueueLength),
    state: b.state as JobState,
    olderThanMs: integer(b.olderThanMs, 'olderThanMs', 0, OPERATOR_LIMITS.maxOlderThanMs)!,
    limit:
      integer(typeof b.limit === 'string' ? NaN : b.limit, 'limit', 1, OPERATOR_LIMITS.maxCleanLimit) ??
      OPERATOR_LIMITS.maxCleanLimit,
  };
}

/** `PATCH /queues/:name { concurrency }`: an integer 0-1,000, or null for the nodes' own. */
export function parseQueuePatch(name: unknown, input: unknown): { queue: string; concurrency: number | null } {
  const queue = checkName('queue', name, LIMITS.maxQueueLength);
  const b = record(input, 'body', ['concurrency']);
  if (!('concurrency' in b)) throw new InvalidJobOptionsError('concurrency', 'is required (an integer, or null)');
  if (b.concurrency === null) return { queue, concurrency: null };
  if (typeof b.concurrency !== 'number') {
    throw new InvalidJobOptionsError(
      'concurrency',
      `must be an integer from 0 to ${OPERATOR_LIMITS.maxConcurrency}, or null`,
    );
  }
  return { queue, concurrency: integer(b.concurrency, 'concurrency', 0, OPERATOR_LIMITS.maxConcurrency)! };
}

/** `GET /audit?limit=&cursor=` */
export function parseAuditQuery(input: unknown): { limit: number; before: string | null } {
  const q = record(input, 'query', ['limit', 'cursor']);
  const cursor = q.cursor === undefined || q.cursor === '' ? null : q.cursor;
  if (cursor !== null && (typeof cursor !== 'string' || !isJobId(cursor))) {
    throw new InvalidJobOptionsError('cursor', 'must be the nextCursor of a previous page');
  }
  return { limit: integer(q.limit, 'limit', 1, OPERATOR_LIMITS.maxAuditPage) ?? 50, before: cursor };
}
