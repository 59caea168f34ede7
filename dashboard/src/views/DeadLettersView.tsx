import { useAccess, useDeadLetterGroups } from '../api/queries';
import { BulkBar } from '../components/BulkBar';
import { DeadLetterGroup } from '../components/DeadLetterGroup';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobFilters } from '../components/JobFilters';
import { hasAnswer, LoadFailure } from '../components/LoadFailure';
import { formatCount } from '../format';
import { useRememberList } from '../hooks/useLastList';
import { useGroupActions } from '../hooks/useGroupActions';
import { useSelection } from '../hooks/useSelection';
import { useSearchParams } from '../router';
import { filterFromParams } from './filterFromParams';

/** Groups listing their jobs without a click. */
const OPEN_GROUPS = 5;

/**
 * Failed jobs grouped by queue, type and error, the groups and counts computed by the server over
 * every dead letter; replay or delete a whole group, or a selection of its jobs.
 */
export function DeadLettersView() {
  const [params, setParams] = useSearchParams();
  useRememberList('Dead letters');
  const { queue, type } = filterFromParams(params);
  const groups = useDeadLetterGroups({ queue, type });
  const access = useAccess();
  const selection = useSelection();
  const data = hasAnswer(groups) ? groups.data : undefined;
  const whole = useGroupActions();
  return (
    <div className="view dead-letters-view">
      <div className="section-head">
        <h2>Dead letters</h2>
        {data && (
          <span className="muted dead-letter-total">
            {formatCount(data.total)} failed job{data.total === 1 ? '' : 's'} in {formatCount(data.items.length)} group
            {data.items.length === 1 ? '' : 's'}
            {data.estimated ? ` (counted over the newest ${formatCount(data.scanned)})` : ''}
          </span>
        )}
      </div>
      <JobFilters filter={{ queue, type }} onChange={setParams} fixedState compact />
      {(access.replay || access.delete) && (
        <BulkBar
          selected={[...selection.selected]}
          filter={{ state: 'failed', queue, type }}
          actions={['replay', 'delete']}
          matching={groups.isSuccess}
          onDone={selection.clear}
        />
      )}
      <LoadFailure query={groups} what="the dead-letter groups" call="GET /api/dead-letters/groups" />
      <ErrorNotice error={whole.error} what="Group action failed" />
      {whole.message && (
        <p className="notice ok" role="status">
          {whole.message}
        </p>
      )}
      {groups.isPending ? (
        <p className="muted">Loading…</p>
      ) : data?.items.length === 0 ? (
        <p className="muted empty">No failed jobs match.</p>
      ) : (
        data?.items.map((group, i) => (
          <DeadLetterGroup
            key={`${group.queue}\u0000${group.type}\u0000${group.error}`}
            group={group}
            open={i < OPEN_GROUPS}
            selected={selection.selected}
            onToggle={selection.toggle}
            onAct={whole.act}
            busy={whole.busy}
          />
        ))
      )}
    </div>
  );
}
