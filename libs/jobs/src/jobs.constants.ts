/** Metadata key written by `@JobHandler()` on a handler class. */
export const JOB_HANDLER_METADATA = 'jobs:handler_metadata';

/** Injection token of the module's `JobsStorage` (every repository). */
export const JOBS_STORAGE = Symbol('JOBS_STORAGE');

/** Injection token of the options with their defaults filled in (`ResolvedJobsOptions`). */
export const JOBS_RESOLVED_OPTIONS = Symbol('JOBS_RESOLVED_OPTIONS');

/** Injection token of the node's identity string (`host:pid:random`). */
export const JOBS_NODE_ID = Symbol('JOBS_NODE_ID');

/** Defaults, documented in the README's configuration table. */
export const DEFAULTS = {
  schema: 'jobs',
  queue: 'default',
  concurrency: 10,
  pollIntervalMs: 1_000,
  leaseMs: 30_000,
  livenessCheckMs: 250,
  shutdownGracePeriodMs: 10_000,
  maxAttempts: 5,
  timeoutMs: 15 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60 * 60_000,
  maxPayloadBytes: 1024 * 1024,
  maxDetachedHandlers: 0,
  detachAfterMs: 1_000,
  priority: 0,
  idempotencyWindowMs: 24 * 60 * 60_000,
  statsCacheMs: 2_000,
  statsTimeoutMs: 1_500,
  maxSchedules: 1_000,
  minScheduleIntervalMs: 1_000,
} as const;

/** A schema name the module accepts: a plain lower-case PostgreSQL identifier, so it can be
 * spliced into SQL text safely (it comes from configuration, never from requests). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Bounds on user-supplied values, checked before anything is written. */
export const LIMITS = {
  minPriority: -32_768,
  maxPriority: 32_767,
  maxAttempts: 1_000,
  maxTypeLength: 128,
  maxQueueLength: 128,
  maxEnqueueMany: 10_000,
  maxIdempotencyKeyLength: 255,
  /** Deepest nesting of arrays and objects in a payload: `{"a":[1]}` is 2 levels deep. */
  maxPayloadDepth: 32,
  /** Longest delay (`delayMs`, backoff): 100 years, so a run time always stays a storable date. */
  maxDelayMs: 100 * 365 * 24 * 60 * 60_000,
} as const;

export const JOB_STATES = ['pending', 'scheduled', 'running', 'completed', 'failed', 'canceled'] as const;
export const TERMINAL_STATES = ['completed', 'failed', 'canceled'] as const;
