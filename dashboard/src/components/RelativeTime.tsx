import { formatRelative, formatTime } from '../format';
import { useNow } from '../hooks/useNow';

/** A time shown relative to now (ticking every second), the exact time on hover. */
export function RelativeTime({ at }: { at: string | null | undefined }) {
  const now = useNow();
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={formatTime(at)}>
      {formatRelative(at, now)}
    </time>
  );
}
