import { useMutation, useQueryClient } from '@tanstack/react-query';
import { postJson } from './client';
import type { JobDetail, ListFilter, QueueSummary } from './types';

/** After any write: what the write may have changed is fetched again. */
function useRefreshAfterWrite() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: ['jobs'] });
    void client.invalidateQueries({ queryKey: ['job'] });
    void client.invalidateQueries({ queryKey: ['queues'] });
  };
}

export function useCancelJob() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (id: string) => postJson<JobDetail>(`/api/jobs/${encodeURIComponent(id)}/cancel`),
    onSettled,
  });
}

/** Replays one job; `payload` (when given) replaces the job's payload. */
export function useReplayJob() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: ({ id, payload }: { id: string; payload?: unknown }) =>
      postJson<JobDetail>(`/api/jobs/${encodeURIComponent(id)}/replay`, payload === undefined ? {} : { payload }),
    onSettled,
  });
}

/** Bulk replay or cancel, on ids or on everything matching a filter (done by the API in batches). */
export function useBulkAction(action: 'replay' | 'cancel') {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (target: { ids: string[] } | { filter: ListFilter }) =>
      postJson<{ affected: number }>(`/api/jobs/${action}`, target),
    onSettled,
  });
}

export function usePauseQueue() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: ({ name, pause }: { name: string; pause: boolean }) =>
      postJson<QueueSummary>(`/api/queues/${encodeURIComponent(name)}/${pause ? 'pause' : 'resume'}`),
    onSettled,
  });
}
