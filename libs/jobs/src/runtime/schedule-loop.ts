import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobsRepository } from '../storage/jobs.repository';
import type { SchedulesRepository } from '../storage/schedules.repository';
import type { RuntimeObserver } from './runtime-observer';
import { SchedulePlanner } from './schedule-planner';
import { ThrottledWarning } from './throttled-warning';
import type { PendingLimit } from './tick-capacity';

/** Schedules claimed per transaction. */
const BATCH = 100;
/** Firing transactions a node runs at once when many schedules are due (each on its connection). */
const PARALLEL = 2;
/** History rows kept per schedule. */
export const RUN_HISTORY_KEPT = 1_000;
const PRUNE_EVERY_MS = 10 * 60_000;
/** Retry delays after a failed pass (the database away): doubling from the first to the last. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;
/** During an outage, a warning at most this often. */
const WARN_EVERY_MS = 30_000;
/** How long shutdown waits for a pass under way (a pass stuck on an unreachable database is left
 * to fail: its transaction rolls back and its ticks stay due for the other nodes). */
const STOP_WAIT_MS = 5_000;

export interface ScheduleLoopDeps {
  schedules: SchedulesRepository;
  /** Read only: the waiting counts that hold ticks to `maxPendingJobs`. */
  jobs: Pick<JobsRepository, 'countWaiting'>;
  /** The longest sleep between passes: schedules changed on other nodes are seen within it. */
  pollIntervalMs: number;
  logger: Logger;
  observer?: RuntimeObserver;
  /** Each queue's `maxPendingJobs`: ticks of a full queue enqueue nothing (default: unlimited). */
  pendingLimitOf?: PendingLimit;
}

/**
 * The scheduler of a node. It holds nothing but a timer: each pass claims the due schedules in
 * batches (`FOR UPDATE SKIP LOCKED`, so the nodes of a cluster share the work and never fire a tick
 * twice), fires them, releases waiting ticks whose previous job finished, then sleeps until the
 * earliest next tick (asked of the database, so node clocks do not matter), at most
 * `pollIntervalMs`. A failed pass (the database away) is retried with backoff, forever; nothing is
 * lost meanwhile, since the ticks wait in their rows and the missed policies apply once it is back.
 */
export class ScheduleLoop {
  private readonly planner: SchedulePlanner;
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failures = 0;
  private readonly warning: ThrottledWarning;
  private lastPruneAt = Date.now();

  constructor(private readonly deps: ScheduleLoopDeps) {
    this.warning = new ThrottledWarning(deps.logger, WARN_EVERY_MS);
    this.planner = new SchedulePlanner(deps.jobs, deps.logger, Math.random, deps.pendingLimitOf);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for due schedules now (a schedule was created, changed or resumed on this node). */
  wake(): void {
    if (this.stopped) return;
    if (this.pass) this.again = true;
    else this.schedule(0);
  }

  /** Stops; a pass under way gets up to 5 s to finish (its transaction commits or rolls back whole). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.pass) await Promise.race([this.pass, sleep(STOP_WAIT_MS, undefined, { ref: false })]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }

  private run(): void {
    if (this.pass || this.stopped) return;
    this.again = false;
    this.pass = this.firePass()
      .then((sleepMs) => {
        if (this.failures > 0) this.deps.logger.log(`Scheduler back after ${this.failures} failed passes`);
        this.failures = 0;
        return this.again ? 0 : sleepMs;
      })
      .catch((err: Error) => {
        this.failures += 1;
        this.warning.warn(`Scheduler pass failed (${err.message}); retrying`);
        return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1));
      })
      .then((delay) => {
        this.pass = null;
        this.schedule(delay);
      });
  }

  /** One pass; returns how long to sleep before the next. */
  private async firePass(): Promise<number> {
    const { schedules, observer, pollIntervalMs } = this.deps;
    const plan = (rows: Parameters<SchedulePlanner['plan']>[0]) => this.planner.plan(rows);
    const drain = async () => {
      for (;;) {
        const fired = await schedules.fireDue('due', BATCH, plan);
        if (fired.lagsMs.length > 0) observer?.scheduleTicksFired?.(fired.lagsMs);
        if (fired.claimed < BATCH || this.stopped) return;
      }
    };
    // A second transaction only once the first came back full: one tick at a time costs one.
    const first = await schedules.fireDue('due', BATCH, plan);
    if (first.lagsMs.length > 0) observer?.scheduleTicksFired?.(first.lagsMs);
    if (first.claimed === BATCH) await Promise.all(Array.from({ length: PARALLEL }, drain));
    while ((await schedules.fireDue('releasable', BATCH, plan)).claimed === BATCH && !this.stopped);
    if (Date.now() - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = Date.now();
      await schedules.pruneRuns(RUN_HISTORY_KEPT);
    }
    const dueInMs = await schedules.nextDueMs();
    return Math.max(1, Math.min(dueInMs ?? pollIntervalMs, pollIntervalMs));
  }
}
