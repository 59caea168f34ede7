import type { Job } from '../interfaces';

/** Why a running attempt is no longer this node's to finish. */
export type SettledReason = 'timeout' | 'released' | 'lost' | 'canceled';

/** One attempt whose handler runs on this node. */
export interface RunningAttempt {
  job: Job;
  /** Made when the handler first reads `ctx.signal` (most fast handlers never do). */
  controller?: AbortController;
  /** Why the attempt was aborted, once it was. */
  abortReason?: Error;
  startedAt: Date;
  /** Set once the node no longer owns the attempt; what its handler returns afterwards is ignored. */
  settled: SettledReason | null;
  timer?: NodeJS.Timeout;
  /** Set once a timed-out handler that ignored its signal was let go of: it holds no slot any more. */
  detached?: boolean;
  /** Fires `detachAfterMs` after the timeout, when detaching is on. */
  detachTimer?: NodeJS.Timeout;
  /** Cancels the wait for a place in a full detach budget. */
  stopWaiting?: () => void;
}

/** Running handlers are keyed per attempt, not per job: a timed-out handler that ignores its
 * signal keeps its slot (unless it is detached) while the job's retry runs beside it on the same node. */
export function attemptKey(job: Job): string {
  return `${job.id}:${job.replays}:${job.attempts}`;
}

/** Where a queue loop sends the outcome of an attempt it still owned when the handler ended. */
export interface OutcomeSink {
  completed(attempt: RunningAttempt): void;
  failed(attempt: RunningAttempt, thrown: unknown, outcome: 'failed' | 'timed_out'): void;
}
