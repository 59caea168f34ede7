import { Inject, Injectable, Optional } from '@nestjs/common';
import { InvalidJobOptionsError, JobNotFoundError } from './errors';
import type { EnqueueItem, EnqueueOptions, Job, JobWithAttempts } from './interfaces';
import { JOBS_STORE, LIMITS } from './jobs.constants';
import { JOBS_RESOLVED_OPTIONS } from './jobs.providers';
import { JobsRegistry } from './jobs.registry';
import { JobsRunner } from './jobs.runner';
import { JobsStore } from './storage/jobs.store';
import type { ResolvedJobsOptions } from './utils/resolve-options';
import { serializePayload, toNewJobRow } from './utils/validate-enqueue';

/** Producer API: put jobs in, read them back, cancel and replay them. */
@Injectable()
export class JobsService {
  constructor(
    @Inject(JOBS_STORE) private readonly store: JobsStore,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    private readonly registry: JobsRegistry,
    @Optional() private readonly runner?: JobsRunner,
  ) {}

  /** Adds one job. Validates everything before writing; nothing is written on error. */
  async enqueue<T = unknown>(type: string, payload: T, options: EnqueueOptions = {}): Promise<Job<T>> {
    const row = toNewJobRow({ ...options, type, payload }, this.registry, this.options);
    const job = await this.store.insertOne(row);
    this.runner?.wake(job.queue);
    return job as Job<T>;
  }

  /** Adds many jobs in one statement: all or none. */
  async enqueueMany<T = unknown>(items: Array<EnqueueItem<T>>): Promise<Array<Job<T>>> {
    if (!Array.isArray(items)) throw new InvalidJobOptionsError('items', 'must be an array');
    if (items.length > LIMITS.maxEnqueueMany) {
      throw new InvalidJobOptionsError('items', `at most ${LIMITS.maxEnqueueMany} per call, got ${items.length}`);
    }
    const rows = items.map((item, i) => {
      try {
        return toNewJobRow(item, this.registry, this.options);
      } catch (err) {
        if (err instanceof InvalidJobOptionsError)
          throw new InvalidJobOptionsError(`items[${i}].${err.field}`, err.reason);
        throw err;
      }
    });
    const jobs = await this.store.insertMany(rows);
    for (const queue of new Set(jobs.map((j) => j.queue))) this.runner?.wake(queue);
    return jobs as Array<Job<T>>;
  }

  /** The job with its failed-attempt history, or null. */
  async get<T = unknown>(id: string): Promise<JobWithAttempts<T> | null> {
    return (await this.store.get(String(id))) as JobWithAttempts<T> | null;
  }

  /** Cancels a pending, scheduled or running job. A running job's handler sees `ctx.signal` abort. */
  async cancel(id: string): Promise<Job> {
    return this.store.cancel(String(id));
  }

  /** Runs a `failed` or `canceled` job again from attempt 1, optionally with a new payload. */
  async replay<T = unknown>(id: string, options: { payload?: T } = {}): Promise<Job<T>> {
    const json = options.payload === undefined ? null : serializePayload(options.payload, this.options.maxPayloadBytes);
    return (await this.store.replay(String(id), json)) as Job<T>;
  }

  /** Throws `JobNotFoundError` instead of returning null. */
  async getOrFail<T = unknown>(id: string): Promise<JobWithAttempts<T>> {
    const job = await this.get<T>(id);
    if (!job) throw new JobNotFoundError(String(id));
    return job;
  }
}
