import type { Logger } from '@nestjs/common';
import { JobTimeoutError } from '../errors';
import type { Job, JobContext } from '../interfaces';
import type { JobsRegistry } from '../jobs.registry';
import type { JobsStore } from '../storage/jobs.store';
import type { ResolvedJobsOptions } from '../utils/resolve-options';
import { JobReporter } from './job-reporter';
import type { DetachBudget } from './detach-budget';

/** Running handlers are keyed per attempt, not per job: a timed-out handler that ignores its
 * signal keeps its slot (unless it is detached) while the job's retry runs beside it on the same node. */
function attemptKey(job: Job): string {
  return `${job.id}:${job.replays}:${job.attempts}`;
}

/** Why a running job is no longer this node's to finish. */
export type SettledReason = 'timeout' | 'released' | 'lost' | 'canceled';

export interface RunningJob {
  job: Job;
  controller: AbortController;
  startedAt: Date;
  settled: SettledReason | null;
  timer?: NodeJS.Timeout;
  /** Set once a timed-out handler that ignored its signal was let go of: it holds no slot any more. */
  detached?: boolean;
  /** Fires `detachAfterMs` after the timeout, when detaching is on. */
  detachTimer?: NodeJS.Timeout;
  /** Cancels the wait for a place in a full detach budget. */
  stopWaiting?: () => void;
}

/** Where a worker sends the outcome of an attempt (batched by the runner). */
export interface OutcomeSink {
  completed(entry: RunningJob): void;
  failed(entry: RunningJob, thrown: unknown, outcome: 'failed' | 'timed_out'): void;
  /** An attempt started (metrics). */
  started?(entry: RunningJob): void;
  /** A hung handler was detached from its slot (metrics). */
  detached?(entry: RunningJob): void;
}

export interface QueueWorkerDeps {
  queue: string;
  concurrency: number;
  store: JobsStore;
  registry: JobsRegistry;
  options: ResolvedJobsOptions;
  workerId: string;
  sink: OutcomeSink;
  logger: Logger;
  /** The node's allowance of detached handlers (none: never detach). */
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
export class QueueWorker {
  /** Every handler in flight, settled or not, except detached ones: what occupies the slots. */
  readonly running = new Map<string, RunningJob>();
  /** The attempts this node still owns, by job id (a job has at most one owned attempt). */
  private readonly owned = new Map<string, RunningJob>();
  private fetching: Promise<void> | null = null;
  private fetchAgain = false;
  private stopped = true;
  private pollTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private fetchFailures = 0;
  private wakeQueued = false;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: QueueWorkerDeps) {}

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
  ownedAttempts(): Array<{ id: string; attempt: number }> {
    return [...this.owned.values()].map((r) => ({ id: r.job.id, attempt: r.job.attempts }));
  }

  /** The node no longer owns this job (canceled, lease lost, handed back): abort its handler. */
  settle(id: string, reason: SettledReason, cause: Error): RunningJob | undefined {
    const entry = this.owned.get(id);
    return entry && this.settleEntry(entry, reason, cause);
  }

  private settleEntry(entry: RunningJob, reason: SettledReason, cause: Error): RunningJob | undefined {
    if (entry.settled) return undefined;
    entry.settled = reason;
    if (this.owned.get(entry.job.id) === entry) this.owned.delete(entry.job.id);
    clearTimeout(entry.timer);
    entry.controller.abort(cause);
    return entry;
  }

