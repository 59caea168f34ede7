import { usePauseQueue } from '../api/mutations';
import type { QueueSummary } from '../api/types';
import { formatCount, formatDuration, formatPercent, formatRelative } from '../format';
import { Link } from '../router';
import { ErrorNotice } from './ErrorNotice';

/** One queue: state, limits, rates, and pause/resume when allowed. */
export function QueueCard({ queue, canPause }: { queue: QueueSummary; canPause: boolean }) {
  const toggle = usePauseQueue();
  const waiting = queue.counts.pending + queue.counts.scheduled;
  return (
    <li className="card queue" data-queue={queue.name} data-paused={queue.paused}>
      <div className="row">
        <h3 className="grow">
          <Link to={`/jobs?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</Link>
        </h3>
        <span className={`badge ${queue.paused ? 'paused' : 'active'}`}>{queue.paused ? 'paused' : 'active'}</span>
        {canPause && (
          <button
            type="button"
            className={queue.paused ? 'primary' : ''}
            disabled={toggle.isPending}
            onClick={() => toggle.mutate({ name: queue.name, pause: !queue.paused })}
          >
            {queue.paused ? 'Resume' : 'Pause'}
          </button>
        )}
      </div>
      <dl className="fields compact">
        <dt>concurrency</dt>
        <dd>{queue.concurrency} per node</dd>
        <dt>waiting</dt>
        <dd>
          {formatCount(waiting)} ({formatCount(queue.counts.pending)} pending, {formatCount(queue.counts.scheduled)}{' '}
          scheduled)
        </dd>
        <dt>running</dt>
        <dd>{formatCount(queue.counts.running)}</dd>
        <dt>oldest pending</dt>
        <dd>{formatDuration(queue.oldestPendingAgeMs)}</dd>
        <dt>throughput</dt>
        <dd>
          {queue.completedPerMinute.toFixed(1)} done/min, {queue.failedPerMinute.toFixed(1)} failed/min
        </dd>
        <dt>failure rate</dt>
        <dd>{formatPercent(queue.failureRate)}</dd>
        <dt>counts as of</dt>
        <dd>{formatRelative(queue.countsAt)}</dd>
      </dl>
      <ErrorNotice error={toggle.error} what={queue.paused ? 'Resume failed' : 'Pause failed'} />
    </li>
  );
}
