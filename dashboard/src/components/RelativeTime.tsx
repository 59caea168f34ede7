import { formatRelative, formatTime } from '../format';

/** A time shown relative to now, the exact time on hover. */
export function RelativeTime({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={formatTime(at)}>
      {formatRelative(at)}
    </time>
  );
}
