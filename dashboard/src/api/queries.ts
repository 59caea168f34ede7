import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { usePollInterval } from '../live/LiveContext';
import { getJson, toQuery } from './client';
import type {
  Access,
  DeadLetterGroups,
  JobDetail,
  JobPage,
  ListRequest,
  QueueSummary,
  SeriesPoint,
  NodeSummary,
} from './types';

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: ({ signal }) => getJson<{ access: Access }>('/api/me', signal),
    staleTime: 60_000,
  });
}

/** The caller's rights; everything `false` until known, so actions appear only once allowed. */
export function useAccess(): Access {
  const { data } = useMe();
  return (
    data?.access ?? {
      read: true,
      replay: false,
      cancel: false,
      pause: false,
      delete: false,
      enqueue: false,
      schedule: false,
    }
  );
}

export function useQueues() {
  const refetchInterval = usePollInterval(true);
  return useQuery({
    queryKey: ['queues'],
    queryFn: ({ signal }) => getJson<{ items: QueueSummary[] }>('/api/queues', signal),
    refetchInterval,
  });
}

export function useNodes() {
  const refetchInterval = usePollInterval(false);
  return useQuery({
    queryKey: ['nodes'],
    queryFn: ({ signal }) => getJson<{ items: NodeSummary[] }>('/api/nodes', signal),
    refetchInterval,
  });
}

/** Per-minute outcomes, cluster-wide or of one queue. */
export function useSeries(minutes: number, queue?: string) {
  const interval = usePollInterval(false);
  return useQuery({
    queryKey: ['series', minutes, queue ?? null],
    queryFn: ({ signal }) =>
      getJson<{ points: SeriesPoint[] }>(`/api/stats/series${toQuery({ minutes, queue })}`, signal),
    refetchInterval: interval === false ? false : Math.max(interval, 10_000),
    placeholderData: keepPreviousData,
  });
}

/** Pages of `GET /api/jobs` in the request's order, fetched one cursor at a time ("Load more"). */
export function useJobList(filter: ListRequest, limit = 50) {
  const refetchInterval = usePollInterval(true);
  return useInfiniteQuery({
    queryKey: ['jobs', filter, limit],
    queryFn: ({ pageParam, signal }) =>
      getJson<JobPage>(`/api/jobs${toQuery({ ...filter, limit, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval,
    placeholderData: keepPreviousData,
  });
}

/** Failed jobs grouped by queue, type and error signature, counted by the server over all of them. */
export function useDeadLetterGroups(filter: { queue?: string; type?: string }) {
  const refetchInterval = usePollInterval(true);
  return useQuery({
    queryKey: ['dead-letter-groups', filter],
    queryFn: ({ signal }) =>
      getJson<DeadLetterGroups>(`/api/dead-letters/groups${toQuery({ ...filter, limit: 500 })}`, signal),
    refetchInterval,
    placeholderData: keepPreviousData,
  });
}

/** A waiting job whose run time has come (or comes within this margin) is asked for every second. */
const DUE_MARGIN_MS = 5_000;

export function useJob(id: string, full: boolean) {
  // State changes arrive over SSE; a running job's progress and log lines do not, so its page
  // polls at the chosen refresh interval while it runs. A waiting job whose run time has come is
  // asked for every second until it starts, so its page never shows it waiting after it ran.
  const streamedInterval = usePollInterval(true);
  const runningInterval = usePollInterval(false);
  return useQuery({
    queryKey: ['job', id, full],
    queryFn: ({ signal }) => getJson<JobDetail>(`/api/jobs/${encodeURIComponent(id)}${full ? '?full=1' : ''}`, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => {
      const job = query.state.data;
      if (streamedInterval === false || !job) return streamedInterval;
      if (job.state === 'running') return runningInterval;
      if (job.state !== 'pending' && job.state !== 'scheduled') return streamedInterval;
      // Asked again when its run time comes (this function runs after each answer), then every second.
      const untilDue = new Date(job.runAt).getTime() - Date.now();
      if (untilDue < DUE_MARGIN_MS) return 1_000;
      return Math.min(streamedInterval, untilDue - DUE_MARGIN_MS / 2);
    },
  });
}
