import { useAccess } from '../api/queries';
import { useSchedules } from '../api/schedules';
import { ErrorNotice } from '../components/ErrorNotice';
import { ScheduleCard } from '../components/ScheduleCard';

/** Every schedule: when it runs next, how its last run went, and what needs attention. */
export function SchedulesView() {
  const schedules = useSchedules();
  const access = useAccess();
  return (
    <div className="view schedules-view">
      <h2>Schedules</h2>
      <p className="muted small">
        Each tick enqueues one job, whichever node fires it. Paused schedules skip their ticks; run now enqueues one job
        outside the cadence.
      </p>
      <ErrorNotice error={schedules.error} what="Schedules" />
      {schedules.data?.items.length === 0 && <p className="muted empty">No schedules yet.</p>}
      <ul className="queue-cards schedule-cards">
        {schedules.data?.items.map((s) => (
          <ScheduleCard key={s.name} schedule={s} canWrite={access.schedule} />
        ))}
      </ul>
    </div>
  );
}
