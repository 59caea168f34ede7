import { useBulkAction } from '../api/mutations';
import type { DeadLetterGroup } from '../api/types';
import { groupFilter } from '../components/DeadLetterGroup';
import { formatCount } from '../format';

/**
 * Replay or delete a whole dead-letter group, held by the view so that the outcome is still said
 * when the group itself has emptied (its jobs running again) by the time the server answers.
 */
export function useGroupActions() {
  const replay = useBulkAction('replay');
  const remove = useBulkAction('delete');
  const act = (action: 'replay' | 'delete', group: DeadLetterGroup) => {
    (action === 'replay' ? remove : replay).reset();
    (action === 'replay' ? replay : remove).mutate({ filter: groupFilter(group) });
  };
  const last = replay.variables ? replay : remove;
  const error = replay.error ?? remove.error;
  const done = replay.data
    ? `Replayed ${formatCount(replay.data.affected)}`
    : remove.data
      ? `Deleted ${formatCount(remove.data.affected)}`
      : null;
  const target = last.variables && 'filter' in last.variables ? last.variables.filter : undefined;
  const message =
    done && target
      ? `${done} ${target.type ?? ''} jobs failing with “${target.errorGroup === '(none)' ? '(no error recorded)' : target.errorGroup}”.`
      : null;
  return { act, busy: replay.isPending || remove.isPending, error, message };
}
