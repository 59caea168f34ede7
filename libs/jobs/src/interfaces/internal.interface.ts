import type { AttemptOutcome, JobState } from './job.interface';

/*
 * Types shared by the layers below the Nest face (core rules, runtime, storage). Not part of the
 * package's public API: the root index does not export them.
 */

/** A job ready to insert, already validated. */
export interface NewJobRow {
  queue: string;
  type: string;
  /** The payload as given (returned with the job), and its JSON text (stored). */
  payload: unknown;
  payloadJson: string;
  priority: number;
  maxAttempts: number;
  runAt: Date | null;
  delayMs: number | null;
  idempotencyKey: string | null;
}

/** One attempt a node owns: the job and its attempt number (the fence of every write). */
export interface OwnedAttempt {
  id: string;
  attempt: number;
}

/** An attempt that ended in failure, to be written. `delayMs` null: dead-letter the job. */
export interface FailedAttempt extends OwnedAttempt {
  delayMs: number | null;
  outcome: AttemptOutcome;
  error: string;
  stack: string | null;
  startedAt: Date;
}

/** A row of a job's audit trail (`job_events`): an operator action or a handler's report. */
export interface JobEventRecord {
  at: Date;
  kind: string;
  actor: string | null;
  detail: Record<string, unknown> | null;
}

/** How `q` searches: by id, by idempotency key, or by containment of a payload field. */
export type JobSearch =
  | { kind: 'id'; id: string }
  | { kind: 'key'; key: string }
  | { kind: 'payload'; path: string[]; value: unknown; containsJson: string };

/** A validated list filter: what the statements turn into clauses. */
export interface ParsedListFilter {
  queue?: string;
  states?: JobState[];
  type?: string;
  search?: JobSearch;
  from?: Date;
  to?: Date;
}

export interface ParsedListQuery extends ParsedListFilter {
  limit: number;
  /** Only jobs with a smaller id (the last id of the previous page). */
  before?: string;
}

/** A schedule ready to store, already validated (`core/schedule-input.ts`). */
export interface NewScheduleRow {
  name: string;
  type: string;
  cron: string | null;
  timeZone: string;
  intervalMs: number | null;
  payloadJson: string;
  queue: string;
  priority: number;
  maxAttempts: number;
  missed: string;
  maxCatchUp: number;
  overlap: string;
  jitterMs: number;
  /** The first tick after now, for a new schedule or a changed cadence. */
  nextRunAt: Date;
}
