import type { Logger } from '@nestjs/common';
import type { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import type { Job, OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { JobsRepository } from '../storage/jobs.repository';
import { AttemptRunner } from './attempt-runner';
import type { DetachBudget } from './detach-budget';
import type { RuntimeObserver } from './runtime-observer';
import { attemptKey, type OutcomeSink, type RunningAttempt, type SettledReason } from './running-attempt';

export interface QueueLoopDeps {
  queue: string;
  concurrency: number;
  attempts: AttemptsRepository;
  jobs: JobsRepository;
  registry: JobsRegistry;
  options: ResolvedJobsOptions;
  nodeId: string;
  sink: OutcomeSink;
  observer?: RuntimeObserver;
  logger: Logger;
  detachBudget?: DetachBudget;
  /** False while the node's outcome writes are backed up: claiming more would only pile up
   * finished jobs whose leases are no longer renewed. */
  mayClaim?: () => boolean;
}

/**
 * Runs one queue's jobs on this node: claims at most as many jobs as it has free slots, in one
 * statement, and never has more than `concurrency` handlers in flight. One claim is in flight at a
 * time; wake-ups that arrive meanwhile are folded into the next claim.
 */
export class QueueLoop {
  /** Every handler in flight, settled or not, except detached ones: what occupies the slots. */
  readonly running = new Map<string, RunningAttempt>();
  /** The attempts this node still owns, by job id (a job has at most one owned attempt). */
  private readonly owned = new Map<string, RunningAttempt>();
  private readonly runner: AttemptRunner;
  private fetching: Promise<void> | null = null;
  private fetchAgain = false;
  private stopped = true;
  private pollTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private fetchFailures = 0;
  private wakeQueued = false;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: QueueLoopDeps) {
    this.runner = new AttemptRunner({
      ...deps,
      ended: (attempt, thrown, threw) => this.ended(attempt, thrown, threw),
      timedOut: (attempt, error) => {
        this.disown(attempt);
        deps.sink.failed(attempt, error, 'timed_out');
      },
      detached: (attempt) => {
        deps.observer?.handlerDetached(attempt.job);
        this.freeSlot(attempt);
      },
      holdsSlot: (attempt) => this.running.get(attemptKey(attempt.job)) === attempt,
    });
  }

  get queue(): string {
    return this.deps.queue;
  }

  get concurrency(): number {
    return this.deps.concurrency;
  }

  start(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.deps.options.pollIntervalMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Stops claiming; running handlers go on. Resolves once a claim in flight has returned (its
   * jobs are then in `running`, so the shutdown sees them). */
  async stopFetching(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    await this.fetching;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = this.fetchLoop().finally(() => {
      this.fetching = null;
      // Wake-ups that arrived after the loop's last check (handlers finishing as it returned) found
      // `fetching` still set; claim for them now instead of waiting for the next poll. After a failed
      // claim the retry timer does that, with its backoff.
      if (this.fetchAgain && this.fetchFailures === 0) this.wake();
    });
  }

  /** Resolves when no handler runs, or at the deadline. */
  async whenIdle(deadline: number): Promise<void> {
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Attempts this node still owns (running, not settled): the ones whose lease it renews. */
  ownedAttempts(): OwnedAttempt[] {
    return [...this.owned.values()].map((r) => ({ id: r.job.id, attempt: r.job.attempts }));
  }

  /** The node no longer owns this job (canceled, lease lost, handed back): abort its handler. */
  settle(id: string, reason: SettledReason, cause: Error): RunningAttempt | undefined {
    const attempt = this.owned.get(id);
    if (!attempt || !this.runner.settle(attempt, reason, cause)) return undefined;
    this.disown(attempt);
    return attempt;
  }

  private async fetchLoop(): Promise<void> {
    const { attempts, registry, queue, concurrency, nodeId, options } = this.deps;
    try {
      do {
        this.fetchAgain = false;
        const free = concurrency - this.running.size;
        if (free <= 0) break;
        if (this.deps.mayClaim && !this.deps.mayClaim()) {
          this.retryLater(20);
          break;
        }
        const types = registry.all().map((h) => h.metadata.type);
        const jobs = await attempts.claim(queue, types, free, nodeId, options.leaseMs);
        this.fetchFailures = 0;
        for (const job of jobs) this.run(job);
        if (jobs.length === free) this.fetchAgain = true;
      } while (this.fetchAgain && !this.stopped);
    } catch (err) {
      this.fetchFailures += 1;
      const delay = Math.min(2_000, 100 * 2 ** Math.min(this.fetchFailures, 5));
      this.deps.logger.warn(
        `Claiming jobs of queue "${queue}" failed (${(err as Error).message}); retrying in ${delay} ms`,
      );
      this.retryLater(delay);
    }
  }

  private run(job: Job): void {
    const attempt: RunningAttempt = {
      job,
      controller: new AbortController(),
      startedAt: job.startedAt ?? new Date(),
      settled: null,
    };
    this.running.set(attemptKey(job), attempt);
    this.owned.set(job.id, attempt);
    this.deps.observer?.attemptStarted(job, attempt.startedAt);
    this.runner.start(attempt);
  }

  /** The handler returned or threw: its slot is free, and its outcome is written if the node still
   * owned the attempt. */
  private ended(attempt: RunningAttempt, thrown: unknown, threw: boolean): void {
    this.disown(attempt);
    if (!attempt.settled) {
      if (threw) this.deps.sink.failed(attempt, thrown, 'failed');
      else this.deps.sink.completed(attempt);
    }
    this.freeSlot(attempt);
  }

  private disown(attempt: RunningAttempt): void {
    if (this.owned.get(attempt.job.id) === attempt) this.owned.delete(attempt.job.id);
  }

  private freeSlot(attempt: RunningAttempt): void {
    this.running.delete(attemptKey(attempt.job));
    if (this.running.size === 0) for (const resolve of this.idle.splice(0)) resolve();
    this.wakeSoon();
  }

  /** Handlers that finish in the same turn of the event loop free their slots together: claim
   * for all of them in one statement, not one claim for the first and another for the rest. */
  private wakeSoon(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.wake();
    });
  }

  private retryLater(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.wake(), delayMs);
    this.retryTimer.unref();
  }
}
