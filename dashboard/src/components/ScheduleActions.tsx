import { usePauseSchedule, useRunSchedule, type Schedule } from '../api/schedules';
import { Link } from '../router';
import { ErrorNotice } from './ErrorNotice';

/** Pause or resume, and run now; shown to callers with the `schedule` right. */
export function ScheduleActions({ schedule }: { schedule: Schedule }) {
  const toggle = usePauseSchedule();
  const run = useRunSchedule();
  return (
    <div className="actions">
      <div className="row">
        <button
          type="button"
          className={schedule.paused ? 'primary' : ''}
          disabled={toggle.isPending}
          onClick={() => toggle.mutate({ name: schedule.name, pause: !schedule.paused })}
        >
          {schedule.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" disabled={run.isPending} onClick={() => run.mutate(schedule.name)}>
          Run now
        </button>
        {run.data && (
          <span className="small" role="status">
            Enqueued <Link to={`/jobs/${encodeURIComponent(run.data.id)}`}>job {run.data.id}</Link>
          </span>
        )}
      </div>
      <ErrorNotice error={toggle.error} what={schedule.paused ? 'Resume failed' : 'Pause failed'} />
      <ErrorNotice error={run.error} what="Run now failed" />
    </div>
  );
}
