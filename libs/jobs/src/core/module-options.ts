import { InvalidJobOptionsError } from '../errors';
import type { JobsModuleOptions, QueueOptions } from '../interfaces';
import { DEFAULTS, LIMITS, SCHEMA_NAME } from '../jobs.constants';
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
  maxDetachedHandlers: number;
  detachAfterMs: number;
  statsCacheMs: number;
  statsTimeoutMs: number;
  retention: ResolvedRetention;
  tableMaintenance: 'auto' | 'off';
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
  checkInt('concurrency', options.concurrency, 1, 10_000);
  checkInt('pollIntervalMs', options.pollIntervalMs, 10);
  checkInt('leaseMs', options.leaseMs, 1_000);
  checkInt('livenessCheckMs', options.livenessCheckMs, 50);
  checkInt('shutdownGracePeriodMs', options.shutdownGracePeriodMs, 0);
  checkInt('defaultMaxAttempts', options.defaultMaxAttempts, 1, 1_000);
  checkInt('defaultTimeoutMs', options.defaultTimeoutMs, 1);
  checkInt('defaultBackoff.baseDelayMs', options.defaultBackoff?.baseDelayMs, 0, LIMITS.maxDelayMs);
  checkInt('defaultBackoff.maxDelayMs', options.defaultBackoff?.maxDelayMs, 0, LIMITS.maxDelayMs);
  checkInt('maxPayloadBytes', options.maxPayloadBytes, 2);
  checkInt('maxDetachedHandlers', options.maxDetachedHandlers, 0, 100_000);
  checkInt('detachAfterMs', options.detachAfterMs, 0);
  checkInt('idempotencyWindowMs', options.idempotencyWindowMs, 0);
  checkInt('maxPendingJobs', options.maxPendingJobs, 1);
  checkInt('statsCacheMs', options.statsCacheMs, 0);
  checkInt('statsTimeoutMs', options.statsTimeoutMs, 10);
  for (const [name, q] of Object.entries(options.queues ?? {})) {
    checkInt(`queues.${name}.concurrency`, q.concurrency, 1, 10_000);
    checkInt(`queues.${name}.maxPendingJobs`, q.maxPendingJobs, 1);
  }
  const schema = options.schema ?? DEFAULTS.schema;
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidJobOptionsError('schema', `"${String(schema)}" must match ${SCHEMA_NAME.source}`);
  }
  return {
    schema,
    migrationsRun: options.migrationsRun ?? false,
    workers: options.workers ?? true,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    queues: options.queues ?? {},
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
    livenessCheckMs: options.livenessCheckMs ?? DEFAULTS.livenessCheckMs,
    shutdownGracePeriodMs: options.shutdownGracePeriodMs ?? DEFAULTS.shutdownGracePeriodMs,
    defaultMaxAttempts: options.defaultMaxAttempts ?? DEFAULTS.maxAttempts,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULTS.timeoutMs,
    baseDelayMs: options.defaultBackoff?.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: options.defaultBackoff?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    allowUnknownTypes: options.allowUnknownTypes ?? false,
    idempotencyWindowMs: options.idempotencyWindowMs ?? DEFAULTS.idempotencyWindowMs,
    maxPendingJobs: options.maxPendingJobs ?? null,
    maxDetachedHandlers: options.maxDetachedHandlers ?? DEFAULTS.maxDetachedHandlers,
    detachAfterMs: options.detachAfterMs ?? DEFAULTS.detachAfterMs,
    statsCacheMs: options.statsCacheMs ?? DEFAULTS.statsCacheMs,
    statsTimeoutMs: options.statsTimeoutMs ?? DEFAULTS.statsTimeoutMs,
    retention: resolveRetention(options),
    tableMaintenance: resolveTableMaintenance(options.tableMaintenance),
  };
}

function resolveTableMaintenance(value: unknown): 'auto' | 'off' {
  if (value === undefined) return 'auto';
  if (value !== 'auto' && value !== 'off') throw new InvalidJobOptionsError('tableMaintenance', 'must be auto or off');
  return value;
}
