import type { Logger } from '@nestjs/common';
import type { JobsRegistry } from '../core/handler-registry';
import { pendingLimitOf, type ResolvedJobsOptions } from '../core/module-options';
import type { Job } from '../interfaces';
import { DEFAULTS } from '../jobs.constants';
import type { JobsStorage } from '../storage/jobs-storage';
import { DetachBudget } from './detach-budget';
import { LeaseClock } from './lease-clock';
import { LeaseKeeper } from './lease-keeper';
import { Maintenance } from './maintenance';
import { NodeLiveness } from './node-liveness';
import { NotificationListener } from './notification-listener';
import { failureOutcome } from './outcome-policy';
import { OutcomeWriter } from './outcome-writer';
import { QueueLoop } from './queue-loop';
import { QueueSettingsFollower } from './queue-settings-follower';
import { RetentionPruner } from './retention-pruner';
import { ScheduleLoop } from './schedule-loop';
import type { AttemptFailure, RuntimeObserver } from './runtime-observer';
import type { OutcomeSink, RunningAttempt } from './running-attempt';
import { drainAndHandBack } from './shutdown';
import { TableUpkeep } from './table-upkeep';
import { ThroughputRollup, type MinuteSource } from './throughput-rollup';

export interface NodeRuntimeDeps {
  storage: JobsStorage;
  options: ResolvedJobsOptions;
  registry: JobsRegistry;
  nodeId: string;
  logger: Logger;
  observer?: RuntimeObserver;
  /** This node's per-minute outcomes, for the cluster-wide throughput roll-up. */
  minutes?: MinuteSource;
}

/**
 * The worker runtime of one node: a queue loop per queue, the listener that wakes them, liveness
 * and leases, maintenance, the outcome writes and the throughput roll-up. `start()` once the
 * handlers are known; `shutdown()` drains and hands back; `close()` ends the last connection.
 */
export class NodeRuntime implements OutcomeSink {
  private readonly loops = new Map<string, QueueLoop>();
  private readonly writer: OutcomeWriter;
  /** What this node can prove of its leases, by its monotonic clock. */
  private readonly clock: LeaseClock;
  /** Node-wide allowance of timed-out handlers let go of from their slots (`maxDetachedHandlers`). */
  private readonly detachBudget: DetachBudget;
  private listener?: NotificationListener;
  private liveness?: NodeLiveness;
  private leases?: LeaseKeeper;
  private maintenance?: Maintenance;
  private rollup?: ThroughputRollup;
  private pruner?: RetentionPruner;
  private upkeep?: TableUpkeep;
  private settings?: QueueSettingsFollower;
  /** Fires due schedules (nodes with `workers` on; see ScheduleLoop). */
  private scheduler?: ScheduleLoop;
  /** The one referenced handle of the runtime (its other timers are unref'd): see `start`. */
  private keepAlive?: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(private readonly deps: NodeRuntimeDeps) {
    this.clock = new LeaseClock(deps.options.leaseMs);
    // Statistics count what the database accepted, never a completion the fence refused.
    const accepted = {
      succeeded: (a: RunningAttempt) => deps.observer?.attemptSucceeded(a.job, a.startedAt),
      failed: (a: RunningAttempt, failure: AttemptFailure) => deps.observer?.attemptFailed(a.job, a.startedAt, failure),
    };
    this.writer = new OutcomeWriter(deps.storage.attempts, deps.nodeId, accepted, deps.logger);
    this.detachBudget = new DetachBudget(deps.options.maxDetachedHandlers);
  }

  /** Whether this node runs workers: `workers` is on and it has handlers. */
  get runsWorkers(): boolean {
    return this.deps.options.workers && this.deps.registry.all().length > 0;
  }

