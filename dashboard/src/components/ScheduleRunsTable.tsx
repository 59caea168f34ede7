import type { ScheduleRun } from '../api/schedules';
import { formatDuration, formatTime } from '../format';
import { Link } from '../router';
import { StateBadge } from './StateBadge';

/** A schedule's run history, newest first: each tick, what it did, and its job. */
export function ScheduleRunsTable({ runs }: { runs: ScheduleRun[] }) {
  if (runs.length === 0) return <p className="muted empty">No runs yet.</p>;
  return (
    <table className="jobs schedule-runs">
      <thead>
        <tr>
          <th>tick</th>
          <th>outcome</th>
          <th>lag</th>
          <th>job</th>
          <th>state</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.occurrence} data-outcome={r.outcome}>
            <td>{formatTime(r.occurrence)}</td>
            <td>{r.outcome}</td>
            <td>{formatDuration(new Date(r.firedAt).getTime() - new Date(r.occurrence).getTime())}</td>
            <td>{r.jobId ? <Link to={`/jobs/${encodeURIComponent(r.jobId)}`}>{r.jobId}</Link> : '—'}</td>
            <td>
              {r.jobState && <StateBadge state={r.jobState} />}
              {r.jobError && <span className="error-text small"> {r.jobError}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
