import type { Logger } from '@nestjs/common';
import type { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import { JobTimeoutError } from '../errors';
import type { JobContext } from '../interfaces';
import type { JobsRepository } from '../storage/jobs.repository';
import type { DetachBudget } from './detach-budget';
import { JobReporter } from './job-reporter';
import type { RunningAttempt } from './running-attempt';

export interface AttemptRunnerDeps {
  queue: string;
  registry: JobsRegistry;
  options: ResolvedJobsOptions;
  nodeId: string;
  /** Where handlers' `ctx.log()` and `ctx.progress()` reports are written. */
  jobs: JobsRepository;
  logger: Logger;
  /** The node's allowance of detached handlers (none: never detach). */
  detachBudget?: DetachBudget;
  /** The handler ended (returned or threw) while still holding its slot. */
  ended(attempt: RunningAttempt, thrown: unknown, threw: boolean): void;
  /** The attempt timed out: its signal is aborted, the node no longer owns it. */
  timedOut(attempt: RunningAttempt, error: JobTimeoutError): void;
  /** A hung handler was let go of its slot. */
  detached(attempt: RunningAttempt): void;
  /** Whether the attempt still holds a slot (it may have ended meanwhile). */
  holdsSlot(attempt: RunningAttempt): boolean;
}

/**
 * Runs one queue loop's attempts: calls the handler with its context, aborts its signal at the
 * timeout, and, with a detach budget, lets go of a timed-out handler that ignores its abort.
 */
export class AttemptRunner {
  constructor(private readonly deps: AttemptRunnerDeps) {}

  start(attempt: RunningAttempt): void {
    const { job } = attempt;
    const handler = this.deps.registry.get(job.type);
    if (!handler) {
      // Cannot happen: claims only take registered types. Fail loudly rather than hold the slot.
      this.end(attempt, new Error(`No handler for job type "${job.type}" on this node`), true);
      return;
    }
    const timeoutMs = handler.metadata.timeoutMs ?? this.deps.options.defaultTimeoutMs;
    attempt.timer = setTimeout(() => this.timeOut(attempt, timeoutMs), timeoutMs);
    // Made on the first report: most handlers never report.
    let reporter: JobReporter | undefined;
    const report = () => (reporter ??= new JobReporter(job, this.deps.jobs, this.deps.nodeId, this.deps.logger));
    const ctx: JobContext = {
      get signal() {
        return signalOf(attempt);
      },
      attempt: job.attempts,
      nodeId: this.deps.nodeId,
      log: (message) => report().log(message),
      progress: (percent) => report().progress(percent),
    };
    let result: unknown;
    try {
      result = handler.instance.handle(job, ctx);
    } catch (err) {
      this.end(attempt, err, true);
      return;
    }
    Promise.resolve(result).then(
      () => this.end(attempt, undefined, false),
      (err: unknown) => this.end(attempt, err, true),
    );
  }

  /** Aborts the attempt's handler; false when it was already settled. */
  settle(attempt: RunningAttempt, reason: NonNullable<RunningAttempt['settled']>, cause: Error): boolean {
    if (attempt.settled) return false;
    attempt.settled = reason;
    clearTimeout(attempt.timer);
    attempt.abortReason = cause;
    attempt.controller?.abort(cause);
    return true;
  }

  private end(attempt: RunningAttempt, thrown: unknown, threw: boolean): void {
    clearTimeout(attempt.timer);
    clearTimeout(attempt.detachTimer);
    attempt.stopWaiting?.();
    if (attempt.detached) {
      // Its slot was freed when it was detached and its attempt recorded as timed out: only its
      // place in the budget is given back (possibly to a hung handler waiting for one).
      this.deps.logger.log(`Detached handler of job ${attempt.job.id} (attempt ${attempt.job.attempts}) returned`);
      this.deps.detachBudget?.release();
      return;
    }
    this.deps.ended(attempt, thrown, threw);
  }

  private timeOut(attempt: RunningAttempt, timeoutMs: number): void {
    const error = new JobTimeoutError(timeoutMs);
    if (!this.settle(attempt, 'timeout', error)) return;
    this.deps.timedOut(attempt, error);
    const budget = this.deps.detachBudget;
    if (!budget || budget.max === 0) return;
    // A handler that honours its signal returns within moments of the abort; only one still running
    // after `detachAfterMs` is let go of.
    attempt.detachTimer = setTimeout(() => this.tryDetach(attempt, budget), this.deps.options.detachAfterMs);
    attempt.detachTimer.unref();
  }

  /** The timed-out handler ignored its abort: free its slot if the node's budget allows, else keep
   * the slot taken and wait for a place. */
  private tryDetach(attempt: RunningAttempt, budget: DetachBudget): void {
    if (!this.deps.holdsSlot(attempt)) return; // it returned meanwhile
    if (budget.tryAcquire()) {
      this.detach(attempt, budget);
      return;
    }
    const { job } = attempt;
    this.deps.logger.warn(
      `Job ${job.id} ("${job.type}", attempt ${job.attempts}) ignores its timeout, but the detach budget is ` +
        `exhausted (${budget.detached}/${budget.max} handlers detached on this node): it keeps its slot in queue ` +
        `"${this.deps.queue}" until it returns or a detached handler does`,
    );
    attempt.stopWaiting = budget.wait(() => this.detach(attempt, budget));
  }

  /** Lets go of a hung handler (a budget place already taken): its slot is free for another job. Its
   * attempt was recorded as timed out; whatever it returns later is ignored. */
  private detach(attempt: RunningAttempt, budget: DetachBudget): void {
    attempt.detached = true;
    attempt.stopWaiting = undefined;
    const { job } = attempt;
    this.deps.logger.warn(
      `Job ${job.id} ("${job.type}", attempt ${job.attempts}) ignored its timeout for ` +
        `${this.deps.options.detachAfterMs} ms after the abort: handler detached to free its slot in queue ` +
        `"${this.deps.queue}" (${budget.detached}/${budget.max} detached on this node)`,
    );
    this.deps.detached(attempt);
  }
}

/** The attempt's abort signal, made on first use: aborted at once if the attempt already was. */
function signalOf(attempt: RunningAttempt): AbortSignal {
  if (!attempt.controller) {
    attempt.controller = new AbortController();
    if (attempt.abortReason) attempt.controller.abort(attempt.abortReason);
  }
  return attempt.controller.signal;
}
