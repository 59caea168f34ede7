import type { Job, JobAttempt, JobState } from './job.interface';

/**
 * Which jobs a list or a bulk action covers. Every field is optional and they combine with AND.
 * Over HTTP they come as query parameters (strings), in bulk bodies as `filter: { … }`.
 */
export interface JobListFilter {
  /** Exact queue name. */
  queue?: string;
  /** One state, a comma list (`failed,canceled`) or an array of states. */
  state?: JobState | JobState[] | string;
  /** Exact job type. */
  type?: string;
  /** A job id (digits), an idempotency key, or `payload.<path>:<value>` (value parsed as JSON when
   * it parses, else a string; `payload.user.id:42` for a nested field). */
  q?: string;
  /** `createdAt >= from` (ISO 8601). */
  from?: string | Date;
  /** `createdAt < to` (ISO 8601). */
  to?: string | Date;
  /** Case-insensitive substring of `lastError`. */
  error?: string;
  /** Exact error signature, as the dead-letter groups answer it (`(none)` for jobs without an error). */
  errorGroup?: string;
  /** Jobs waiting to retry: `scheduled` with `attempts > 0`. */
  retrying?: boolean | 'true' | 'false';
}

/** A page request of the job list: newest first, keyset on id. */
export interface JobListQuery extends JobListFilter {
  /** 1-200, default 50. */
  limit?: number | string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** `id` (default), `runAt` (needs `state=scheduled` or `retrying`), `finishedAt` (finished states). */
  sort?: 'id' | 'runAt' | 'finishedAt';
  /** Default `desc`, `asc` for `runAt`. */
  order?: 'asc' | 'desc';
}

/** One row of the job list: the job without its payload, which is cut to `payloadPreview`. */
export interface JobSummary extends Omit<Job, 'payload' | 'lockedUntil' | 'replays'> {
  /** The payload's JSON text, cut to 200 characters. */
  payloadPreview: string;
  /** `finishedAt - startedAt` of the last run; null unless it started and finished. */
  durationMs: number | null;
}

export interface JobListPage {
  items: JobSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Set when the page is empty and `q` was given: what `q` was read as. */
  hint: string | null;
}

/** Failed jobs of one queue, type and error signature. */
export interface DeadLetterGroup {
  queue: string;
  type: string;
  /** First line of the last error, trimmed, at most 200 characters; "" without an error. */
  error: string;
  count: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  /** The newest job of the group. */
  sampleId: string;
}

export interface DeadLetterGroups {
  items: DeadLetterGroup[];
  /** Failed jobs counted (those read: see `estimated`). */
  total: number;
  /** True when there were more failed jobs than were read: counts cover the newest `scanned`. */
  estimated: boolean;
  scanned: number;
}

/** Stands in for a payload too large to send whole (ask with `full`). */
export interface TruncatedPayload {
  truncated: true;
  /** Bytes of the payload's JSON text. */
  size: number;
  /** The start of the payload's JSON text. */
  preview: string;
}

export type TimelineEventKind =
  | 'enqueued'
  | 'started'
  | 'failed'
  | 'retry_scheduled'
  | 'completed'
  | 'canceled'
  | 'replayed'
  | 'lost'
  | 'run_now'
  | (string & {});

/** One moment of a job's life, oldest first in `JobDetail.timeline`. */
export interface TimelineEntry {
  at: Date;
  event: TimelineEventKind;
  detail?: Record<string, unknown>;
  /** Who did it, for operator actions (`job_events`). */
  actor?: string | null;
}

/** A job with everything the detail view shows. */
export interface JobDetail extends Omit<Job, 'payload'> {
  payload: unknown | TruncatedPayload;
  attemptHistory: JobAttempt[];
  timeline: TimelineEntry[];
  /** The latest `ctx.progress()` of the current run (0-100), or null. */
  progress: number | null;
}

/** What a bulk replay or cancel covers: `ids` (at most 10,000) or a `filter`. */
export interface JobBulkSelection {
  ids?: string[];
  filter?: JobListFilter;
}
