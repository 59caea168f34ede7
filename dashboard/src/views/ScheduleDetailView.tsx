import { useState } from 'react';
import { ApiError } from '../api/client';
import { useAccess } from '../api/queries';
import { describeCadence, useSchedule, useScheduleRuns, useUpdateSchedule } from '../api/schedules';
import { ErrorNotice } from '../components/ErrorNotice';
import { JsonBlock } from '../components/JsonBlock';
import { RelativeTime } from '../components/RelativeTime';
import { ScheduleActions } from '../components/ScheduleActions';
import { ScheduleEditor } from '../components/ScheduleEditor';
import { ScheduleRunsTable } from '../components/ScheduleRunsTable';
import { ScheduleWarnings } from '../components/ScheduleWarnings';
import { formatDuration, formatTime } from '../format';
import { Link } from '../router';

/** One schedule: its definition and policies, actions, the editor, and its run history. */
export function ScheduleDetailView({ name }: { name: string }) {
  const query = useSchedule(name);
  const runs = useScheduleRuns(name);
  const access = useAccess();
  const update = useUpdateSchedule();
  const [editing, setEditing] = useState(false);
  const s = query.data;
  if (query.error instanceof ApiError && query.error.status === 404) {
    return (
      <div className="view">
        <h2>Schedule {name}</h2>
        <p className="notice">No schedule named {name}.</p>
      </div>
    );
  }
  return (
    <div className="view schedule-detail">
      <p className="small">
        <Link to="/schedules">← Schedules</Link>
      </p>
      <ErrorNotice error={query.error} what="Schedule" />
      {!s ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="section-head">
            <h2>
              {s.name} <span className="muted">{s.type}</span>
            </h2>
            <span className="badge">{s.paused ? 'paused' : s.removedFromCode ? 'removed from code' : 'active'}</span>
          </div>
          <ScheduleWarnings schedule={s} />
          <dl className="fields">
            <dt>cadence</dt>
            <dd className="cadence">{describeCadence(s)}</dd>
            <dt>next run</dt>
            <dd>
              {formatTime(s.nextRunAt)} (<RelativeTime at={s.nextRunAt} />)
            </dd>
            <dt>job</dt>
            <dd>
              queue {s.queue}, priority {s.priority}, {s.maxAttempts} attempts
            </dd>
            <dt>policies</dt>
            <dd className="policies">
              missed: {s.missed}
              {s.missed === 'all' ? ` (up to ${s.maxCatchUp})` : ''}, overlap: {s.overlap}, jitter:{' '}
              {formatDuration(s.jitterMs)}
            </dd>
            <dt>defined</dt>
            <dd>
              {s.source === 'code' ? 'in code (@JobHandler)' : 'at run time'}, created {formatTime(s.createdAt)}, last
              changed {formatTime(s.updatedAt)}
              {s.updatedBy ? ` by ${s.updatedBy}` : ''}
            </dd>
            {s.paused && (
              <>
                <dt>paused</dt>
                <dd>
                  {formatTime(s.pausedAt)}
                  {s.pausedBy ? ` by ${s.pausedBy}` : ''}
                </dd>
              </>
            )}
            <dt>missed ticks</dt>
            <dd>{s.missedTicks.toLocaleString()}</dd>
          </dl>
          {access.schedule && <ScheduleActions schedule={s} />}
          {access.schedule && s.source === 'api' && !editing && (
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {editing && (
            <ScheduleEditor
              schedule={s}
              busy={update.isPending}
              onSubmit={(changes) => update.mutate({ name: s.name, changes }, { onSuccess: () => setEditing(false) })}
              onCancel={() => setEditing(false)}
            />
          )}
          <ErrorNotice error={update.error} what="Save failed" />
          <section>
            <h3>Payload</h3>
            <JsonBlock value={s.payload} />
          </section>
          <section>
            <h3>Runs</h3>
            <ErrorNotice error={runs.error} what="Runs" />
            {runs.data && <ScheduleRunsTable runs={runs.data.items} />}
          </section>
        </>
      )}
    </div>
  );
}
