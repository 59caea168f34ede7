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
 * Asks the change feed to follow these jobs (`/api/changes?watch=`): a page that loaded them hears
 * of their changes even when they were loaded before the stream opened.
 */
export function useWatchJobs(ids: readonly string[]): void {
  const { registry } = useLive();
  const key = useMemo(() => [...ids].sort().join(','), [ids]);
  useEffect(() => {
    if (key === '') return;
    const handle = registry.add(key.split(','));
    return () => registry.remove(handle);
  }, [registry, key]);
}
