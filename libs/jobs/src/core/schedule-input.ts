import { InvalidJobOptionsError } from '../errors';
import type { NewScheduleRow, ScheduleDefinition, ScheduleOptions } from '../interfaces';
import { checkName, toNewJobRow } from './enqueue-input';
import type { JobsRegistry } from './handler-registry';
import { checkInt, type ResolvedJobsOptions } from './module-options';
import { Cadence, type CadenceSpec } from './schedule-cadence';

export const MISSED_POLICIES = ['skip', 'once', 'all'] as const;
export const OVERLAP_POLICIES = ['allow', 'skip', 'queue', 'replace'] as const;
/** Fields of a schedule definition, in the order error messages list them. */
export const SCHEDULE_FIELDS = [
  'name',
  'type',
  'cron',
  'timeZone',
  'intervalMs',
  'payload',
  'queue',
  'priority',
  'maxAttempts',
  'missed',
  'maxCatchUp',
  'overlap',
  'jitterMs',
] as const;

export const SCHEDULE_DEFAULTS = { timeZone: 'UTC', missed: 'once', maxCatchUp: 100, overlap: 'allow', jitterMs: 0 };
export const SCHEDULE_LIMITS = { maxNameLength: 128, maxCatchUp: 1_000, maxJitterMs: 24 * 60 * 60_000 };

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InvalidJobOptionsError(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** The cadence of a definition: exactly one of `cron` and `intervalMs`. */
export function cadenceOf(def: Pick<ScheduleOptions, 'cron' | 'intervalMs' | 'timeZone'>): Cadence {
  const hasCron = def.cron !== undefined && def.cron !== null;
  const hasInterval = def.intervalMs !== undefined && def.intervalMs !== null;
  if (hasCron === hasInterval) throw new InvalidJobOptionsError('cron', 'give exactly one of cron or intervalMs');
  if (hasInterval) {
    if (def.timeZone !== undefined && def.timeZone !== null && def.timeZone !== 'UTC') {
      throw new InvalidJobOptionsError('timeZone', 'applies to cron schedules only');
    }
    return Cadence.of({ intervalMs: def.intervalMs as number });
  }
  return Cadence.of({ cron: def.cron as string, timeZone: def.timeZone ?? SCHEDULE_DEFAULTS.timeZone });
}

/**
 * Turns a schedule definition into a row to store, or throws naming the bad field. The job's
 * queue and attempts are resolved here, from the type's handler when this node has it, so every
 * node enqueues the same job whatever handlers it has.
 */
export function toScheduleRow(
  def: ScheduleDefinition,
  registry: JobsRegistry,
  options: ResolvedJobsOptions,
  now: Date = new Date(),
): NewScheduleRow {
  if (typeof def !== 'object' || def === null) throw new InvalidJobOptionsError('body', 'must be an object');
  const name = checkName('name', def.name, SCHEDULE_LIMITS.maxNameLength);
  const cadence = cadenceOf(def);
  const gap = cadence.shortestGapMs();
  if (gap < options.minScheduleIntervalMs) {
    throw new InvalidJobOptionsError(
      'intervalMs' in cadence.spec ? 'intervalMs' : 'cron',
      `ticks ${gap} ms apart; the shortest interval allowed is ${options.minScheduleIntervalMs} ms (minScheduleIntervalMs)`,
    );
  }
  const job = toNewJobRow(
    { type: def.type, payload: def.payload, queue: def.queue, priority: def.priority, maxAttempts: def.maxAttempts },
    registry,
    options,
  );
  const missed = oneOf('missed', def.missed, MISSED_POLICIES, 'once');
  checkInt('maxCatchUp', def.maxCatchUp, 1, SCHEDULE_LIMITS.maxCatchUp);
  const overlap = oneOf('overlap', def.overlap, OVERLAP_POLICIES, 'allow');
  checkInt('jitterMs', def.jitterMs, 0, SCHEDULE_LIMITS.maxJitterMs);
  const spec: CadenceSpec = cadence.spec;
  return {
    name,
    type: job.type,
    cron: 'cron' in spec ? spec.cron : null,
    timeZone: 'cron' in spec ? spec.timeZone : 'UTC',
    intervalMs: 'intervalMs' in spec ? spec.intervalMs : null,
    payloadJson: job.payloadJson,
    queue: job.queue,
    priority: job.priority,
    maxAttempts: job.maxAttempts,
    missed,
    maxCatchUp: def.maxCatchUp ?? SCHEDULE_DEFAULTS.maxCatchUp,
    overlap,
    jitterMs: def.jitterMs ?? SCHEDULE_DEFAULTS.jitterMs,
    nextRunAt: cadence.next(now),
  };
}

/** A definition with `patch` applied: a new `cron` drops the interval and the other way round. */
export function patchDefinition(current: ScheduleDefinition, patch: unknown): ScheduleDefinition {
  const changes = checkFields(
    patch,
    SCHEDULE_FIELDS.filter((f) => f !== 'name'),
  );
  const merged: Record<string, unknown> = { ...current, ...changes };
  if ('cron' in changes && !('intervalMs' in changes)) delete merged.intervalMs;
  if ('intervalMs' in changes && !('cron' in changes)) {
    delete merged.cron;
    delete merged.timeZone;
  }
  for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
  return merged as unknown as ScheduleDefinition;
}

/** A JSON object whose keys are all among `allowed`; a stranger key is named in the error. */
export function checkFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidJobOptionsError('body', 'must be a JSON object');
  }
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new InvalidJobOptionsError(key, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }
  return body as Record<string, unknown>;
}
