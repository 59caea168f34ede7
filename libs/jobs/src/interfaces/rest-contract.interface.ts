// The admin REST API's answers as they travel: JSON, so every `Date` of a library type is an ISO
// string. The dashboard imports these (type-only, plus `jobs.constants` for the states): one
// contract, written once; test/rest-contract.test.ts checks live answers against it.
import type { AuditEntry, NodeSummary, QueueSummary, SeriesPoint } from './admin-views.interface';
import type { Job } from './job.interface';
import type { DeadLetterGroups, JobDetail, JobListPage } from './job-admin.interface';
import type { Schedule, ScheduleRun } from './schedule.interface';

// The dashboard's one entry into the library: everything it reads the API with.
export type * from './admin-views.interface';
export type { JobAttempt, JobState } from './job.interface';
export type {
  DeadLetterGroup,
  DeadLetterGroups,
  JobDetail,
  JobSummary,
  TimelineEntry,
  TruncatedPayload,
} from './job-admin.interface';
export type { MissedTicksPolicy, OverlapPolicy, Schedule, ScheduleRun, ScheduleRunOutcome } from './schedule.interface';

/** `T` after `JSON.stringify` and `JSON.parse`: dates become strings, the rest keeps its shape. */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Date
    ? string
    : T extends readonly (infer E)[]
      ? Wire<E>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** A page of a list read newest first; `nextCursor` is null on the last page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** What each `GET` the dashboard reads answers, by route. */
export interface RestReads {
  'GET /me': { access: Record<'read' | 'enqueue' | 'replay' | 'cancel' | 'pause' | 'delete' | 'schedule', boolean> };
  'GET /queues': { items: QueueSummary[] };
  'GET /nodes': { items: NodeSummary[] };
  'GET /stats/series': { points: SeriesPoint[] };
  'GET /jobs': JobListPage;
  'GET /jobs/:id': JobDetail;
  'GET /dead-letters/groups': DeadLetterGroups;
  'GET /audit': CursorPage<AuditEntry>;
  'GET /schedules': CursorPage<Schedule>;
  'GET /schedules/:name': Schedule;
  'GET /schedules/:name/runs': CursorPage<ScheduleRun>;
}

/** What each write the dashboard sends answers, by route (one job's writes answer the job as stored). */
export interface RestWrites {
  'POST /jobs/:id/cancel': Job;
  'POST /jobs/:id/replay': Job;
  'POST /jobs/:id/run-now': Job;
  // eslint-disable-next-line no-restricted-syntax -- an HTTP route, not SQL
  'DELETE /jobs/:id': { id: string; deleted: true };
  'POST /jobs/replay': { affected: number };
  'POST /jobs/cancel': { affected: number };
  'POST /jobs/delete': { affected: number };
  'POST /jobs/clean': { deleted: number };
  'PATCH /queues/:name': QueueSummary;
  'POST /queues/:name/pause': QueueSummary;
  'POST /queues/:name/resume': QueueSummary;
  'PATCH /schedules/:name': Schedule;
  'POST /schedules/:name/pause': Schedule;
  'POST /schedules/:name/resume': Schedule;
  'POST /schedules/:name/run': Job;
}

/** The JSON body a route answers (`GET` or write). */
export type RestAnswer<R extends keyof RestReads | keyof RestWrites> = Wire<
  R extends keyof RestReads ? RestReads[R] : R extends keyof RestWrites ? RestWrites[R] : never
>;
