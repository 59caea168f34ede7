import type { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import type { FailedAttempt, Job } from '../interfaces';
import { backoffDelay } from './backoff';
import { describeError } from './describe-error';
import type { AttemptFailure } from './runtime-observer';

/**
 * What becomes of a job whose attempt failed or timed out: a retry after a backoff (exponential with
 * full jitter, the handler's or the module's), or the dead-letter state when no attempts remain or
 * the handler threw `PermanentJobError`. Returns the write to make and what to tell the metrics.
 */
export function failureOutcome(
  job: Job,
  startedAt: Date,
  thrown: unknown,
  outcome: 'failed' | 'timed_out',
  registry: JobsRegistry,
  options: Pick<ResolvedJobsOptions, 'baseDelayMs' | 'maxDelayMs'>,
): { write: FailedAttempt; failure: AttemptFailure } {
  const described = describeError(thrown);
  const backoff = registry.get(job.type)?.metadata.backoff;
  const dead = described.permanent || job.attempts >= job.maxAttempts;
  const delayMs = dead
    ? null
    : backoffDelay(
        job.attempts,
        backoff?.baseDelayMs ?? options.baseDelayMs,
        backoff?.maxDelayMs ?? options.maxDelayMs,
      );
  return {
    write: {
      id: job.id,
      attempt: job.attempts,
      delayMs,
      outcome,
      error: described.message,
      stack: described.stack,
      startedAt,
    },
    failure: { dead, crashed: !(thrown instanceof Error), outcome },
  };
}
