import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { JobChange, JobDetail, JobPage } from '../api/types';

/** The `changes` of a `jobs` event, or undefined when it does not parse. */
export function parseChanges(data: string): JobChange[] | undefined {
  try {
    return (JSON.parse(data) as { changes?: JobChange[] }).changes ?? [];
  } catch {
    return undefined;
  }
}

/**
 * Live updates never cancel a fetch under way: by default a refetch cancels it, and a list's refetch
 * then dropped the operator's "Load more" (its next page) whenever jobs changed meanwhile. The
 * queries stay marked stale and are fetched again on the next change or poll.
 */
const KEEP_FETCHES = { cancelRefetch: false } as const;

/**
 * A change feed message: the loaded rows and job pages it names show their new state at once, and
 * are then fetched again for the rest (times, attempts, errors), with the lists and queue counts.
 */
export function applyJobChanges(client: QueryClient, changes: JobChange[]): void {
  if (changes.length === 0) return;
  const states = new Map(changes.map((change) => [change.id, change.state]));
  client.setQueriesData<InfiniteData<JobPage>>({ queryKey: ['jobs'] }, (data) => {
    if (!data) return data;
    let changed = false;
    const pages = data.pages.map((page) => ({
      ...page,
      items: page.items.map((job) => {
        const state = states.get(job.id);
        if (state === undefined || state === job.state) return job;
        changed = true;
        return { ...job, state };
      }),
    }));
    return changed ? { ...data, pages } : data;
  });
  for (const change of changes) {
    client.setQueriesData<JobDetail>({ queryKey: ['job', change.id] }, (job) =>
      job && job.state !== change.state ? { ...job, state: change.state } : job,
    );
    void client.invalidateQueries({ queryKey: ['job', change.id] }, KEEP_FETCHES);
  }
  void client.invalidateQueries({ queryKey: ['jobs'] }, KEEP_FETCHES);
  void client.invalidateQueries({ queryKey: ['queues'] }, KEEP_FETCHES);
  if (changes.some((change) => change.state === 'failed')) {
    void client.invalidateQueries({ queryKey: ['dead-letter-groups'] }, KEEP_FETCHES);
  }
}
