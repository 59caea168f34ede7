import type { TimelineEntry } from '../api/types';
import { formatTime } from '../format';

type Detail = Record<string, unknown>;

function str(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A detail the entry-specific sentences do not cover, as "key: value" pairs. */
function pairs(detail: Detail, skip: string[]): string {
  return Object.entries(detail)
    .filter(([key, value]) => !skip.includes(key) && value !== undefined)
    .map(([key, value]) => `${key}: ${str(value)}`)
    .join(', ');
}

const ORIGINAL_KEYS = ['originalPayload', 'previousPayload', 'payloadBefore'];

/** The payload a replay replaced, when the timeline entry carries it. */
export function originalPayload(entry: TimelineEntry): { found: boolean; value: unknown } {
  const detail = entry.detail;
  if (typeof detail !== 'object' || detail === null) return { found: false, value: undefined };
  for (const key of ORIGINAL_KEYS) if (key in detail) return { found: true, value: (detail as Detail)[key] };
  return { found: false, value: undefined };
}

/** One sentence saying what the entry's detail means (no raw JSON). */
export function describeEntry(entry: TimelineEntry): string {
  const raw = entry.detail;
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'object') return str(raw);
  const d = raw as Detail;
  const attempt = d.attempt !== undefined ? `attempt ${str(d.attempt)}` : '';
  const parts: string[] = [];
  switch (entry.event) {
    case 'enqueued':
      if (d.queue !== undefined) parts.push(`on queue ${str(d.queue)}`);
      if (typeof d.runAt === 'string') parts.push(`to run at ${formatTime(d.runAt)}`);
      return [parts.join(', '), pairs(d, ['queue', 'runAt'])].filter(Boolean).join('; ');
    case 'started':
      return [attempt, d.replay ? `of replay ${str(d.replay)}` : '', d.nodeId ? `on ${str(d.nodeId)}` : '']
        .filter(Boolean)
        .join(' ');
    case 'failed': {
      const how = d.outcome === 'timed_out' ? 'timed out' : 'failed';
      return `${attempt} ${how}${d.error ? `: ${str(d.error)}` : ''}`.trim();
    }
    case 'retry_scheduled':
      return `${attempt} failed; retry ${typeof d.runAt === 'string' ? `at ${formatTime(d.runAt)}` : 'scheduled'}`;
    case 'canceled':
      return [d.from ? `was ${str(d.from)}` : '', d.bulk ? 'in a bulk cancel' : ''].filter(Boolean).join(', ');
    case 'replayed': {
      const edited = d.payloadEdited ? 'with an edited payload' : 'with the same payload';
      const before = typeof d.previousRunAt === 'string' ? `was due at ${formatTime(d.previousRunAt)}` : '';
      const rest = pairs(d, ['payloadEdited', 'bulk', 'previousRunAt', ...ORIGINAL_KEYS]);
      return [edited, d.bulk ? 'in a bulk replay' : '', before, rest].filter(Boolean).join(', ');
    }
    case 'run_now':
      return typeof d.previousRunAt === 'string' ? `was due at ${formatTime(d.previousRunAt)}` : 'moved to now';
    case 'log':
      return str(d.message);
    default:
      return pairs(d, []);
  }
}
