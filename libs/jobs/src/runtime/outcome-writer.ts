import type { Logger } from '@nestjs/common';
import type { FailedAttempt, OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { AttemptFailure } from './runtime-observer';
import type { RunningAttempt } from './running-attempt';
import { ThrottledWarning } from './throttled-warning';
import { WriteBatcher } from './write-batcher';

/** Finished attempts waiting to be written past which a node stops claiming until the writes catch up. */
const BACKLOG_LIMIT = 5_000;

/** What is told of the outcomes the database accepted (the fence held), and only of those. */
export interface AcceptedOutcomes {
  succeeded(attempt: RunningAttempt): void;
  failed(attempt: RunningAttempt, failure: AttemptFailure): void;
}

interface Failure {
  attempt: RunningAttempt;
  write: FailedAttempt;
  failure: AttemptFailure;
}

/**
 * Writes the outcomes of this node's attempts: completions and failures, attempts it gave up because
 * it could not prove their lease (`abandoned`, recorded lost) and prefetched ones it never started
 * (`released`). Each kind goes through a coalescing write batcher (one statement per batch, fenced by
 * owner and attempt). While the database is away they are kept and retried, never dropped, for as
 * long as the process lives. Statistics count an outcome only once its write was accepted: a
 * completion refused by the fence (another node had taken the job) is not a success.
 */
export class OutcomeWriter {
  private readonly completions: WriteBatcher<RunningAttempt>;
  private readonly failures: WriteBatcher<Failure>;
  private readonly abandons: WriteBatcher<OwnedAttempt>;
  private readonly releases: WriteBatcher<OwnedAttempt>;

  constructor(attempts: AttemptsRepository, nodeId: string, accepted: AcceptedOutcomes, logger: Logger) {
    const warning = new ThrottledWarning(logger);
    const warn = (what: string) => (err: unknown, n: number) =>
      warning.warn(`Writing ${n} ${what} failed (${(err as Error).message}); retrying`);
    this.completions = new WriteBatcher(async (batch) => {
      const ids = await attempts.complete(batch.map(owned), nodeId);
      for (const a of batch) if (ids.delete(a.job.id)) accepted.succeeded(a);
    }, warn('completions'));
    this.failures = new WriteBatcher(async (batch) => {
      const ids = await attempts.fail(
        batch.map((f) => f.write),
        nodeId,
      );
      for (const f of batch) if (ids.delete(f.write.id)) accepted.failed(f.attempt, f.failure);
    }, warn('failures'));
    this.abandons = new WriteBatcher(async (batch) => {
      await attempts.abandon(batch, nodeId);
    }, warn('abandoned attempts'));
    this.releases = new WriteBatcher(async (batch) => {
      await attempts.release(batch, nodeId);
    }, warn('unstarted attempts to hand back'));
  }

  completed(attempt: RunningAttempt): void {
    this.completions.push(attempt);
  }

  failed(attempt: RunningAttempt, write: FailedAttempt, failure: AttemptFailure): void {
    this.failures.push({ attempt, write, failure });
  }

  /** The node aborted the attempt's handler (or never started it): its lease could not be proven. */
  gaveUp(attempt: RunningAttempt): void {
    (attempt.started ? this.abandons : this.releases).push(owned(attempt));
  }

  /** False while the writes are backed up: claiming more would only pile up finished jobs. */
  mayClaim(): boolean {
    return this.completions.size + this.failures.size < BACKLOG_LIMIT;
  }

  /** Resolves once everything so far is written, or at the deadline. */
  async flush(deadline: number): Promise<void> {
    await Promise.all([this.completions, this.failures, this.abandons, this.releases].map((b) => b.flush(deadline)));
  }

  /** Stops retrying (shutdown past its deadline); returns how many outcomes were never written. */
  close(): number {
    return this.completions.close() + this.failures.close() + this.abandons.close() + this.releases.close();
  }
}

function owned(attempt: RunningAttempt): OwnedAttempt {
  return { id: attempt.job.id, attempt: attempt.job.attempts };
}
