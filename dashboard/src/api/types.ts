// Shapes of the admin REST API: the library's own types in their JSON form (dates as ISO strings),
// imported type-only from its source, so the dashboard cannot drift from what the server sends.
import type * as Lib from '@jobs/interfaces';

export { JOB_STATES } from '@jobs/constants';
export type { JobState, StateCounts, JobChange } from '@jobs/interfaces';

export type JobSummary = Lib.Wire<Lib.JobSummary>;
export type JobPage = Lib.RestAnswer<'GET /jobs'>;
export type Attempt = Lib.Wire<Lib.JobAttempt>;
export type TimelineEntry = Lib.Wire<Lib.TimelineEntry>;
export type TruncatedPayload = Lib.TruncatedPayload;
export type JobDetail = Lib.RestAnswer<'GET /jobs/:id'>;
/** What a write answers (one job's writes: the job as stored, not its detail). */
export type WriteAnswer<R extends keyof Lib.RestWrites> = Lib.RestAnswer<R>;
export type QueueSummary = Lib.Wire<Lib.QueueSummary>;
export type DeadLetterGroup = Lib.Wire<Lib.DeadLetterGroup>;
export type DeadLetterGroups = Lib.RestAnswer<'GET /dead-letters/groups'>;
export type AuditEntry = Lib.Wire<Lib.AuditEntry>;
export type NodeSummary = Lib.Wire<Lib.NodeSummary>;
export type SeriesPoint = Lib.Wire<Lib.SeriesPoint>;
export type Access = Lib.RestAnswer<'GET /me'>['access'];
export type CursorPage<T> = Lib.CursorPage<T>;

/** Filters of `GET /api/jobs`, also the body's `filter` of the bulk actions. */
export interface ListFilter {
  queue?: string;
  state?: string;
  type?: string;
  q?: string;
  from?: string;
  to?: string;
  error?: string;
  errorGroup?: string;
  retrying?: string;
}

export type SortKey = 'id' | 'runAt' | 'finishedAt';

/** A list request: its filter, and the order (not part of bulk filters). */
export interface ListRequest extends ListFilter {
  sort?: SortKey;
  order?: 'asc' | 'desc';
}
