import type { NodeSummary, QueueSummary } from '../api/types';
import { JOB_STATES } from '../api/types';
import { formatCount, formatDuration, formatPercent } from '../format';
import { Link } from '../router';
import { hasNoWorkers, queueWorkers } from './queueWorkers';

/** Why a count shows `≈`: on a large table some states are estimated, not counted. */
const ESTIMATE_HINT = 'estimate: on a large jobs table this state is estimated, not counted exactly';

/** Every queue with its counts by state (each links to the filtered job list) and rates. */
export function QueueCountsTable({ queues, nodes }: { queues: QueueSummary[]; nodes: NodeSummary[] | undefined }) {
  if (queues.length === 0) return <p className="muted empty">No queues yet: enqueue a job.</p>;
  return (
    <div className="table-wrap">
      <table className="queues-table">
        <thead>
          <tr>
            <th>queue</th>
            {JOB_STATES.map((state) => (
              <th key={state} className="num">
                {state}
              </th>
            ))}
            <th>workers</th>
            <th className="num" title="completed jobs per minute, averaged over the last 5 minutes">
              done/min <span className="muted small">(5 min avg)</span>
            </th>
            <th className="num">failure rate</th>
            <th className="num">oldest pending</th>
          </tr>
        </thead>
        <tbody>
          {queues.map((queue) => (
            <tr key={queue.name} data-queue={queue.name}>
              <td>
                <Link to={`/jobs?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</Link>
                {queue.paused && <span className="badge paused">paused</span>}
                {hasNoWorkers(queue, nodes) && <span className="badge no-workers">No workers</span>}
              </td>
              {JOB_STATES.map((state) => (
                <td key={state} className="num">
                  <Link
                    className={queue.counts[state] > 0 ? `count state-text-${state}` : 'count muted'}
                    to={`/jobs?queue=${encodeURIComponent(queue.name)}&state=${state}`}
                    title={queue.estimatedStates.includes(state) ? ESTIMATE_HINT : undefined}
                  >
                    {queue.estimatedStates.includes(state) ? '≈ ' : ''}
                    {formatCount(queue.counts[state])}
                  </Link>
                </td>
              ))}
              <td className="workers">{queueWorkers(queue, nodes).label}</td>
              <td className="num">{queue.completedPerMinute.toFixed(1)}</td>
              <td className="num">{formatPercent(queue.failureRate)}</td>
              <td className="num">{formatDuration(queue.oldestPendingAgeMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
