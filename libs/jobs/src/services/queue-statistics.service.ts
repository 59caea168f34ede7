import { Inject, Injectable, Logger } from '@nestjs/common';
import { FailureBackoff } from '../core/failure-backoff';
import type { ResolvedJobsOptions } from '../core/module-options';
import type { JobState } from '../interfaces';
import type { QueueSummary, SeriesPoint, StateCounts } from '../interfaces/admin-views.interface';
import { JOB_STATES, JOBS_RESOLVED_OPTIONS, JOBS_STORAGE } from '../jobs.constants';
import { JobsMetrics } from '../observability/jobs-metrics';
import type { JobsStorage } from '../storage/jobs-storage';
import type { MinuteRow } from '../storage/stats.repository';

export type { QueueSummary, SeriesPoint, StateCounts } from '../interfaces/admin-views.interface';

interface CountsSnapshot {
  at: Date;
  counts: Map<string, StateCounts>;
  oldest: Map<string, Date>;
  /** The states whose counts are estimates. */
  estimated: JobState[];
}

/** After a failed count, the next try waits this long, doubling per failure up to the max. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

/** Minutes over which `completedPerMinute`, `failedPerMinute` and `failureRate` are averaged. */
export const THROUGHPUT_WINDOW_MINUTES = 5;
const MINUTE = 60_000;
export const MAX_SERIES_MINUTES = 24 * 60;

function zeroCounts(): StateCounts {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
}

/**
 * The queue statistics: counts by state from one cached snapshot shared by every request (refreshed
 * at most every `statsCacheMs`, in the background while a recent one exists, with a statement
 * timeout), pause flags and live nodes read per request (small tables), and throughput from the
 * `queue_stats` roll-up that each worker node adds its per-minute outcomes to.
 */
@Injectable()
export class QueueStatisticsService {
  private readonly logger = new Logger('Jobs');
  private snapshot: CountsSnapshot | null = null;
  private refreshing: Promise<CountsSnapshot> | null = null;
  /** The last count's failure, while it stands: no new count before its wait is over. */
  private readonly failure = new FailureBackoff(RETRY_FIRST_MS, RETRY_MAX_MS);

  constructor(
    @Inject(JOBS_STORAGE) private readonly storage: JobsStorage,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    private readonly metrics: JobsMetrics,
  ) {}

  /**
   * The shared counts snapshot. A fresh one (younger than `statsCacheMs`) is returned as is; an
   * older one is returned while a refresh runs in the background, unless it is much older (then
   * the caller waits for the refresh, which every concurrent caller shares).
   */
  async counts(): Promise<CountsSnapshot> {
    const maxAge = this.options.statsCacheMs;
    const snap = this.snapshot;
    const age = snap ? Date.now() - snap.at.getTime() : Infinity;
    if (snap && age <= maxAge) return snap;
    const refresh = this.refresh();
    if (snap && age <= Math.max(5 * maxAge, 10_000)) {
      refresh.catch(() => undefined);
      return snap;
    }
    return refresh;
  }

