import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { checkCallOptions, checkName, serializePayload, toNewJobRow } from '../core/enqueue-input';
import { JobsRegistry } from '../core/handler-registry';
import { pendingLimitOf, type ResolvedJobsOptions } from '../core/module-options';
import { validatePayload } from '../core/payload-validation';
import { QueueCapacity } from '../core/queue-capacity';
import { isJobId } from '../core/storable';
import { InvalidJobOptionsError, JobNotFoundError, QueueFullError } from '../errors';
import type {
  EnqueueCallOptions,
  EnqueuedJob,
  EnqueueItem,
  EnqueueOptions,
  Job,
  JobPayload,
  JobType,
  JobWithAttempts,
  NewJobRow,
  TypedEnqueueItem,
} from '../interfaces';
import { JOBS_RESOLVED_OPTIONS, JOBS_STORAGE, LIMITS } from '../jobs.constants';
import { JobsMetrics } from '../observability/jobs-metrics';
import { managerQueryable } from '../storage/caller-transaction';
import type { Queryable } from '../storage/database';
import { withDatabaseErrors } from '../storage/database-errors';
import { insertJob, insertJobs } from '../storage/idempotent-insert';
import { InsertCoalescer } from '../storage/insert-coalescer';
import type { JobsStorage } from '../storage/jobs-storage';
import type { QueueSettingsRow } from '../storage/queues.repository';
import { JobsRunner } from './jobs-runner';

/** A queue's settings (`<schema>.queues`). */
export interface QueueSettings {
  name: string;
  paused: boolean;
  pausedAt: Date | null;
  pausedBy: string | null;
}

/** Producer API: put jobs in, read them back, cancel and replay them. */
@Injectable()
export class JobsService {
  private readonly capacity: QueueCapacity;
  private readonly coalescer: InsertCoalescer;
  private readonly logger = new Logger('Jobs');

  constructor(
    @Inject(JOBS_STORAGE) private readonly storage: JobsStorage,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    private readonly registry: JobsRegistry,
    @Optional() private readonly runner?: JobsRunner,
    @Optional() private readonly metrics?: JobsMetrics,
  ) {
    this.capacity = new QueueCapacity(
      (queue) => pendingLimitOf(options, queue),
      (queue, atMost) => storage.jobs.countWaiting(queue, atMost),
    );
    this.coalescer = new InsertCoalescer(storage.jobs, (err, rows) =>
      this.logger.warn(
        `A coalesced insert of ${rows} jobs failed (${(err as Error).message}); inserting them one by one`,
      ),
    );
  }

  /**
   * Adds one job, or returns the job already holding its `idempotencyKey` (`created: false`).
   * Validates everything before writing; nothing is written on error. With `manager`, inserts in
   * the caller's transaction; past `maxPendingJobs`, throws `QueueFullError` or, with `wait`, waits.
   * With job types declared in `JobTypes`, `type` must be one of them and `payload` its shape;
   * otherwise `T` types the payload, as given or inferred.
   */
  async enqueue<T = unknown, K extends JobType = JobType>(
    type: K,
    payload: JobPayload<K, T>,
    options: EnqueueOptions & EnqueueCallOptions = {},
  ): Promise<EnqueuedJob<JobPayload<K, T>>> {
    return withDatabaseErrors('enqueue', () => this.enqueueOne(type, payload, options));
  }

