import { useAccess } from '../api/queries';
import { SCHEDULES_PAGE, useSchedules } from '../api/schedules';
import { ErrorNotice } from '../components/ErrorNotice';
import { LoadMore } from '../components/LoadMore';
import { ScheduleCard } from '../components/ScheduleCard';

/** Every schedule: when it runs next, how its last run went, and what needs attention. */
export function SchedulesView() {
  const schedules = useSchedules();
  const access = useAccess();
  const items = schedules.data?.pages.flatMap((page) => page.items);
  return (
    <div className="view schedules-view">
      <h2>Schedules</h2>
      <p className="muted small">
        Each tick enqueues one job, whichever node fires it. Paused schedules skip their ticks; run now enqueues one job
        outside the cadence.
      </p>
      <ErrorNotice error={schedules.error} what="Schedules" />
      {items?.length === 0 && <p className="muted empty">No schedules yet.</p>}
      <ul className="queue-cards schedule-cards">
        {items?.map((s) => (
          <ScheduleCard key={s.name} schedule={s} canWrite={access.schedule} />
        ))}
      </ul>
      {items && <LoadMore query={schedules} count={items.length} pageSize={SCHEDULES_PAGE} />}
    </div>
  );
}
