import type { EntityManager } from 'typeorm';
import type { JOB_STATES } from '../jobs.constants';

/**
 * The life of a job:
 * `pending` (ready) / `scheduled` (waiting for its run time or a retry's backoff)
 * -> `running` -> `completed` | `failed` (dead letter) | back to `scheduled` for a retry.
 * `canceled` ends a job that has not finished. `completed`, `failed` and `canceled` are terminal;
 * only an explicit replay moves a `failed` or `canceled` job back to `pending`.
 */
export type JobState = (typeof JOB_STATES)[number];

/** A job as stored. `payload` carries the type given to `enqueue<T>()`. */
export interface Job<T = unknown> {
  id: string;
  queue: string;
  type: string;
  payload: T;
  state: JobState;
  priority: number;
  /** Number of times the job has been started (a crash mid-run counts, a hand-back at shutdown does not). */
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The node running the job, while it is `running`. */
  lockedBy: string | null;
  /** Lease end: past it, another node may take the job back. */
  lockedUntil: Date | null;
  lastError: string | null;
  /** How many times the job was replayed after failing or being canceled. */
  replays: number;
  /** The key given at enqueue, if any (kept after it stopped blocking duplicates). */
  idempotencyKey: string | null;
}

/** What `enqueue` returns: the job, and whether this call created it (`false`: an existing job
 * with the same idempotency key was returned instead). */
export type EnqueuedJob<T = unknown> = Job<T> & { created: boolean };

/** How an attempt ended. Successful attempts are not stored as rows: the job row tells them. */
export type AttemptOutcome = 'failed' | 'timed_out' | 'lost' | 'canceled';

/** One failed (or lost) attempt, kept as history. */
export interface JobAttempt {
  attempt: number;
  /** 0 for the first life of the job, incremented by every replay. */
  replay: number;
  outcome: AttemptOutcome;
  /** The node that ran the attempt. */
  nodeId: string | null;
  startedAt: Date | null;
  finishedAt: Date;
  error: string;
  stack: string | null;
}

export interface JobWithAttempts<T = unknown> extends Job<T> {
  attemptHistory: JobAttempt[];
}

/** What a handler receives besides the job. */
export interface JobContext {
  /** Aborted when the job times out, is canceled, or the node hands it back at shutdown. */
  signal: AbortSignal;
  /** The current attempt number, starting at 1. */
  attempt: number;
  /** The node running this attempt (`host:pid:random`). */
  nodeId: string;
  /** Adds a line to the job's timeline (shown in the dashboard). Resolves to false when it was not
   * written (the attempt is no longer this node's, or the database is away); never throws. */
  log(message: string): Promise<boolean>;
  /** Reports progress, 0-100, shown on the job's page; coalesced, so calling it often is cheap. */
  progress(percent: number): Promise<boolean>;
}

/** Options of one enqueue. */
export interface EnqueueOptions {
  /** Queue to put the job on; defaults to the handler's queue, else `default`. */
  queue?: string;
  /** Do not run before this time. Exclusive with `delayMs`. */
  runAt?: Date;
  /** Do not run before this many milliseconds from now. Exclusive with `runAt`. */
  delayMs?: number;
  /** Starts allowed before the job is dead-lettered; defaults to the handler's, else 5. */
  maxAttempts?: number;
  /** Higher runs first; -32768..32767, default 0. */
  priority?: number;
  /** 1-255 characters. While a job of the same type with this key exists unfinished, or finished
   * less than `idempotencyWindowMs` ago, enqueue returns that job (`created: false`) instead. */
  idempotencyKey?: string;
}

/** How one `enqueue` or `enqueueMany` call writes; applies to the whole call. */
export interface EnqueueCallOptions {
  /** Insert through this TypeORM EntityManager (from `dataSource.transaction(async (manager) => …)`):
   * the jobs are part of the caller's transaction, rolled back with it, and seen by workers only
   * after it commits. Must be a PostgreSQL connection to the module's database. */
  manager?: EntityManager;
  /** When the queue is full, wait for room instead of throwing `QueueFullError`. */
  wait?: boolean;
  /** Gives up waiting for room (rejects with the signal's reason); does not stop a write under way. */
  signal?: AbortSignal;
}

export interface EnqueueItem<T = unknown> extends EnqueueOptions {
  type: string;
  payload: T;
}
