import { InvalidJobOptionsError } from '../errors';
import type { JobsModuleOptions, QueueOptions } from '../interfaces';
import { DEFAULTS, LIMITS, SCHEMA_NAME } from '../jobs.constants';
import { boolOption, intOption } from './option-values';
import { resolveRetention, type ResolvedRetention } from './retention';

export interface ResolvedJobsOptions {
  schema: string;
  migrationsRun: boolean;
  workers: boolean;
  concurrency: number;
  queues: Record<string, QueueOptions>;
  pollIntervalMs: number;
  leaseMs: number;
  livenessCheckMs: number;
  shutdownGracePeriodMs: number;
  defaultMaxAttempts: number;
  defaultTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxPayloadBytes: number;
  allowUnknownTypes: boolean;
  /** How long an idempotency key keeps blocking duplicates after its job finished. */
  idempotencyWindowMs: number;
  /** Default cap of pending + scheduled jobs per queue; null: unlimited. */
  maxPendingJobs: number | null;
  maxSchedules: number;
  minScheduleIntervalMs: number;
  maxDetachedHandlers: number;
  detachAfterMs: number;
  statsCacheMs: number;
  statsTimeoutMs: number;
  retention: ResolvedRetention;
  tableMaintenance: 'auto' | 'off';
}

/** The cap of `queue`'s pending + scheduled jobs: its own, else the module's; null: unlimited. */
export function pendingLimitOf(options: ResolvedJobsOptions, queue: string): number | null {
  return options.queues[queue]?.maxPendingJobs ?? options.maxPendingJobs;
}

/** Checks that `value`, when set, is an integer in [min, max]; `field` names it in the error. */
export function checkInt(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidJobOptionsError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

/** Fills defaults and rejects nonsense, so a typo fails at start-up rather than at 3 a.m. */
export function resolveOptions(options: JobsModuleOptions): ResolvedJobsOptions {
  const queues: Record<string, QueueOptions> = {};
  for (const [name, q] of Object.entries(options.queues ?? {})) {
    queues[name] = {
      ...q,
      concurrency: intOption(`queues.${name}.concurrency`, q?.concurrency, 1, 10_000),
      maxPendingJobs: intOption(`queues.${name}.maxPendingJobs`, q?.maxPendingJobs, 1),
    };
  }
  const schema = options.schema ?? DEFAULTS.schema;
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidJobOptionsError('schema', `"${String(schema)}" must match ${SCHEMA_NAME.source}`);
  }
  const backoff = options.defaultBackoff;
  return {
    schema,
    migrationsRun: boolOption('migrationsRun', options.migrationsRun) ?? false,
    workers: boolOption('workers', options.workers) ?? true,
    concurrency: intOption('concurrency', options.concurrency, 1, 10_000) ?? DEFAULTS.concurrency,
    queues,
    pollIntervalMs: intOption('pollIntervalMs', options.pollIntervalMs, 10) ?? DEFAULTS.pollIntervalMs,
    leaseMs: intOption('leaseMs', options.leaseMs, 1_000) ?? DEFAULTS.leaseMs,
    livenessCheckMs: intOption('livenessCheckMs', options.livenessCheckMs, 50) ?? DEFAULTS.livenessCheckMs,
    shutdownGracePeriodMs:
      intOption('shutdownGracePeriodMs', options.shutdownGracePeriodMs, 0) ?? DEFAULTS.shutdownGracePeriodMs,
    defaultMaxAttempts: intOption('defaultMaxAttempts', options.defaultMaxAttempts, 1, 1_000) ?? DEFAULTS.maxAttempts,
    defaultTimeoutMs: intOption('defaultTimeoutMs', options.defaultTimeoutMs, 1) ?? DEFAULTS.timeoutMs,
    baseDelayMs:
      intOption('defaultBackoff.baseDelayMs', backoff?.baseDelayMs, 0, LIMITS.maxDelayMs) ?? DEFAULTS.baseDelayMs,
    maxDelayMs:
      intOption('defaultBackoff.maxDelayMs', backoff?.maxDelayMs, 0, LIMITS.maxDelayMs) ?? DEFAULTS.maxDelayMs,
    maxPayloadBytes: intOption('maxPayloadBytes', options.maxPayloadBytes, 2) ?? DEFAULTS.maxPayloadBytes,
    allowUnknownTypes: boolOption('allowUnknownTypes', options.allowUnknownTypes) ?? false,
    idempotencyWindowMs:
      intOption('idempotencyWindowMs', options.idempotencyWindowMs, 0) ?? DEFAULTS.idempotencyWindowMs,
    maxPendingJobs: intOption('maxPendingJobs', options.maxPendingJobs, 1) ?? null,
    maxSchedules: intOption('maxSchedules', options.maxSchedules, 0) ?? DEFAULTS.maxSchedules,
    minScheduleIntervalMs:
      intOption('minScheduleIntervalMs', options.minScheduleIntervalMs, 1_000, 24 * 60 * 60_000) ??
      DEFAULTS.minScheduleIntervalMs,
    maxDetachedHandlers:
      intOption('maxDetachedHandlers', options.maxDetachedHandlers, 0, 100_000) ?? DEFAULTS.maxDetachedHandlers,
    detachAfterMs: intOption('detachAfterMs', options.detachAfterMs, 0) ?? DEFAULTS.detachAfterMs,
    statsCacheMs: intOption('statsCacheMs', options.statsCacheMs, 0) ?? DEFAULTS.statsCacheMs,
    statsTimeoutMs: intOption('statsTimeoutMs', options.statsTimeoutMs, 10) ?? DEFAULTS.statsTimeoutMs,
    retention: resolveRetention(options),
    tableMaintenance: resolveTableMaintenance(options.tableMaintenance),
  };
}

function resolveTableMaintenance(value: unknown): 'auto' | 'off' {
  if (value === undefined) return 'auto';
  if (value !== 'auto' && value !== 'off') throw new InvalidJobOptionsError('tableMaintenance', 'must be auto or off');
  return value;
}
