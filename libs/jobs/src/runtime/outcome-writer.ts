import type { Logger } from '@nestjs/common';
import type { FailedAttempt, OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import { WriteBatcher } from './write-batcher';

/** Finished attempts waiting to be written past which a node stops claiming until the writes catch up. */
const BACKLOG_LIMIT = 5_000;

/**
 * Writes the outcomes of this node's attempts: completions and failures each go through a
 * coalescing write batcher (one statement per batch, fenced by owner and attempt). While the
 * database is away they are kept and retried, never dropped, for as long as the process lives.
 */
export class OutcomeWriter {
  private readonly completions: WriteBatcher<OwnedAttempt>;
  private readonly failures: WriteBatcher<FailedAttempt>;

  constructor(attempts: AttemptsRepository, nodeId: string, logger: Logger) {
    const warn = (what: string) => (err: unknown, n: number) =>
      logger.warn(`Writing ${n} ${what} failed (${(err as Error).message}); retrying`);
    this.completions = new WriteBatcher(async (batch) => {
      await attempts.complete(batch, nodeId);
    }, warn('completions'));
    this.failures = new WriteBatcher(async (batch) => {
      await attempts.fail(batch, nodeId);
    }, warn('failures'));
  }

  completed(attempt: OwnedAttempt): void {
    this.completions.push(attempt);
  }

  failed(attempt: FailedAttempt): void {
    this.failures.push(attempt);
  }

  /** False while the writes are backed up: claiming more would only pile up finished jobs. */
  mayClaim(): boolean {
    return this.completions.size + this.failures.size < BACKLOG_LIMIT;
  }

  /** Resolves once everything so far is written, or at the deadline. */
  async flush(deadline: number): Promise<void> {
    await Promise.all([this.completions.flush(deadline), this.failures.flush(deadline)]);
  }

  /** Stops retrying (shutdown past its deadline); returns how many outcomes were never written. */
  close(): number {
    return this.completions.close() + this.failures.close();
  }
}
