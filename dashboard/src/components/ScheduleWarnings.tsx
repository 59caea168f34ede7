import { scheduleWarnings, type Schedule } from '../api/schedules';

/** Missed ticks lately, failing runs, a schedule gone from code. */
export function ScheduleWarnings({ schedule }: { schedule: Schedule }) {
  const warnings = scheduleWarnings(schedule);
  if (warnings.length === 0) return null;
  return (
    <ul className="notice warn schedule-warnings" role="alert">
      {warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}
