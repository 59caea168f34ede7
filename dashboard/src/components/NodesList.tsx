import type { NodeSummary } from '../api/types';
import { Link } from '../router';
import { RelativeTime } from './RelativeTime';

/** Live nodes and the jobs each is running. */
export function NodesList({ nodes }: { nodes: NodeSummary[] }) {
  if (nodes.length === 0) return <p className="muted empty">No live nodes.</p>;
  return (
    <ul className="nodes">
      {nodes.map((node) => (
        <li key={node.id} className="card node" data-node={node.id}>
          <div className="node-head">
            <strong>{node.hostname}</strong>
            <span className="muted">pid {node.pid}</span>
            {node.stopping && <span className="badge paused">stopping</span>}
          </div>
          <div className="muted small">
            {node.id} · up since <RelativeTime at={node.startedAt} /> · seen <RelativeTime at={node.lastSeen} />
          </div>
          <div className="small">
            running {node.running} ·{' '}
            {Object.entries(node.queues)
              .map(([queue, slots]) => `${queue}: ${slots}`)
              .join(', ') || 'no queues'}
          </div>
          {node.jobs.length > 0 && (
            <ul className="node-jobs small">
              {node.jobs.slice(0, 8).map((job) => (
                <li key={job.id}>
                  <Link to={`/jobs/${job.id}`}>#{job.id}</Link> {job.type} ({job.queue}),{' '}
                  <RelativeTime at={job.startedAt} />
                </li>
              ))}
              {node.jobs.length > 8 && <li className="muted">and {node.jobs.length - 8} more</li>}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}
