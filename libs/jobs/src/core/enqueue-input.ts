import { InvalidJobOptionsError, PayloadTooLargeError, UnknownJobTypeError } from '../errors';
import type { EnqueueCallOptions, EnqueueItem, NewJobRow } from '../interfaces';
import { DEFAULTS, LIMITS } from '../jobs.constants';
import type { JobsRegistry } from './handler-registry';
import { checkInt, type ResolvedJobsOptions } from './module-options';
import { checkStorableDate, checkStorableJson, checkStorableText } from './storable';

const NAME = /^[A-Za-z0-9_.:-]+$/;

/** A name of a job type, queue or schedule: it is also a path segment of the API's URLs, where
 * `.` and `..` would be resolved away by browsers and proxies. */
export function checkName(field: string, value: unknown, max: number): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    !NAME.test(value) ||
    value === '.' ||
    value === '..'
  ) {
    throw new InvalidJobOptionsError(field, `must be 1-${max} characters of letters, digits, _ . : - (not . or ..)`);
  }
  return value;
}

/** An idempotency key: 1-255 characters that PostgreSQL stores as given (no NUL, no lone
 * surrogate, which would be replaced and make two different keys one). */
function checkIdempotencyKey(value: unknown): string | null {
  if (value === undefined) return null;
  const max = LIMITS.maxIdempotencyKeyLength;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidJobOptionsError('idempotencyKey', `must be a string of 1-${max} characters`);
  }
  checkStorableText('idempotencyKey', value);
  return value;
}

/** The options that apply to a whole enqueue call (the manager is checked where it is used). */
export function checkCallOptions(options: EnqueueCallOptions): void {
  if (options.wait !== undefined && typeof options.wait !== 'boolean') {
    throw new InvalidJobOptionsError('wait', 'must be a boolean');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidJobOptionsError('signal', 'must be an AbortSignal');
  }
}

/** JSON text of a payload, or a clear error for what JSON cannot carry. */
export function serializePayload(payload: unknown, limit: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload === undefined ? {} : payload);
  } catch (err) {
    throw new InvalidJobOptionsError('payload', `cannot be serialized as JSON (${(err as Error).message})`);
  }
  if (json === undefined) throw new InvalidJobOptionsError('payload', 'must be a JSON value, not a function or symbol');
  checkStorableJson('payload', payload, json);
  const size = Buffer.byteLength(json, 'utf8');
  if (size > limit) throw new PayloadTooLargeError(size, limit);
  checkJsonDepth('payload', json, LIMITS.maxPayloadDepth);
  return json;
}

/**
 * JSON text nested no deeper than `max` arrays and objects. A payload of a few kilobytes nested
 * thousands deep is cheap to send and costly to read back: reading it blanked the dashboard for
 * half a minute (its pretty-printed text was 30 MiB). Scans the text, skipping strings.
 */
export function checkJsonDepth(field: string, json: string, max: number): void {
  if (json.length <= 2 * max) return; // too short to open more than `max` brackets and close them
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new InvalidJobOptionsError(field, `must not be nested more than ${max} levels deep`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** Turns one enqueue request into a row to insert, or throws naming the bad field. */
export function toNewJobRow(item: EnqueueItem, registry: JobsRegistry, options: ResolvedJobsOptions): NewJobRow {
  const type = checkName('type', item.type, LIMITS.maxTypeLength);
  const handler = registry.get(type);
  if (!handler && !options.allowUnknownTypes) throw new UnknownJobTypeError(type);
  const queue = checkName('queue', item.queue ?? handler?.metadata.queue ?? DEFAULTS.queue, LIMITS.maxQueueLength);
  checkInt('priority', item.priority, LIMITS.minPriority, LIMITS.maxPriority);
  checkInt('maxAttempts', item.maxAttempts, 1, LIMITS.maxAttempts);
  checkInt('delayMs', item.delayMs, 0, LIMITS.maxDelayMs);
  if (item.runAt !== undefined && item.delayMs !== undefined) {
    throw new InvalidJobOptionsError('runAt', 'give either runAt or delayMs, not both');
  }
  if (item.runAt !== undefined) {
    if (!(item.runAt instanceof Date)) throw new InvalidJobOptionsError('runAt', 'must be a Date');
    checkStorableDate('runAt', item.runAt);
  }
  return {
    queue,
    type,
    payload: item.payload === undefined ? {} : item.payload,
    payloadJson: serializePayload(item.payload, options.maxPayloadBytes),
    priority: item.priority ?? DEFAULTS.priority,
    maxAttempts: item.maxAttempts ?? handler?.metadata.maxAttempts ?? options.defaultMaxAttempts,
    runAt: item.runAt ?? null,
    delayMs: item.delayMs ?? null,
    idempotencyKey: checkIdempotencyKey(item.idempotencyKey),
  };
}
