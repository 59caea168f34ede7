import { InvalidJobOptionsError } from '../errors';
import type { JobSearch, JobState, ListCursor, ListSort, ListSortKey, ParsedListFilter } from '../interfaces';
import { TERMINAL_STATES } from '../jobs.constants';
import { isJobId } from './storable';

const SORT_KEYS: readonly ListSortKey[] = ['id', 'runAt', 'finishedAt'];
/** The exact UTC text PostgreSQL writes for a sort value (see the list statements). */
const KEY_TEXT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/;

/**
 * The list's sort (`sort`, `order`) and its cursor. The default, `id` newest first, returns
 * undefined (the list keeps its id walks, cursor = the last id). Each other sort reads one index in
 * order: `runAt` the scheduled jobs' run-time index (so it needs `state=scheduled` or `retrying`),
 * `finishedAt` the finished jobs' index (so it needs finished states only).
 */
export function parseSort(
  filter: ParsedListFilter,
  rawSort: unknown,
  rawOrder: unknown,
  rawCursor: unknown,
): { sort?: ListSort; before?: string } {
  const by = (rawSort ?? (filter.retrying ? 'runAt' : 'id')) as ListSortKey;
  if (typeof by !== 'string' || !SORT_KEYS.includes(by)) {
    throw new InvalidJobOptionsError('sort', `must be one of ${SORT_KEYS.join(', ')}`);
  }
  if (rawOrder !== undefined && rawOrder !== 'asc' && rawOrder !== 'desc') {
    throw new InvalidJobOptionsError('order', 'must be asc or desc');
  }
  const order = (rawOrder as 'asc' | 'desc' | undefined) ?? (by === 'runAt' ? 'asc' : 'desc');
  if (by === 'runAt' && !onlyStates(filter.states, ['scheduled'])) {
    throw new InvalidJobOptionsError('sort', 'runAt sorts scheduled jobs: add state=scheduled (or retrying=true)');
  }
  if (by === 'finishedAt' && !onlyStates(filter.states, TERMINAL_STATES)) {
    throw new InvalidJobOptionsError(
      'sort',
      'finishedAt sorts finished jobs: add state=completed, failed and/or canceled',
    );
  }
  if (rawCursor !== undefined && typeof rawCursor !== 'string') {
    throw new InvalidJobOptionsError('cursor', 'must be the nextCursor of a previous page');
  }
  if (by === 'id' && order === 'desc') {
    if (rawCursor !== undefined && !isJobId(rawCursor)) {
      throw new InvalidJobOptionsError('cursor', 'must be the nextCursor of a previous page');
    }
    return rawCursor === undefined ? {} : { before: rawCursor };
  }
  const sort: ListSort = { by, order };
  if (rawCursor !== undefined) sort.after = decodeCursor(rawCursor, by);
  return { sort };
}

function onlyStates(states: readonly JobState[] | undefined, allowed: readonly JobState[]): boolean {
  return states !== undefined && states.length > 0 && states.every((s) => allowed.includes(s));
}

/** The cursor of a page ending at this row: the id for id sorts, else `<key>_<id>` in base64url. */
export function encodeCursor(sort: ListSort | undefined, row: { id: string; sort_key?: string | null }): string {
  if (sort === undefined || sort.by === 'id') return row.id;
  return Buffer.from(`${row.sort_key ?? ''}_${row.id}`).toString('base64url');
}

function decodeCursor(raw: string, by: ListSortKey): ListCursor {
  const bad = () => new InvalidJobOptionsError('cursor', `must be the nextCursor of a previous page sorted by ${by}`);
  if (by === 'id') {
    if (!isJobId(raw)) throw bad();
    return { id: raw };
  }
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) throw bad();
  const text = Buffer.from(raw, 'base64url').toString();
  const sep = text.lastIndexOf('_');
  const key = text.slice(0, sep);
  const id = text.slice(sep + 1);
  if (sep < 0 || !KEY_TEXT.test(key) || Number.isNaN(Date.parse(key)) || !isJobId(id)) throw bad();
  return { id, key };
}

/** What a free-text `q` was read as, for a list that found nothing (null without `q`). */
export function searchHint(search: JobSearch | undefined): string | null {
  if (search === undefined) return null;
  if (search.kind === 'id') return `q was read as a job id: no job with id ${search.id} matches the filters`;
  if (search.kind === 'key') {
    return `q was read as an idempotency key: no job with the key "${search.key}" matches the filters (search a payload field with payload.<path>:<value>)`;
  }
  return `q was read as payload containment ${search.containsJson}: no job matches it with the filters (values are compared as JSON: payload.n:5 is the number, payload.n:"5" the string)`;
}
