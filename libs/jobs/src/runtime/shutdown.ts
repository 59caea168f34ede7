import type { Logger } from '@nestjs/common';
import type { OwnedAttempt } from '../interfaces';
import type { AttemptsRepository } from '../storage/attempts.repository';
import { HANDED_BACK } from './lease-clock';
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
  // Prefetched jobs never started: back to the queue at once, for the other nodes.
  await handBack(
    loops.flatMap((loop) => loop.dropPrefetched()),
    attempts,
    nodeId,
    logger,
    'prefetched',
  );
  const deadline = Date.now() + gracePeriodMs;
  const running = loops.reduce((n, loop) => n + loop.running.size, 0);
  if (running > 0) logger.log(`Shutting down: waiting up to ${gracePeriodMs} ms for ${running} running jobs`);
  await Promise.all(loops.map((loop) => loop.whenIdle(deadline)));
  // Outcomes first, so a job that finished is recorded as finished, not handed back.
  const flushDeadline = Date.now() + FLUSH_MS;
  await writer.flush(flushDeadline);
  const unfinished: OwnedAttempt[] = [];
  for (const loop of loops) {
    for (const attempt of loop.owned.all()) {
      if (loop.settle(attempt, 'released', HANDED_BACK))
        unfinished.push({ id: attempt.job.id, attempt: attempt.job.attempts });
    }
  }
  await handBack(unfinished, attempts, nodeId, logger, 'unfinished');
  // A handler may have finished between the first flush and the hand-back: write it too.
  await writer.flush(flushDeadline + 1_000);
  const unwritten = writer.close();
  if (unwritten > 0) {
    logger.error(
      `Could not record ${unwritten} finished jobs before shutting down (the database did not take them in time: unreachable or overloaded); ` +
        'they will run again once their node is seen dead or their lease expires',
    );
  }
}

/** Releases `owned` attempts (ready again at once, attempt not counted, the other nodes woken). */
async function handBack(
  owned: OwnedAttempt[],
  attempts: AttemptsRepository,
  nodeId: string,
  logger: Logger,
  what: string,
): Promise<void> {
  if (owned.length === 0) return;
  try {
    const released = await attempts.release(owned, nodeId);
    logger.log(`Handed back ${released.size} ${what} jobs`);
  } catch (err) {
    logger.error(
      `Handing back ${owned.length} ${what} jobs failed (${(err as Error).message}); their leases will expire`,
    );
  }
}
