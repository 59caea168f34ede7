// The admin API's answers described once more, at run time, for test/rest-contract.test.ts. Each
// description is typed `Shape<RestAnswer<route>>`, and shapes are invariant: `tsc -b test` fails
// unless it is exactly the library's declared type, so it cannot drift from what the dashboard
// compiles against; the test then checks live answers against it.
import { JOB_STATES, type RestAnswer, type RestReads, type RestWrites } from 'nest-pg-jobs';
import {
  array,
  boolean,
  isoDate,
  literal,
  nullable,
  number,
  object,
  optional,
  record,
  string,
  unknown,
  type Shape,
} from './shape';

const state = literal(...JOB_STATES);
const counts = object({
  pending: number,
  scheduled: number,
  running: number,
  completed: number,
  failed: number,
  canceled: number,
});
const page = <T>(item: Shape<T>) => object({ items: array(item), nextCursor: nullable(string) });

const jobFields = {
  id: string,
  queue: string,
  type: string,
  state,
  priority: number,
  attempts: number,
  maxAttempts: number,
  runAt: isoDate,
  createdAt: isoDate,
  updatedAt: isoDate,
  startedAt: nullable(isoDate),
  finishedAt: nullable(isoDate),
  lockedBy: nullable(string),
  lastError: nullable(string),
  idempotencyKey: nullable(string),
};

const job = object({ ...jobFields, payload: unknown, lockedUntil: nullable(isoDate), replays: number });
const affected = object({ affected: number });

const jobSummary = object({ ...jobFields, payloadPreview: string, durationMs: nullable(number) });

const attempt = object({
  attempt: number,
  replay: number,
  outcome: literal('failed', 'timed_out', 'lost', 'canceled'),
  nodeId: nullable(string),
  startedAt: nullable(isoDate),
  finishedAt: isoDate,
  error: string,
  stack: nullable(string),
});

const timelineEntry = object({
  at: isoDate,
  event: string,
  detail: optional(record(unknown)),
  actor: optional(nullable(string)),
});

const jobDetail = object({
  ...jobFields,
  payload: unknown,
  lockedUntil: nullable(isoDate),
  replays: number,
  attemptHistory: array(attempt),
  timeline: array(timelineEntry),
  progress: nullable(number),
});

const queueSummary = object({
  name: string,
  paused: boolean,
  pausedAt: nullable(isoDate),
  pausedBy: nullable(string),
  concurrency: number,
  nodes: number,
  concurrencyPerNode: record(number),
  concurrencySetting: nullable(number),
  noWorkers: boolean,
  completedLast5Minutes: number,
  failedLast5Minutes: number,
  counts,
  countsAt: isoDate,
  countsEstimated: boolean,
  estimatedStates: array(state),
  completedPerMinute: number,
  failedPerMinute: number,
  failureRate: number,
  oldestPendingAgeMs: nullable(number),
});

const nodeSummary = object({
  id: string,
  hostname: string,
  pid: number,
  startedAt: isoDate,
  lastSeen: isoDate,
  queues: record(number),
  running: number,
  stopping: boolean,
  jobs: array(object({ id: string, type: string, queue: string, startedAt: nullable(isoDate) })),
});

const deadLetterGroup = object({
  queue: string,
  type: string,
  error: string,
  count: number,
  firstFailedAt: isoDate,
  lastFailedAt: isoDate,
  sampleId: string,
});

const auditEntry = object({
  id: string,
  at: isoDate,
  actor: nullable(string),
  action: string,
  target: nullable(string),
  detail: nullable(record(unknown)),
});

const schedule = object({
  name: string,
  type: string,
  cron: nullable(string),
  timeZone: string,
  intervalMs: nullable(number),
  payload: unknown,
  queue: string,
  priority: number,
  maxAttempts: number,
  missed: literal('skip', 'once', 'all'),
  maxCatchUp: number,
  overlap: literal('allow', 'skip', 'queue', 'replace'),
  jitterMs: number,
  source: literal('code', 'api'),
  removedFromCode: boolean,
  paused: boolean,
  pausedAt: nullable(isoDate),
  pausedBy: nullable(string),
  nextRunAt: isoDate,
  lastRunAt: nullable(isoDate),
  lastOutcome: nullable(literal('enqueued', 'catch_up', 'manual', 'skipped', 'queued')),
  lastJobId: nullable(string),
  lastJobState: nullable(state),
  missedTicks: number,
  lastMissedAt: nullable(isoDate),
  recentFailures: number,
  createdAt: isoDate,
  updatedAt: isoDate,
  updatedBy: nullable(string),
});

const scheduleRun = object({
  occurrence: isoDate,
  outcome: literal('enqueued', 'catch_up', 'manual', 'skipped', 'queued'),
  firedAt: isoDate,
  jobId: nullable(string),
  jobState: nullable(state),
  jobFinishedAt: nullable(isoDate),
  jobError: nullable(string),
});

/** Each `GET` the dashboard reads, as the library declares its answer. */
export const REST_ANSWERS: { [R in keyof RestReads]: Shape<RestAnswer<R>> } = {
  'GET /me': object({
    access: object({
      read: boolean,
      enqueue: boolean,
      replay: boolean,
      cancel: boolean,
      pause: boolean,
      delete: boolean,
      schedule: boolean,
    }),
  }),
  'GET /queues': object({ items: array(queueSummary) }),
  'GET /nodes': object({ items: array(nodeSummary) }),
  'GET /stats/series': object({
    points: array(object({ at: isoDate, completed: number, failed: number, retried: number })),
  }),
  'GET /jobs': object({ items: array(jobSummary), nextCursor: nullable(string), hint: nullable(string) }),
  'GET /jobs/:id': jobDetail,
  'GET /dead-letters/groups': object({
    items: array(deadLetterGroup),
    total: number,
    estimated: boolean,
    scanned: number,
  }),
  'GET /audit': page(auditEntry),
  'GET /schedules': page(schedule),
  'GET /schedules/:name': schedule,
  'GET /schedules/:name/runs': page(scheduleRun),
};

/** Each write the dashboard sends, as the library declares its answer. */
export const REST_WRITE_ANSWERS: { [R in keyof RestWrites]: Shape<RestAnswer<R>> } = {
  'POST /jobs/:id/cancel': job,
  'POST /jobs/:id/replay': job,
  'POST /jobs/:id/run-now': job,
  'DELETE /jobs/:id': object({ id: string, deleted: literal(true) }),
  'POST /jobs/replay': affected,
  'POST /jobs/cancel': affected,
  'POST /jobs/delete': affected,
  'POST /jobs/clean': object({ deleted: number }),
  'PATCH /queues/:name': queueSummary,
  'POST /queues/:name/pause': queueSummary,
  'POST /queues/:name/resume': queueSummary,
  'PATCH /schedules/:name': schedule,
  'POST /schedules/:name/pause': schedule,
  'POST /schedules/:name/resume': schedule,
  'POST /schedules/:name/run': job,
};
