import { describeCadence, type Schedule } from '../api/schedules';
import { Link } from '../router';
import { RelativeTime } from './RelativeTime';
import { ScheduleActions } from './ScheduleActions';
import { ScheduleWarnings } from './ScheduleWarnings';
import { StateBadge } from './StateBadge';

/** One schedule in the list: cadence, next and last run, warnings, actions. */
export function ScheduleCard({ schedule: s, canWrite }: { schedule: Schedule; canWrite: boolean }) {
  return (
    <li className="card schedule" data-schedule={s.name} data-paused={s.paused}>
      <div className="row">
        <h3 className="grow">
          <Link to={`/schedules/${encodeURIComponent(s.name)}`}>{s.name}</Link>{' '}
          <span className="muted small">
            {s.type} · {describeCadence(s)}
          </span>
        </h3>
        {s.source === 'code' && <span className="badge">code</span>}
        <span className={`badge ${s.paused || s.removedFromCode ? 'paused' : 'active'}`}>
          {s.removedFromCode ? 'removed from code' : s.paused ? 'paused' : 'active'}
        </span>
      </div>
      <dl className="fields compact">
        <dt>next run</dt>
        <dd className="next-run">{s.paused || s.removedFromCode ? '—' : <RelativeTime at={s.nextRunAt} />}</dd>
        <dt>last run</dt>
        <dd className="last-run">
          {s.lastRunAt ? (
            <>
              <RelativeTime at={s.lastRunAt} /> <span className="muted">({s.lastOutcome})</span>
              {s.lastJobId && (
                <>
                  {' '}
                  <Link to={`/jobs/${encodeURIComponent(s.lastJobId)}`}>job {s.lastJobId}</Link>
                </>
              )}
              {s.lastJobState && <StateBadge state={s.lastJobState} />}
            </>
          ) : (
            'never'
          )}
        </dd>
      </dl>
      <ScheduleWarnings schedule={s} />
      {canWrite && <ScheduleActions schedule={s} />}
    </li>
  );
}
