import { useMutation, useQueryClient } from '@tanstack/react-query';
import { postJson, sendJson } from './client';
import type { ListFilter, WriteAnswer } from './types';

/** After any write: what the write may have changed is fetched again. */
function useRefreshAfterWrite() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: ['jobs'] });
    void client.invalidateQueries({ queryKey: ['job'] });
    void client.invalidateQueries({ queryKey: ['queues'] });
    void client.invalidateQueries({ queryKey: ['dead-letter-groups'] });
    void client.invalidateQueries({ queryKey: ['audit'] });
  };
}

export function useCancelJob() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (id: string) =>
      postJson<WriteAnswer<'POST /jobs/:id/cancel'>>(`/api/jobs/${encodeURIComponent(id)}/cancel`),
    onSettled,
  });
}

/** Replays one job; `payload` (when given) replaces the job's payload. */
export function useReplayJob() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: ({ id, payload }: { id: string; payload?: unknown }) =>
      postJson<WriteAnswer<'POST /jobs/:id/replay'>>(
        `/api/jobs/${encodeURIComponent(id)}/replay`,
        payload === undefined ? {} : { payload },
      ),
    onSettled,
  });
}

/** Moves a scheduled job (a retry waiting out its backoff, a delayed job) to run now. */
export function useRunNow() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (id: string) =>
      postJson<WriteAnswer<'POST /jobs/:id/run-now'>>(`/api/jobs/${encodeURIComponent(id)}/run-now`),
    onSettled,
  });
}

/** Deletes one finished job with its history. */
export function useDeleteJob() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (id: string) =>
      sendJson<WriteAnswer<'DELETE /jobs/:id'>>('DELETE', `/api/jobs/${encodeURIComponent(id)}`),
    onSettled,
  });
}

export interface CleanRequest {
  queue?: string;
  state: 'completed' | 'failed' | 'canceled';
  olderThanMs: number;
}

/** Deletes finished jobs of one state older than an age (the API works in bounded batches). */
export function useCleanJobs() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (request: CleanRequest) => postJson<WriteAnswer<'POST /jobs/clean'>>('/api/jobs/clean', request),
    onSettled,
  });
}

/** Sets a queue's concurrency per node (`null`: back to each node's configured value). */
export function useSetConcurrency() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: ({ name, concurrency }: { name: string; concurrency: number | null }) =>
      sendJson<WriteAnswer<'PATCH /queues/:name'>>('PATCH', `/api/queues/${encodeURIComponent(name)}`, { concurrency }),
    onSettled,
  });
}

/** Bulk replay, cancel or delete, on ids or on everything matching a filter (done by the API in batches). */
export function useBulkAction(action: 'replay' | 'cancel' | 'delete') {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: (target: { ids: string[] } | { filter: ListFilter }) =>
      postJson<WriteAnswer<`POST /jobs/${typeof action}`>>(`/api/jobs/${action}`, target),
    onSettled,
  });
}

export function usePauseQueue() {
  const onSettled = useRefreshAfterWrite();
  return useMutation({
    mutationFn: ({ name, pause }: { name: string; pause: boolean }) =>
      postJson<WriteAnswer<'POST /queues/:name/pause'>>(
        `/api/queues/${encodeURIComponent(name)}/${pause ? 'pause' : 'resume'}`,
      ),
    onSettled,
  });
}
