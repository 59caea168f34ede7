import type { Logger } from '@nestjs/common';
import type { OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { OutcomeWriter } from './outcome-writer';
import type { QueueLoop } from './queue-loop';

/** How long outcomes get to be written at shutdown once the running jobs are done or out of time. */
const FLUSH_MS = 5_000;

/**
 * A clean shutdown of a node's workers: stop claiming, let running jobs finish within the grace
 * period, write what finished, then hand the rest back (ready again at once, attempt not counted,
 * the other nodes woken). No job is left `running` by a clean shutdown with the database reachable.
 */
export async function drainAndHandBack(
  loops: QueueLoop[],
  writer: OutcomeWriter,
  attempts: AttemptsRepository,
  nodeId: string,
  gracePeriodMs: number,
  logger: Logger,
): Promise<void> {
  await Promise.all(loops.map((loop) => loop.stopFetching()));
  const deadline = Date.now() + gracePeriodMs;
  const running = loops.reduce((n, loop) => n + loop.running.size, 0);
  if (running > 0) logger.log(`Shutting down: waiting up to ${gracePeriodMs} ms for ${running} running jobs`);
  await Promise.all(loops.map((loop) => loop.whenIdle(deadline)));
  // Outcomes first, so a job that finished is recorded as finished, not handed back.
  const flushDeadline = Date.now() + FLUSH_MS;
  await writer.flush(flushDeadline);
  const handBack: OwnedAttempt[] = [];
  for (const loop of loops) {
    for (const { id, attempt } of loop.ownedAttempts()) {
      if (loop.settle(id, 'released', new Error('Worker shutting down: job handed back')))
        handBack.push({ id, attempt });
    }
  }
  if (handBack.length > 0) {
    try {
      const released = await attempts.release(handBack, nodeId);
      logger.log(`Handed back ${released.size} unfinished jobs`);
    } catch (err) {
      logger.error(`Handing back ${handBack.length} jobs failed (${(err as Error).message}); their leases will expire`);
    }
  }
  // A handler may have finished between the first flush and the hand-back: write it too.
  await writer.flush(flushDeadline + 1_000);
  const unwritten = writer.close();
  if (unwritten > 0) {
    logger.error(
      `Could not record ${unwritten} finished jobs before shutting down (database unreachable); ` +
        'they will run again once their node is seen dead or their lease expires',
    );
  }
}