  /**
   * Counts again now (shared with a refresh already running). After a failure, the next count waits
   * (2 s, doubling up to a minute): meanwhile the failure is answered at once, or the last snapshot
   * when there is one; the failure is logged once, and the recovery too.
   */
  refresh(): Promise<CountsSnapshot> {
    const failure = this.failure.waiting();
    if (failure) return this.snapshot ? Promise.resolve(this.snapshot) : Promise.reject(failure);
    if (!this.refreshing) {
      this.refreshing = this.count()
        .then(
          (snap) => {
            if (this.failure.succeeded() !== null) this.logger.log('Counting jobs by state works again');
            return snap;
          },
          (err: Error) => {
            if (this.failure.failed(err)) {
              this.logger.warn(`Counting jobs by state failed (${err.message}); retrying less often`);
            }
            throw err;
          },
        )
        .finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  private async count(): Promise<CountsSnapshot> {
    const at = new Date();
    const { rows, estimated, oldest } = await this.storage.stats.counts(this.options.statsTimeoutMs);
    const counts = new Map<string, StateCounts>();
    for (const r of rows) {
      let c = counts.get(r.queue);
      if (!c) counts.set(r.queue, (c = zeroCounts()));
      c[r.state] = Number(r.n);
    }
    const snap: CountsSnapshot = { at, counts, oldest: new Map(oldest.map((r) => [r.queue, r.oldest])), estimated };
    this.snapshot = snap;
    return snap;
  }

  /** Every queue that has jobs, a live node serving it, or settings (a pause). */
  /** Every queue with jobs, live workers or settings; and `include`, even when nothing uses it. */
  async queues(include?: string): Promise<QueueSummary[]> {
    const [snap, settings, nodes, throughput] = await Promise.all([
      this.counts(),
      this.storage.queues.list(),
      this.storage.nodes.list(),
      this.throughput(),
    ]);
    const byName = new Map(settings.map((r) => [r.name, r]));
    const perNode = new Map<string, Record<string, number>>();
    for (const n of nodes) {
      if (n.stopping) continue;
      for (const [q, c] of Object.entries(n.queues ?? {})) {
        const slots = perNode.get(q) ?? {};
        slots[n.id] = byName.get(q)?.concurrency ?? Number(c);
        perNode.set(q, slots);
      }
    }
    const concurrency = new Map([...perNode].map(([q, slots]) => [q, Object.values(slots).reduce((a, b) => a + b, 0)]));
    const names = new Set([...snap.counts.keys(), ...concurrency.keys(), ...byName.keys()]);
    if (include !== undefined) names.add(include);
    const now = Date.now();
    return [...names].sort().map((name) => {
      const setting = byName.get(name);
      const t = throughput.get(name) ?? { completed: 0, failed: 0 };
      const oldest = snap.oldest.get(name);
      return {
        name,
        paused: setting?.paused ?? false,
        pausedAt: setting?.paused_at?.toISOString() ?? null,
        pausedBy: setting?.paused_by ?? null,
        concurrency: concurrency.get(name) ?? 0,
        nodes: Object.keys(perNode.get(name) ?? {}).length,
        concurrencyPerNode: perNode.get(name) ?? {},
        concurrencySetting: setting?.concurrency ?? null,
        noWorkers: (concurrency.get(name) ?? 0) === 0,
        completedLast5Minutes: t.completed,
        failedLast5Minutes: t.failed,
        counts: { ...zeroCounts(), ...snap.counts.get(name) },
        countsAt: snap.at.toISOString(),
        countsEstimated: snap.estimated.length > 0,
        estimatedStates: snap.estimated,
        completedPerMinute: t.completed / THROUGHPUT_WINDOW_MINUTES,
        failedPerMinute: t.failed / THROUGHPUT_WINDOW_MINUTES,
        failureRate: t.completed + t.failed === 0 ? 0 : t.failed / (t.completed + t.failed),
        oldestPendingAgeMs: oldest ? Math.max(0, now - oldest.getTime()) : null,
      };
    });
  }

  /** The summary of `name`, listed or not (a queue nothing uses has no row: all zeros). */
  async queue(name: string): Promise<QueueSummary | undefined> {
    return (await this.queues(name)).find((q) => q.name === name);
  }

  /** Per-minute outcomes of the last `minutes` minutes (the current one included), zero-filled,
   * across every node (the roll-up plus this node's outcomes not written yet). */
  async series(minutes: number, queue?: string): Promise<SeriesPoint[]> {
    const now = Date.now();
    const first = Math.floor(now / MINUTE) * MINUTE - (minutes - 1) * MINUTE;
    const rows = await this.minutesSince(new Date(first));
    const points = new Map<number, SeriesPoint>();
    for (let at = first; at <= now; at += MINUTE) {
      points.set(at, { at: new Date(at).toISOString(), completed: 0, failed: 0, retried: 0 });
    }
    for (const r of rows) {
      if (queue !== undefined && r.queue !== queue) continue;
      const p = points.get(r.minute.getTime());
      if (!p) continue;
      p.completed += r.completed;
      p.failed += r.failed;
      p.retried += r.retried;
    }
    return [...points.values()];
  }

  /** Completed and dead-lettered per queue over the throughput window. */
  private async throughput(): Promise<Map<string, { completed: number; failed: number }>> {
    const from = Math.floor(Date.now() / MINUTE) * MINUTE - (THROUGHPUT_WINDOW_MINUTES - 1) * MINUTE;
    const totals = new Map<string, { completed: number; failed: number }>();
    for (const r of await this.minutesSince(new Date(from))) {
      const t = totals.get(r.queue) ?? { completed: 0, failed: 0 };
      t.completed += r.completed;
      t.failed += r.failed;
      totals.set(r.queue, t);
    }
    return totals;
  }

  private async minutesSince(from: Date): Promise<MinuteRow[]> {
    const rows = await this.storage.stats.minutesSince(from);
    const local = this.metrics.unwrittenMinutes().filter((d) => d.minute >= from);
    return [...rows, ...local];
  }
}
