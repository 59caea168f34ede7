import { useMemo } from 'react';
import { useJobList } from '../api/queries';
import type { ListFilter, ListRequest } from '../api/types';
import type { ListSort } from '../components/SortHeader';
import { useRememberList } from '../hooks/useLastList';
import { useWatchJobs } from '../live/watch';
import { useSearchParams } from '../router';
import { allowedSorts, filterFromParams, pageSizeFromParams, sortFromParams } from './filterFromParams';

const UNFINISHED = ['pending', 'scheduled', 'running'];

/**
 * A job list driven by the URL: its filters (with the view's fixed ones), server-side sort, page
 * size, the pages loaded, and the API's hint when a search matched nothing. The view is remembered
 * for the job page's "back" link.
 */
export function useListView(title: string, fixed: ListFilter, defaultSort: ListSort, defaultPageSize = 50) {
  const [params, setParams] = useSearchParams();
  useRememberList(title);
  const fixedKey = JSON.stringify(fixed);
  const filter = useMemo(
    () => ({ ...filterFromParams(params), ...(JSON.parse(fixedKey) as ListFilter) }),
    [params, fixedKey],
  );
  const sort = sortFromParams(params, filter, defaultSort);
  const pageSize = pageSizeFromParams(params, defaultPageSize);
  const request: ListRequest = { ...filter, sort: sort.sort, order: sort.order };
  const list = useJobList(request, pageSize);
  const jobs = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const hint = list.data?.pages[0]?.hint ?? null;
  const unfinished = useMemo(() => jobs.filter((job) => UNFINISHED.includes(job.state)), [jobs]);
  useWatchJobs(unfinished);
  return {
    params,
    setParams,
    filter,
    sort,
    sortable: allowedSorts(filter),
    setSort: (next: ListSort) => setParams({ sort: next.sort, order: next.order }),
    pageSize,
    setPageSize: (size: number) => setParams({ limit: String(size) }),
    list,
    jobs,
    emptyText: hint ?? (filter.q ? `Nothing matches the search "${filter.q}".` : undefined),
  };
}
