import type { Logger } from '@nestjs/common';
import { Cadence } from '../core/schedule-cadence';
import { planTicks } from '../core/schedule-plan';
import type { NewJobRow } from '../interfaces';
import type { JobsRepository } from '../storage/jobs.repository';
import type { ScheduleFiring } from '../storage/schedule-fire';
import type { ClaimedScheduleRow } from '../storage/schedule-row';
import { holdToCapacity, type PendingLimit } from './tick-capacity';

/** A schedule whose row cannot be planned (it should never happen: rows are checked when written)
 * is looked at again this much later, so one bad row never stalls the others. */
const BAD_ROW_RETRY_MS = 60_000;
const MAX_CACHED_CADENCES = 10_000;
/** A schedule whose ticks a full queue refuses is reported at most this often. */
const FULL_WARN_EVERY_MS = 60_000;

/**
 * Turns claimed schedules into firings: the policies (`planTicks`), the jobs to insert, and, for
 * `overlap: 'replace'`, the previous job to cancel (done by the firing transaction itself, so the
 * cancel and the new tick commit together), holding ticks to their queue's `maxPendingJobs`. It
 * only decides: it reads the waiting counts and writes nothing.
 */
export class SchedulePlanner {
  /** Parsed cadences by spec: parsing a cron expression costs more than computing a tick. */
  private readonly cadences = new Map<string, Cadence>();
  /** When each schedule's ticks were last reported refused by a full queue. */
  private readonly fullWarnedAt = new Map<string, number>();

  constructor(
    private readonly jobs: Pick<JobsRepository, 'countWaiting'>,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
    private readonly limitOf: PendingLimit = () => null,
  ) {}

  async plan(claimed: ClaimedScheduleRow[]): Promise<ScheduleFiring[]> {
    const firings: ScheduleFiring[] = [];
    for (const row of claimed) {
      let plan: ReturnType<typeof planTicks>;
      try {
        plan = planTicks(
          {
            cadence: this.cadence(row),
            nextRunAt: row.next_run_at,
            missed: row.missed,
            maxCatchUp: row.max_catch_up,
            overlap: row.overlap,
            jitterMs: row.jitter_ms,
            previousBusy: row.previous_busy,
            queuedOccurrence: row.queued_occurrence,
          },
          row.db_now,
          this.random,
        );
      } catch (err) {
        this.logger.error(`Schedule "${row.name}" cannot be planned (${(err as Error).message}); retrying in a minute`);
        firings.push({
          name: row.name,
          runs: [],
          release: null,
          nextRunAt: new Date(row.db_now.getTime() + BAD_ROW_RETRY_MS),
          queuedOccurrence: row.queued_occurrence,
          missed: 0,
          replaces: null,
        });
        continue;
      }
      const job = (runAt: Date): NewJobRow => ({
        queue: row.queue,
        type: row.type,
        payload: JSON.parse(row.payload_json) as unknown,
        payloadJson: row.payload_json,
        priority: row.priority,
        maxAttempts: row.max_attempts,
        runAt,
        delayMs: null,
        idempotencyKey: null,
      });
      firings.push({
        name: row.name,
        runs: plan.runs.map((r) => ({ occurrence: r.occurrence, outcome: r.outcome, job: r.runAt && job(r.runAt) })),
        release: plan.release && { occurrence: plan.release.occurrence, job: job(plan.release.runAt) },
        nextRunAt: plan.nextRunAt,
        queuedOccurrence: plan.queuedOccurrence,
        missed: plan.missed,
        replaces: plan.cancelPrevious ? row.last_job_id : null,
      });
    }
    const queues = new Map(claimed.map((row) => [row.name, row.queue]));
    const full = await holdToCapacity(
      firings,
      (name) => queues.get(name)!,
      this.limitOf,
      (queue, atMost) => this.jobs.countWaiting(queue, atMost),
    );
    const now = Date.now();
    for (const [name, { queue, limit, skipped }] of full) {
      if (now - (this.fullWarnedAt.get(name) ?? 0) < FULL_WARN_EVERY_MS) continue;
      if (this.fullWarnedAt.size >= MAX_CACHED_CADENCES) this.fullWarnedAt.clear();
      this.fullWarnedAt.set(name, now);
      this.logger.warn(
        `Schedule "${name}": queue "${queue}" holds ${limit} pending jobs, its maxPendingJobs; ${skipped} tick(s) enqueued nothing`,
      );
    }
    return firings;
  }

  private cadence(row: ClaimedScheduleRow): Cadence {
    const key = row.cron === null ? `every ${row.interval_ms}` : `${row.cron}\u0000${row.time_zone}`;
    let cadence = this.cadences.get(key);
    if (!cadence) {
      cadence = Cadence.of(
        row.cron === null ? { intervalMs: Number(row.interval_ms) } : { cron: row.cron, timeZone: row.time_zone },
      );
      if (this.cadences.size >= MAX_CACHED_CADENCES) this.cadences.clear();
      this.cadences.set(key, cadence);
    }
    return cadence;
  }
}