  private async enqueueOne<T>(
    type: string,
    payload: T,
    options: EnqueueOptions & EnqueueCallOptions,
  ): Promise<EnqueuedJob<T>> {
    const { manager, wait, signal, ...jobOptions } = options ?? {};
    checkCallOptions({ wait, signal });
    const db = manager === undefined ? undefined : managerQueryable(manager);
    const row = toNewJobRow({ ...jobOptions, type, payload }, this.registry, this.options);
    await validatePayload(this.registry, row.type, row.payload);
    this.metrics?.add('submitted', row.queue, row.priority);
    const need = new Map([[row.queue, 1]]);
    try {
      await this.capacity.acquire(need, { signal });
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err;
      // A retry of an enqueue that already went through gets its job, full queue or not.
      const existing = await this.holderOf(row, db);
      if (existing) return existing as EnqueuedJob<T>;
      if (!wait) throw err;
      await this.capacity.acquire(need, { wait, signal });
    }
    let job: EnqueuedJob;
    try {
      job = await this.insert(row, db);
    } catch (err) {
      this.capacity.settle(need, new Map());
      throw err;
    }
    this.capacity.settle(need, job.created ? need : new Map());
    if (job.created) this.metrics?.add('accepted', job.queue, job.priority);
    // A job started by its enqueue needs no wake-up; in a caller's transaction, its commit notifies.
    if (job.created && !db && job.state !== 'running') this.runner?.wake(job.queue);
    return job as EnqueuedJob<T>;
  }

  /**
   * Writes one validated job: started at once on this node when its queue is idle here (no claim
   * round trip), else coalesced with the plain enqueues made at the same time (one statement and
   * one commit for all of them); a job with an idempotency key or in a caller's transaction alone.
   */
  private async insert(row: NewJobRow, db: Queryable | undefined): Promise<EnqueuedJob> {
    if (db !== undefined || row.idempotencyKey !== null) {
      return insertJob(this.storage.jobs, row, db, this.options.idempotencyWindowMs);
    }
    const slot = row.runAt === null && row.delayMs === null ? this.runner?.reserve(row.queue, row.type) : null;
    if (!slot) return { ...(await this.coalescer.insert(row)), created: true };
    let job: Job;
    try {
      job = await this.storage.jobs.insertStarted(row, this.runner!.nodeId, this.runner!.leaseMs);
    } catch (err) {
      slot.release();
      throw err;
    }
    if (job.state === 'running') slot.start(job);
    else slot.release(); // a paused queue: the job waits as pending
    return { ...job, created: true };
  }

  /**
   * Adds many jobs: all or none, results in input order. Items may carry idempotency keys (an item
   * whose key is held gets the existing job, `created: false`). Takes the same call options as
   * `enqueue`; backpressure counts the whole batch.
   */
  async enqueueMany<T = unknown>(
    items: Array<TypedEnqueueItem<T>>,
    options: EnqueueCallOptions = {},
  ): Promise<Array<EnqueuedJob<JobPayload<JobType, T>>>> {
    const untyped = items as unknown as Array<EnqueueItem<JobPayload<JobType, T>>>;
    return withDatabaseErrors('enqueue', () => this.enqueueAll(untyped, options));
  }

  private async enqueueAll<T>(
    items: Array<EnqueueItem<T>>,
    options: EnqueueCallOptions,
  ): Promise<Array<EnqueuedJob<T>>> {
    const { manager, wait, signal } = options ?? {};
    checkCallOptions({ wait, signal });
    const db = manager === undefined ? undefined : managerQueryable(manager);
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
    for (const [i, row] of rows.entries())
      await validatePayload(this.registry, row.type, row.payload, `items[${i}].payload`);
    for (const row of rows) this.metrics?.add('submitted', row.queue, row.priority);
    const need = countByQueue(rows);
    await this.capacity.acquire(need, { wait, signal });
    let jobs: EnqueuedJob[];
    try {
      jobs = await insertJobs(this.storage.jobs, rows, db, this.options.idempotencyWindowMs);
    } catch (err) {
      this.capacity.settle(need, new Map());
      throw err;
    }
    for (const job of jobs) if (job.created) this.metrics?.add('accepted', job.queue, job.priority);
    const created = countByQueue(jobs.filter((j) => j.created));
    this.capacity.settle(need, created);
    if (!db) for (const queue of created.keys()) this.runner?.wake(queue);
    return jobs as Array<EnqueuedJob<T>>;
  }

  /** The job holding `row`'s idempotency key, if it has one and it is held. */
  private async holderOf(row: NewJobRow, db?: Queryable): Promise<EnqueuedJob | null> {
    if (row.idempotencyKey === null) return null;
    const [job] = await this.storage.jobs.findIdempotent(
      [{ type: row.type, key: row.idempotencyKey }],
      this.options.idempotencyWindowMs,
      db,
    );
    return job ? { ...job, created: false } : null;
  }

