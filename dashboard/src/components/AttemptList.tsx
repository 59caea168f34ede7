import type { Attempt } from '../api/types';
import { formatTime } from '../format';

/** Every failed, timed-out, lost or canceled attempt with its error and stack trace (as text). */
export function AttemptList({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p className="muted">No failed attempts.</p>;
  return (
    <ol className="attempts">
      {attempts.map((a) => (
        <li key={`${a.replay}-${a.attempt}`} className="card attempt" data-attempt={a.attempt}>
          <div className="attempt-head">
            <strong>
              Attempt {a.attempt}
              {a.replay > 0 ? ` (replay ${a.replay})` : ''}
            </strong>
            <span className={`badge outcome-${a.outcome}`}>{a.outcome.replace('_', ' ')}</span>
            <span className="muted small">
              {formatTime(a.startedAt)} → {formatTime(a.finishedAt)}
              {a.nodeId ? ` on ${a.nodeId}` : ''}
            </span>
          </div>
          <p className="error-text attempt-error">{a.error}</p>
          {a.stack && (
            <details open={attempts.length <= 3}>
              <summary>Stack trace</summary>
              <pre className="stack">{a.stack}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
