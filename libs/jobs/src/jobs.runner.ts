import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DEFAULTS, JOBS_STORE, JOBS_WORKER_ID } from './jobs.constants';
import { JobsRegistry } from './jobs.registry';
import { JOBS_RESOLVED_OPTIONS } from './jobs.providers';
import { JobsMetrics } from './metrics/jobs-metrics';
import type { FailedAttempt, JobsStore } from './storage/jobs.store';
import type { ResolvedJobsOptions } from './utils/resolve-options';
import { backoffDelay } from './worker/backoff';
import { describeError } from './worker/describe-error';
import { DetachBudget } from './worker/detach-budget';
import { LeaseKeeper } from './worker/lease-keeper';
import { NodeLiveness } from './worker/node-liveness';
import { NotificationListener } from './worker/notification-listener';
import { QueueWorker, type OutcomeSink, type RunningJob } from './worker/queue-worker';
import { WriteBatcher } from './worker/write-batcher';

/** Finished jobs waiting to be written past which a node stops claiming until the writes catch up. */
const OUTCOME_BACKLOG_LIMIT = 5_000;

/**
 * The node's worker runtime, tied to the Nest lifecycle: queue workers start in
 * `onApplicationBootstrap`; `beforeApplicationShutdown` stops claiming, lets running jobs finish
 * within the grace period and hands the rest back; `onApplicationShutdown` closes connections.
 */
