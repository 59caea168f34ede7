import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { JOB_STATES } from '../jobs.constants';
import { QueueStatisticsService, type QueueSummary } from '../services/queue-statistics.service';
import { COUNTER_NAMES, JobsMetrics } from './jobs-metrics';

export const JOBS_OBSERVABILITY_OPTIONS = Symbol('JOBS_OBSERVABILITY_OPTIONS');

export interface JobsObservabilityOptions {
  /** Register the jobs metrics in this registry (the host's) instead of a registry of their own.
   * The default keeps them apart: `/metrics` then serves only the jobs metrics, and a host's own
   * registry (or prom-client's global one) is not touched. */
  registry?: Registry;
  /** Serve `GET /metrics` (default true). */
  metrics?: boolean;
  /** Serve `GET /health`, `/health/live` and `/health/ready` (default true). */
  health?: boolean;
  /** Time `SELECT 1` gets before the database counts as down (default 2000 ms). */
  healthTimeoutMs?: number;
}

/**
 * The jobs metrics in Prometheus form. Counters and gauges are filled when scraped, from this
 * node's `JobsMetrics` and the shared queue-count snapshot (no per-job cost beyond the in-memory
 * counters); the wait- and run-time histograms are observed as jobs start and end.
 */
@Injectable()
export class JobsPrometheus {
  readonly registry: Registry;

  constructor(
    metrics: JobsMetrics,
    stats: QueueStatisticsService,
    @Inject(JOBS_OBSERVABILITY_OPTIONS) options: JobsObservabilityOptions,
  ) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    for (const name of COUNTER_NAMES) {
      new Counter({
        name: `jobs_${name}_total`,
        help: HELP[name],
        labelNames: ['queue'] as const,
        registers,
        collect() {
          this.reset();
          for (const [queue, c] of metrics.queueCounters()) if (c[name] > 0) this.inc({ queue }, c[name]);
        },
      });
    }
    new Gauge({
      name: 'jobs_worker_running',
      help: 'Handlers occupying worker slots on this node',
      registers,
      collect() {
        this.set(metrics.snapshot().utilisation.running);
      },
    });
    new Gauge({
      name: 'jobs_worker_capacity',
      help: 'Worker slots on this node (concurrency summed over its queues)',
      registers,
      collect() {
        this.set(metrics.snapshot().utilisation.capacity);
      },
    });
    new Gauge({
      name: 'jobs_worker_utilisation_ratio',
      help: 'Running handlers / worker slots on this node',
      registers,
      collect() {
        this.set(metrics.snapshot().utilisation.ratio);
      },
    });
    // The queue gauges of one scrape share one read (the counts themselves come from the cache):
    // prom-client collects every metric of a scrape at once, so they all join the same promise.
    // When the counts cannot be read (the statistics say why, once, in the log), the scrape still
    // answers: without the queue gauges, and with jobs_queue_counts_failed at 1.
    let reading: Promise<QueueSummary[]> | null = null;
    let failed = false;
    const queues = () =>
      (reading ??= stats
        .queues()
        .then(
          (list) => ((failed = false), list),
          () => ((failed = true), []),
        )
        .finally(() => setImmediate(() => (reading = null))));
    new Gauge({
      name: 'jobs_queue_counts_failed',
      help: '1 when the queue counts could not be read for this scrape (the queue gauges are then left out)',
      registers,
      async collect() {
        await queues();
        this.set(failed ? 1 : 0);
      },
    });
    const perQueue = (name: string, help: string, value: (q: QueueSummary) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'] as const,
        registers,
        async collect() {
          const list = await queues();
          this.reset();
          for (const q of list) this.set({ queue: q.name }, value(q));
        },
      });
    new Gauge({
      name: 'jobs_queue_jobs',
      help: 'Jobs per queue and state (cluster-wide, from a snapshot at most a few seconds old)',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        const list = await queues();
        this.reset();
        for (const q of list) for (const state of JOB_STATES) this.set({ queue: q.name, state }, q.counts[state]);
      },
    });
    perQueue('jobs_queue_paused', '1 when the queue is paused', (q) => (q.paused ? 1 : 0));
    perQueue(
      'jobs_queue_oldest_pending_age_seconds',
      'Age of the longest-waiting ready job of the queue (0 when none waits)',
      (q) => (q.oldestPendingAgeMs ?? 0) / 1000,
    );
    perQueue(
      'jobs_queue_completed_per_minute',
      'Jobs completed per minute, averaged over the last minutes (cluster-wide)',
      (q) => q.completedPerMinute,
    );
    perQueue(
      'jobs_queue_counts_age_seconds',
      'Age of the job-count snapshot behind jobs_queue_jobs',
      (q) => Math.max(0, Date.now() - Date.parse(q.countsAt)) / 1000,
    );
    this.registry.registerMetric(metrics.waitSeconds);
    this.registry.registerMetric(metrics.runSeconds);
    this.registry.registerMetric(metrics.scheduleLagSeconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

const HELP: Record<(typeof COUNTER_NAMES)[number], string> = {
  submitted: 'Jobs handed to enqueue on this node (valid ones)',
  accepted: 'Jobs inserted by this node (not idempotent repeats, not refused)',
  processed: 'Attempts that ended on this node (succeeded + retried + failed)',
  retried: 'Attempts on this node that failed or timed out with attempts left',
  succeeded: 'Attempts on this node whose handler returned',
  failed: 'Jobs dead-lettered by this node (no attempts left, or PermanentJobError)',
  crashed: 'Handlers that threw a non-Error, and lost attempts this node took back',
  detached: 'Timed-out handlers detached from their slot on this node',
};
