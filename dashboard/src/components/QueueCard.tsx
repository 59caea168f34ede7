import { usePauseQueue } from '../api/mutations';
import type { NodeSummary, QueueSummary } from '../api/types';
import { formatCount, formatDuration, formatPercent } from '../format';
import { Link } from '../router';
import { ErrorNotice } from './ErrorNotice';
import { ConcurrencyEditor } from './ConcurrencyEditor';
import { hasNoWorkers, queueWorkers } from './queueWorkers';
import { QueueThroughput } from './QueueThroughput';
import { RelativeTime } from './RelativeTime';

interface Props {
  queue: QueueSummary;
  nodes: NodeSummary[] | undefined;
  canPause: boolean;
}

/** One queue: state, who serves it, rates, and pause/resume when allowed. */
export function QueueCard({ queue, nodes, canPause }: Props) {
  const toggle = usePauseQueue();
  const waiting = queue.counts.pending + queue.counts.scheduled;
  const workers = queueWorkers(queue, nodes);
  const noWorkers = hasNoWorkers(queue, nodes);
  return (
    <li className="card queue" data-queue={queue.name} data-paused={queue.paused} data-no-workers={noWorkers}>
      <div className="row">
        <h3 className="grow">
          <Link to={`/jobs?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</Link>
        </h3>
        {noWorkers && <span className="badge no-workers">No workers</span>}
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
      {noWorkers && (
        <p className="notice warn no-workers-note" role="alert">
          No live node serves this queue: its {formatCount(waiting)} waiting job{waiting === 1 ? '' : 's'} will not run
          until a node with a handler for it starts.
        </p>
      )}
      {queue.paused && queue.pausedBy && (
        <p className="muted small">
          Paused by {queue.pausedBy} <RelativeTime at={queue.pausedAt} />.
        </p>
      )}
      <dl className="fields compact">
        <dt>concurrency</dt>
        <dd className="concurrency">
          {workers.label}
          {queue.concurrencySetting != null && (
            <span className="muted small"> (set to {queue.concurrencySetting} per node)</span>
          )}
          {canPause && <ConcurrencyEditor queue={queue} />}
        </dd>
        <dt>waiting</dt>
        <dd>
          {formatCount(waiting)} ({formatCount(queue.counts.pending)} pending, {formatCount(queue.counts.scheduled)}{' '}
          scheduled)
          {queue.countsEstimated && (
            <span className="muted small estimated" title={`estimated: ${queue.estimatedStates.join(', ')}`}>
              {' '}
              (estimated)
            </span>
          )}
        </dd>
        <dt>running</dt>
        <dd>{formatCount(queue.counts.running)}</dd>
        <dt>oldest pending</dt>
        <dd>{formatDuration(queue.oldestPendingAgeMs)}</dd>
        <dt>throughput</dt>
        <dd className="throughput">
          {queue.completedPerMinute.toFixed(1)} done/min, {queue.failedPerMinute.toFixed(1)} failed/min{' '}
          <span className="muted small">
            (average of the last 5 min
            {queue.completedLast5Minutes !== undefined
              ? `: ${formatCount(queue.completedLast5Minutes)} done, ${formatCount(queue.failedLast5Minutes)} failed`
              : ''}
            )
          </span>
        </dd>
        <dt>failure rate</dt>
        <dd>{formatPercent(queue.failureRate)}</dd>
        <dt>counts as of</dt>
        <dd>
          <RelativeTime at={queue.countsAt} />
        </dd>
      </dl>
      <QueueThroughput queue={queue.name} />
      <ErrorNotice error={toggle.error} what={queue.paused ? 'Resume failed' : 'Pause failed'} />
    </li>
  );
}
