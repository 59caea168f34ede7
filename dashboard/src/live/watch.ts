import { useEffect, useMemo } from 'react';
import { useLive } from './LiveContext';

/** Ids the change feed follows at most (the API's limit for `?watch=`). */
export const MAX_WATCHED = 1_000;

/** Sets of ids registered by the mounted views, merged into the stream's `?watch=` list. */
export class WatchRegistry {
  private readonly sets = new Map<number, readonly string[]>();
  private next = 0;
  private readonly listeners = new Set<() => void>();

  add(ids: readonly string[]): number {
    const key = (this.next += 1);
    this.sets.set(key, ids);
    this.emit();
    return key;
  }

  remove(key: number): void {
    this.sets.delete(key);
    this.emit();
  }

  /** The union of every registered set, capped. */
  ids(): string[] {
    const all = new Set<string>();
    for (const ids of this.sets.values()) for (const id of ids) all.add(id);
    return [...all].slice(0, MAX_WATCHED);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * Asks the change feed to follow these unfinished jobs (`/api/changes?watch=`): a page that loaded
 * them hears of their changes even when they were created before the stream opened. Jobs created
 * after it opened are followed by the stream already, so they do not make it reopen.
 */
export function useWatchJobs(jobs: ReadonlyArray<{ id: string; createdAt: string }>): void {
  const { registry, openedAt } = useLive();
  const key = useMemo(
    () =>
      jobs
        .filter((job) => openedAt === null || Date.parse(job.createdAt) < openedAt)
        .map((job) => job.id)
        .sort()
        .join(','),
    [jobs, openedAt],
  );
  useEffect(() => {
    if (key === '') return;
    const handle = registry.add(key.split(','));
    return () => registry.remove(handle);
  }, [registry, key]);
}
