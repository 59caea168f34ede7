import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { JOB_STATES, JOBS_STORE } from '../jobs.constants';
import type { JobState } from '../interfaces';
import { JOBS_RESOLVED_OPTIONS } from '../jobs.providers';
import { JobsMetrics, type MinuteDelta } from '../metrics/jobs-metrics';
import type { JobsStore } from '../storage/jobs.store';
import { createStatsSql, type StatsSql } from '../storage/stats.sql';
import type { ResolvedJobsOptions } from '../utils/resolve-options';

export type StateCounts = Record<JobState, number>;

/** One queue, as the admin API and the dashboard show it. */
export interface QueueSummary {
  name: string;
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  /** Handlers at once on the live nodes (their registered concurrency, summed). */
  concurrency: number;
  counts: StateCounts;
  /** When `counts` (and `oldestPendingAgeMs`) were counted: a shared snapshot, at most a few seconds old. */
  countsAt: string;
  /** Averaged over the last `THROUGHPUT_WINDOW_MINUTES` minutes, across every node. */
  completedPerMinute: number;
  failedPerMinute: number;
  /** Dead-lettered / (completed + dead-lettered) over the same window; 0 without outcomes. */
  failureRate: number;
  /** Age of the longest-waiting ready (pending) job, since it became due; null when none waits. */
  oldestPendingAgeMs: number | null;
}

export interface WorkerSummary {
  id: string;
  hostname: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
  queues: Record<string, number>;
  running: number;
  stopping: boolean;
  jobs: Array<{ id: string; type: string; queue: string; startedAt: string | null }>;
}

export interface SeriesPoint {
  at: string;
  completed: number;
  failed: number;
  retried: number;
}

interface CountsSnapshot {
  at: Date;
  counts: Map<string, StateCounts>;
  oldest: Map<string, Date>;
  /** False when the finished states could not be counted in time and kept older numbers. */
  exact: boolean;
}

interface QueueRow {
  name: string;
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
}

/** Minutes over which `completedPerMinute`, `failedPerMinute` and `failureRate` are averaged. */
export const THROUGHPUT_WINDOW_MINUTES = 5;
/** How often a node adds its per-minute outcomes to the roll-up table. */
const ROLLUP_FLUSH_MS = 2_000;
/** Roll-up rows older than this are deleted (the series answer at most a day). */
const ROLLUP_KEEP_MS = 7 * 24 * 60 * 60_000;
const MINUTE = 60_000;
export const MAX_SERIES_MINUTES = 24 * 60;

function zeroCounts(): StateCounts {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
}

/**
 * The queue overview: counts by state from one cached snapshot shared by every request (refreshed
 * at most every `statsCacheMs`, in the background while a recent one exists, with a statement
 * timeout), pause flags and live nodes read per request (small tables), and throughput from the
 * `queue_stats` roll-up that each worker node adds its per-minute outcomes to every two seconds.
 */
