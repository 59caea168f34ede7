import type { Attempt } from '../api/types';
import { formatDuration, formatTime } from '../format';

/** A stack's frames ("at …" lines): two attempts failing the same way differ only in their message. */
function frames(stack: string | null): string {
  return (
    (stack ?? '')
      .split('\n')
      // Node's own scheduling frames (timers, ticks) vary from run to run: left out of the comparison.
      .filter((line) => /^\s+at /.test(line) && !line.includes('(node:internal/'))
      .join('\n')
  );
}

function duration(a: Attempt): number | null {
  if (!a.startedAt) return null;
  return new Date(a.finishedAt).getTime() - new Date(a.startedAt).getTime();
}

/**
 * Every failed, timed-out, lost or canceled attempt with its error, duration and stack trace (as
 * text). A stack whose frames are those of the attempt above is folded away.
 */
export function AttemptList({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p className="muted">No failed attempts.</p>;
  return (
    <ol className="attempts">
      {attempts.map((a, i) => {
        const previous = attempts[i - 1];
        const mine = frames(a.stack);
        const sameStack = mine !== '' && previous !== undefined && frames(previous.stack) === mine;
        return (
          <li key={`${a.replay}-${a.attempt}`} className="card attempt" data-attempt={a.attempt}>
            <div className="attempt-head">
              <strong>
                Attempt {a.attempt}
                {a.replay > 0 ? ` (replay ${a.replay})` : ''}
              </strong>
              <span className={`badge outcome-${a.outcome}`}>{a.outcome.replace('_', ' ')}</span>
              <span className="attempt-duration small">took {formatDuration(duration(a))}</span>
              <span className="muted small">
                {formatTime(a.startedAt)} → {formatTime(a.finishedAt)}
                {a.nodeId ? ` on ${a.nodeId}` : ''}
              </span>
            </div>
            <p className="error-text attempt-error">{a.error}</p>
            {a.stack && sameStack && (
              <details className="same-stack">
                <summary className="muted small">Same stack trace as the attempt above</summary>
                <pre className="stack">{a.stack}</pre>
              </details>
            )}
            {a.stack && !sameStack && (
              <details open={attempts.length <= 3 || i === 0}>
                <summary>Stack trace</summary>
                <pre className="stack">{a.stack}</pre>
              </details>
            )}
          </li>
        );
      })}
    </ol>
  );
}
