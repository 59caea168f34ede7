import type { Job } from '../interfaces';

/** How an attempt that did not succeed ended, for metrics. */
export interface AttemptFailure {
  /** The job is dead-lettered (no attempts left, or `PermanentJobError`). */
  dead: boolean;
  /** The handler threw something that is not an `Error`. */
  crashed: boolean;
  outcome: 'failed' | 'timed_out';
}

/**
 * What the runtime reports as jobs run, for this node's metrics. Every call is in memory and O(1):
 * the runtime makes them on the hot path. `JobsMetrics` implements it.
 */
export interface RuntimeObserver {
  attemptStarted(job: Job, startedAt: Date): void;
  attemptSucceeded(job: Job, startedAt: Date): void;
  attemptFailed(job: Job, startedAt: Date, failure: AttemptFailure): void;
  /** A timed-out handler that ignored its signal was let go of its slot. */
  handlerDetached(job: Job): void;
  /** Attempts of other nodes this node took back (dead node or expired lease), by queue. */
  attemptsTakenBack(byQueue: Record<string, number>): void;
  /** Ticks of schedules this node fired on time, with each one's lag (tick to insert, ms). */
  scheduleTicksFired?(lagsMs: number[]): void;
}
