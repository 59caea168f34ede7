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
  /** When the handler started (or, until it does, when the job was claimed). */
  startedAt: Date;
  /** When (monotonic ms) the last claim or renewal that set this attempt's lease was sent. */
  leaseSentAt: number;
  /** Whether its handler was started (a prefetched attempt waits for a slot). */
  started: boolean;
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

/** The attempt as the database fences it: `<id>:<attempt>` (see `attemptKeys` in storage). A job this node
 * claims again while an older attempt of it still runs here has two owned attempts, told apart by this. */
export function ownedKey(owned: { id: string; attempt: number }): string {
  return `${owned.id}:${owned.attempt}`;
}

/** Where a queue loop sends the outcome of an attempt it still owned when the handler ended. */
export interface OutcomeSink {
  completed(attempt: RunningAttempt): void;
  failed(attempt: RunningAttempt, thrown: unknown, outcome: 'failed' | 'timed_out'): void;
  /** The node gave the attempt up, its lease unproven: aborted if `started`, else never started. */
  abandoned(attempt: RunningAttempt): void;
}
