import type { Job, JobContext } from './job.interface';
import type { PayloadValidator } from './payload-validator.interface';
import type { JobScheduleDeclaration } from './schedule.interface';

/** Exponential backoff with full jitter: the retry after failed attempt n waits a random time in
 * [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. */
export interface BackoffOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface JobHandlerOptions {
  /** Queue this type's jobs go to by default. */
  queue?: string;
  /** Starts allowed before a job of this type is dead-lettered. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Time after which `ctx.signal` is aborted and the attempt counts as failed. */
  timeoutMs?: number;
  /** Enqueue a job of this type on a cadence, once per tick across the cluster (see README,
   * "Recurring jobs"). Several schedules of one type need a `name` each. */
  schedule?: JobScheduleDeclaration | JobScheduleDeclaration[];
  /** Checks every payload of this type where it enters (enqueue, replay with a payload, a
   * schedule's definition) on nodes that have this handler: a Standard Schema (zod, valibot,
   * arktype) or a function. A refused payload is an `InvalidJobOptionsError` naming the field
   * (400 in the API), and nothing is written. The payload is stored as given. */
  validate?: PayloadValidator;
}

export interface JobHandlerMetadata extends JobHandlerOptions {
  type: string;
}

/** A class decorated with `@JobHandler(type)` implements this. */
export interface JobHandlerInstance<T = unknown> {
  handle(job: Job<T>, ctx: JobContext): unknown;
}
