import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import { JOBS_NODE_ID, JOBS_RESOLVED_OPTIONS, JOBS_STORAGE } from '../jobs.constants';
import { JobsMetrics } from '../observability/jobs-metrics';
import { NodeRuntime } from '../runtime/node-runtime';
import type { JobsStorage } from '../storage/jobs-storage';

/**
 * This node's worker runtime, tied to the Nest lifecycle: it starts in `onApplicationBootstrap`
 * (once every handler is discovered); `beforeApplicationShutdown` stops claiming, lets running jobs
 * finish within the grace period and hands the rest back; `onApplicationShutdown` closes its
 * connection. The work itself is `NodeRuntime`'s.
 */
@Injectable()
export class JobsRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly runtime: NodeRuntime;

  constructor(
    @Inject(JOBS_STORAGE) storage: JobsStorage,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    @Inject(JOBS_NODE_ID) readonly nodeId: string,
    registry: JobsRegistry,
    @Optional() private readonly metrics?: JobsMetrics,
  ) {
    this.runtime = new NodeRuntime({
      storage,
      options,
      registry,
      nodeId,
      logger: new Logger('Jobs'),
      observer: metrics,
      minutes: metrics,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics?.attachRunner(this.nodeId, () => ({ running: this.runningCount(), capacity: this.capacity() }));
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.shutdown();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }

  /** Look for work in `queue` now (in-process enqueue, or a resumed queue). */
  wake(queue: string): void {
    this.runtime.wake(queue);
  }

  /** @internal A slot for a job this node inserts already started (JobsService's fast path). */
  reserve(queue: string, type: string): ReturnType<NodeRuntime['reserve']> {
    return this.runtime.reserve(queue, type);
  }

  /** @internal The lease this node takes on jobs (for jobs inserted already started). */
  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /** Look for due schedules now (one was created, changed or resumed on this node). */
  wakeScheduler(): void {
    this.runtime.wakeScheduler();
  }

  /** Look for work in every queue now. */
  wakeAll(): void {
    this.runtime.wakeAll();
  }

  /** Handlers occupying slots on this node (in `queue`, or in all). */
  runningCount(queue?: string): number {
    return this.runtime.runningCount(queue);
  }

  /** Slots of this node's queue loops (their run-time concurrency where a queue has one). */
  capacity(): number {
    return this.runtime.capacity();
  }

  /** Handlers occupying slots, detached handlers still running, and detached since start. */
  stats(): { running: number; detached: number; detachedTotal: number } {
    return this.runtime.stats();
  }

  /** For health checks: whether this node runs workers, has started them, is registered as live
   * (confirmed by the registry within a lease), and is shutting down. */
  health(): { workers: boolean; started: boolean; registered: boolean; shuttingDown: boolean } {
    return { workers: this.runtime.runsWorkers, ...this.runtime.health() };
  }
}
