import type { TimelineEntry } from '../api/types';
import { formatTime } from '../format';

function describe(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  if (typeof detail === 'string') return detail;
  return JSON.stringify(detail);
}

/** What happened to the job, oldest first, with who did it. */
export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="muted">No events.</p>;
  return (
    <ol className="timeline">
      {entries.map((entry, i) => (
        <li key={`${entry.at}-${entry.event}-${i}`} data-event={entry.event}>
          <time dateTime={entry.at}>{formatTime(entry.at)}</time>
          <strong>{entry.event.replace('_', ' ')}</strong>
          {entry.actor && <span className="muted">by {entry.actor}</span>}
          {entry.detail !== undefined && entry.detail !== null && (
            <span className="muted small">{describe(entry.detail)}</span>
          )}
        </li>
      ))}
    </ol>
  );
}
