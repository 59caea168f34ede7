import { useAccess, useNodes, useQueues } from '../api/queries';
import { hasAnswer, LoadFailure } from '../components/LoadFailure';
import { QueueCard } from '../components/QueueCard';

/** Every queue with its limits and rates; pause and resume. */
export function QueuesView() {
  const queues = useQueues();
  const nodes = useNodes();
  const access = useAccess();
  return (
    <div className="view queues-view">
      <h2>Queues</h2>
      <p className="muted small">
        A paused queue keeps accepting jobs; no node starts new ones until it is resumed (running jobs finish).
      </p>
      <LoadFailure query={queues} what="the queues" call="GET /api/queues" />
      {queues.isPending && <p className="muted">Loading…</p>}
      {queues.isSuccess && queues.data.items.length === 0 && <p className="muted empty">No queues yet.</p>}
      <ul className="queue-cards">
        {(hasAnswer(queues) ? queues.data?.items : undefined)?.map((queue) => (
          <QueueCard key={queue.name} queue={queue} nodes={nodes.data?.items} canPause={access.pause} />
        ))}
      </ul>
    </div>
  );
}
