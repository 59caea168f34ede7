import type { ListFilter, SortKey } from '../api/types';
import type { ListSort } from '../components/SortHeader';

const KEYS = ['queue', 'state', 'type', 'q', 'from', 'to', 'error'] as const;
const SORTS: SortKey[] = ['id', 'runAt', 'finishedAt'];
export const PAGE_SIZES = [50, 100, 200];
const FINISHED = ['completed', 'failed', 'canceled'];

/** The list filter a URL's query string carries (empty values left out). */
export function filterFromParams(params: URLSearchParams): ListFilter {
  const filter: ListFilter = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

/** The sorts the API allows with this filter: `runAt` for scheduled jobs, `finishedAt` for finished ones. */
export function allowedSorts(filter: ListFilter): SortKey[] {
  const states = (filter.state ?? '').split(',').filter(Boolean);
  const sorts: SortKey[] = ['id'];
  if (filter.retrying === 'true' || (states.length > 0 && states.every((s) => s === 'scheduled'))) sorts.push('runAt');
  if (states.length > 0 && states.every((s) => FINISHED.includes(s))) sorts.push('finishedAt');
  return sorts;
}

/** The URL's sort when the filter allows it, else the given default. */
export function sortFromParams(params: URLSearchParams, filter: ListFilter, fallback: ListSort): ListSort {
  const sort = params.get('sort') as SortKey | null;
  if (!sort || !SORTS.includes(sort) || !allowedSorts(filter).includes(sort)) return fallback;
  const order = params.get('order') === 'asc' ? 'asc' : params.get('order') === 'desc' ? 'desc' : undefined;
  return { sort, order: order ?? (sort === 'runAt' ? 'asc' : 'desc') };
}

/** Page size from the URL (`limit`), one of PAGE_SIZES. */
export function pageSizeFromParams(params: URLSearchParams, fallback = 50): number {
  const limit = Number(params.get('limit'));
  return PAGE_SIZES.includes(limit) ? limit : fallback;
}
