import type { Logger } from '@nestjs/common';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { Prefetch } from './prefetch';
import type { RunningAttempt } from './running-attempt';

export interface ArmingDeps {
  queue: string;
  nodeId: string;
  attempts: AttemptsRepository;
  prefetch: Prefetch;
  logger: Logger;
  /** The database no longer gives this node `attempt` (canceled, taken over): let it go. */
  lost(attempt: RunningAttempt): void;
  /** Jobs were armed (or a failed write may be tried again): start what can start. */
  ready(): void;
}

/**
 * Arms a queue loop's prefetched jobs: records them started in the database a little ahead of need
 * (see `Prefetch.toArm`), one write in flight at a time, so that a slot that frees up starts an
 * armed job at once. A failed write is tried again with backoff; nothing is started unarmed.
 */
export class Arming {
  private inFlight = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: ArmingDeps) {}

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  /** Arms the next prefetched jobs if `free` slots and the coming starts need them. */
  arm(free: number): void {
    if (this.inFlight || this.stopped) return;
    const { prefetch, attempts, nodeId, logger, queue } = this.deps;
    const batch = prefetch.toArm(free);
    if (batch.length === 0) return;
    this.inFlight = true;
    const sentAt = performance.now();
    attempts
      .arm(
        batch.map((a) => ({ id: a.job.id, attempt: a.job.attempts })),
        nodeId,
      )
      .then(
        (kept) => {
          prefetch.armTook(performance.now() - sentAt);
          this.failures = 0;
          for (const a of batch) if (!kept.has(a.job.id)) this.deps.lost(a);
          prefetch.armed(batch.filter((a) => kept.has(a.job.id) && !a.settled));
        },
        (err: Error) => {
          this.failures += 1;
          const delay = Math.min(1_000, 50 * 2 ** Math.min(this.failures, 5));
          logger.warn(`Arming prefetched jobs of queue "${queue}" failed (${err.message}); retrying in ${delay} ms`);
          this.retryTimer = setTimeout(() => this.deps.ready(), delay);
          this.retryTimer.unref();
        },
      )
      .finally(() => {
        this.inFlight = false;
        if (this.failures === 0) this.deps.ready();
      });
  }
}
