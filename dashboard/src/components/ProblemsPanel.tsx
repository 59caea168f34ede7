import type { NodeSummary, QueueSummary } from '../api/types';
import { Link } from '../router';
import { useFailureTrends } from '../hooks/useFailureTrends';
import { findProblems } from './problems';

/** The top of the overview: what needs an operator now, worst first, or a plain "all clear". */
export function ProblemsPanel({ queues, nodes }: { queues: QueueSummary[]; nodes: NodeSummary[] | undefined }) {
  const rising = useFailureTrends(queues);
  const problems = findProblems(queues, nodes, rising);
  if (problems.length === 0) {
    return (
      <p className="notice ok problems-clear" role="status">
        No problems: every queue with work has a worker, none is paused, failing or falling behind.
      </p>
    );
  }
  return (
    <ul className="problems" aria-label="Problems">
      {problems.map((p) => (
        <li key={p.key} className={`problem problem-${p.severity}`} data-kind={p.kind} data-queue={p.queue}>
          <strong>{p.queue}</strong>
          <span className="grow">{p.text}</span>
          <Link to={p.to}>{p.action}</Link>
        </li>
      ))}
    </ul>
  );
}