  private async fetchLoop(): Promise<void> {
    const { store, registry, queue, concurrency, workerId, options } = this.deps;
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
        const jobs = await store.claim(queue, types, free, workerId, options.leaseMs);
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
    const handler = this.deps.registry.get(job.type);
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      startedAt: job.startedAt ?? new Date(),
      settled: null,
    };
    this.running.set(attemptKey(job), entry);
    this.owned.set(job.id, entry);
    this.deps.sink.started?.(entry);
    if (!handler) {
      // Cannot happen: claims only take registered types. Fail loudly rather than hold the slot.
      this.finish(entry, new Error(`No handler for job type "${job.type}" on this node`));
      return;
    }
    const timeoutMs = handler.metadata.timeoutMs ?? this.deps.options.defaultTimeoutMs;
    entry.timer = setTimeout(() => this.timeOut(entry, timeoutMs), timeoutMs);
    const reporter = new JobReporter(job, this.deps.store, this.deps.workerId, this.deps.logger);
    const ctx: JobContext = {
      signal: entry.controller.signal,
      attempt: job.attempts,
      workerId: this.deps.workerId,
      log: (message) => reporter.log(message),
      progress: (percent) => reporter.progress(percent),
    };
    let result: unknown;
    try {
      result = handler.instance.handle(job, ctx);
    } catch (err) {
      this.finish(entry, err, true);
      return;
    }
    Promise.resolve(result).then(
      () => this.finish(entry, undefined, false),
      (err: unknown) => this.finish(entry, err, true),
    );
  }

  private timeOut(entry: RunningJob, timeoutMs: number): void {
    const error = new JobTimeoutError(timeoutMs);
    if (!this.settleEntry(entry, 'timeout', error)) return;
    this.deps.sink.failed(entry, error, 'timed_out');
    const budget = this.deps.detachBudget;
    if (!budget || budget.max === 0) return;
    // A handler that honours its signal returns within moments of the abort; only one still running
    // after `detachAfterMs` is let go of.
    entry.detachTimer = setTimeout(() => this.tryDetach(entry, budget), this.deps.options.detachAfterMs);
    entry.detachTimer.unref();
  }

  /** The timed-out handler ignored its abort: free its slot if the node's budget allows, else keep
   * the slot taken and wait for a place. */
  private tryDetach(entry: RunningJob, budget: DetachBudget): void {
    if (this.running.get(attemptKey(entry.job)) !== entry) return; // it returned meanwhile
    if (budget.tryAcquire()) {
      this.detach(entry, budget);
      return;
    }
    const { job } = entry;
    this.deps.logger.warn(
      `Job ${job.id} ("${job.type}", attempt ${job.attempts}) ignores its timeout, but the detach budget is ` +
        `exhausted (${budget.detached}/${budget.max} handlers detached on this node): it keeps its slot in queue ` +
        `"${this.deps.queue}" until it returns or a detached handler does`,
    );
    entry.stopWaiting = budget.wait(() => this.detach(entry, budget));
  }

  /** Lets go of a hung handler (a budget place already taken): its slot is free for another job. Its
   * attempt was recorded as timed out; whatever it returns later is ignored. */
  private detach(entry: RunningJob, budget: DetachBudget): void {
    entry.detached = true;
    entry.stopWaiting = undefined;
    this.running.delete(attemptKey(entry.job));
    this.deps.sink.detached?.(entry);
    const { job } = entry;
    this.deps.logger.warn(
      `Job ${job.id} ("${job.type}", attempt ${job.attempts}) ignored its timeout for ` +
        `${this.deps.options.detachAfterMs} ms after the abort: handler detached to free its slot in queue ` +
        `"${this.deps.queue}" (${budget.detached}/${budget.max} detached on this node)`,
    );
    if (this.running.size === 0) for (const resolve of this.idle.splice(0)) resolve();
    this.wakeSoon();
  }

  private finish(entry: RunningJob, thrown: unknown, threw = thrown !== undefined): void {
    clearTimeout(entry.timer);
    clearTimeout(entry.detachTimer);
    entry.stopWaiting?.();
    if (entry.detached) {
      // Its slot was freed when it was detached and its attempt recorded as timed out: only its
      // place in the budget is given back (possibly to a hung handler waiting for one).
      this.deps.logger.log(`Detached handler of job ${entry.job.id} (attempt ${entry.job.attempts}) returned`);
      this.deps.detachBudget?.release();
      return;
    }
    this.running.delete(attemptKey(entry.job));
    if (this.owned.get(entry.job.id) === entry) this.owned.delete(entry.job.id);
    if (!entry.settled) {
      if (threw) this.deps.sink.failed(entry, thrown, 'failed');
      else this.deps.sink.completed(entry);
    }
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
