import { useRunNow } from '../api/mutations';
import { useAccess } from '../api/queries';
import type { JobSummary } from '../api/types';
import { BulkBar } from '../components/BulkBar';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobFilters } from '../components/JobFilters';
import { JobsTable } from '../components/JobsTable';
import { hasAnswer, LoadFailure } from '../components/LoadFailure';
import { LoadMore } from '../components/LoadMore';
import { useSelection } from '../hooks/useSelection';
import { useSearchParams } from '../router';
import { useListView } from './useListView';

const SOONEST_FIRST = { sort: 'runAt', order: 'asc' } as const;

function RunNowButton({ job }: { job: JobSummary }) {
  const runNow = useRunNow();
  return (
    <>
      <button type="button" disabled={runNow.isPending} onClick={() => runNow.mutate(job.id)}>
        Run now
      </button>
      <ErrorNotice error={runNow.error} what="Run now failed" />
    </>
  );
}

/**
 * Jobs waiting to retry (scheduled with attempts > 0, found by the server), optionally with the
 * delayed jobs not yet attempted; soonest first. Run one now, or cancel a selection.
 */
export function RetriesView() {
  const [onlyRetries, fixed] = useRetriesFilter();
  const view = useListView('Retries', fixed, SOONEST_FIRST);
  const access = useAccess();
  const selection = useSelection();
  const loaded = new Set(view.jobs.map((job) => job.id));
  const chosen = [...selection.selected].filter((id) => loaded.has(id));
  const answered = hasAnswer(view.list);
  return (
    <div className="view retries">
      <div className="section-head">
        <h2>Retries</h2>
        <label className="small">
          <input
            type="checkbox"
            checked={!onlyRetries}
            onChange={(e) => view.setParams({ retries: e.target.checked ? 'all' : undefined })}
          />{' '}
          include delayed jobs not yet attempted
        </label>
      </div>
      <JobFilters filter={view.filter} onChange={view.setParams} fixedState />
      {access.cancel && (
        <BulkBar
          selected={chosen}
          filter={view.filter}
          actions={['cancel']}
          matching={view.list.isSuccess}
          onDone={selection.clear}
        />
      )}
      <LoadFailure query={view.list} what="the retries" call="GET /api/jobs" />
      {view.list.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        answered && (
          <JobsTable
            jobs={view.jobs}
            showRunAt
            sort={view.sort}
            sortable={view.sortable}
            onSort={view.setSort}
            selected={access.cancel ? selection.selected : undefined}
            onToggle={access.cancel ? selection.toggle : undefined}
            onToggleAll={access.cancel ? selection.setMany : undefined}
            rowActions={access.replay ? (job) => <RunNowButton job={job} /> : undefined}
            emptyText={view.emptyText ?? (onlyRetries ? 'No job is waiting to retry.' : undefined)}
          />
        )
      )}
      {answered && (
        <LoadMore query={view.list} count={view.jobs.length} pageSize={view.pageSize} onPageSize={view.setPageSize} />
      )}
    </div>
  );
}

const RETRYING = { state: 'scheduled', retrying: 'true' };
const SCHEDULED = { state: 'scheduled' };

function useRetriesFilter(): [boolean, typeof SCHEDULED] {
  const [params] = useSearchParams();
  const onlyRetries = params.get('retries') !== 'all';
  return [onlyRetries, onlyRetries ? RETRYING : SCHEDULED];
}