@Injectable()
export class JobsRunner
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown, OutcomeSink
{
  private readonly logger = new Logger('Jobs');
  private readonly workers = new Map<string, QueueWorker>();
  private listener?: NotificationListener;
  private maintenanceTimer?: NodeJS.Timeout;
  private liveness?: NodeLiveness;
  private leases?: LeaseKeeper;
  private readonly completions: WriteBatcher<RunningJob>;
  private readonly failures: WriteBatcher<FailedAttempt>;
  private shuttingDown = false;
  /** The one referenced handle of the runtime (its other timers are unref'd): see `keepProcessAlive`. */
  private keepAlive?: NodeJS.Timeout;
  /** Node-wide allowance of timed-out handlers let go of from their slots (`maxDetachedHandlers`). */
  private readonly detachBudget: DetachBudget;

  constructor(
    @Inject(JOBS_STORE) private readonly store: JobsStore,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    @Inject(JOBS_WORKER_ID) readonly workerId: string,
    private readonly registry: JobsRegistry,
    @Optional() private readonly metrics?: JobsMetrics,
  ) {
    const warn = (what: string) => (err: unknown, n: number) =>
      this.logger.warn(`Writing ${n} ${what} failed (${(err as Error).message}); retrying`);
    this.completions = new WriteBatcher(async (batch) => {
      await this.store.complete(
        batch.map((e) => ({ id: e.job.id, attempt: e.job.attempts })),
        this.workerId,
      );
    }, warn('completions'));
    this.failures = new WriteBatcher(async (batch) => {
      await this.store.fail(batch, this.workerId);
    }, warn('failures'));
    this.detachBudget = new DetachBudget(this.options.maxDetachedHandlers);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics?.attachRunner(this.workerId, () => ({ running: this.runningCount(), capacity: this.capacity() }));
    if (!this.options.workers) return;
    const queues = new Set(Object.keys(this.options.queues));
    for (const h of this.registry.all()) queues.add(h.metadata.queue ?? DEFAULTS.queue);
    if (this.registry.all().length === 0) return;
    for (const queue of queues) {
      const concurrency = this.options.queues[queue]?.concurrency ?? this.options.concurrency;
      const worker = new QueueWorker({
        queue,
        concurrency,
        store: this.store,
        registry: this.registry,
        options: this.options,
        workerId: this.workerId,
        sink: this,
        logger: this.logger,
        detachBudget: this.detachBudget,
        mayClaim: () => this.completions.size + this.failures.size < OUTCOME_BACKLOG_LIMIT,
      });
      this.workers.set(queue, worker);
    }
    const queueSizes = Object.fromEntries([...this.workers].map(([q, w]) => [q, w.concurrency]));
    const liveness = new NodeLiveness(this.store.pool, this.options.schema, this.workerId, queueSizes, this.logger);
    this.liveness = liveness;
    const sql = this.store.sql;
    this.listener = new NotificationListener(
      this.store.pool,
      [sql.wakeChannel, sql.cancelChannel],
      {
        onNotify: (channel, payload) => {
          if (channel === sql.wakeChannel) this.wake(payload);
          else this.cancelLocal(payload);
        },
        onSession: (client) => liveness.onSession(client),
        onConnected: () => {
          this.wakeAll();
          // After a reconnect, learn at once whether our running jobs are still ours.
          void this.leases?.renew();
        },
      },
      this.logger,
    );
    await this.listener.start();
    this.keepProcessAlive();
    for (const worker of this.workers.values()) worker.start();
    this.maintenanceTimer = setInterval(() => void this.maintain(), this.options.pollIntervalMs);
    this.maintenanceTimer.unref();
    this.leases = new LeaseKeeper(
      this.store,
      liveness,
      () => this.workers.values(),
      this.workerId,
      this.options,
      this.logger,
      () => this.listener?.reconnect('re-registering after being declared dead'),
      (byQueue) => this.metrics?.lost(byQueue),
    );
    this.leases.start();
    this.logger.log(
      `Worker ${this.workerId} running queues ${Object.entries(queueSizes)
        .map(([q, n]) => `${q}(${n})`)
        .join(', ')}`,
    );
  }

  /**
   * While the workers run, the process stays up until `app.close()` or a signal. Nothing else may
   * hold it: a worker-only application has no server socket, and during a database outage every
   * connection is closed, so with only unref'd timers left Node would exit quietly, dropping the
   * outcomes still waiting to be written (their jobs would run again elsewhere).
   */
  private keepProcessAlive(): void {
    this.keepAlive = setInterval(() => undefined, 60_000);
  }

  /** Look for work in `queue` now (in-process enqueue, or a notification). */
  wake(queue: string): void {
    this.workers.get(queue)?.wake();
  }

  wakeAll(): void {
    for (const worker of this.workers.values()) worker.wake();
  }

  /** Running jobs on this node, by queue (for tests and the dashboard). */
  runningCount(queue?: string): number {
    let n = 0;
    for (const w of this.workers.values()) if (!queue || w.queue === queue) n += w.running.size;
    return n;
  }

  /** Handlers occupying slots on this node, detached handlers still running, and detached since start. */
  stats(): { running: number; detached: number; detachedTotal: number } {
    return {
      running: this.runningCount(),
      detached: this.detachBudget.detached,
      detachedTotal: this.detachBudget.detachedTotal,
    };
  }

  /** Slots of this node's queue workers. */
  capacity(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.concurrency;
    return n;
  }

  /** For health checks: whether this node runs workers, has started them, is registered as live
   * (confirmed by the registry within a lease), and is shutting down. */
  health(): { workers: boolean; started: boolean; registered: boolean; shuttingDown: boolean } {
    return {
      workers: this.options.workers && this.registry.all().length > 0,
      started: this.leases !== undefined,
      registered: this.liveness?.registered(this.options.leaseMs) ?? false,
      shuttingDown: this.shuttingDown,
    };
  }

  started(entry: RunningJob): void {
    this.metrics?.started(entry.job.queue, entry.job.runAt, entry.startedAt);
  }

  detached(entry: RunningJob): void {
    this.metrics?.add('detached', entry.job.queue, entry.job.priority);
  }

  completed(entry: RunningJob): void {
    this.completions.push(entry);
    this.metrics?.succeeded(entry.job.queue, entry.job.priority, entry.startedAt);
  }

  failed(entry: RunningJob, thrown: unknown, outcome: 'failed' | 'timed_out'): void {
    const { job } = entry;
    const described = describeError(thrown);
    const handler = this.registry.get(job.type)?.metadata;
    const dead = described.permanent || job.attempts >= job.maxAttempts;
    const delayMs = dead
      ? null
      : backoffDelay(
          job.attempts,
          handler?.backoff?.baseDelayMs ?? this.options.baseDelayMs,
          handler?.backoff?.maxDelayMs ?? this.options.maxDelayMs,
        );
    this.metrics?.attemptFailed(job.queue, job.priority, entry.startedAt, {
      dead,
      crashed: !(thrown instanceof Error),
      outcome,
    });
    this.failures.push({
      id: job.id,
      attempt: job.attempts,
      delayMs,
      outcome,
      error: described.message,
      stack: described.stack,
      startedAt: entry.startedAt,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.shuttingDown || this.workers.size === 0) return;
    this.shuttingDown = true;
    clearInterval(this.maintenanceTimer);
    this.leases?.beginShutdown();
    await Promise.all([...this.workers.values()].map((w) => w.stopFetching()));
    const deadline = Date.now() + this.options.shutdownGracePeriodMs;
    const running = this.runningCount();
    if (running > 0)
      this.logger.log(
        `Shutting down: waiting up to ${this.options.shutdownGracePeriodMs} ms for ${running} running jobs`,
      );
    await Promise.all([...this.workers.values()].map((w) => w.whenIdle(deadline)));
    // Outcomes first, so a job that finished is recorded as finished, not handed back.
    const flushDeadline = Date.now() + 5_000;
    await Promise.all([this.completions.flush(flushDeadline), this.failures.flush(flushDeadline)]);
    const handBack: Array<{ id: string; attempt: number }> = [];
    for (const worker of this.workers.values()) {
      for (const { id, attempt } of worker.ownedAttempts()) {
        if (worker.settle(id, 'released', new Error('Worker shutting down: job handed back')))
          handBack.push({ id, attempt });
      }
    }
    if (handBack.length > 0) {
      try {
        const released = await this.store.release(handBack, this.workerId);
        this.logger.log(`Handed back ${released.size} unfinished jobs`);
      } catch (err) {
        this.logger.error(
          `Handing back ${handBack.length} jobs failed (${(err as Error).message}); their leases will expire`,
        );
      }
    }
    // A handler may have finished between the first flush and the hand-back: write it too.
    await Promise.all([this.completions.flush(flushDeadline + 1_000), this.failures.flush(flushDeadline + 1_000)]);
    const unwritten = this.completions.close() + this.failures.close();
    if (unwritten > 0) {
      this.logger.error(
        `Could not record ${unwritten} finished jobs before shutting down (database unreachable); ` +
          'they will run again once their node is seen dead or their lease expires',
      );
    }
    this.leases?.stop();
    await this.liveness
      ?.remove()
      .catch((err: Error) => this.logger.warn(`Leaving the registry failed (${err.message})`));
    clearInterval(this.keepAlive);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    await this.listener?.close();
    clearInterval(this.keepAlive);
  }

  private cancelLocal(id: string): void {
    for (const worker of this.workers.values()) worker.settle(id, 'canceled', new Error('Job canceled'));
  }

  private async maintain(): Promise<void> {
    try {
      await this.store.promoteDue(1_000);
      await this.store.expireIdempotencyKeys(this.options.idempotencyWindowMs);
    } catch (err) {
      this.logger.warn(`Maintenance failed (${(err as Error).message})`);
    }
  }
}
