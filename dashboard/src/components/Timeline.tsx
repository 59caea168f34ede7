import type { TimelineEntry } from '../api/types';
import { formatTime } from '../format';
import { JsonBlock } from './JsonBlock';
import { describeEntry, originalPayload } from './timelineText';

/** What happened to the job, oldest first, with who did it; details in words, not JSON. */
export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="muted">No events.</p>;
  return (
    <ol className="timeline">
      {entries.map((entry, i) => {
        const text = describeEntry(entry);
        const original = originalPayload(entry);
        return (
          <li key={`${entry.at}-${entry.event}-${i}`} data-event={entry.event}>
            <time dateTime={entry.at}>{formatTime(entry.at)}</time>
            <strong>{entry.event.replace('_', ' ')}</strong>
            {entry.actor && <span className="muted">by {entry.actor}</span>}
            {text && <span className="muted small timeline-detail">{text}</span>}
            {original.found && (
              <details className="original-payload">
                <summary>Payload before this replay</summary>
                <JsonBlock value={original.value} label="original payload" />
              </details>
            )}
          </li>
        );
      })}
    </ol>
  );
}
