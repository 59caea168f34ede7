import type { WorkerSummary } from '../api/types';
import { Link } from '../router';
import { RelativeTime } from './RelativeTime';

/** Live nodes and the jobs each is running. */
export function WorkersList({ workers }: { workers: WorkerSummary[] }) {
  if (workers.length === 0) return <p className="muted empty">No live nodes.</p>;
  return (
    <ul className="workers">
      {workers.map((worker) => (
        <li key={worker.id} className="card worker" data-worker={worker.id}>
          <div className="worker-head">
            <strong>{worker.hostname}</strong>
            <span className="muted">pid {worker.pid}</span>
            {worker.stopping && <span className="badge paused">stopping</span>}
          </div>
          <div className="muted small">
            {worker.id} · up since <RelativeTime at={worker.startedAt} /> · seen <RelativeTime at={worker.lastSeen} />
          </div>
          <div className="small">
            running {worker.running} ·{' '}
            {Object.entries(worker.queues)
              .map(([queue, slots]) => `${queue}: ${slots}`)
              .join(', ') || 'no queues'}
          </div>
          {worker.jobs.length > 0 && (
            <ul className="worker-jobs small">
              {worker.jobs.slice(0, 8).map((job) => (
                <li key={job.id}>
                  <Link to={`/jobs/${job.id}`}>#{job.id}</Link> {job.type} ({job.queue}),{' '}
                  <RelativeTime at={job.startedAt} />
                </li>
              ))}
              {worker.jobs.length > 8 && <li className="muted">and {worker.jobs.length - 8} more</li>}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}
