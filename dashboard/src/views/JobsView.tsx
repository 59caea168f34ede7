import { useJobList } from '../api/queries';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobFilters } from '../components/JobFilters';
import { JobsTable } from '../components/JobsTable';
import { LoadMore } from '../components/LoadMore';
import { useSearchParams } from '../router';
import { filterFromParams } from './filterFromParams';

/** Every job, filtered by the URL's queue, state, type and search. */
export function JobsView() {
  const [params, setParams] = useSearchParams();
  const filter = filterFromParams(params);
  const list = useJobList(filter);
  const jobs = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="view jobs">
      <h2>Jobs</h2>
      <JobFilters filter={filter} onChange={setParams} />
      <ErrorNotice error={list.error} what="Jobs" />
      {list.isPending ? <p className="muted">Loading…</p> : <JobsTable jobs={jobs} />}
      <LoadMore query={list} count={jobs.length} />
    </div>
  );
}
