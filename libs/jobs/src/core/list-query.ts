import { InvalidJobOptionsError } from '../errors';
import type { JobSearch, JobState, ParsedListFilter, ParsedListQuery } from '../interfaces';
import { JOB_STATES, LIMITS } from '../jobs.constants';
import { parseSort } from './list-sort';
import { parseIsoTime } from './iso-time';
import { checkStorableJson, checkStorableText, isJobId } from './storable';

export const LIST_LIMITS = { defaultLimit: 50, maxLimit: 200, maxQueryLength: 1_000, maxPathDepth: 16 } as const;

const FILTER_KEYS = ['queue', 'state', 'type', 'q', 'from', 'to', 'error', 'errorGroup', 'retrying'] as const;
const QUERY_KEYS = [...FILTER_KEYS, 'limit', 'cursor', 'sort', 'order'] as const;
/** The `errorGroup` that selects failed jobs without an error text (signature ""). */
export const NO_ERROR_GROUP = '(none)';
const PAYLOAD_SEARCH = /^payload\.([^:]*):([\s\S]*)$/;

/** Parses the list's query (`GET /jobs?…` or a direct call); throws `InvalidJobOptionsError` naming
 * the bad field. Unknown fields are refused, so a misspelt filter never silently widens a list. */
export function parseListQuery(input: unknown): ParsedListQuery {
  const record = asRecord(input, 'query', QUERY_KEYS, '');
  const filter = parseFields(record, '');
  let limit: number = LIST_LIMITS.defaultLimit;
  const rawLimit = single(record.limit, 'limit');
  if (rawLimit !== undefined) {
    const n = typeof rawLimit === 'number' ? rawLimit : /^[0-9]{1,4}$/.test(String(rawLimit)) ? Number(rawLimit) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > LIST_LIMITS.maxLimit) {
      throw new InvalidJobOptionsError('limit', `must be an integer from 1 to ${LIST_LIMITS.maxLimit}`);
    }
    limit = n;
  }
  const cursor = single(record.cursor, 'cursor');
  const sorted = parseSort(filter, single(record.sort, 'sort'), single(record.order, 'order'), cursor);
  return { ...filter, limit, ...sorted };
}

/** Parses the `filter` of a bulk action (the list's filters, without `limit` and `cursor`). */
export function parseListFilter(input: unknown, field = 'filter'): ParsedListFilter {
  return parseFields(asRecord(input, field, FILTER_KEYS, `${field}.`), `${field}.`);
}

function asRecord(input: unknown, field: string, known: readonly string[], prefix: string): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new InvalidJobOptionsError(field, 'must be an object');
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new InvalidJobOptionsError(`${prefix}${key}`, `is not a known filter (known: ${known.join(', ')})`);
    }
  }
  return record;
}

/** A field given once: a repeated query parameter (an array) is refused. */
function single(value: unknown, field: string): unknown {
  if (Array.isArray(value)) throw new InvalidJobOptionsError(field, 'must be given once');
  return value === '' ? undefined : value;
}

function parseFields(record: Record<string, unknown>, prefix: string): ParsedListFilter {
  const out: ParsedListFilter = {};
  const queue = single(record.queue, `${prefix}queue`);
  if (queue !== undefined) out.queue = checkText(queue, `${prefix}queue`, LIMITS.maxQueueLength);
  const type = single(record.type, `${prefix}type`);
  if (type !== undefined) out.type = checkText(type, `${prefix}type`, LIMITS.maxTypeLength);
  if (record.state !== undefined && record.state !== '') out.states = parseStates(record.state, `${prefix}state`);
  const q = single(record.q, `${prefix}q`);
  if (q !== undefined) out.search = parseSearch(checkText(q, `${prefix}q`, LIST_LIMITS.maxQueryLength), `${prefix}q`);
  const from = single(record.from, `${prefix}from`);
  if (from !== undefined) out.from = parseIsoTime(`${prefix}from`, from);
  const to = single(record.to, `${prefix}to`);
  if (to !== undefined) out.to = parseIsoTime(`${prefix}to`, to);
  if (out.from && out.to && out.from > out.to)
    throw new InvalidJobOptionsError(`${prefix}to`, 'must not be before from');
  const error = single(record.error, `${prefix}error`);
  if (error !== undefined) out.error = checkText(error, `${prefix}error`, LIST_LIMITS.maxQueryLength);
  const group = single(record.errorGroup, `${prefix}errorGroup`);
  if (group !== undefined) {
    const text = checkText(group, `${prefix}errorGroup`, 200);
    out.errorGroup = text === NO_ERROR_GROUP ? '' : text;
  }
  const retrying = single(record.retrying, `${prefix}retrying`);
  if (retrying !== undefined && retrying !== false && retrying !== 'false') {
    if (retrying !== true && retrying !== 'true') {
      throw new InvalidJobOptionsError(`${prefix}retrying`, 'must be true or false');
    }
    if (out.states && (out.states.length !== 1 || out.states[0] !== 'scheduled')) {
      throw new InvalidJobOptionsError(
        `${prefix}retrying`,
        'selects scheduled jobs: leave state out or set it to scheduled',
      );
    }
    out.retrying = true;
    out.states = ['scheduled'];
  }
  return out;
}

function checkText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidJobOptionsError(field, `must be a string of 1-${max} characters`);
  }
  checkStorableText(field, value);
  return value;
}

/** `failed`, `failed,canceled`, or an array of them (a repeated query parameter). */
function parseStates(value: unknown, field: string): JobState[] {
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => {
    if (typeof v !== 'string') throw new InvalidJobOptionsError(field, 'must be a state or a comma list of states');
    return v.split(',').map((s) => s.trim());
  });
  const states = new Set<JobState>();
  for (const part of parts) {
    if (!(JOB_STATES as readonly string[]).includes(part)) {
      throw new InvalidJobOptionsError(field, `"${part}" is not one of ${JOB_STATES.join(', ')}`);
    }
    states.add(part as JobState);
  }
  return [...states];
}

/** Digits: a job id. `payload.a.b:v`: payload containment of `{"a":{"b":v}}`. Anything else: an
 * idempotency key. */
function parseSearch(q: string, field: string): JobSearch {
  if (/^[0-9]+$/.test(q)) {
    if (!isJobId(q)) throw new InvalidJobOptionsError(field, 'is not a valid job id');
    return { kind: 'id', id: q };
  }
  const m = PAYLOAD_SEARCH.exec(q);
  if (!m && q.startsWith('payload.'))
    throw new InvalidJobOptionsError(field, 'write a payload search as payload.<path>:<value>');
  if (!m) return { kind: 'key', key: q };
  const path = m[1].split('.');
  if (path.some((p) => p.length === 0) || path.length > LIST_LIMITS.maxPathDepth) {
    throw new InvalidJobOptionsError(
      field,
      `payload search needs a path of 1-${LIST_LIMITS.maxPathDepth} non-empty names`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(m[2]);
  } catch {
    value = m[2];
  }
  let contains: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) contains = { [path[i]]: contains };
  const containsJson = JSON.stringify(contains);
  try {
    checkStorableJson('value', contains, containsJson);
  } catch (err) {
    if (err instanceof InvalidJobOptionsError) throw new InvalidJobOptionsError(field, `payload search ${err.reason}`);
    throw err;
  }
  return { kind: 'payload', path, value, containsJson };
}
