import { Injectable } from '@nestjs/common';
import { Histogram } from 'prom-client';
import type { Job } from '../interfaces';
import type { AttemptFailure, RuntimeObserver } from '../runtime/runtime-observer';
import type { MinuteSource } from '../runtime/throughput-rollup';

/** This node's counters since it started. */
export interface JobsCounters {
  /** Jobs handed to `enqueue`/`enqueueMany` that passed validation. */
  submitted: number;
  /** Jobs inserted (not idempotent repeats, not refused by backpressure or the database). */
  accepted: number;
  /** Attempts that ended on this node with an outcome: succeeded + retried + failed. */
  processed: number;
  /** Attempts that failed or timed out with attempts left (a retry was scheduled). */
  retried: number;
  /** Attempts whose handler returned. */
  succeeded: number;
  /** Jobs dead-lettered by this node's handlers (no attempts left, or `PermanentJobError`). */
  failed: number;
  /** Handlers that threw something that is not an `Error`, and lost attempts (their node died or
   * its lease expired) that this node took back. */
  crashed: number;
  /** Timed-out handlers detached from their slot (`maxDetachedHandlers`). */
  detached: number;
}

export const COUNTER_NAMES = [
  'submitted',
  'accepted',
  'processed',
  'retried',
  'succeeded',
  'failed',
  'crashed',
  'detached',
] as const satisfies ReadonlyArray<keyof JobsCounters>;

export type CounterName = (typeof COUNTER_NAMES)[number];

export interface JobsStatsSnapshot {
  node: string;
  since: string;
  totals: JobsCounters;
  queues: Record<string, JobsCounters>;
  priorities: Record<string, JobsCounters>;
  utilisation: { running: number; capacity: number; ratio: number };
}

/** Per-minute outcome counts of one queue, not yet written to the `queue_stats` roll-up. */
export interface MinuteDelta {
  queue: string;
  minute: Date;
  completed: number;
  failed: number;
  retried: number;
}

function zero(): JobsCounters {
  return { submitted: 0, accepted: 0, processed: 0, retried: 0, succeeded: 0, failed: 0, crashed: 0, detached: 0 };
}

const MINUTE = 60_000;

/** Wait-time buckets (seconds): from a few milliseconds to an hour behind. */
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Run-time buckets (seconds). */
const RUN_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/**
 * This node's job metrics: counters in total, per queue and per priority, the per-minute outcomes
 * that feed the cluster-wide throughput roll-up, and the wait- and run-time histograms exposed at
 * `/metrics`. Everything is in memory and O(1) per event: the runtime (as its `RuntimeObserver`) and
 * the service call it on the hot path, and nothing here touches the database.
 */
@Injectable()
export class JobsMetrics implements RuntimeObserver, MinuteSource {
  readonly since = new Date();
  private readonly totals = zero();
  private readonly byQueue = new Map<string, JobsCounters>();
  private readonly byPriority = new Map<number, JobsCounters>();
  /** Outcomes per `queue\u0000minute`, drained by the roll-up writer. */
  private minutes = new Map<string, MinuteDelta>();
  /** Each queue's delta of the current minute (a shortcut into `minutes`, cleared with it). */
  private currentMinute = new Map<string, MinuteDelta>();
  /** Histogram children by label values, so an observation does not hash its labels. */
  private readonly waitChildren = new Map<string, Histogram.Internal<'queue'>>();
  private readonly runChildren = new Map<string, Histogram.Internal<'queue' | 'outcome'>>();
  /** Running and capacity of this node's workers (set by the runner when it starts). */
  private utilisationSource: () => { running: number; capacity: number } = () => ({ running: 0, capacity: 0 });
  private nodeId = '';

  /** Time from when a job could run (`runAt`) to its claim, per queue. Not registered anywhere:
   * `JobsObservabilityModule` registers it in its registry. */
  readonly waitSeconds = new Histogram({
    name: 'jobs_wait_seconds',
    help: 'Time from a job becoming due (run_at) to an attempt starting on this node',
    labelNames: ['queue'] as const,
    buckets: WAIT_BUCKETS,
    registers: [],
  });

  readonly runSeconds = new Histogram({
    name: 'jobs_run_seconds',
    help: 'Run time of attempts on this node, by outcome (succeeded, failed, timed_out)',
    labelNames: ['queue', 'outcome'] as const,
    buckets: RUN_BUCKETS,
    registers: [],
  });

  /** Time from a schedule's tick to its job's insert, for ticks this node fired on time. */
  readonly scheduleLagSeconds = new Histogram({
    name: 'jobs_schedule_lag_seconds',
    help: "Time from a schedule's tick to the insert of its job, for ticks fired on time by this node",
    buckets: WAIT_BUCKETS,
    registers: [],
  });

