import { parseIsoTime } from '../core/iso-time';
import { InvalidJobOptionsError } from '../errors';
import type { EnqueueItem } from '../interfaces';

const ALLOWED = new Set(['type', 'payload', 'queue', 'runAt', 'delayMs', 'maxAttempts', 'priority', 'idempotencyKey']);

/** Turns a JSON request body into an enqueue item; types and ranges are checked by the service. */
export function parseEnqueueBody(body: unknown): EnqueueItem {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidJobOptionsError('body', 'must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!ALLOWED.has(key))
      throw new InvalidJobOptionsError(key, `is not a known field (known: ${[...ALLOWED].join(', ')})`);
  }
  if (typeof input.type !== 'string') throw new InvalidJobOptionsError('type', 'is required and must be a string');
  const runAt = input.runAt === undefined ? undefined : parseIsoTime('runAt', input.runAt);
  return {
    type: input.type,
    payload: input.payload === undefined ? {} : input.payload,
    queue: input.queue as string | undefined,
    runAt,
    delayMs: input.delayMs as number | undefined,
    maxAttempts: input.maxAttempts as number | undefined,
    priority: input.priority as number | undefined,
    idempotencyKey: input.idempotencyKey as string | undefined,
  };
}
