import { InvalidJobOptionsError } from '../errors';
import type { JobsModuleOptions, RetentionOptions } from '../interfaces';
import { LIMITS, TERMINAL_STATES } from '../jobs.constants';
import { intOption } from './option-values';

/** The finished states that retention prunes. */
export const PRUNED_STATES = TERMINAL_STATES;
export type PrunedState = (typeof PRUNED_STATES)[number];

const DAY = 24 * 60 * 60_000;
export const DEFAULT_RETENTION: Record<PrunedState, number> = { completed: DAY, failed: 30 * DAY, canceled: 7 * DAY };

/** Keep-times by state (ms; null: forever): the module's, and each queue's that differ from it. */
export interface ResolvedRetention {
  defaults: Record<PrunedState, number | null>;
  queues: Record<string, Record<PrunedState, number | null>>;
  /** Keep-time of the operators' audit log (ms; null: forever). */
  auditLog: number | null;
}

/** The audit log's default keep-time: 90 days. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * DAY;

function keepTime(field: string, value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  try {
    return intOption(field, value, 0, LIMITS.maxDelayMs);
  } catch {
    throw new InvalidJobOptionsError(field, `must be null or an integer from 0 to ${LIMITS.maxDelayMs} (ms)`);
  }
}

function resolveOne(
  prefix: string,
  given: RetentionOptions | undefined,
  fallback: Record<PrunedState, number | null>,
): Record<PrunedState, number | null> {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new InvalidJobOptionsError(prefix, 'must be an object of keep-times (completedMs, failedMs, canceledMs)');
  }
  const out = { ...fallback };
  for (const state of PRUNED_STATES) {
    const value = keepTime(`${prefix}.${state}Ms`, given?.[`${state}Ms`]);
    if (value !== undefined) out[state] = value;
  }
  return out;
}

/** The retention in effect, with defaults filled and values checked. */
export function resolveRetention(options: JobsModuleOptions): ResolvedRetention {
  const defaults = resolveOne('retention', options.retention, DEFAULT_RETENTION);
  const queues: ResolvedRetention['queues'] = {};
  for (const [name, q] of Object.entries(options.queues ?? {})) {
    if (q.retention !== undefined) queues[name] = resolveOne(`queues.${name}.retention`, q.retention, defaults);
  }
  const audit = keepTime('auditRetentionMs', options.auditRetentionMs);
  return { defaults, queues, auditLog: audit === undefined ? DEFAULT_AUDIT_RETENTION_MS : audit };
}
