import { useMemo, useState } from 'react';
import { useBulkAction } from '../api/mutations';
import { useAccess, useJobList } from '../api/queries';
import type { JobSummary } from '../api/types';
import { DeadLetterGroup, type Group } from '../components/DeadLetterGroup';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobFilters } from '../components/JobFilters';
import { LoadMore } from '../components/LoadMore';
import { useSearchParams } from '../router';
import { filterFromParams } from './filterFromParams';

function groupJobs(jobs: JobSummary[]): Group[] {
  const groups = new Map<string, Group>();
  for (const job of jobs) {
    const error = job.lastError ?? '(no error recorded)';
    const key = `${job.type}\u0000${error}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, type: job.type, error, jobs: [] }));
    group.jobs.push(job);
  }
  return [...groups.values()].sort((a, b) => b.jobs.length - a.jobs.length);
}

/** Failed jobs grouped by type and error; replay one, a selection, or everything matching. */
export function DeadLettersView() {
  const [params, setParams] = useSearchParams();
  const filter = { ...filterFromParams(params), state: 'failed' };
  const list = useJobList(filter, 200);
  const access = useAccess();
  const bulk = useBulkAction('replay');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmAll, setConfirmAll] = useState(false);
  const jobs = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const groups = useMemo(() => groupJobs(jobs), [jobs]);
  const shownIds = new Set(jobs.map((j) => j.id));
  const chosen = [...selected].filter((id) => shownIds.has(id));

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const selectMany = (ids: string[], select: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (select) next.add(id);
        else next.delete(id);
      }
      return next;
    });

  return (
    <div className="view dead-letters-view">
      <div className="section-head">
        <h2>Dead letters</h2>
        {access.replay && (
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={chosen.length === 0 || bulk.isPending}
              onClick={() => bulk.mutate({ ids: chosen }, { onSuccess: () => setSelected(new Set()) })}
            >
              Replay selected ({chosen.length})
            </button>
            {confirmAll ? (
              <>
                <button
                  type="button"
                  className="danger"
                  disabled={bulk.isPending}
                  onClick={() => bulk.mutate({ filter }, { onSettled: () => setConfirmAll(false) })}
                >
                  Confirm: replay every failed job matching the filter
                </button>
                <button type="button" onClick={() => setConfirmAll(false)}>
                  Keep them
                </button>
              </>
            ) : (
              <button type="button" disabled={jobs.length === 0} onClick={() => setConfirmAll(true)}>
                Replay all matching…
              </button>
            )}
          </div>
        )}
      </div>
      <JobFilters filter={filter} onChange={setParams} fixedState />
      <ErrorNotice error={list.error} what="Dead letters" />
      <ErrorNotice error={bulk.error} what="Replay failed" />
      {bulk.data && (
        <p className="notice ok" role="status">
          Replayed {bulk.data.affected.toLocaleString()} job{bulk.data.affected === 1 ? '' : 's'}.
        </p>
      )}
      {list.isPending ? (
        <p className="muted">Loading…</p>
      ) : groups.length === 0 ? (
        <p className="muted empty">No failed jobs match.</p>
      ) : (
        groups.map((group) => (
          <DeadLetterGroup
            key={group.key}
            group={group}
            selected={selected}
            canReplay={access.replay}
            onToggle={toggle}
            onSelectAll={selectMany}
          />
        ))
      )}
      <LoadMore query={list} count={jobs.length} />
    </div>
  );
}
