import { useBulkAction } from '../api/mutations';
import { useAccess } from '../api/queries';
import type { ListFilter } from '../api/types';
import { ConfirmButton } from './ConfirmButton';
import { ErrorNotice } from './ErrorNotice';

type Action = 'replay' | 'cancel' | 'delete';

const WHAT: Record<Action, { verb: string; done: string; applies: string }> = {
  replay: { verb: 'Replay', done: 'Replayed', applies: 'failed and canceled jobs run again from attempt 1' },
  cancel: { verb: 'Cancel', done: 'Canceled', applies: 'pending, scheduled and running jobs stop' },
  delete: {
    verb: 'Delete',
    done: 'Deleted',
    applies: 'finished jobs are deleted with their history: this cannot be undone',
  },
};

interface Props {
  /** Selected job ids. */
  selected: string[];
  /** The list's filter, for "… all matching". */
  filter: ListFilter;
  /** The actions this list offers (only those the caller may do are shown). */
  actions: Action[];
  /** Offers "… all matching" (a list narrowed by a filter); selections are offered once made. */
  matching: boolean;
  onDone(): void;
}

function BulkButtons({ action, selected, filter, matching, onDone }: { action: Action } & Omit<Props, 'actions'>) {
  const bulk = useBulkAction(action);
  const what = WHAT[action];
  const n = selected.length;
  const danger = action !== 'replay';
  return (
    <>
      {n > 0 && (
        <ConfirmButton
          label={`${what.verb} selected (${n})`}
          busy={bulk.isPending}
          danger={danger}
          message={`${what.verb} ${n} selected job${n === 1 ? '' : 's'}? Only ${what.applies}; others are skipped.`}
          confirmLabel={`${what.verb} ${n} job${n === 1 ? '' : 's'}`}
          onConfirm={() => bulk.mutate({ ids: selected }, { onSuccess: onDone })}
        />
      )}
      {matching && (
        <ConfirmButton
          label={`${what.verb} all matching…`}
          busy={bulk.isPending}
          danger={danger}
          message={`${what.verb} every job matching the current filter (not only the rows loaded)? Only ${what.applies}; others are skipped.`}
          confirmLabel={`${what.verb} all matching`}
          onConfirm={() => bulk.mutate({ filter }, { onSuccess: onDone })}
        />
      )}
      <ErrorNotice error={bulk.error} what={`${what.verb} failed`} />
      {bulk.data && (
        <p className="notice ok" role="status">
          {what.done} {bulk.data.affected.toLocaleString()} job{bulk.data.affected === 1 ? '' : 's'}.
        </p>
      )}
    </>
  );
}

/** Bulk replay, cancel and delete of a selection or of everything matching, each confirmed first. */
export function BulkBar({ selected, filter, actions, matching, onDone }: Props) {
  const access = useAccess();
  const allowed = actions.filter((action) => access[action]);
  // Rendered even with nothing to offer: the outcome of the last action stays said.
  if (allowed.length === 0) return null;
  return (
    <div className="row selection-bar" aria-label="bulk actions">
      {allowed.map((action) => (
        <BulkButtons
          key={action}
          action={action}
          selected={selected}
          filter={filter}
          matching={matching}
          onDone={onDone}
        />
      ))}
    </div>
  );
}
