import { BulkBar } from '../components/BulkBar';
import { CleanJobs } from '../components/CleanJobs';
import { hasAnswer, LoadFailure } from '../components/LoadFailure';
import { JobFilters } from '../components/JobFilters';
import { JobsTable } from '../components/JobsTable';
import { LoadMore } from '../components/LoadMore';
import { useAccess } from '../api/queries';
import { useSelection } from '../hooks/useSelection';
import { useListView } from './useListView';

type BulkAction = 'cancel' | 'replay' | 'delete';

/** The bulk actions that can touch jobs of the listed state (all three for a mixed list). */
function actionsFor(state: string | undefined): BulkAction[] {
  if (!state) return ['cancel', 'replay', 'delete'];
  const actions: BulkAction[] = [];
  if (['pending', 'scheduled', 'running'].includes(state)) actions.push('cancel');
  if (['failed', 'canceled'].includes(state)) actions.push('replay');
  if (['completed', 'failed', 'canceled'].includes(state)) actions.push('delete');
  return actions;
}

const NEWEST_FIRST = { sort: 'id', order: 'desc' } as const;

/** Every job, filtered by the URL's filters, sorted server side; select and act in bulk. */
export function JobsView() {
  const view = useListView('Jobs', {}, NEWEST_FIRST);
  const access = useAccess();
  const selection = useSelection();
  const canSelect = access.cancel || access.replay || access.delete;
  const loaded = new Set(view.jobs.map((job) => job.id));
  const chosen = [...selection.selected].filter((id) => loaded.has(id));
  const answered = hasAnswer(view.list);
  return (
    <div className="view jobs">
      <div className="section-head">
        <h2>Jobs</h2>
        {access.delete && <CleanJobs queue={view.filter.queue} />}
      </div>
      <JobFilters filter={view.filter} onChange={view.setParams} />
      {canSelect && (
        <BulkBar
          selected={chosen}
          filter={view.filter}
          actions={actionsFor(view.filter.state)}
          matching={view.filter.state !== undefined && view.list.isSuccess}
          onDone={selection.clear}
        />
      )}
      <LoadFailure query={view.list} what="the job list" call="GET /api/jobs" />
      {view.list.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        answered && (
          <JobsTable
            jobs={view.jobs}
            sort={view.sort}
            sortable={view.sortable}
            onSort={view.setSort}
            selected={canSelect ? selection.selected : undefined}
            onToggle={canSelect ? selection.toggle : undefined}
            onToggleAll={canSelect ? selection.setMany : undefined}
            emptyText={view.emptyText}
          />
        )
      )}
      {answered && (
        <LoadMore query={view.list} count={view.jobs.length} pageSize={view.pageSize} onPageSize={view.setPageSize} />
      )}
    </div>
  );
}
