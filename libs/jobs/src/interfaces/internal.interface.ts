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
  /** Case-insensitive substring of the last error. */
  error?: string;
  /** Exact error signature (first line of the last error, trimmed, at most 200 characters). */
  errorGroup?: string;
  /** Waiting to retry: `scheduled` with attempts > 0 (`states` is then `['scheduled']`). */
  retrying?: boolean;
}

/** The column a list is sorted by; every sort ends with the id, so keyset pages are exact. */
export type ListSortKey = 'id' | 'runAt' | 'finishedAt';

/** Where the previous page ended: the last row's sort value (exact text, UTC) and id. */
export interface ListCursor {
  id: string;
  /** The sort column's value (`runAt` / `finishedAt` sorts), as PostgreSQL wrote it. */
  key?: string;
}

export interface ListSort {
  by: ListSortKey;
  order: 'asc' | 'desc';
  /** The previous page's end (absent on the first page). */
  after?: ListCursor;
}

export interface ParsedListQuery extends ParsedListFilter {
  limit: number;
  /** Only jobs with a smaller id (the last id of the previous page); the default sort (id, newest first). */
  before?: string;
  /** Another sort than the default (id, newest first); its cursor is in `sort.after`. */
  sort?: ListSort;
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
