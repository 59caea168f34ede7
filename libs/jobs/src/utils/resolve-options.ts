import { InvalidJobOptionsError } from '../errors';
import type { JobsModuleOptions, QueueOptions } from '../interfaces';
import { DEFAULTS } from '../jobs.constants';
import { quoteSchema } from '../storage/schema-name';

export interface ResolvedJobsOptions {
  schema: string;
  migrationsRun: boolean;
  workers: boolean;
  concurrency: number;
  queues: Record<string, QueueOptions>;
  pollIntervalMs: number;
  leaseMs: number;
  shutdownGracePeriodMs: number;
  defaultMaxAttempts: number;
  defaultTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxPayloadBytes: number;
  allowUnknownTypes: boolean;
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
  checkInt('shutdownGracePeriodMs', options.shutdownGracePeriodMs, 0);
  checkInt('defaultMaxAttempts', options.defaultMaxAttempts, 1, 1_000);
  checkInt('defaultTimeoutMs', options.defaultTimeoutMs, 1);
  checkInt('defaultBackoff.baseDelayMs', options.defaultBackoff?.baseDelayMs, 0);
  checkInt('defaultBackoff.maxDelayMs', options.defaultBackoff?.maxDelayMs, 0);
  checkInt('maxPayloadBytes', options.maxPayloadBytes, 2);
  for (const [name, q] of Object.entries(options.queues ?? {}))
    checkInt(`queues.${name}.concurrency`, q.concurrency, 1, 10_000);
  const schema = options.schema ?? DEFAULTS.schema;
  quoteSchema(schema);
  return {
    schema,
    migrationsRun: options.migrationsRun ?? false,
    workers: options.workers ?? true,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    queues: options.queues ?? {},
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
    shutdownGracePeriodMs: options.shutdownGracePeriodMs ?? DEFAULTS.shutdownGracePeriodMs,
    defaultMaxAttempts: options.defaultMaxAttempts ?? DEFAULTS.maxAttempts,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULTS.timeoutMs,
    baseDelayMs: options.defaultBackoff?.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: options.defaultBackoff?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    allowUnknownTypes: options.allowUnknownTypes ?? false,
  };
}
