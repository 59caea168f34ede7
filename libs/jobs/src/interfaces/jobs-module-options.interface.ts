import type { DataSourceOptions } from 'typeorm';
import type { BackoffOptions } from './job-handler.interface';

/**
 * How long finished jobs are kept, by state, in milliseconds; `null` keeps them forever. Older ones
 * are deleted (with their history) in small batches by the nodes' maintenance. A job whose
 * idempotency key still blocks duplicates is kept until the key is released.
 */
export interface RetentionOptions {
  /** Default 1 day. */
  completedMs?: number | null;
  /** Dead letters; default 30 days. */
  failedMs?: number | null;
  /** Default 7 days. */
  canceledMs?: number | null;
}

/** Per-queue settings. */
export interface QueueOptions {
  /** How long this queue's finished jobs are kept (each state falls back to the module's). */
  retention?: RetentionOptions;
  /** Handlers of this queue running at once on this node. */
  concurrency?: number;
  /** Cap of this queue's pending + scheduled jobs (overrides the module's `maxPendingJobs`). */
  maxPendingJobs?: number;
}

/** TypeORM's PostgreSQL DataSource options, taken from its public entry (TypeORM 0.3 calls them
 * `PostgresConnectionOptions`, 1.x `PostgresDataSourceOptions`, in files that differ). */
type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/** Connection the module opens and owns when it should not use the host's DataSource. */
export type JobsConnectionOptions = Omit<PostgresOptions, 'type' | 'entities' | 'migrations'>;

export interface JobsModuleOptions {
  /** Open an own connection with these options instead of using the host's DataSource; the module
   * then destroys it at shutdown. */
  connection?: JobsConnectionOptions;
  /** PostgreSQL schema of the module's tables (default `jobs`). */
  schema?: string;
  /** Run pending migrations at start-up, under an advisory lock (default `false`: a missing or old
   * schema is a start-up error that says what to run). */
  migrationsRun?: boolean;
  /** Run workers on this node (default `true`). A producer-only node sets `false`. */
  workers?: boolean;
  /** Default handlers running at once per queue (default 10). */
  concurrency?: number;
  queues?: Record<string, QueueOptions>;
  /** Polling fallback when no notification arrives (default 1000 ms). */
  pollIntervalMs?: number;
  /** Lease of a running job, renewed while it runs (default 30 s). The fallback for failures
   * session liveness cannot see (a frozen or partitioned node). */
  leaseMs?: number;
  /** How often each node looks for dead nodes and expired leases (default 250 ms). A crashed node is
   * declared dead once its session has stayed gone for 900 ms after a sweep saw it go, so its jobs run
   * again within about this plus two sweeps. */
  livenessCheckMs?: number;
  /** Time running jobs get to finish at shutdown before they are handed back (default 10 s). */
  shutdownGracePeriodMs?: number;
  /** Defaults for handlers that do not set their own. */
  defaultMaxAttempts?: number;
  defaultTimeoutMs?: number;
  defaultBackoff?: BackoffOptions;
  /** Largest payload accepted, as UTF-8 JSON bytes (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Accept jobs whose type has no handler on this node (producer-only nodes; default `false`). */
  allowUnknownTypes?: boolean;
  /** How long an idempotency key keeps blocking duplicates after its job finished (default 24 h).
   * Expired keys are cleared by the maintenance of worker nodes, and recognised at enqueue time. */
  idempotencyWindowMs?: number;
  /** Cap of pending + scheduled jobs per queue (default unlimited); past it, enqueue throws
   * `QueueFullError` or, with `{ wait: true }`, waits for room. Approximate across producers. */
  maxPendingJobs?: number;
  /** Most schedules stored (default 1,000); creating one more throws `InvalidJobOptionsError`
   * (`name`). Schedules declared in code are always written. */
  maxSchedules?: number;
  /** Shortest time between two ticks of a schedule, fixed interval or cron (default 1000 ms, cron's
   * precision); a definition that ticks more often is refused (`intervalMs` or `cron`). */
  minScheduleIntervalMs?: number;
  /** How long rows of the operators' audit log are kept (default 90 days; null: forever). Pruned by
   * worker nodes with the finished jobs. */
  auditRetentionMs?: number | null;
  /** Timed-out handlers that ignore their signal and may be detached from their worker slot, so the
   * queue can run another job while they hang on, node-wide (default 0: a hung handler keeps its slot
   * until it returns). Past the budget, a hung handler keeps its slot. */
  maxDetachedHandlers?: number;
  /** Time a timed-out handler gets after its abort to return before it is detached (default 1000 ms;
   * only with `maxDetachedHandlers` > 0). */
  detachAfterMs?: number;
  /** How old the cached job counts behind the queue overview and the Prometheus gauges may get
   * before they are counted again (default 2000 ms). Every request and scrape shares one count. */
  statsCacheMs?: number;
  /** How long finished jobs are kept (defaults: completed 1 day, failed 30 days, canceled 7 days). */
  retention?: RetentionOptions;
  /** Vacuum and analyze the module's tables when autovacuum does not (`'auto'`, the default: only
   * when the server has autovacuum off, or it lags far behind), or never (`'off'`). */
  tableMaintenance?: 'auto' | 'off';
  /** Statement timeout of that count (default 1500 ms); past it, only the unfinished states are
   * counted (through their partial indexes) and the finished ones keep their previous numbers. */
  statsTimeoutMs?: number;
}
