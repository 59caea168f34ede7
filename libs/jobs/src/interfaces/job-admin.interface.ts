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
}

/** A page request of the job list: newest first, keyset on id. */
export interface JobListQuery extends JobListFilter {
  /** 1-200, default 50. */
  limit?: number | string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One row of the job list: the job without its payload, which is cut to `payloadPreview`. */
export interface JobSummary extends Omit<Job, 'payload' | 'lockedUntil' | 'replays'> {
  /** The payload's JSON text, cut to 200 characters. */
  payloadPreview: string;
}

export interface JobListPage {
  items: JobSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
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
