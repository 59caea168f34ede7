import type { JobSummary } from '../api/types';
import { Link } from '../router';
import { RelativeTime } from './RelativeTime';
import { StateBadge } from './StateBadge';

interface Props {
  jobs: JobSummary[];
  /** Shows "next run" instead of "created" (scheduled jobs). */
  showRunAt?: boolean;
  selected?: ReadonlySet<string>;
  onToggle?(id: string): void;
}

/** Jobs as rows; payload preview and last error as plain text. */
export function JobsTable({ jobs, showRunAt, selected, onToggle }: Props) {
  if (jobs.length === 0) return <p className="muted empty">No jobs match.</p>;
  return (
    <div className="table-wrap">
      <table className="jobs-table">
        <thead>
          <tr>
            {onToggle && <th aria-label="select" />}
            <th>id</th>
            <th>queue</th>
            <th>type</th>
            <th>state</th>
            <th className="num">attempts</th>
            <th>{showRunAt ? 'next run' : 'created'}</th>
            <th>payload / last error</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-job-id={job.id} data-state={job.state}>
              {onToggle && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select job ${job.id}`}
                    checked={selected?.has(job.id) ?? false}
                    onChange={() => onToggle(job.id)}
                  />
                </td>
              )}
              <td>
                <Link to={`/jobs/${job.id}`}>{job.id}</Link>
              </td>
              <td>{job.queue}</td>
              <td>{job.type}</td>
              <td>
                <StateBadge state={job.state} />
              </td>
              <td className="num">
                {job.attempts}/{job.maxAttempts}
              </td>
              <td>
                <RelativeTime at={showRunAt ? job.runAt : job.createdAt} />
              </td>
              <td className="preview">
                {job.lastError && job.state !== 'completed' ? (
                  <span className="error-text">{job.lastError}</span>
                ) : (
                  <code>{job.payloadPreview}</code>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
