import type { ScheduleFiring } from '../storage/schedule-fire';

/** The cap of a queue's pending + scheduled jobs (`maxPendingJobs`); null: unlimited. */
export type PendingLimit = (queue: string) => number | null;
/** Counts a queue's pending + scheduled jobs, stopping at `atMost`. */
export type WaitingCounter = (queue: string, atMost: number) => Promise<number>;

/**
 * Holds the ticks of a firing to their queue's `maxPendingJobs`, like an enqueue: a tick whose
 * queue is full enqueues nothing and is recorded as `skipped`, and a waiting tick (`overlap:
 * 'queue'`) stays waiting. Each limited queue is counted once per firing transaction, and the
 * firing's own jobs are counted against the room left. Returns, per schedule, the ticks skipped.
 */
export async function holdToCapacity(
  firings: ScheduleFiring[],
  queueOf: (schedule: string) => string,
  limitOf: PendingLimit,
  countWaiting: WaitingCounter,
): Promise<Map<string, { queue: string; limit: number; skipped: number }>> {
  const room = new Map<string, number>();
  const skipped = new Map<string, { queue: string; limit: number; skipped: number }>();
  for (const firing of firings) {
    const queue = queueOf(firing.name);
    const limit = limitOf(queue);
    if (limit === null || (!firing.release && firing.runs.every((r) => r.job === null))) continue;
    if (!room.has(queue)) room.set(queue, Math.max(0, limit - (await countWaiting(queue, limit))));
    const take = (): boolean => {
      const left = room.get(queue)!;
      if (left > 0) room.set(queue, left - 1);
      return left > 0;
    };
    let refused = 0;
    if (firing.release && !take()) {
      // It keeps waiting, unless a newer tick of this firing took the one waiting place.
      firing.queuedOccurrence ??= firing.release.occurrence;
      firing.release = null;
      refused++;
    }
    for (const run of firing.runs) {
      if (run.job === null || take()) continue;
      run.job = null;
      run.outcome = 'skipped';
      refused++;
    }
    if (refused > 0) skipped.set(firing.name, { queue, limit, skipped: refused });
  }
  return skipped;
}
