import { useJobList } from '../api/queries';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobFilters } from '../components/JobFilters';
import { JobsTable } from '../components/JobsTable';
import { LoadMore } from '../components/LoadMore';
import { useSearchParams } from '../router';
import { filterFromParams } from './filterFromParams';

/** Scheduled jobs (retries waiting out their backoff, and delayed jobs) with their next run time. */
export function RetriesView() {
  const [params, setParams] = useSearchParams();
  const filter = { ...filterFromParams(params), state: 'scheduled' };
  const onlyRetries = params.get('retries') !== 'all';
  const list = useJobList(filter);
  const all = list.data?.pages.flatMap((page) => page.items) ?? [];
  const jobs = (onlyRetries ? all.filter((job) => job.attempts > 0) : all).sort((a, b) =>
    a.runAt.localeCompare(b.runAt),
  );
  return (
    <div className="view retries">
      <div className="section-head">
        <h2>Retries</h2>
        <label className="small">
          <input
            type="checkbox"
            checked={!onlyRetries}
            onChange={(e) => setParams({ retries: e.target.checked ? 'all' : undefined })}
          />{' '}
          include delayed jobs not yet attempted
        </label>
      </div>
      <JobFilters filter={filter} onChange={setParams} fixedState />
      <ErrorNotice error={list.error} what="Retries" />
      {list.isPending ? <p className="muted">Loading…</p> : <JobsTable jobs={jobs} showRunAt />}
      <LoadMore query={list} count={jobs.length} />
    </div>
  );
}