@Injectable()
export class JobsQueueStats implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  readonly sql: StatsSql;
  private snapshot: CountsSnapshot | null = null;
  private refreshing: Promise<CountsSnapshot> | null = null;
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    @Inject(JOBS_STORE) readonly store: JobsStore,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    private readonly metrics: JobsMetrics,
  ) {
    this.sql = createStatsSql(store.schema);
  }

  onApplicationBootstrap(): void {
    if (!this.options.workers) return;
    this.flushTimer = setInterval(() => void this.flushOutcomes(), ROLLUP_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** The last roll-up is written before any connection closes (`onApplicationShutdown` hooks run
   * side by side, and a query sent to a pool that is ending never settles). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushOutcomes();
  }

  /** Adds this node's outcomes since the last flush to the roll-up (one statement). */
  async flushOutcomes(): Promise<void> {
    if (this.flushing) return this.flushing;
    const deltas = this.metrics.takeMinutes();
    if (deltas.length === 0 && Date.now() - this.lastPrune < 10 * MINUTE) return;
    this.flushing = (async () => {
      try {
        if (deltas.length > 0) {
          await this.store.pool.query(this.sql.addMinutes, [
            deltas.map((d) => d.queue),
            deltas.map((d) => d.minute),
            deltas.map((d) => d.completed),
            deltas.map((d) => d.failed),
            deltas.map((d) => d.retried),
          ]);
        }
        if (Date.now() - this.lastPrune >= 10 * MINUTE) {
          this.lastPrune = Date.now();
          await this.store.pool.query(this.sql.pruneMinutes, [new Date(Date.now() - ROLLUP_KEEP_MS)]);
        }
      } catch (err) {
        this.metrics.restoreMinutes(deltas);
        this.logger.warn(`Writing queue throughput failed (${(err as Error).message}); retrying`);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

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

  /** Counts again now (shared with a refresh already running). */
  refresh(): Promise<CountsSnapshot> {
    if (!this.refreshing) {
      this.refreshing = this.count().finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  private async count(): Promise<CountsSnapshot> {
    const timeout = `SET LOCAL statement_timeout = ${Math.floor(this.options.statsTimeoutMs)}`;
    const at = new Date();
    let rows: Array<{ queue: string; state: JobState; n: string }>;
    let exact = true;
    try {
      rows = await this.store.transaction(async (client) => {
        await client.query(timeout);
        return (await client.query<{ queue: string; state: JobState; n: string }>(this.sql.countAll)).rows;
      });
    } catch (err) {
      if ((err as { code?: string }).code !== '57014') throw err; // not a statement timeout
      this.logger.warn(
        `Counting jobs by state took over ${this.options.statsTimeoutMs} ms: counting unfinished states only`,
      );
      exact = false;
      rows = await this.store.transaction(async (client) => {
        await client.query(timeout);
        return (await client.query<{ queue: string; state: JobState; n: string }>(this.sql.countLive)).rows;
      });
    }
    const oldest = await this.store.transaction(async (client) => {
      await client.query(timeout);
      return (await client.query<{ queue: string; oldest: Date }>(this.sql.oldestPending)).rows;
    });
    const counts = new Map<string, StateCounts>();
    if (!exact && this.snapshot) {
      // Keep the finished states' last known numbers.
      for (const [queue, c] of this.snapshot.counts) {
        counts.set(queue, { ...zeroCounts(), completed: c.completed, failed: c.failed, canceled: c.canceled });
      }
    }
    for (const r of rows) {
      let c = counts.get(r.queue);
      if (!c) counts.set(r.queue, (c = zeroCounts()));
      c[r.state] = Number(r.n);
    }
    const snap: CountsSnapshot = { at, counts, oldest: new Map(oldest.map((r) => [r.queue, r.oldest])), exact };
    this.snapshot = snap;
    return snap;
  }

  /** Every queue that has jobs, a live worker, or settings (a pause). */
  async queues(): Promise<QueueSummary[]> {
    const [snap, settings, workers, throughput] = await Promise.all([
      this.counts(),
      this.store.pool.query<QueueRow>(this.sql.queues),
      this.store.pool.query<{ queues: Record<string, number> }>(this.sql.workers),
      this.throughput(),
    ]);
    const concurrency = new Map<string, number>();
    for (const w of workers.rows) {
      for (const [q, n] of Object.entries(w.queues ?? {})) concurrency.set(q, (concurrency.get(q) ?? 0) + Number(n));
    }
    const byName = new Map(settings.rows.map((r) => [r.name, r]));
    const names = new Set([...snap.counts.keys(), ...concurrency.keys(), ...byName.keys()]);
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
        counts: { ...zeroCounts(), ...snap.counts.get(name) },
        countsAt: snap.at.toISOString(),
        completedPerMinute: t.completed / THROUGHPUT_WINDOW_MINUTES,
        failedPerMinute: t.failed / THROUGHPUT_WINDOW_MINUTES,
        failureRate: t.completed + t.failed === 0 ? 0 : t.failed / (t.completed + t.failed),
        oldestPendingAgeMs: oldest ? Math.max(0, now - oldest.getTime()) : null,
      };
    });
  }

  async queue(name: string): Promise<QueueSummary | undefined> {
    return (await this.queues()).find((q) => q.name === name);
  }

  /** Live nodes with the jobs each is running. */
  async workers(): Promise<WorkerSummary[]> {
    const [workers, running] = await Promise.all([
      this.store.pool.query<{
        id: string;
        hostname: string;
        pid: number;
        started_at: Date;
        last_seen: Date;
        queues: Record<string, number>;
        running: number;
        stopping: boolean;
      }>(this.sql.workers),
      this.store.pool.query<{ id: string; type: string; queue: string; started_at: Date | null; locked_by: string }>(
        this.sql.runningJobs,
      ),
    ]);
    const jobsOf = new Map<string, WorkerSummary['jobs']>();
    for (const j of running.rows) {
      const list = jobsOf.get(j.locked_by) ?? [];
      list.push({ id: j.id, type: j.type, queue: j.queue, startedAt: j.started_at?.toISOString() ?? null });
      jobsOf.set(j.locked_by, list);
    }
    return workers.rows.map((w) => ({
      id: w.id,
      hostname: w.hostname,
      pid: w.pid,
      startedAt: w.started_at.toISOString(),
      lastSeen: w.last_seen.toISOString(),
      queues: w.queues ?? {},
      running: w.running,
      stopping: w.stopping,
      jobs: jobsOf.get(w.id) ?? [],
    }));
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

  private async minutesSince(from: Date): Promise<MinuteDelta[]> {
    const res = await this.store.pool.query<MinuteDelta>(this.sql.minutesSince, [from]);
    const local = this.metrics.unwrittenMinutes().filter((d) => d.minute >= from);
    return [...res.rows, ...local];
  }
}