  /** Called by the runner when it starts workers. */
  attachRunner(nodeId: string, utilisation: () => { running: number; capacity: number }): void {
    this.nodeId = nodeId;
    this.utilisationSource = utilisation;
  }

  add(name: CounterName, queue: string, priority: number, n = 1): void {
    if (n === 0) return;
    this.totals[name] += n;
    counters(this.byQueue, queue)[name] += n;
    counters(this.byPriority, priority)[name] += n;
  }

  /** An attempt started: the wait is from when the job became due (`runAt`). */
  attemptStarted(job: Job, startedAt: Date): void {
    let child = this.waitChildren.get(job.queue);
    if (!child) this.waitChildren.set(job.queue, (child = this.waitSeconds.labels(job.queue)));
    child.observe(Math.max(0, startedAt.getTime() - job.runAt.getTime()) / 1000);
  }

  attemptSucceeded({ queue, priority }: Job, startedAt: Date): void {
    this.add('processed', queue, priority);
    this.add('succeeded', queue, priority);
    this.minute(queue).completed += 1;
    this.observeRun(queue, 'succeeded', startedAt);
  }

  /** An attempt failed: `dead` when the job is dead-lettered, `crashed` when a non-Error was thrown. */
  attemptFailed({ queue, priority }: Job, startedAt: Date, opts: AttemptFailure): void {
    this.add('processed', queue, priority);
    this.add(opts.dead ? 'failed' : 'retried', queue, priority);
    if (opts.crashed) this.add('crashed', queue, priority);
    const m = this.minute(queue);
    if (opts.dead) m.failed += 1;
    else m.retried += 1;
    this.observeRun(queue, opts.outcome, startedAt);
  }

  private observeRun(queue: string, outcome: string, startedAt: Date): void {
    const key = `${queue}\u0000${outcome}`;
    let child = this.runChildren.get(key);
    if (!child) this.runChildren.set(key, (child = this.runSeconds.labels(queue, outcome)));
    child.observe((Date.now() - startedAt.getTime()) / 1000);
  }

  handlerDetached({ queue, priority }: Job): void {
    this.add('detached', queue, priority);
  }

  /** Attempts this node took back from dead nodes or expired leases (priority unknown: counted
   * under the queue and the totals only). */
  attemptsTakenBack(byQueue: Record<string, number>): void {
    for (const [queue, n] of Object.entries(byQueue)) {
      this.totals.crashed += n;
      counters(this.byQueue, queue).crashed += n;
    }
  }

  scheduleTicksFired(lagsMs: number[]): void {
    for (const ms of lagsMs) this.scheduleLagSeconds.observe(Math.max(0, ms) / 1000);
  }

  snapshot(): JobsStatsSnapshot {
    const { running, capacity } = this.utilisationSource();
    return {
      node: this.nodeId,
      since: this.since.toISOString(),
      totals: { ...this.totals },
      queues: Object.fromEntries([...this.byQueue].map(([k, v]) => [k, { ...v }])),
      priorities: Object.fromEntries([...this.byPriority].map(([k, v]) => [String(k), { ...v }])),
      utilisation: { running, capacity, ratio: capacity === 0 ? 0 : running / capacity },
    };
  }

  /** Per-queue counters (for Prometheus). */
  queueCounters(): Map<string, JobsCounters> {
    return this.byQueue;
  }

  /** The outcomes not yet written to the roll-up; they are forgotten here (give them back with
   * `restoreMinutes` when the write fails). */
  takeMinutes(): MinuteDelta[] {
    const taken = [...this.minutes.values()];
    this.minutes = new Map();
    this.currentMinute = new Map();
    return taken;
  }

  restoreMinutes(deltas: MinuteDelta[]): void {
    for (const d of deltas) {
      const m = this.minute(d.queue, d.minute.getTime());
      m.completed += d.completed;
      m.failed += d.failed;
      m.retried += d.retried;
    }
  }

  /** The outcomes not yet written, without taking them (series read them on top of the roll-up). */
  unwrittenMinutes(): MinuteDelta[] {
    return [...this.minutes.values()];
  }

  private minute(queue: string, at = Date.now()): MinuteDelta {
    const start = Math.floor(at / MINUTE) * MINUTE;
    const current = this.currentMinute.get(queue);
    if (current && current.minute.getTime() === start) return current;
    const key = `${queue}\u0000${start}`;
    let m = this.minutes.get(key);
    if (!m) {
      m = { queue, minute: new Date(start), completed: 0, failed: 0, retried: 0 };
      this.minutes.set(key, m);
    }
    if (start >= (current?.minute.getTime() ?? 0)) this.currentMinute.set(queue, m);
    return m;
  }
}

function counters<K>(map: Map<K, JobsCounters>, key: K): JobsCounters {
  let c = map.get(key);
  if (!c) {
    c = zero();
    map.set(key, c);
  }
  return c;
}