  async start(): Promise<void> {
    const { storage, options, registry, nodeId, logger } = this.deps;
    if (options.workers && this.deps.minutes) {
      this.rollup = new ThroughputRollup(storage.stats, this.deps.minutes, logger);
      this.rollup.start();
    }
    // Housekeeping of the shared tables runs on every node with workers on, handlers or not.
    if (options.workers) {
      // Every 5 poll intervals (every 5 s by default), within 0.5-5 s.
      const pruneEveryMs = Math.min(5_000, Math.max(500, 5 * options.pollIntervalMs));
      this.pruner = new RetentionPruner(storage.maintenance, options.retention, logger, pruneEveryMs);
      this.pruner.start();
      if (options.tableMaintenance === 'auto') {
        this.upkeep = new TableUpkeep(storage.maintenance, logger);
        this.upkeep.start();
      }
      const { pollIntervalMs } = options;
      const { schedules, jobs } = storage;
      this.scheduler = new ScheduleLoop({
        schedules,
        jobs,
        pollIntervalMs,
        logger,
        observer: this.deps.observer,
        pendingLimitOf: (queue) => pendingLimitOf(options, queue),
      });
      this.scheduler.start();
    }
    if (!this.runsWorkers) return;
    const queues = new Set(Object.keys(options.queues));
    for (const h of registry.all()) queues.add(h.metadata.queue ?? DEFAULTS.queue);
    for (const queue of queues) {
      const loop = new QueueLoop({
        queue,
        concurrency: options.queues[queue]?.concurrency ?? options.concurrency,
        attempts: storage.attempts,
        jobs: storage.jobs,
        registry,
        options,
        nodeId,
        sink: this,
        observer: this.deps.observer,
        logger,
        detachBudget: this.detachBudget,
        clock: this.clock,
        mayClaim: () => this.clock.mayStart() && this.writer.mayClaim(),
      });
      this.loops.set(queue, loop);
    }
    const queueSizes = Object.fromEntries([...this.loops].map(([q, loop]) => [q, loop.concurrency]));
    const liveness = new NodeLiveness(storage.nodes, nodeId, queueSizes, this.clock, logger);
    this.liveness = liveness;
    const { wake } = storage.channels;
    this.listener = new NotificationListener(
      storage,
      {
        onNotify: (channel, payload) => (channel === wake ? this.wake(payload) : this.cancelLocal(payload)),
        onSession: (connection) => liveness.onSession(connection),
        onAnswered: (sentAt) => liveness.sessionAnswered(sentAt),
        onLost: () => liveness.sessionLost(),
        onConnected: () => {
          this.wakeAll();
          // After a reconnect, learn at once whether our running jobs are still ours.
          void this.leases?.renew();
        },
      },
      logger,
    );
    await this.listener.start();
    // While the workers run, the process stays up until `app.close()` or a signal. Nothing else may
    // hold it: a worker-only application has no server socket, and during a database outage every
    // connection is closed, so with only unref'd timers left Node would exit quietly, dropping the
    // outcomes still waiting to be written (their jobs would run again elsewhere).
    this.keepAlive = setInterval(() => undefined, 60_000);
    this.settings = new QueueSettingsFollower(
      storage.operators,
      () => this.loops.values(),
      options.pollIntervalMs,
      logger,
    );
    await this.settings.follow(); // a queue set to 0 claims nothing from the start
    this.settings.start();
    for (const loop of this.loops.values()) loop.start();
    this.maintenance = new Maintenance(storage, options, logger);
    this.maintenance.start();
    this.leases = new LeaseKeeper(
      storage.attempts,
      liveness,
      this.clock,
      () => this.loops.values(),
      nodeId,
      options,
      logger,
      () => this.listener?.reconnect('re-registering after being declared dead'),
      (byQueue) => this.deps.observer?.attemptsTakenBack(byQueue),
    );
    this.leases.start();
    logger.log(
      `Node ${nodeId} running queues ${Object.entries(queueSizes)
        .map(([q, n]) => `${q}(${n})`)
        .join(', ')}`,
    );
  }

