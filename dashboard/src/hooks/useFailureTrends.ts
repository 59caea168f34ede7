import { useQueries } from '@tanstack/react-query';
import { getJson, toQuery } from '../api/client';
import type { QueueSummary, SeriesPoint } from '../api/types';
import { usePollInterval } from '../live/LiveContext';

/** Queues whose failure trend is asked for at most (those failing most). */
const MAX_QUEUES = 8;
/** Minutes compared: the last RECENT against the ones before, up to WINDOW in all. */
const RECENT = 5;
const WINDOW = 30;

/**
 * True when a series' dead letters of the last 5 minutes outnumber, by half again and by 2 at
 * least, what the 25 minutes before averaged per 5 minutes.
 */
export function isRising(points: SeriesPoint[]): boolean {
  if (points.length <= RECENT) return false;
  const recent = points.slice(-RECENT).reduce((sum, p) => sum + p.failed, 0);
  const before = points.slice(0, -RECENT);
  const usual = (before.reduce((sum, p) => sum + p.failed, 0) / before.length) * RECENT;
  return recent >= 2 && recent > usual * 1.5;
}

/** Which of the failing queues fail more now than in the half hour before (`/api/stats/series`). */
export function useFailureTrends(queues: QueueSummary[]): Set<string> {
  const interval = usePollInterval(false);
  const failing = queues
    .filter((q) => q.failedPerMinute > 0)
    .sort((a, b) => b.failedPerMinute - a.failedPerMinute)
    .slice(0, MAX_QUEUES)
    .map((q) => q.name);
  const results = useQueries({
    queries: failing.map((queue) => ({
      queryKey: ['series', WINDOW, queue],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        getJson<{ points: SeriesPoint[] }>(`/api/stats/series${toQuery({ minutes: WINDOW, queue })}`, signal),
      refetchInterval: interval === false ? false : Math.max(interval, 10_000),
    })),
  });
  const rising = new Set<string>();
  results.forEach((result, i) => {
    if (result.data && isRising(result.data.points)) rising.add(failing[i]);
  });
  return rising;
}