  /** The job with its failed-attempt history, or null. */
  async get<T = unknown>(id: string): Promise<JobWithAttempts<T> | null> {
    if (!isJobId(String(id))) return null;
    return (await this.storage.jobs.get(String(id))) as JobWithAttempts<T> | null;
  }

  /** Cancels a pending, scheduled or running job. A running job's handler sees `ctx.signal` abort.
   * Records a `canceled` event (with `actor`, when given) in the job's audit trail. */
  async cancel(id: string, options: { actor?: string } = {}): Promise<Job> {
    if (!isJobId(String(id))) throw new JobNotFoundError(String(id));
    return this.storage.jobs.cancel(String(id), options?.actor ?? null);
  }

  /** Runs a `failed` or `canceled` job again from attempt 1, optionally with a new payload. Records a
   * `replayed` event (with `actor`, when given, and whether the payload changed). */
  async replay<T = unknown>(id: string, options: { payload?: T; actor?: string } = {}): Promise<Job<T>> {
    return withDatabaseErrors('replay', () => this.replayOne(String(id), options));
  }

  /** Like an enqueue, a replay adds a ready job to its queue: it counts against `maxPendingJobs`
   * (`QueueFullError`, nothing changed). */
  private async replayOne<T>(id: string, options: { payload?: T; actor?: string }): Promise<Job<T>> {
    const json = options.payload === undefined ? null : serializePayload(options.payload, this.options.maxPayloadBytes);
    const job = isJobId(id) ? await this.storage.jobs.find(id) : null;
    if (!job) throw new JobNotFoundError(id);
    if (options.payload !== undefined) await validatePayload(this.registry, job.type, options.payload);
    const replayed = await this.withRoom(job.queue, () => this.storage.jobs.replay(id, json, options.actor ?? null));
    this.runner?.wake(replayed.queue);
    return replayed as Job<T>;
  }

  /**
   * @internal Runs `write`, which adds one ready job to `queue`, within the queue's
   * `maxPendingJobs`: `QueueFullError` past it, and `write` does not run. Replays and schedules'
   * run-now go through here, so that no way into a queue walks around its cap.
   */
  async withRoom<R>(queue: string, write: () => Promise<R>): Promise<R> {
    const need = new Map([[queue, 1]]);
    await this.capacity.acquire(need);
    let result: R;
    try {
      result = await write();
    } catch (err) {
      this.capacity.settle(need, new Map());
      throw err;
    }
    this.capacity.settle(need, need);
    return result;
  }

  /**
   * Pauses a queue on every node: workers claim nothing more from it (jobs already running finish
   * normally) until `resumeQueue`. Enqueueing into a paused queue still works. `actor` is recorded.
   */
  async pauseQueue(queue: string, options: { actor?: string } = {}): Promise<QueueSettings> {
    checkName('queue', queue, LIMITS.maxQueueLength);
    return toQueueSettings(await this.storage.queues.pause(queue, options.actor ?? null));
  }

  /** Resumes a paused queue; its workers on every node are woken at once. */
  async resumeQueue(queue: string): Promise<QueueSettings> {
    checkName('queue', queue, LIMITS.maxQueueLength);
    const settings = await this.storage.queues.resume(queue);
    this.runner?.wake(queue);
    return toQueueSettings(settings);
  }

  /** Throws `JobNotFoundError` instead of returning null. */
  async getOrFail<T = unknown>(id: string): Promise<JobWithAttempts<T>> {
    const job = await this.get<T>(id);
    if (!job) throw new JobNotFoundError(String(id));
    return job;
  }
}

function toQueueSettings(row: QueueSettingsRow): QueueSettings {
  return { name: row.name, paused: row.paused, pausedAt: row.paused_at, pausedBy: row.paused_by };
}

function countByQueue(jobs: Array<{ queue: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { queue } of jobs) counts.set(queue, (counts.get(queue) ?? 0) + 1);
  return counts;
}
