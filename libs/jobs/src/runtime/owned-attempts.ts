import type { Job, OwnedAttempt } from '../interfaces';
import type { LeaseClock } from './lease-clock';
import { ownedKey, type RunningAttempt } from './running-attempt';

/**
 * The attempts a queue loop still owns, started or prefetched, by `ownedKey`: an older attempt of a
 * job this node claimed again (after its session dropped, say) is told apart from the current one, so
 * a lost lease aborts the attempt that lost it, never the other.
 */
export class OwnedAttempts {
  private readonly byKey = new Map<string, RunningAttempt>();

  /** A claimed attempt; `leaseSentAt`: when the claim that set its lease was sent. */
  add(job: Job, leaseSentAt: number): RunningAttempt {
    const startedAt = job.startedAt ?? new Date();
    const attempt: RunningAttempt = { job, startedAt, leaseSentAt, started: false, settled: null };
    this.byKey.set(ownedKey({ id: job.id, attempt: job.attempts }), attempt);
    return attempt;
  }

  get(key: string): RunningAttempt | undefined {
    return this.byKey.get(key);
  }

  remove(attempt: RunningAttempt): void {
    const key = ownedKey({ id: attempt.job.id, attempt: attempt.job.attempts });
    if (this.byKey.get(key) === attempt) this.byKey.delete(key);
  }

  /** The owned attempts of job `id` (one, or two while an older one runs on). */
  ofJob(id: string): RunningAttempt[] {
    return [...this.byKey.values()].filter((a) => a.job.id === id);
  }

  /** Those whose lease the node can no longer prove at `now` (every 50 ms: no copy of the map). */
  expired(clock: LeaseClock, now: number): RunningAttempt[] {
    const found: RunningAttempt[] = [];
    for (const attempt of this.byKey.values()) if (!clock.holds(attempt, now)) found.push(attempt);
    return found;
  }

  all(): RunningAttempt[] {
    return [...this.byKey.values()];
  }

  list(): OwnedAttempt[] {
    return [...this.byKey.values()].map((r) => ({ id: r.job.id, attempt: r.job.attempts }));
  }
}
