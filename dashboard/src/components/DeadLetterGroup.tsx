import { useState } from 'react';
import { useAccess, useJobList } from '../api/queries';
import type { DeadLetterGroup as Group, ListFilter } from '../api/types';
import { formatCount } from '../format';
import { ConfirmButton } from './ConfirmButton';
import { DeadLetterRow } from './DeadLetterRow';
import { ErrorNotice } from './ErrorNotice';
import { LoadMore } from './LoadMore';
import { RelativeTime } from './RelativeTime';

interface Props {
  group: Group;
  /** Jobs listed without a click (the first groups of the page). */
  open: boolean;
  selected: ReadonlySet<string>;
  onToggle(id: string): void;
  /** Replays or deletes the whole group (done by the view: the group may vanish meanwhile). */
  onAct(action: 'replay' | 'delete', group: Group): void;
  busy: boolean;
}

/** The bulk filter that selects exactly this group's jobs, however many (`errorGroup`: the signature). */
export function groupFilter(group: Group): ListFilter {
  return {
    state: 'failed',
    queue: group.queue,
    type: group.type,
    errorGroup: group.error === '' ? '(none)' : group.error,
  };
}

function GroupJobs({ group, selected, onToggle }: Pick<Props, 'group' | 'selected' | 'onToggle'>) {
  const access = useAccess();
  const list = useJobList(groupFilter(group), 10);
  const jobs = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <ErrorNotice error={list.error} what="Jobs of this group" />
      <ul className="dead-letters">
        {jobs.map((job) => (
          <DeadLetterRow
            key={job.id}
            job={job}
            selected={selected.has(job.id)}
            canReplay={access.replay}
            onToggle={() => onToggle(job.id)}
          />
        ))}
      </ul>
      <LoadMore query={list} count={jobs.length} />
    </>
  );
}

/** Failed jobs of one queue and type with one error, counted by the server; act on all of them. */
export function DeadLetterGroup({ group, open, selected, onToggle, onAct, busy }: Props) {
  const access = useAccess();
  const [shown, setShown] = useState(open);
  const n = formatCount(group.count);
  const error = group.error === '' ? '(no error recorded)' : group.error;
  return (
    <section className="card group" data-type={group.type} data-queue={group.queue} data-count={group.count}>
      <header className="row">
        <strong>{group.type}</strong>
        <span className="muted">{group.queue}</span>
        <span className="badge count-badge" aria-label="jobs in this group">
          {n}
        </span>
        <span className="error-text grow">{error}</span>
      </header>
      <div className="row small group-meta">
        <span className="muted grow">
          last failed <RelativeTime at={group.lastFailedAt} />, first <RelativeTime at={group.firstFailedAt} />
        </span>
        <button type="button" onClick={() => setShown(!shown)} aria-expanded={shown}>
          {shown ? 'Hide jobs' : 'Show jobs'}
        </button>
        {access.replay && (
          <ConfirmButton
            label={`Replay all ${n}`}
            className="primary"
            busy={busy}
            message={`Replay all ${n} failed ${group.type} jobs of queue ${group.queue} failing with “${error}”? They run again from attempt 1.`}
            confirmLabel={`Replay ${n} jobs`}
            onConfirm={() => onAct('replay', group)}
          />
        )}
        {access.delete && (
          <ConfirmButton
            label={`Delete all ${n}`}
            danger
            busy={busy}
            message={`Delete all ${n} failed ${group.type} jobs of queue ${group.queue} failing with “${error}”, with their history? This cannot be undone.`}
            confirmLabel={`Delete ${n} jobs`}
            onConfirm={() => onAct('delete', group)}
          />
        )}
      </div>
      {shown && <GroupJobs group={group} selected={selected} onToggle={onToggle} />}
    </section>
  );
}
