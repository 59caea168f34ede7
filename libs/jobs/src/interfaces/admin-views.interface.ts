import type { JobState } from './job.interface';

// What the admin API answers about queues, nodes, throughput, the change feed and the audit log.
// The dashboard compiles against these types (through `rest-contract.interface.ts`).

export type StateCounts = Record<JobState, number>;

/** One queue, as the admin API and the dashboard show it. */
export interface QueueSummary {
  name: string;
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  /** Handlers at once on the live nodes (each node's concurrency for the queue, summed). */
  concurrency: number;
  /** Live nodes serving the queue (stopping ones left out). */
  nodes: number;
  /** Each live node's concurrency for the queue (the run-time setting when there is one). */
  concurrencyPerNode: Record<string, number>;
  /** The per-node concurrency set at run time (`PATCH /queues/:name`); null: each node's own. */
  concurrencySetting: number | null;
  /** No live node serves the queue (or their concurrency is 0): its jobs wait. */
  noWorkers: boolean;
  /** Completed and dead-lettered jobs over the last 5 minutes, cluster-wide. */
  completedLast5Minutes: number;
  failedLast5Minutes: number;
  counts: StateCounts;
  /** When `counts` (and `oldestPendingAgeMs`) were counted: a shared snapshot, at most a few seconds old. */
  countsAt: string;
  /** True when some of `counts` are estimates (`estimatedStates` names them): on a table over
   * 64 MB (about 200,000 jobs) the finished states always, an unfinished state past 1,000 jobs. */
  countsEstimated: boolean;
  estimatedStates: JobState[];
  /** Averaged over the last `THROUGHPUT_WINDOW_MINUTES` minutes, across every node. */
  completedPerMinute: number;
  failedPerMinute: number;
  /** Dead-lettered / (completed + dead-lettered) over the same window; 0 without outcomes. */
  failureRate: number;
  /** Age of the longest-waiting ready (pending) job, since it became due; null when none waits. */
  oldestPendingAgeMs: number | null;
}

export interface SeriesPoint {
  at: string;
  completed: number;
  failed: number;
  retried: number;
}

/** A live node, with the jobs it is running. */
export interface NodeSummary {
  id: string;
  hostname: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
  /** Its queues and their concurrency on it. */
  queues: Record<string, number>;
  running: number;
  stopping: boolean;
  jobs: Array<{ id: string; type: string; queue: string; startedAt: string | null }>;
}

export interface JobChange {
  id: string;
  state: JobState;
  queue: string;
  type: string;
}

/** One operator action (delete, clean, queue setting, schedule change), newest first. */
export interface AuditEntry {
  id: string;
  at: Date;
  actor: string | null;
  action: string;
  /** What it acted on (a job id, a queue, a schedule); null for actions on many jobs. */
  target: string | null;
  detail: Record<string, unknown> | null;
}
