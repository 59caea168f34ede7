import type { ListFilter } from '../api/types';

const KEYS = ['queue', 'state', 'type', 'q', 'from', 'to'] as const;

/** The list filter a URL's query string carries (empty values left out). */
export function filterFromParams(params: URLSearchParams): ListFilter {
  const filter: ListFilter = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}
