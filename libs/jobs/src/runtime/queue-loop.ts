import type { Logger } from '@nestjs/common';
import type { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import type { Job, OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { JobsRepository } from '../storage/jobs.repository';
import { AttemptRunner } from './attempt-runner';
import type { DetachBudget } from './detach-budget';
import { HANDED_BACK, LEASE_NOT_PROVEN, type LeaseClock } from './lease-clock';
import { Prefetch } from './prefetch';
import type { RuntimeObserver } from './runtime-observer';
import { OwnedAttempts } from './owned-attempts';
import { attemptKey, type OutcomeSink, type RunningAttempt, type SettledReason } from './running-attempt';
import { ThrottledWarning } from './throttled-warning';

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
  /** What the node can prove of its leases: nothing starts past its deadline. */
  clock: LeaseClock;
  /** False while the node cannot prove itself alive for a while, or its outcome writes are backed up. */
  mayClaim(): boolean;
}

/**
 * Runs one queue's jobs on this node, never more than `concurrency` handlers at once. A claim takes
 * the free slots' jobs and, when the queue has a backlog, a prefetch beyond them (see `Prefetch`),
 * so a slot that frees up starts the next job without waiting for a claim. One claim is in flight
 * at a time; wake-ups that arrive meanwhile are folded into the next claim.
 */
export class QueueLoop {
  readonly queue: string;
  /** The configured concurrency (see `limit`). */
  readonly concurrency: number;
  /** Every handler in flight, settled or not, except detached ones: what occupies the slots. */
  readonly running = new Map<string, RunningAttempt>();
  /** The attempts this node still owns, started or prefetched. */
  readonly owned = new OwnedAttempts();
  private readonly prefetch = new Prefetch();
  /** Slots promised to jobs this node is inserting already started (`reserve`). */
  private reserved = 0;
  /** The queue's run-time concurrency (`PATCH /queues/:name`), when set. */
  private override: number | null = null;
  private readonly runner: AttemptRunner;
  private fetching: Promise<void> | null = null;
  private fetchAgain = false;
  private stopped = true;
  private pollTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private fetchFailures = 0;
  private wakeQueued = false;
  private idle: Array<() => void> = [];
  private readonly claimWarning: ThrottledWarning;

  constructor(private readonly deps: QueueLoopDeps) {
    this.runner = new AttemptRunner({
      ...deps,
      ended: (attempt, thrown, threw) => this.ended(attempt, thrown, threw),
      timedOut: (attempt, error) => {
        this.owned.remove(attempt);
        deps.sink.failed(attempt, error, 'timed_out');
      },
      detached: (attempt) => {
        deps.observer?.handlerDetached(attempt.job);
        this.freeSlot(attempt);
      },
      holdsSlot: (attempt) => this.running.get(attemptKey(attempt.job)) === attempt,
    });
    this.claimWarning = new ThrottledWarning(deps.logger);
    this.queue = deps.queue;
    this.concurrency = deps.concurrency;
  }

  /** Handlers it may run at once now: the run-time setting of the queue, else its concurrency. */
  get limit(): number {
    return this.override ?? this.deps.concurrency;
  }

  /** The queue's run-time concurrency (null: the configured one); a lower one lets handlers finish. */
  setLimit(limit: number | null): void {
    const before = this.limit;
    this.override = limit;
    if (this.limit > before) this.wake();
  }

  start(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.deps.options.pollIntervalMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Stops claiming and starting; running handlers go on. Resolves once a claim in flight has
   * returned (its jobs are then owned, so the shutdown sees them). */
  async stopFetching(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    await this.fetching;
  }

  /** Promises a slot to a job of `type` this node is about to insert already started (no claim): only
   * when the queue is idle here (a free slot, nothing prefetched, no backlog seen by the last claim), so
   * the job does not jump ahead of others waiting. Then `startReserved` or `releaseReserved`. */
  reserve(type: string): boolean {
    if (this.stopped || !this.deps.registry.get(type)) return false;
    if (this.prefetch.size > 0 || this.prefetch.hasBacklog) return false;
    if (this.running.size + this.reserved >= this.limit) return false;
    this.reserved += 1;
    return true;
  }

  /** The reserved slot's job was inserted started: run it now, or hand it back if the loop stopped
   * meanwhile (a shutdown waits for reserved slots, so the job is not left running). */
  startReserved(job: Job, leaseSentAt: number): void {
    this.reserved -= 1;
    const attempt = this.owned.add(job, leaseSentAt);
    if (!this.stopped) {
      this.prefetch.countStart();
      this.run(attempt);
    } else if (this.settle(attempt, 'released', HANDED_BACK)) {
      this.deps.sink.abandoned(attempt);
      this.freeSlot();
    }
  }

  /** The reserved slot is not needed after all (the insert failed, or the queue is paused). */
  releaseReserved(): void {
    this.reserved -= 1;
    this.freeSlot();
  }

  /** Lets go of the prefetched attempts (shutdown): none started. Returns them, to be handed back. */
  dropPrefetched(): OwnedAttempt[] {
    const dropped = this.prefetch.drain().filter((a) => this.settle(a, 'released', HANDED_BACK));
    return dropped.map((a) => ({ id: a.job.id, attempt: a.job.attempts }));
  }

  /** Gives up the owned attempts whose lease the node can no longer prove (`LeaseClock`): a running handler
   * is aborted, a prefetched job is not started. Returns how many handlers were aborted. */
  enforceLeases(now = performance.now()): number {
    const given = this.owned.expired(this.deps.clock, now).filter((a) => this.settle(a, 'lost', LEASE_NOT_PROVEN));
    for (const attempt of given) this.deps.sink.abandoned(attempt);
    return given.filter((a) => a.started).length;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = this.fetchLoop().finally(() => {
      this.fetching = null;
      // Wake-ups that found `fetching` still set (handlers finishing as it returned): claim for them now,
      // not at the next poll. After a failed claim the retry timer does that, with its backoff.
      if (this.fetchAgain && this.fetchFailures === 0) this.wake();
    });
  }

  /** Resolves when no handler runs and no slot is reserved, or at the deadline. */
  async whenIdle(deadline: number): Promise<void> {
    if (this.running.size + this.reserved === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Settles every owned attempt of job `id` (canceled by an operator). */
  settleJob(id: string, reason: SettledReason, cause: Error): void {
    for (const attempt of this.owned.ofJob(id)) this.settle(attempt, reason, cause);
  }

  /** The node no longer owns this attempt (lease lost, handed back): abort its handler, or forget it if
   * it was only prefetched. False if it was settled already. */
  settle(attempt: RunningAttempt, reason: SettledReason, cause: Error): boolean {
    if (!this.runner.settle(attempt, reason, cause)) return false;
    this.owned.remove(attempt);
    this.prefetch.remove(attempt);
    return true;
  }

  private async fetchLoop(): Promise<void> {
    const { attempts, registry, queue, nodeId, options } = this.deps;
    const concurrency = this.limit;
    try {
      do {
        this.fetchAgain = false;
        this.startPrefetched();
        const free = concurrency - this.running.size - this.reserved;
        // Over a lowered limit (or set to 0): claim nothing until the running handlers are below it.
        if (free < 0 || concurrency === 0) break;
        const want = this.prefetch.want(free, concurrency);
        if (want <= 0) break;
        if (!this.deps.mayClaim()) {
          this.retryLater(20);
          break;
        }
        const types = registry.all().map((h) => h.metadata.type);
        const sentAt = performance.now();
        const jobs = await attempts.claim(queue, types, want, nodeId, options.leaseMs);
        this.fetchFailures = 0;
        const idle = concurrency - this.running.size - this.reserved;
        this.prefetch.claimed(free, want, jobs.length, performance.now() - sentAt, idle);
        for (const job of jobs) {
          const attempt = this.owned.add(job, sentAt);
          if (this.running.size + this.reserved < concurrency && this.deps.clock.mayStart()) {
            this.prefetch.countStart();
            this.run(attempt);
          } else this.prefetch.add(attempt);
        }
        if (jobs.length === want) this.fetchAgain = true;
      } while (this.fetchAgain && !this.stopped);
      this.startPrefetched();
    } catch (err) {
      this.fetchFailures += 1;
      this.claimWarning.warn(`Claiming jobs of queue "${queue}" failed (${(err as Error).message}); retrying`);
      this.retryLater(Math.min(2_000, 100 * 2 ** Math.min(this.fetchFailures, 5)));
    }
  }

  /** Starts prefetched attempts in the free slots. */
  private startPrefetched(): void {
    if (this.stopped) return;
    while (this.running.size + this.reserved < this.limit) {
      const attempt = this.prefetch.take();
      if (attempt) attempt.startedAt = new Date(); // its handler's start, not the claim's
      if (!attempt || !this.run(attempt)) break;
    }
  }

  /** Starts the handler while the node can prove itself alive for a while (`LeaseClock.mayStart`), else puts it
   * first in the prefetch (false). One whose lease is gone (late claim, after a pause) is given up unstarted. */
  private run(attempt: RunningAttempt): boolean {
    if (!this.deps.clock.holds(attempt)) {
      this.enforceLeases(); // gives it up
      return true;
    }
    if (!this.deps.clock.mayStart(attempt)) {
      this.prefetch.putBack(attempt);
      this.retryLater(50);
      return false;
    }
    attempt.started = true;
    this.running.set(attemptKey(attempt.job), attempt);
    this.deps.observer?.attemptStarted(attempt.job, attempt.startedAt);
    this.runner.start(attempt);
    return true;
  }

  /** The handler returned or threw: its slot is free, and its outcome is written if the node still
   * owned the attempt. */
  private ended(attempt: RunningAttempt, thrown: unknown, threw: boolean): void {
    this.prefetch.observeDuration(Date.now() - attempt.startedAt.getTime());
    this.owned.remove(attempt);
    if (!attempt.settled) {
      if (threw) this.deps.sink.failed(attempt, thrown, 'failed');
      else this.deps.sink.completed(attempt);
    }
    this.freeSlot(attempt);
  }

  private freeSlot(attempt?: RunningAttempt): void {
    if (attempt) this.running.delete(attemptKey(attempt.job));
    if (this.running.size + this.reserved === 0) for (const resolve of this.idle.splice(0)) resolve();
    // A prefetched job takes the slot at once; the claim loop refills the prefetch.
    this.startPrefetched();
    this.wakeSoon();
  }

  /** Handlers ending in one turn of the event loop free their slots together: one claim for them all. */
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