  /**
   * A slot in `queue` for a job of `type` this node inserts already started (no claim round trip),
   * when the queue is idle here; null otherwise. The caller then starts or releases it.
   */
  reserve(queue: string, type: string): { start(job: Job): void; release(): void } | null {
    const loop = this.loops.get(queue);
    // The claim's rule too: a node that cannot prove itself alive a while yet starts nothing; the job
    // is inserted pending and claimed once it can (or by another node).
    if (!loop || this.shuttingDown || !this.clock.mayStart() || !loop.reserve(type)) return null;
    // Sent after this, the insert's lease is proven from now.
    const sentAt = performance.now();
    return { start: (job) => loop.startReserved(job, sentAt), release: () => loop.releaseReserved() };
  }

  /** Look for work in `queue` now (in-process enqueue, or a notification). */
  wake(queue: string): void {
    this.loops.get(queue)?.wake();
  }

  /** Look for due schedules now (one was created, changed or resumed here). */
  wakeScheduler(): void {
    this.scheduler?.wake();
  }

  wakeAll(): void {
    for (const loop of this.loops.values()) loop.wake();
  }

  /** Handlers occupying slots on this node (in `queue`, or in all). */
  runningCount(queue?: string): number {
    let n = 0;
    for (const loop of this.loops.values()) if (!queue || loop.queue === queue) n += loop.running.size;
    return n;
  }

  /** Slots of this node's queue loops (their run-time concurrency where a queue has one). */
  capacity(): number {
    let n = 0;
    for (const loop of this.loops.values()) n += loop.limit;
    return n;
  }

  /** Handlers occupying slots, detached handlers still running, and detached since start. */
  stats(): { running: number; detached: number; detachedTotal: number } {
    return {
      running: this.runningCount(),
      detached: this.detachBudget.detached,
      detachedTotal: this.detachBudget.detachedTotal,
    };
  }

  /** Whether the workers have started, are registered as live (confirmed within a lease), and are
   * shutting down. */
  health(): { started: boolean; registered: boolean; shuttingDown: boolean } {
    return {
      started: this.leases !== undefined,
      registered: this.liveness?.registered(this.deps.options.leaseMs) ?? false,
      shuttingDown: this.shuttingDown,
    };
  }

  completed(attempt: RunningAttempt): void {
    this.writer.completed(attempt);
  }

  abandoned(attempt: RunningAttempt): void {
    this.writer.gaveUp(attempt);
  }

  failed(attempt: RunningAttempt, thrown: unknown, outcome: 'failed' | 'timed_out'): void {
    const { write, failure } = failureOutcome(
      attempt.job,
      attempt.startedAt,
      thrown,
      outcome,
      this.deps.registry,
      this.deps.options,
    );
    this.writer.failed(attempt, write, failure);
  }

  /** Stops claiming, lets running jobs finish within the grace period, writes what finished, hands
   * the rest back and leaves the registry. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    await this.scheduler?.stop();
    this.settings?.stop();
    if (this.loops.size > 0) {
      this.maintenance?.stop();
      this.leases?.beginShutdown();
      const { storage, nodeId, options, logger } = this.deps;
      await drainAndHandBack(
        [...this.loops.values()],
        this.writer,
        storage.attempts,
        nodeId,
        options.shutdownGracePeriodMs,
        logger,
      );
      this.leases?.stop();
      await this.liveness?.remove().catch((err: Error) => logger.warn(`Leaving the registry failed (${err.message})`));
    }
    // The last roll-up is written before any connection closes.
    await Promise.all([this.rollup?.stop(), this.pruner?.stop(), this.upkeep?.stop()]);
    clearInterval(this.keepAlive);
  }

  /** Shuts down if not done yet, and closes the listener's connection. */
  async close(): Promise<void> {
    await this.shutdown();
    await this.listener?.close();
    clearInterval(this.keepAlive);
  }

  private cancelLocal(id: string): void {
    for (const loop of this.loops.values()) loop.settleJob(id, 'canceled', new Error('Job canceled'));
  }
}
