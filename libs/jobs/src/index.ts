/*
 * The package's public API: what an application uses. Everything else (runtime, storage, core
 * rules) is internal and may change in any release.
 */

// Module, handlers, producer API
export { JobsModule } from './jobs.module';
export { JOBS_MODULE_OPTIONS, type JobsModuleExtras } from './jobs.module-definition';
export { JobHandler } from './decorators';
export { JobsService, type QueueSettings } from './services/jobs.service';
export { JobsRunner } from './services/jobs-runner';
export { JobSchedulesService, MAX_SCHEDULE_RUNS_PAGE } from './services/job-schedules.service';
export { DEFAULTS, JOB_STATES, LIMITS, TERMINAL_STATES } from './jobs.constants';
export { DEFAULT_RETENTION } from './core/retention';
export type {
  AttemptOutcome,
  BackoffOptions,
  EnqueueCallOptions,
  EnqueuedJob,
  EnqueueItem,
  EnqueueOptions,
  Job,
  JobAttempt,
  JobContext,
  JobHandlerDecorator,
  JobHandlerInstance,
  JobHandlerMetadata,
  JobHandlerOptions,
  JobScheduleDeclaration,
  JobsConnectionOptions,
  JobsModuleOptions,
  JobPayload,
  JobState,
  JobType,
  JobTypes,
  JobTypesDeclared,
  MissedTicksPolicy,
  OverlapPolicy,
  Schedule,
  ScheduleDefinition,
  ScheduleOptions,
  ScheduleRun,
  ScheduleRunOutcome,
  JobWithAttempts,
  QueueOptions,
  RetentionOptions,
  TypedEnqueueItem,
} from './interfaces';

// Errors
export * from './errors';

// Helpers for idempotent handlers
export * from './helpers';

// Operators: admin service, REST API, observability
export { JobsAdminService, DETAIL_PAYLOAD_LIMIT, MAX_BULK_IDS, type NodeSummary } from './services/jobs-admin.service';
export { JobsOperatorsService } from './services/jobs-operators.service';
export type { AuditRow } from './storage/operators.repository';
export {
  QueueStatisticsService,
  type QueueSummary,
  type SeriesPoint,
  type StateCounts,
} from './services/queue-statistics.service';
export type {
  AuditEntry,
  CursorPage,
  DeadLetterGroup,
  DeadLetterGroups,
  JobBulkSelection,
  JobDetail,
  JobListFilter,
  JobListPage,
  JobListQuery,
  JobSummary,
  TimelineEntry,
  TimelineEventKind,
  TruncatedPayload,
  RestAnswer,
  RestReads,
  RestWrites,
  Wire,
} from './interfaces';
export * from './api';
export * from './observability';
export * from './dashboard';

// Schema: migrations for the host's TypeORM, entities for reads
export { createJobsMigrations, JOBS_MIGRATIONS, LATEST_SCHEMA_VERSION } from './storage/migrations';
export { createJobsEntities, JOBS_ENTITIES } from './storage/entities/jobs.entities';
export type { AttemptRow, JobRow } from './storage/job-row';
